/*
 * fuzz_runtime_call.c — libFuzzer target for anna_runtime_call, the one entry
 * point every host uses. The runtime is created once, with a session
 * (sess-1) already made, so session.call paths are reachable from a single
 * input, and a host handler that answers every delegated call at once
 * (cycling through the ST-HC-2 answer shapes). Each input is copied to a NUL-terminated buffer and sent as one
 * request; the answer must be "" or one Python-rendered JSON-RPC response
 * (anything else aborts, so libFuzzer keeps the input as a crash).
 *
 * Build: cmake -DANNA_BUILD_FUZZER=ON -DCMAKE_C_COMPILER=/opt/swift/usr/bin/clang
 * See tests/fuzz/README.md.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "annaruntime.h"
#include "fuzz_common.h"

static anna_runtime *rt;
static char key_path[512];

static void make_runtime(void) {
    char config[700];
    snprintf(config, sizeof config, "{\"dev_key_path\": \"%s\", \"host_call_timeout_ms\": 100}", key_path);
    char *err = NULL;
    rt = anna_runtime_new(config, &err);
    if (!rt) {
        fprintf(stderr, "fuzz: anna_runtime_new failed: %s\n", err ? err : "?");
        abort();
    }
    anna_runtime_set_host_handler(rt, anna_fuzz_host_handler, rt);
    char *r = anna_runtime_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"session.create\",\"params\":{\"manifest\":"
                                    ANNA_FUZZ_MANIFEST "}}");
    if (!r || !strstr(r, "\"session_id\": \"sess-1\"")) {
        fprintf(stderr, "fuzz: session.create failed: %s\n", r ? r : "(NULL)");
        abort();
    }
    anna_string_free(r);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *base = getenv("TMPDIR");
    char dir[400];
    snprintf(dir, sizeof dir, "%s/anna-fuzz.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) abort();
    snprintf(key_path, sizeof key_path, "%s/dev.key", dir);
    /* never touch ~/.anna-app */
    setenv("HOME", dir, 1);
    setenv("ANNA_APP_DEV_KEY", key_path, 1);
    setenv("TZ", "UTC", 1);
    make_runtime();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!anna_fuzz_input_allowed(data, size)) return 0;
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    char *answer = anna_runtime_call(rt, buf);
    if (!anna_fuzz_answer_ok(answer)) {
        fprintf(stderr, "fuzz: bad answer for input of %zu bytes: %.2000s\n", size, answer ? answer : "(NULL)");
        abort();
    }
    anna_string_free(answer);
    free(buf);

    /* Keep the event queue bounded, and sess-1 alive: if an input closed it,
     * start over with a fresh runtime (whose first session is sess-1). */
    char *d = anna_runtime_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"session.drain_events\",\"params\":{\"session_id\":\"sess-1\"}}");
    if (!anna_fuzz_answer_ok(d)) {
        fprintf(stderr, "fuzz: bad drain answer: %.2000s\n", d ? d : "(NULL)");
        abort();
    }
    int gone = strstr(d, "\"error\"") != NULL;
    anna_string_free(d);
    if (gone) {
        anna_runtime_free(rt);
        make_runtime();
    }
    return 0;
}
