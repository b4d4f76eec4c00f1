/* anna_test.c — see anna_test.h. */
#define _GNU_SOURCE
#include "anna_test.h"
#include "../fuzz/fuzz_common.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- checks ------------------------------------------------------------ */

static pthread_mutex_t at_lock = PTHREAD_MUTEX_INITIALIZER;
static long at_checks, at_failures;
static const char *at_program = "test";
static const char *at_rule;
static char at_dir[512];

void at_set_rule(const char *rule) { at_rule = rule; }

static void at_print_trunc(const char *label, const char *s) {
    if (!s) {
        fprintf(stderr, "    %s: (NULL)\n", label);
        return;
    }
    size_t n = strlen(s);
    if (n <= 600) {
        fprintf(stderr, "    %s: %s\n", label, s);
    } else {
        fprintf(stderr, "    %s: %.300s ... %s (%zu bytes)\n", label, s, s + n - 200, n);
    }
}

static void at_fail_head(const char *file, int line, const char *expr) {
    fprintf(stderr, "FAIL %s:%d [%s] %s\n", file, line, at_rule ? at_rule : "-", expr);
}

static int at_count(int ok) {
    pthread_mutex_lock(&at_lock);
    at_checks++;
    if (!ok) at_failures++;
    pthread_mutex_unlock(&at_lock);
    return ok;
}

int at_check(int ok, const char *file, int line, const char *expr) {
    if (!ok) {
        pthread_mutex_lock(&at_lock);
        at_fail_head(file, line, expr);
        pthread_mutex_unlock(&at_lock);
    }
    return at_count(ok);
}

int at_check_str(const char *actual, const char *expected, const char *file, int line, const char *expr) {
    int ok = actual && expected && strcmp(actual, expected) == 0;
    if (!ok) {
        pthread_mutex_lock(&at_lock);
        at_fail_head(file, line, expr);
        at_print_trunc("expected", expected);
        at_print_trunc("actual  ", actual);
        if (actual && expected) {
            size_t i = 0;
            while (actual[i] && actual[i] == expected[i]) i++;
            fprintf(stderr, "    first difference at byte %zu\n", i);
        }
        pthread_mutex_unlock(&at_lock);
    }
    return at_count(ok);
}

int at_check_prefix(const char *actual, const char *prefix, const char *file, int line, const char *expr) {
    int ok = actual && prefix && strncmp(actual, prefix, strlen(prefix)) == 0;
    if (!ok) {
        pthread_mutex_lock(&at_lock);
        at_fail_head(file, line, expr);
        at_print_trunc("expected prefix", prefix);
        at_print_trunc("actual         ", actual);
        pthread_mutex_unlock(&at_lock);
    }
    return at_count(ok);
}

int at_check_contains(const char *actual, const char *needle, const char *file, int line, const char *expr) {
    int ok = actual && needle && strstr(actual, needle) != NULL;
    if (!ok) {
        pthread_mutex_lock(&at_lock);
        at_fail_head(file, line, expr);
        at_print_trunc("expected to contain", needle);
        at_print_trunc("actual             ", actual);
        pthread_mutex_unlock(&at_lock);
    }
    return at_count(ok);
}

int at_check_int(long long actual, long long expected, const char *file, int line, const char *expr) {
    int ok = actual == expected;
    if (!ok) {
        pthread_mutex_lock(&at_lock);
        at_fail_head(file, line, expr);
        fprintf(stderr, "    expected: %lld\n    actual  : %lld\n", expected, actual);
        pthread_mutex_unlock(&at_lock);
    }
    return at_count(ok);
}

/* ---- memory ------------------------------------------------------------ */

typedef struct {
    void **items;
    int *is_json;
    size_t len, cap;
} at_arena_t;

static at_arena_t at_arena;

static void at_arena_push(void *p, int is_json) {
    if (!p) return;
    pthread_mutex_lock(&at_lock);
    if (at_arena.len == at_arena.cap) {
        size_t cap = at_arena.cap ? at_arena.cap * 2 : 256;
        void **items = realloc(at_arena.items, cap * sizeof *items);
        int *flags = realloc(at_arena.is_json, cap * sizeof *flags);
        if (!items || !flags) {
            fprintf(stderr, "out of memory\n");
            abort();
        }
        at_arena.items = items;
        at_arena.is_json = flags;
        at_arena.cap = cap;
    }
    at_arena.items[at_arena.len] = p;
    at_arena.is_json[at_arena.len] = is_json;
    at_arena.len++;
    pthread_mutex_unlock(&at_lock);
}

char *at_keep(char *s) {
    at_arena_push(s, 0);
    return s;
}

json_t *at_keep_json(json_t *j) {
    at_arena_push(j, 1);
    return j;
}

void at_arena_reset(void) {
    pthread_mutex_lock(&at_lock);
    for (size_t i = 0; i < at_arena.len; i++) {
        if (at_arena.is_json[i]) json_decref(at_arena.items[i]);
        else free(at_arena.items[i]);
    }
    at_arena.len = 0;
    pthread_mutex_unlock(&at_lock);
}

char *at_fmt(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    if (!s) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    return at_keep(s);
}

char *at_repeat(const char *unit, size_t n) {
    size_t u = strlen(unit);
    char *s = malloc(u * n + 1);
    if (!s) abort();
    for (size_t i = 0; i < n; i++) memcpy(s + i * u, unit, u);
    s[u * n] = 0;
    return at_keep(s);
}

/* ---- files ------------------------------------------------------------- */

static int at_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

static void at_cleanup(void) {
    at_arena_reset();
    free(at_arena.items);
    free(at_arena.is_json);
    at_arena.items = NULL;
    at_arena.is_json = NULL;
    at_arena.cap = 0;
    if (at_dir[0]) nftw(at_dir, at_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void at_init(const char *program) {
    at_program = program;
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    snprintf(at_dir, sizeof at_dir, "%s/%s.XXXXXX", base, program);
    if (!mkdtemp(at_dir)) {
        fprintf(stderr, "%s: mkdtemp failed: %s\n", program, strerror(errno));
        exit(2);
    }
    atexit(at_cleanup);
    /* Never touch the developer's ~/.anna-app. */
    char home[600], key[640];
    snprintf(home, sizeof home, "%s/home", at_dir);
    mkdir(home, 0700);
    setenv("HOME", home, 1);
    snprintf(key, sizeof key, "%s/env-dev.key", at_dir);
    setenv("ANNA_APP_DEV_KEY", key, 1);
    setenv("TZ", "UTC", 1);
    setvbuf(stdout, NULL, _IOLBF, 0);
}

int at_finish(void) {
    if (at_failures == 0) {
        printf("%s: %ld checks passed\n", at_program, at_checks);
    } else {
        printf("%s: %ld of %ld checks FAILED\n", at_program, at_failures, at_checks);
    }
    fflush(stdout);
    return at_failures == 0 ? 0 : 1;
}

const char *at_tmpdir(void) { return at_dir; }

char *at_tmppath(const char *stem) {
    static long counter;
    long n;
    pthread_mutex_lock(&at_lock);
    n = ++counter;
    pthread_mutex_unlock(&at_lock);
    return at_fmt("%s/%s-%ld", at_dir, stem, n);
}

int at_write_file(const char *path, const void *data, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return -1;
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            close(fd);
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return close(fd);
}

const char *at_vector_key_path(void) {
    static char path[600];
    if (!path[0]) {
        unsigned char key[32];
        for (int i = 0; i < 32; i++) key[i] = (unsigned char)i;
        snprintf(path, sizeof path, "%s/vector.key", at_dir);
        if (at_write_file(path, key, sizeof key) != 0) {
            fprintf(stderr, "cannot write %s\n", path);
            exit(2);
        }
    }
    return path;
}

/* ---- the library ------------------------------------------------------- */

static char at_last_key[600];

anna_runtime *at_runtime_new(const char *extra_config) {
    unsigned char key[32];
    for (int i = 0; i < 32; i++) key[i] = (unsigned char)i;
    char *path = at_tmppath("rt.key");
    if (at_write_file(path, key, sizeof key) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    pthread_mutex_lock(&at_lock);
    snprintf(at_last_key, sizeof at_last_key, "%s", path);
    pthread_mutex_unlock(&at_lock);
    char *config = extra_config && *extra_config
                       ? at_fmt("{\"dev_key_path\": \"%s\", %s}", path, extra_config)
                       : at_fmt("{\"dev_key_path\": \"%s\"}", path);
    char *err = NULL;
    anna_runtime *rt = anna_runtime_new(config, &err);
    if (!rt) {
        fprintf(stderr, "%s: anna_runtime_new(%s) failed: %s\n", at_program, config, err ? err : "(no error)");
        anna_string_free(err);
        exit(2);
    }
    at_check(err == NULL, __FILE__, __LINE__, "anna_runtime_new success sets *error_out = NULL");
    anna_string_free(err);
    return rt;
}

const char *at_last_key_path(void) { return at_last_key; }

static char *at_take(char *lib) {
    if (!lib) return NULL;
    char *copy = strdup(lib);
    anna_string_free(lib);
    if (!copy) abort();
    return copy;
}

char *at_call_dup(anna_runtime *rt, const char *request) {
    char *r = at_take(anna_runtime_call(rt, request));
    at_check(r != NULL, __FILE__, __LINE__, "anna_runtime_call returned non-NULL");
    return r;
}

char *at_call(anna_runtime *rt, const char *request) { return at_keep(at_call_dup(rt, request)); }

char *at_callf(anna_runtime *rt, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *req = NULL;
    if (vasprintf(&req, fmt, ap) < 0) abort();
    va_end(ap);
    char *r = at_call(rt, req);
    free(req);
    return r;
}

char *at_mint_dup(anna_runtime *rt, const char *params) {
    char *r = at_take(anna_dev_token_mint(rt, params));
    at_check(r != NULL, __FILE__, __LINE__, "anna_dev_token_mint returned non-NULL");
    return r;
}

char *at_verify_dup(anna_runtime *rt, const char *params) {
    char *r = at_take(anna_dev_token_verify(rt, params));
    at_check(r != NULL, __FILE__, __LINE__, "anna_dev_token_verify returned non-NULL");
    return r;
}

char *at_mint(anna_runtime *rt, const char *params) { return at_keep(at_mint_dup(rt, params)); }
char *at_verify(anna_runtime *rt, const char *params) { return at_keep(at_verify_dup(rt, params)); }

json_t *at_json_owned(const char *text) {
    if (!text) return NULL;
    json_error_t e;
    return json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
}

json_t *at_json(const char *text) { return at_keep_json(at_json_owned(text)); }

/* ---- Python-flavoured JSON validation (shared with the fuzz target) ---- */

int at_pyjson_valid(const char *text, size_t len) { return anna_pyjson_valid(text, len); }

/* ---- timestamps -------------------------------------------------------- */

static int at_ts_shape(const char *p, size_t n) {
    /* YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DDTHH:MM:SS.ffffffZ */
    const char *shape20 = "dddd-dd-ddTdd:dd:ddZ";
    const char *shape27 = "dddd-dd-ddTdd:dd:dd.ddddddZ";
    const char *shape = n == 20 ? shape20 : n == 27 ? shape27 : NULL;
    if (!shape) return 0;
    for (size_t i = 0; i < n; i++) {
        if (shape[i] == 'd') {
            if (p[i] < '0' || p[i] > '9') return 0;
        } else if (p[i] != shape[i]) {
            return 0;
        }
    }
    if (n == 27 && memcmp(p + 20, "000000", 6) == 0) return 0; /* J-DT-1: fraction omitted when 0 */
    return 1;
}

char *at_mask_ts(const char *text) {
    if (!text) return NULL;
    const char *needle = "\"ts\": \"";
    size_t nl = strlen(needle);
    size_t cap = strlen(text) + 1, len = 0;
    char *out = malloc(cap);
    if (!out) abort();
    const char *p = text;
    for (;;) {
        const char *hit = strstr(p, needle);
        if (!hit) break;
        const char *v = hit + nl;
        const char *end = strchr(v, '"');
        size_t pre = (size_t)(v - p);
        memcpy(out + len, p, pre);
        len += pre;
        if (end && at_ts_shape(v, (size_t)(end - v))) {
            memcpy(out + len, "TS", 2);
            len += 2;
            p = end;
        } else {
            p = v;
        }
    }
    strcpy(out + len, p);
    return at_keep(out);
}

/* ---- sessions ---------------------------------------------------------- */

const char *const AT_MANIFEST_ALL =
    "{\"schema\":1,\"ui\":{\"bundle\":{\"entry\":\"index.html\"},"
    "\"views\":[{\"name\":\"main\",\"title\":\"Main\",\"default\":true}],"
    "\"host_api\":{\"storage\":[\"*\"],\"llm\":[\"*\"],\"image\":[\"*\"],\"video\":[\"*\"],"
    "\"music\":[\"*\"],\"audio\":[\"*\"],\"upload\":[\"*\"],\"web\":[\"*\"],\"chat\":[\"*\"],"
    "\"agent\":{\"session\":{\"auto\":true}}}}}";

char *at_manifest_with_host_api(const char *host_api_json) {
    return at_fmt("{\"schema\":1,\"ui\":{\"bundle\":{\"entry\":\"index.html\"},"
                  "\"views\":[{\"name\":\"main\",\"title\":\"Main\",\"default\":true}],"
                  "\"host_api\":%s}}",
                  host_api_json);
}

int at_session_create(anna_runtime *rt, const char *manifest, const char *extra_params, at_session *out) {
    memset(out, 0, sizeof *out);
    char *resp = extra_params && *extra_params
                     ? at_callf(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.create\",\"params\":{\"manifest\":%s,%s}}",
                                manifest, extra_params)
                     : at_callf(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.create\",\"params\":{\"manifest\":%s}}",
                                manifest);
    json_t *j = at_json(resp);
    json_t *res = j ? json_object_get(j, "result") : NULL;
    const char *sid = json_string_value(json_object_get(res, "session_id"));
    const char *wid = json_string_value(json_object_get(res, "window_uuid"));
    const char *tok = json_string_value(json_object_get(res, "token"));
    if (!at_check(sid && wid && tok, __FILE__, __LINE__, "session.create succeeded")) {
        fprintf(stderr, "    answer: %s\n", resp ? resp : "(NULL)");
        return -1;
    }
    out->session_id = at_fmt("%s", sid);
    out->window_uuid = at_fmt("%s", wid);
    out->token = at_fmt("%s", tok);
    return 0;
}

static char *at_call_req_raw(const char *sid, const char *ns, const char *method, const char *args) {
    char *s = NULL;
    int r = args ? asprintf(&s,
                            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.call\",\"params\":{\"session_id\":\"%s\","
                            "\"ns\":\"%s\",\"method\":\"%s\",\"args\":%s}}",
                            sid, ns, method, args)
                 : asprintf(&s,
                            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.call\",\"params\":{\"session_id\":\"%s\","
                            "\"ns\":\"%s\",\"method\":\"%s\"}}",
                            sid, ns, method);
    if (r < 0) abort();
    return s;
}

char *at_call_req(const char *sid, const char *ns, const char *method, const char *args) {
    return at_keep(at_call_req_raw(sid, ns, method, args));
}

char *at_scall_dup(anna_runtime *rt, const char *sid, const char *ns, const char *method, const char *args) {
    char *req = at_call_req_raw(sid, ns, method, args);
    char *r = at_call_dup(rt, req);
    free(req);
    return r;
}

char *at_scall(anna_runtime *rt, const char *sid, const char *ns, const char *method, const char *args) {
    return at_keep(at_scall_dup(rt, sid, ns, method, args));
}

char *at_ok(const char *result_json) {
    return at_fmt("{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"ok\": true, \"result\": %s}}", result_json);
}

char *at_err(const char *code, const char *message, const char *details_json) {
    return at_fmt("{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"ok\": false, \"error\": {\"code\": \"%s\", "
                  "\"message\": \"%s\", \"details\": %s}}}",
                  code, message, details_json);
}

char *at_drain(anna_runtime *rt, const char *sid) {
    return at_callf(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.drain_events\",\"params\":{\"session_id\":\"%s\"}}",
                    sid);
}
