/*
 * anna_test.h — the tiny harness shared by the C tests of libannaruntime.
 *
 * Each test program is one API area and one ctest entry (plain and under
 * ASan/UBSan). A check that fails prints file:line, the rule id it tests
 * (RULE(...)), the expected and the actual value, and the program goes on;
 * at the end at_finish() prints one summary line
 *     test_storage: 42 checks passed
 * or  test_storage: 3 of 42 checks FAILED
 * and returns the exit status.
 *
 * Strings returned by the library are always released with
 * anna_string_free(): the at_call* helpers copy the answer into a
 * per-program arena (freed by at_arena_reset() and at exit) and free the
 * library's string at once, so a test body can compare answers without
 * bookkeeping. The thread-safe helpers (at_call_dup) return a malloc'd copy
 * the caller frees with free().
 *
 * at_init() points HOME and ANNA_APP_DEV_KEY into a private temporary
 * directory before the library is touched, so no test ever reads or
 * creates ~/.anna-app.
 */
#ifndef ANNA_TEST_H
#define ANNA_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "annaruntime.h"

#ifdef __GNUC__
#define AT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define AT_PRINTF(a, b)
#endif

/* ---- checks ------------------------------------------------------------ */

/* Name the spec rule the following checks test; printed with failures. */
#define RULE(id) at_set_rule(id)

#define CHECK(cond) at_check(!!(cond), __FILE__, __LINE__, #cond)
/* Exact string equality (NULL-safe); prints both on failure. */
#define CHECK_STR(actual, expected) at_check_str((actual), (expected), __FILE__, __LINE__, #actual)
#define CHECK_PREFIX(actual, prefix) at_check_prefix((actual), (prefix), __FILE__, __LINE__, #actual)
#define CHECK_CONTAINS(actual, needle) at_check_contains((actual), (needle), __FILE__, __LINE__, #actual)
#define CHECK_INT(actual, expected) at_check_int((long long)(actual), (long long)(expected), __FILE__, __LINE__, #actual)

void at_set_rule(const char *rule);
int at_check(int ok, const char *file, int line, const char *expr);
int at_check_str(const char *actual, const char *expected, const char *file, int line, const char *expr);
int at_check_prefix(const char *actual, const char *prefix, const char *file, int line, const char *expr);
int at_check_contains(const char *actual, const char *needle, const char *file, int line, const char *expr);
int at_check_int(long long actual, long long expected, const char *file, int line, const char *expr);

/* Prepare the environment (temp dir, HOME, ANNA_APP_DEV_KEY). */
void at_init(const char *program);
/* Print the summary line; returns the process exit status. */
int at_finish(void);

/* ---- memory ------------------------------------------------------------ */

/* Remember a malloc'd pointer / a jansson value until at_arena_reset(). */
char *at_keep(char *s);
json_t *at_keep_json(json_t *j);
void at_arena_reset(void);
/* printf into the arena. */
char *at_fmt(const char *fmt, ...) AT_PRINTF(1, 2);
/* A string of n copies of the UTF-8 text `unit`, in the arena. */
char *at_repeat(const char *unit, size_t n);

/* ---- files ------------------------------------------------------------- */

/* The private temp directory of this program. */
const char *at_tmpdir(void);
/* A fresh path inside it (not created), in the arena. */
char *at_tmppath(const char *stem);
/* Write bytes to a file; returns 0 on success. */
int at_write_file(const char *path, const void *data, size_t len);
/* A key file holding the 32 bytes 00 01 .. 1f (the 06-tokens vectors). */
const char *at_vector_key_path(void);

/* ---- the library ------------------------------------------------------- */

/* A runtime whose dev_key_path is a fresh temp path holding bytes 0..31.
 * extra_config: NULL or more members for the config object, without braces
 * (e.g. "\"host_call_timeout_ms\": 200"). Aborts the test on failure. */
anna_runtime *at_runtime_new(const char *extra_config);
/* The dev_key_path given to the last at_runtime_new(). */
const char *at_last_key_path(void);

/* anna_runtime_call; the answer copied into the arena, the library string
 * freed. NULL stays NULL (and is reported as a failed check). */
char *at_call(anna_runtime *rt, const char *request);
char *at_callf(anna_runtime *rt, const char *fmt, ...) AT_PRINTF(2, 3);
/* Thread-safe: a malloc'd copy (free() it); the library string is freed. */
char *at_call_dup(anna_runtime *rt, const char *request);
/* Token functions, same ownership as at_call / at_call_dup. */
char *at_mint(anna_runtime *rt, const char *params);
char *at_verify(anna_runtime *rt, const char *params);
char *at_mint_dup(anna_runtime *rt, const char *params);
char *at_verify_dup(anna_runtime *rt, const char *params);

/* Parse JSON text with jansson (any value); NULL if jansson cannot read
 * it (jansson rejects NaN/Infinity and huge integers: compare those answers
 * as text). The value lives in the arena. */
json_t *at_json(const char *text);
/* The same, owned by the caller (json_decref it); thread-safe. */
json_t *at_json_owned(const char *text);
/* Validate Python-json.dumps-style JSON text (NaN, Infinity, -Infinity and
 * integers of any size allowed); returns 1 if exactly one value. */
int at_pyjson_valid(const char *text, size_t len);

/* Replace every `"ts": "<J-DT-1 timestamp>"` by `"ts": "TS"` after checking
 * its shape (YYYY-MM-DDTHH:MM:SS[.ffffff]Z); bad shapes are left as they are
 * (so the comparison that follows fails). Arena string. */
char *at_mask_ts(const char *text);

/* ---- sessions ---------------------------------------------------------- */

/* A manifest granting every namespace the tests use ("*" lists). */
extern const char *const AT_MANIFEST_ALL;
/* The manifest of the 09-bridge transcript's main view, host_api given. */
char *at_manifest_with_host_api(const char *host_api_json);

typedef struct {
    char *session_id;   /* arena */
    char *window_uuid;  /* arena */
    char *token;        /* arena */
} at_session;

/* session.create with the manifest (and optional more params members,
 * without braces); returns 0 and fills *out, or -1 (check failed). */
int at_session_create(anna_runtime *rt, const char *manifest, const char *extra_params, at_session *out);

/* session.call request text (id 1), args given as JSON text (NULL = absent). */
char *at_call_req(const char *sid, const char *ns, const char *method, const char *args);
/* The answer of a session.call (id 1). */
char *at_scall(anna_runtime *rt, const char *sid, const char *ns, const char *method, const char *args);
/* Malloc'd variant for threads. */
char *at_scall_dup(anna_runtime *rt, const char *sid, const char *ns, const char *method, const char *args);
/* The whole bridge line expected for session.call id 1 with this result. */
char *at_ok(const char *result_json);
/* ... for {"ok": false, "error": {"code", "message", "details"}}. */
char *at_err(const char *code, const char *message_json_escaped, const char *details_json);

/* Check that a session.call answers exactly {"ok": true, "result": result}. */
#define CHECK_SCALL(rt, sid, ns, m, args, result) \
    at_check_str(at_scall((rt), (sid), (ns), (m), (args)), at_ok(result), __FILE__, __LINE__, ns "." m " " #args)
/* Check a session.call host error. message is JSON-escaped text. */
#define CHECK_SCALL_ERR(rt, sid, ns, m, args, code, message) \
    at_check_str(at_scall((rt), (sid), (ns), (m), (args)), at_err((code), (message), "{}"), __FILE__, __LINE__, ns "." m " " #args)

/* Drain events through sid; returns the answer (arena). */
char *at_drain(anna_runtime *rt, const char *sid);

#endif /* ANNA_TEST_H */
