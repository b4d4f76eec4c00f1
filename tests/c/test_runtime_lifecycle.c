/* test_runtime_lifecycle — anna_runtime_new / anna_runtime_free and the
 * config object (header contract; schema_dir: 12 SB-VER-2). */
#define _GNU_SOURCE
#include "anna_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

/* In-use heap bytes (glibc), or -1 where it cannot be measured (ASan has
 * its own allocator: there LeakSanitizer is the tool). */
static long long heap_in_use(void) {
#if defined(__SANITIZE_ADDRESS__)
    return -1;
#elif defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 mi = mallinfo2();
    return (long long)mi.uordblks;
#else
    return -1;
#endif
}

static const char *PING = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
static const char *PONG = "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"pong\": true}}";

/* A runtime that must be created; answers ping; freed. */
static void expect_ok(const char *config, const char *what) {
    char *err = (char *)0x1; /* must be reset to NULL on success */
    anna_runtime *rt = anna_runtime_new(config, &err);
    if (!at_check(rt != NULL, __FILE__, __LINE__, what)) {
        fprintf(stderr, "    config: %s\n    error: %s\n", config ? config : "(NULL)",
                err && err != (char *)0x1 ? err : "(none)");
    }
    at_check(err == NULL, __FILE__, __LINE__, "success sets *error_out to NULL");
    if (err && err != (char *)0x1) anna_string_free(err);
    if (rt) {
        CHECK_STR(at_call(rt, PING), PONG);
        anna_runtime_free(rt);
    }
}

/* A config that must be refused: NULL, and an error object
 * {"error": {"code": <str>, "message": <str>}}; returns the message (arena). */
static const char *expect_error(const char *config, const char *what) {
    char *err = NULL;
    anna_runtime *rt = anna_runtime_new(config, &err);
    at_check(rt == NULL, __FILE__, __LINE__, what);
    if (rt) anna_runtime_free(rt);
    at_check(err != NULL, __FILE__, __LINE__, "*error_out set on failure");
    const char *msg = NULL;
    if (err) {
        char *copy = at_fmt("%s", err);
        anna_string_free(err);
        json_t *j = at_json(copy);
        json_t *e = json_object_get(j, "error");
        at_check(json_is_object(j) && json_object_size(j) == 1 && json_is_object(e), __FILE__, __LINE__,
                 "error_out is {\"error\": {...}}");
        at_check(json_is_string(json_object_get(e, "code")) && json_string_length(json_object_get(e, "code")) > 0,
                 __FILE__, __LINE__, "error.code is a non-empty string");
        msg = json_string_value(json_object_get(e, "message"));
        at_check(msg && *msg, __FILE__, __LINE__, "error.message is a non-empty string");
        if (!msg) fprintf(stderr, "    error_out: %s\n", copy);
    }
    /* error_out may be NULL */
    rt = anna_runtime_new(config, NULL);
    at_check(rt == NULL, __FILE__, __LINE__, "failure with error_out == NULL");
    if (rt) anna_runtime_free(rt);
    return msg;
}

static char *make_schema_dir(const char *version_text) {
    char *dir = at_tmppath("schema");
    if (mkdir(dir, 0700) != 0) {
        perror(dir);
        exit(2);
    }
    char *f = at_fmt("%s/dispatcher_version.txt", dir);
    at_write_file(f, version_text, strlen(version_text));
    return dir;
}

int main(void) {
    at_init("test_runtime_lifecycle");
    char *key = at_tmppath("life.key");

    RULE("header: anna_runtime_new defaults");
    expect_ok(NULL, "NULL config");
    expect_ok("", "empty config");
    expect_ok("{}", "{} config");
    expect_ok(" { } ", "{} config with whitespace");
    expect_ok(at_fmt("{\"dev_key_path\": \"%s\"}", key), "dev_key_path only");

    RULE("header: full valid config");
    char *good_schema = make_schema_dir("0.30.0\n");
    char *full = at_fmt("{\"dev_key_path\": \"%s\", \"token_ttl_seconds\": 60, \"host_call_timeout_ms\": 1000, "
                        "\"storage_mode\": \"legacy\", \"web_mode\": \"local\", \"schema_dir\": \"%s\"}",
                        key, good_schema);
    expect_ok(full, "full config");
    expect_ok(at_fmt("{\"dev_key_path\": \"%s\", \"storage_mode\": \"aps\", \"web_mode\": \"real\", "
                     "\"host_call_timeout_ms\": 0}",
                     key),
              "aps / real / wait forever");

    RULE("header: token_ttl_seconds is the runtime's token lifetime");
    {
        char *err = NULL;
        anna_runtime *rt = anna_runtime_new(full, &err);
        CHECK(rt != NULL);
        anna_string_free(err);
        if (rt) {
            char *m = at_mint(rt, "{\"window_uuid\": \"w\", \"user_id\": 1, \"now\": 1700000000}");
            CHECK_CONTAINS(m, "\"expires_in\": 60}");
            char *r = at_callf(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.create\",\"params\":{\"manifest\":%s}}",
                               AT_MANIFEST_ALL);
            CHECK_CONTAINS(r, "\"expires_in\": 60, \"view\": \"main\"");
            anna_runtime_free(rt);
        }
    }

    RULE("TOK-KEY-3: a missing key file (existing directory) is created with 32 bytes, mode 0600");
    {
        char *fresh = at_fmt("%s/fresh.key", at_tmpdir());
        char *err = NULL;
        anna_runtime *rt = anna_runtime_new(at_fmt("{\"dev_key_path\": \"%s\"}", fresh), &err);
        CHECK(rt != NULL);
        anna_string_free(err);
        if (rt) {
            CHECK_PREFIX(at_mint(rt, "{\"window_uuid\": \"w\", \"user_id\": 1}"), "{\"token\": \"");
            struct stat st;
            memset(&st, 0, sizeof st);
            CHECK(stat(fresh, &st) == 0);
            CHECK_INT(st.st_size, 32);
            CHECK_INT(st.st_mode & 0777, 0600);
            RULE("TOK-KEY-4 / TOK-MINT-3: the created key is reused, not replaced");
            char *m1 = at_mint(rt, "{\"window_uuid\": \"w\", \"user_id\": 1, \"now\": 1700000000}");
            char *m2 = at_mint(NULL, at_fmt("{\"window_uuid\": \"w\", \"user_id\": 1, \"now\": 1700000000, \"key_path\": \"%s\"}", fresh));
            CHECK_STR(m1, m2);
            anna_runtime_free(rt);
        }
    }

    /* KNOWN LIBRARY BUG (reported to the lead; keep this test): the library
     * does not create missing parent directories of the key file, so the
     * first session.create fails -32603 "[Errno 2] No such file or
     * directory". The reference creates them (TOK-KEY-3, checked). */
    RULE("TOK-KEY-3: a missing dev_key_path is created (parents too) with 32 bytes, mode 0600");
    {
        char *fresh = at_fmt("%s/newdir/sub/dev.key", at_tmpdir());
        char *err = NULL;
        anna_runtime *rt = anna_runtime_new(at_fmt("{\"dev_key_path\": \"%s\"}", fresh), &err);
        CHECK(rt != NULL);
        anna_string_free(err);
        if (rt) {
            char *r = at_callf(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.create\",\"params\":{\"manifest\":%s}}",
                               AT_MANIFEST_ALL);
            CHECK_PREFIX(r, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"session_id\": \"sess-1\"");
            struct stat st;
            memset(&st, 0, sizeof st);
            CHECK(stat(fresh, &st) == 0);
            CHECK_INT(st.st_size, 32);
            CHECK_INT(st.st_mode & 0777, 0600);
            anna_runtime_free(rt);
        }
    }

    RULE("header: config errors (unknown key, types, JSON, UTF-8)");
    expect_error("{\"bogus\": 1}", "unknown key");
    {
        const char *m = expect_error(at_fmt("{\"dev_key_path\": \"%s\", \"tokn_ttl_seconds\": 30}", key), "typo key");
        CHECK_CONTAINS(m, "tokn_ttl_seconds");
    }
    expect_error("{\"dev_key_path\": 5}", "dev_key_path number");
    expect_error("{\"dev_key_path\": null}", "dev_key_path null");
    expect_error("{\"token_ttl_seconds\": \"30\"}", "ttl string");
    expect_error("{\"token_ttl_seconds\": 1.5}", "ttl float");
    expect_error("{\"token_ttl_seconds\": true}", "ttl bool");
    expect_error("{\"host_call_timeout_ms\": \"200\"}", "timeout string");
    expect_error("{\"host_call_timeout_ms\": [200]}", "timeout list");
    expect_error("{\"storage_mode\": \"bogus\"}", "storage_mode value");
    expect_error("{\"storage_mode\": 1}", "storage_mode type");
    expect_error("{\"web_mode\": \"remote\"}", "web_mode value");
    expect_error("{\"web_mode\": null}", "web_mode null");
    expect_error("{\"schema_dir\": 7}", "schema_dir type");
    expect_error("{", "invalid JSON");
    expect_error("{\"dev_key_path\": }", "invalid JSON value");
    expect_error("{} {}", "two values");
    expect_error("not json", "not JSON at all");
    expect_error("[]", "array config");
    /* header: "config_json: NULL or a JSON object. NULL, \"\" and \"{}\" mean
     * defaults" -- the JSON text null is neither (reported as a minor
     * contract gap: the library takes it as defaults). */
    expect_error("null", "JSON null config");
    expect_error("\"str\"", "string config");
    expect_error("42", "number config");
    expect_error("{\"dev_key_path\": \"\xff\xfe\"}", "invalid UTF-8 in a value");
    expect_error("\xc3\x28", "invalid UTF-8 bytes");
    expect_error("{\"web_mode\": \"local\xed\xa0\x80\"}", "UTF-8 encoded surrogate");

    RULE("SB-VER-2: schema_dir version must equal the dispatcher version");
    expect_ok(at_fmt("{\"dev_key_path\": \"%s\", \"schema_dir\": \"%s\"}", key, good_schema), "schema 0.30.0");
    {
        char *bad = make_schema_dir("9.9.9\n");
        const char *m = expect_error(at_fmt("{\"dev_key_path\": \"%s\", \"schema_dir\": \"%s\"}", key, bad), "schema 9.9.9");
        CHECK_CONTAINS(m, "9.9.9");
        CHECK_CONTAINS(m, "0.30.0");
        char *missing = at_fmt("%s/no-such-schema-dir", at_tmpdir());
        expect_error(at_fmt("{\"dev_key_path\": \"%s\", \"schema_dir\": \"%s\"}", key, missing), "schema dir missing");
    }

    RULE("header: anna_runtime_free(NULL) does nothing");
    anna_runtime_free(NULL);
    CHECK(1);

    RULE("header: create/free 1000 runtimes");
    {
        char *cfg = at_fmt("{\"dev_key_path\": \"%s\"}", key);
        int made = 0, pinged = 0;
        /* warm up lazily initialised globals first */
        for (int i = 0; i < 5; i++) anna_runtime_free(anna_runtime_new(cfg, NULL));
        long long heap0 = heap_in_use();
        for (int i = 0; i < 1000; i++) {
            char *err = NULL;
            anna_runtime *rt = anna_runtime_new(cfg, &err);
            if (err) anna_string_free(err);
            if (!rt) continue;
            made++;
            if (i % 100 == 0) {
                char *r = anna_runtime_call(rt, PING);
                if (r && strcmp(r, PONG) == 0) pinged++;
                anna_string_free(r);
            }
            anna_runtime_free(rt);
        }
        long long heap1 = heap_in_use();
        CHECK_INT(made, 1000);
        CHECK_INT(pinged, 10);
        /* KNOWN LIBRARY BUG (reported; keep): anna_runtime_free leaves a
         * retain cycle behind (~580 bytes, 7 Swift objects per runtime:
         * WindowStore, ExecutaPool, WorkerPool, ...); LeakSanitizer shows
         * them as indirect leaks from anna_runtime_new. */
        RULE("header: anna_runtime_free releases the runtime (heap back to where it was)");
        if (heap0 >= 0 && heap1 >= 0) {
            if (!CHECK(heap1 - heap0 < 64 * 1024))
                fprintf(stderr, "    heap grew by %lld bytes over 1000 create/free cycles\n", heap1 - heap0);
        }
    }

    /* KNOWN LIBRARY BUG (reported; keep): everything a runtime stored
     * (window records, runtime_state, events) stays allocated after
     * anna_runtime_free -- ~200 KB per cycle here. */
    RULE("header: anna_runtime_free frees every session (runtime_state memory returned)");
    {
        char *cfg = at_fmt("{\"dev_key_path\": \"%s\"}", key);
        char *set = at_fmt("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.call\",\"params\":{\"session_id\":\"sess-1\","
                           "\"ns\":\"storage\",\"method\":\"set\",\"args\":{\"key\":\"k\",\"value\":\"%s\"}}}",
                           at_repeat("x", 200000));
        char *create = at_fmt("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.create\",\"params\":{\"manifest\":%s}}",
                              AT_MANIFEST_ALL);
        int ok = 0;
        long long heap0 = heap_in_use();
        for (int i = 0; i < 20; i++) {
            anna_runtime *rt = anna_runtime_new(cfg, NULL);
            if (!rt) continue;
            char *r = anna_runtime_call(rt, create);
            anna_string_free(r);
            r = anna_runtime_call(rt, set);
            if (r && strcmp(r, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"ok\": true, \"result\": {\"ok\": true}}}") == 0) ok++;
            anna_string_free(r);
            anna_runtime_free(rt);
        }
        long long heap1 = heap_in_use();
        CHECK_INT(ok, 20);
        if (heap0 >= 0 && heap1 >= 0) {
            if (!CHECK(heap1 - heap0 < 1024 * 1024))
                fprintf(stderr, "    heap grew by %lld bytes over 20 runtimes holding 200 KB of state each\n", heap1 - heap0);
        }
    }

    RULE("header: anna_string_free(NULL) does nothing");
    anna_string_free(NULL);
    CHECK(1);

    return at_finish();
}
