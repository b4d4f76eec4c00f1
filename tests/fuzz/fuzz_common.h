/*
 * fuzz_common.h — shared by the libFuzzer target (fuzz_runtime_call.c) and
 * the corpus replay test (tests/c/test_fuzz_corpus.c), so both run the
 * inputs against the same runtime set-up and judge answers the same way.
 */
#ifndef ANNA_FUZZ_COMMON_H
#define ANNA_FUZZ_COMMON_H

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "annaruntime.h"

/* The pre-made session (sess-1) grants every namespace, so session.call
 * paths are reachable from a single input. */
#define ANNA_FUZZ_MANIFEST                                                                                      \
    "{\"schema\":1,\"host_capabilities\":[\"aps.scope.user.read\"],\"required_executas\":[{\"tool_id\":\"t.x\"}]," \
    "\"ui\":{\"bundle\":{\"entry\":\"index.html\"},"                                                            \
    "\"views\":[{\"name\":\"main\",\"title\":\"Main\",\"default\":true},{\"name\":\"side\",\"title\":\"Side\"}]," \
    "\"host_api\":{\"storage\":[\"*\"],\"llm\":[\"*\"],\"image\":[\"*\"],\"video\":[\"*\"],\"music\":[\"*\"],"      \
    "\"audio\":[\"*\"],\"upload\":[\"*\"],\"web\":[\"*\"],\"chat\":[\"*\"],\"tools\":[\"*\"],\"files\":[\"*\"],"    \
    "\"artifact\":[\"*\"],\"fs\":[\"*\"],\"prefs\":[\"*\"],\"apps\":[\"*\"],\"mobile\":[\"*\"],"                   \
    "\"credentials\":[\"google\"],\"agent\":{\"session\":{\"auto\":true}}}}}"

/* The host handler installed on the fuzzed runtime (userdata = the
 * runtime): it answers every delegated call at once, cycling through the
 * answer shapes of 05 ST-HC-2 / 09 BR-OUT-3..5, so the host-call paths are
 * exercised too. */
static const char *const anna_fuzz_replies[] = {
    "{\"result\":{\"role\":\"assistant\",\"content\":{\"type\":\"text\",\"text\":\"ok\"}}}",
    "{\"error\":{\"code\":-32000,\"message\":\"quota\",\"data\":{\"errorCode\":\"QUOTA_EXCEEDED\",\"limit\":3}}}",
    "{\"error\":{\"code\":-32001,\"data\":\"str\"}}",
    "{\"error\":{}}",
    "{\"error\":\"boom\"}",
    "{\"result\":[1,2]}",
    "{\"result\":{\"stream_id\":null,\"n\":NaN}}",
    "{}",
};

static inline void anna_fuzz_host_handler(void *userdata, uint64_t call_id, const char *method, const char *params_json) {
    (void)method;
    (void)params_json;
    anna_runtime_host_reply((anna_runtime *)userdata, call_id,
                            anna_fuzz_replies[call_id % (sizeof anna_fuzz_replies / sizeof anna_fuzz_replies[0])]);
}

/* Lower-cased copy with \u00XX escapes of ASCII folded to the character,
 * so that "invok\u0065" is seen as "invoke". Caller frees. */
static inline char *anna_fuzz_fold(const uint8_t *data, size_t size) {
    char *out = (char *)malloc(size + 1);
    size_t o = 0;
    if (!out) return NULL;
    for (size_t i = 0; i < size; i++) {
        if (data[i] == '\\' && i + 5 < size + 0 && data[i + 1] == 'u' && data[i + 2] == '0' && data[i + 3] == '0' &&
            isxdigit(data[i + 4]) && isxdigit(data[i + 5])) {
            char hex[3] = {(char)data[i + 4], (char)data[i + 5], 0};
            out[o++] = (char)tolower((int)strtol(hex, NULL, 16));
            i += 5;
            continue;
        }
        out[o++] = (char)tolower(data[i]);
    }
    out[o] = 0;
    return out;
}

/* Inputs that could make the runtime start a process (tools.invoke,
 * tools.invokeAsync of a registered executa) or open a network connection
 * (web.fetch / web.image_fetch of an http URL) are skipped: a fuzzer must
 * not run arbitrary commands or hang on the network. */
static inline int anna_fuzz_input_allowed(const uint8_t *data, size_t size) {
    char *f = anna_fuzz_fold(data, size);
    if (!f) return 0;
    int ok = strstr(f, "invoke") == NULL && !(strstr(f, "fetch") && strstr(f, "http"));
    free(f);
    return ok;
}

/* Validates Python json.dumps-style text: exactly one JSON value, NaN /
 * Infinity / -Infinity and integers of any size allowed, strings with valid
 * escapes and valid UTF-8. Iterative, so any depth is fine. */
typedef struct {
    const unsigned char *s;
    size_t n, i;
} anna_pj_cur;

static inline void anna_pj_ws(anna_pj_cur *c) {
    while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' || c->s[c->i] == '\r')) c->i++;
}

static inline int anna_pj_lit(anna_pj_cur *c, const char *lit) {
    size_t l = strlen(lit);
    if (c->n - c->i >= l && memcmp(c->s + c->i, lit, l) == 0) {
        c->i += l;
        return 1;
    }
    return 0;
}

static inline int anna_pj_string(anna_pj_cur *c) {
    if (c->i >= c->n || c->s[c->i] != '"') return 0;
    c->i++;
    while (c->i < c->n) {
        unsigned char ch = c->s[c->i];
        if (ch == '"') {
            c->i++;
            return 1;
        }
        if (ch < 0x20) return 0;
        if (ch == '\\') {
            c->i++;
            if (c->i >= c->n) return 0;
            unsigned char e = c->s[c->i];
            if (e == 'u') {
                if (c->n - c->i < 5) return 0;
                for (int k = 1; k <= 4; k++)
                    if (!isxdigit(c->s[c->i + k])) return 0;
                c->i += 5;
                continue;
            }
            if (e == 0 || !strchr("\"\\/bfnrt", e)) return 0;
            c->i++;
            continue;
        }
        if (ch < 0x80) {
            c->i++;
            continue;
        }
        int extra;
        unsigned cp;
        if (ch >= 0xC2 && ch <= 0xDF) { extra = 1; cp = ch & 0x1Fu; }
        else if (ch >= 0xE0 && ch <= 0xEF) { extra = 2; cp = ch & 0x0Fu; }
        else if (ch >= 0xF0 && ch <= 0xF4) { extra = 3; cp = ch & 0x07u; }
        else return 0;
        if (c->n - c->i <= (size_t)extra) return 0;
        for (int k = 1; k <= extra; k++) {
            unsigned char cc = c->s[c->i + k];
            if ((cc & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        if ((extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        c->i += (size_t)extra + 1;
    }
    return 0;
}

static inline int anna_pj_digits(anna_pj_cur *c) {
    size_t st = c->i;
    while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9') c->i++;
    return c->i > st;
}

static inline int anna_pj_scalar(anna_pj_cur *c) {
    if (c->i >= c->n) return 0;
    if (c->s[c->i] == '"') return anna_pj_string(c);
    if (anna_pj_lit(c, "true") || anna_pj_lit(c, "false") || anna_pj_lit(c, "null") || anna_pj_lit(c, "NaN") ||
        anna_pj_lit(c, "Infinity") || anna_pj_lit(c, "-Infinity"))
        return 1;
    if (c->s[c->i] == '-') c->i++;
    if (c->i >= c->n) return 0;
    if (c->s[c->i] == '0') c->i++;
    else if (!anna_pj_digits(c)) return 0;
    if (c->i < c->n && c->s[c->i] == '.') {
        c->i++;
        if (!anna_pj_digits(c)) return 0;
    }
    if (c->i < c->n && (c->s[c->i] == 'e' || c->s[c->i] == 'E')) {
        c->i++;
        if (c->i < c->n && (c->s[c->i] == '+' || c->s[c->i] == '-')) c->i++;
        if (!anna_pj_digits(c)) return 0;
    }
    return 1;
}

static inline int anna_pj_key_colon(anna_pj_cur *c) {
    anna_pj_ws(c);
    if (!anna_pj_string(c)) return 0;
    anna_pj_ws(c);
    if (c->i >= c->n || c->s[c->i] != ':') return 0;
    c->i++;
    anna_pj_ws(c);
    return 1;
}

static inline int anna_pyjson_valid(const char *text, size_t len) {
    if (!text) return 0;
    anna_pj_cur c = {(const unsigned char *)text, len, 0};
    size_t cap = 64, depth = 0;
    char *stack = (char *)malloc(cap);
    if (!stack) return 0;
    int ok = 0, need_value = 1;
    anna_pj_ws(&c);
    for (;;) {
        if (need_value) {
            if (c.i >= c.n) goto done;
            unsigned char ch = c.s[c.i];
            if (ch == '{' || ch == '[') {
                if (depth == cap) {
                    cap *= 2;
                    char *ns = (char *)realloc(stack, cap);
                    if (!ns) goto done;
                    stack = ns;
                }
                stack[depth++] = (char)ch;
                c.i++;
                anna_pj_ws(&c);
                if (c.i < c.n && c.s[c.i] == (ch == '{' ? '}' : ']')) {
                    c.i++;
                    depth--;
                    need_value = 0;
                    continue;
                }
                if (ch == '{' && !anna_pj_key_colon(&c)) goto done;
                continue;
            }
            if (!anna_pj_scalar(&c)) goto done;
            need_value = 0;
            continue;
        }
        anna_pj_ws(&c);
        if (depth == 0) break;
        if (c.i >= c.n) goto done;
        char top = stack[depth - 1];
        unsigned char ch = c.s[c.i];
        if (ch == ',') {
            c.i++;
            anna_pj_ws(&c);
            if (top == '{' && !anna_pj_key_colon(&c)) goto done;
            need_value = 1;
            continue;
        }
        if ((top == '{' && ch == '}') || (top == '[' && ch == ']')) {
            c.i++;
            depth--;
            continue;
        }
        goto done;
    }
    anna_pj_ws(&c);
    ok = c.i == c.n;
done:
    free(stack);
    return ok;
}

/* An answer of anna_runtime_call is "" (blank request) or one JSON-RPC
 * response object in Python rendering. */
static inline int anna_fuzz_answer_ok(const char *answer) {
    if (!answer) return 0;
    size_t n = strlen(answer);
    if (n == 0) return 1;
    static const char prefix[] = "{\"jsonrpc\": \"2.0\", \"id\": ";
    return strncmp(answer, prefix, sizeof prefix - 1) == 0 && answer[n - 1] == '}' && anna_pyjson_valid(answer, n);
}

#endif /* ANNA_FUZZ_COMMON_H */
