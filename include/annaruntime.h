/*
 * annaruntime.h — the C API of libannaruntime, the Anna App local-dev runtime.
 *
 * This header is THE contract: what is not declared here is not API.
 *
 * The library is a re-implementation of the reference Python runtime
 * (anna-app-core 0.26.1 + anna-app-runtime-local 0.2.0a30): the dispatcher of
 * the 87 host methods, the in-memory window store, dev window tokens and the
 * executa (plugin) pool. Hosts talk to it with JSON text in and JSON text out,
 * using the same JSON-RPC 2.0 messages as the reference's stdio bridge, but
 * in-process.
 *
 * Conventions, for every function below:
 *   - Strings are NUL-terminated UTF-8 JSON text.
 *   - Every `char *` returned by the library is allocated by the library and
 *     must be released with anna_string_free() (never with the host's free()).
 *   - Errors travel inside the returned JSON (a JSON-RPC error envelope or an
 *     {"error": ...} object); there is no thread-local "last error".
 *   - No function aborts the process on bad input: NULL pointers, invalid
 *     UTF-8, malformed JSON, absurd nesting or sizes get a JSON error.
 *   - Writes to plugin pipes block SIGPIPE for the writing thread and consume
 *     the signal they caused, so a crashing plugin never kills a plain C host;
 *     the process's signal dispositions are never changed.
 */
#ifndef ANNARUNTIME_H
#define ANNARUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this header. Compare with anna_runtime_version() at run time
 * to catch a header/library mismatch. */
#define ANNA_RUNTIME_VERSION_MAJOR 0
#define ANNA_RUNTIME_VERSION_MINOR 1
#define ANNA_RUNTIME_VERSION_PATCH 0
#define ANNA_RUNTIME_VERSION "0.1.0"
/* The wire-protocol (dispatcher) version implemented, as in the schema
 * bundle's dispatcher_version.txt. */
#define ANNA_DISPATCHER_VERSION "0.30.0"

/* An opaque runtime: one window store, its sessions, dev-token key file,
 * host-call handler and executa pool. */
typedef struct anna_runtime anna_runtime;

/*
 * anna_runtime_version — the library's version, e.g. "0.1.0".
 *   Frees:   nothing; the string is static and owned by the library.
 *   NULL:    never returns NULL.
 *   Threads: safe from any thread. Blocks: no.
 */
const char *anna_runtime_version(void);

/*
 * anna_dispatcher_version — the wire-protocol version, "0.30.0".
 *   Frees:   nothing (static). NULL: never. Threads: safe. Blocks: no.
 */
const char *anna_dispatcher_version(void);

/*
 * anna_runtime_new — create a runtime.
 *   config_json: NULL or a JSON object. NULL, "" and "{}" mean defaults; any
 *     other JSON value (including null) is an error.
 *     Keys (all optional; unknown keys are an error):
 *       "dev_key_path"         string  HMAC key file for dev tokens; default
 *                                      $ANNA_APP_DEV_KEY, else ~/.anna-app/dev.key
 *                                      (created with 32 random bytes, mode 0600)
 *       "token_ttl_seconds"    int     token lifetime, default 30
 *       "host_call_timeout_ms" int     deadline of a host call, default 300000;
 *                                      0 waits forever
 *       "storage_mode"         "legacy" (default) | "aps"
 *       "web_mode"             "local" (default) | "real"
 *       "schema_dir"           string  a schema bundle directory; its
 *                                      dispatcher_version.txt must equal
 *                                      ANNA_DISPATCHER_VERSION
 *   error_out: may be NULL. On failure, if non-NULL, *error_out receives a
 *     library-allocated JSON object {"error": {"code": ..., "message": ...}}
 *     to be freed with anna_string_free(); on success it is set to NULL.
 *   Returns: the runtime, or NULL on failure.
 *   Frees:   release the runtime with anna_runtime_free().
 *   Threads: safe from any thread. Blocks: no.
 */
anna_runtime *anna_runtime_new(const char *config_json, char **error_out);

/*
 * anna_runtime_free — destroy a runtime: fails waiting host calls, stops its
 *   plugin processes (close stdin, SIGTERM, SIGKILL after 2 s; every child is
 *   reaped) and frees every session.
 *   NULL:    anna_runtime_free(NULL) does nothing.
 *   Threads: must not run concurrently with any other call on the same
 *            runtime; the caller guarantees no call is in flight.
 *   Blocks:  up to about 2 s while plugins shut down.
 */
void anna_runtime_free(anna_runtime *rt);

/*
 * anna_runtime_call — handle one JSON-RPC 2.0 request of the bridge protocol.
 *   request_json: one request object, e.g.
 *     {"jsonrpc":"2.0","id":1,"method":"session.call",
 *      "params":{"session_id":"sess-1","ns":"storage","method":"get","args":{"key":"k"}}}
 *     Methods: "ping", "session.create", "session.call", "session.drain_events",
 *     "session.close", "session.refresh_token", "executas.register".
 *   Returns: the response the stdio bridge would print, as one JSON line
 *     without the newline (same keys, same order, Python json.dumps rendering):
 *     {"jsonrpc": "2.0", "id": ..., "result": ...} or {..., "error": {...}}.
 *     An empty string "" when the request is blank (whitespace only).
 *     Host errors of session.call are results: {"ok": false, "error": {...}}.
 *   Errors: -32700 parse error (also invalid UTF-8, nesting deeper than 982,
 *     integers over 4300 digits), -32600 not an object / frame over 16 MiB,
 *     -32601 unknown method, -32602 missing/invalid params or unknown
 *     session_id, -32603 internal (e.g. an invalid manifest).
 *   NULL:    rt or request_json NULL -> a -32600/-32603 error response.
 *   Frees:   the result with anna_string_free(). Never returns NULL unless
 *            memory is exhausted.
 *   Threads: safe; many threads may call one runtime at once.
 *   Blocks:  session.call of tools.invoke waits for the plugin (at most the
 *            call's timeout, 65 s by default, 92 s max); delegated methods
 *            (llm.*, agent.*, image.*, video.*, music.*, audio.*, upload.*,
 *            and web.* in "real" mode) wait for the host handler's reply up
 *            to host_call_timeout_ms. Everything else returns in microseconds.
 */
char *anna_runtime_call(anna_runtime *rt, const char *request_json);

/*
 * anna_dev_token_mint — mint a dev window token (HMAC-SHA256, 06-tokens).
 *   rt: NULL or a runtime. With a runtime its key file and TTL default are
 *     used; with NULL the key path is $ANNA_APP_DEV_KEY or ~/.anna-app/dev.key.
 *   params_json: {"window_uuid": str, "user_id": int,
 *     "app_id": int (default 0), "version_id": int (default 0),
 *     "scopes": [str] (default []), "ttl_seconds": int (default 30),
 *     "now": number (Unix seconds; default the current time),
 *     "key_path": str (overrides the key file)}
 *   Returns: {"token": "...", "expires_in": ttl} or {"error": {"code", "message"}}.
 *   NULL:    params_json NULL -> an {"error": ...} object.
 *   Frees:   the result with anna_string_free().
 *   Threads: safe. Blocks: reads (or creates) the key file.
 */
char *anna_dev_token_mint(anna_runtime *rt, const char *params_json);

/*
 * anna_dev_token_verify — verify a dev token (06 TOK-VER-*).
 *   params_json: {"token": str, "now": number (optional), "key_path": str (optional)}
 *   Returns: {"payload": {...}} when valid, else
 *     {"error": {"code": "dev_token_error", "message": "malformed token" |
 *      "bad signature" | "token expired" | "base64 decode failed: ..." |
 *      "payload not json: ..."}}.
 *   NULL, frees, threads, blocking: as anna_dev_token_mint.
 */
char *anna_dev_token_verify(anna_runtime *rt, const char *params_json);

/*
 * The host-call hook. Delegated methods (llm.*, agent.*, image.*, video.*,
 * music.*, audio.*, upload.*; web.* in "real" mode; plugin storage/files in
 * "aps" mode) are forwarded to the host as "host.<ns>.<method>" with their
 * params. Without a handler they answer not_implemented
 * "<ns>.<method> not wired in this runtime", exactly as the reference.
 *
 * The handler is called on the thread that made the call, which then waits
 * (up to host_call_timeout_ms) for anna_runtime_host_reply() with the same
 * call_id. The reply may be given from inside the handler or later from any
 * thread. `method` and `params_json` are valid only during the handler call.
 * The handler must not call anna_runtime_free().
 */
typedef void (*anna_host_call_fn)(void *userdata, uint64_t call_id,
                                  const char *method, const char *params_json);

/*
 * anna_runtime_set_host_handler — install (fn != NULL) or remove (fn == NULL)
 *   the host-call handler. Calls waiting on a replaced handler fail with
 *   code "host_unavailable".
 *   Returns: 0, or -1 if rt is NULL.
 *   Threads: safe. Blocks: no.
 */
int anna_runtime_set_host_handler(anna_runtime *rt, anna_host_call_fn fn, void *userdata);

/*
 * anna_runtime_host_reply — answer a host call.
 *   reply_json: a JSON-RPC response object: {"result": {...}} or
 *     {"error": {"code": int, "message": str, "data": {"errorCode": str, ...}}}.
 *     A non-object result becomes {}; an error becomes the app-visible error
 *     {"code": data.errorCode or "jsonrpc_<code>", "message", "details": data}.
 *   Returns: 0 when a waiting call took the reply; -1 when no call with that
 *     id is waiting (answered already, timed out) or rt/reply_json is NULL or
 *     reply_json is not a JSON object.
 *   Threads: safe. Blocks: no.
 */
int anna_runtime_host_reply(anna_runtime *rt, uint64_t call_id, const char *reply_json);

/*
 * anna_string_free — free a string returned by this library.
 *   NULL: anna_string_free(NULL) does nothing. Threads: safe. Blocks: no.
 */
void anna_string_free(char *s);

#ifdef __cplusplus
}
#endif

#endif /* ANNARUNTIME_H */
