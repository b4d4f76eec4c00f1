/* test_fuzz_corpus — replays every file of tests/fuzz/corpus/ (seed inputs
 * and every crash/timeout case the fuzzer found) through anna_runtime_call
 * on the same runtime set-up as the fuzz target; each answer must be "" or
 * one valid Python-rendered JSON-RPC response, and the runtime must still
 * answer afterwards. */
#define _GNU_SOURCE
#include "anna_test.h"
#include "../fuzz/fuzz_common.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (buf) buf[n] = 0;
    *len = n;
    return buf;
}

int main(void) {
    at_init("test_fuzz_corpus");
    const char *dir = getenv("ANNA_FUZZ_CORPUS");
#ifdef ANNA_FUZZ_CORPUS_DIR
    if (!dir || !*dir) dir = ANNA_FUZZ_CORPUS_DIR;
#endif
    if (!CHECK(dir != NULL)) {
        fprintf(stderr, "set ANNA_FUZZ_CORPUS to tests/fuzz/corpus\n");
        return at_finish();
    }
    anna_runtime *rt = at_runtime_new("\"host_call_timeout_ms\": 100");
    CHECK_INT(anna_runtime_set_host_handler(rt, anna_fuzz_host_handler, rt), 0);
    RULE("fuzz set-up: sess-1 with the fuzz manifest");
    char *r = at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"session.create\",\"params\":{\"manifest\":" ANNA_FUZZ_MANIFEST "}}");
    CHECK_PREFIX(r, "{\"jsonrpc\": \"2.0\", \"id\": 0, \"result\": {\"session_id\": \"sess-1\"");

    DIR *d = opendir(dir);
    if (!CHECK(d != NULL)) return at_finish();
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);

    RULE("corpus: at least 30 seeds");
    CHECK(n >= 30);
    size_t replayed = 0, skipped = 0;
    for (size_t i = 0; i < n; i++) {
        char *path = at_fmt("%s/%s", dir, names[i]);
        size_t len = 0;
        char *data = read_all(path, &len);
        if (!at_check(data != NULL, __FILE__, __LINE__, path)) continue;
        RULE(names[i]);
        if (!anna_fuzz_input_allowed((const uint8_t *)data, len)) {
            skipped++;
        } else {
            /* as the fuzz target: the bytes up to the first NUL */
            char *answer = anna_runtime_call(rt, data);
            int ok = anna_fuzz_answer_ok(answer);
            if (!at_check(ok, __FILE__, __LINE__, "answer is \"\" or one JSON-RPC response")) {
                fprintf(stderr, "    input : %.300s\n    answer: %.600s\n", data, answer ? answer : "(NULL)");
            }
            anna_string_free(answer);
            replayed++;
            /* the runtime still answers */
            char *p = anna_runtime_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
            at_check_str(p, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"pong\": true}}", __FILE__, __LINE__, "ping after input");
            anna_string_free(p);
        }
        free(data);
        at_arena_reset();
    }
    RULE("corpus replay done");
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    printf("test_fuzz_corpus: replayed %zu inputs (%zu skipped: would spawn a process or use the network)\n", replayed, skipped);
    anna_runtime_free(rt);
    return at_finish();
}
