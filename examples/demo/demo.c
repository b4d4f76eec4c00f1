/*
 * anna-demo — runs an Anna App in-process through libannaruntime's C API.
 *
 * The embedded default is examples/mini-notes: a notes app whose iframe
 * stores notes, sets its window title, calls an executa plugin (the SDK's
 * example plugin, which calls back into the host's storage), asks the host
 * LLM for a summary and writes it to the chat. This program plays both
 * sides a harness plays: the iframe (the calls) and the host (a mock LLM
 * behind the host-call hook). It prints each call, its answer and the
 * events the runtime emitted.
 *
 *   anna-demo [manifest.json]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "annaruntime.h"

static anna_runtime *rt;
static char session_id[64];
static int next_id = 1;

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
    if (buf) buf[n] = 0;
    fclose(f);
    return buf;
}

/* Prints at most `max` characters of a JSON answer on one line. */
static void show(const char *label, const char *json, size_t max) {
    size_t n = strlen(json);
    if (strncmp(label, "<<", 2) == 0) { label = "<"; n--; }   /* drop the envelope's closing brace */
    printf("  %s %.*s%s\n", label, (int)(n > max ? max : n), json, n > max ? " …" : "");
}

static char *rpc(const char *method, const char *params) {
    size_t len = strlen(method) + strlen(params) + 64;
    char *req = malloc(len);
    snprintf(req, len, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\",\"params\":%s}", next_id++, method, params);
    char *resp = anna_runtime_call(rt, req);
    free(req);
    return resp;
}

/* One iframe envelope (ns, method, args) through session.call. */
static char *app_call(const char *ns, const char *method, const char *args) {
    size_t len = strlen(args) + 256;
    char *params = malloc(len);
    snprintf(params, len, "{\"session_id\":\"%s\",\"ns\":\"%s\",\"method\":\"%s\",\"args\":%s}", session_id, ns, method, args);
    printf("\n> %s.%s %s\n", ns, method, args);
    char *resp = rpc("session.call", params);
    free(params);
    const char *body = strstr(resp, "\"result\": ");
    show(body ? "<<" : "<", body ? body + 10 : resp, 300);
    return resp;
}

/* The host side of delegated calls: a mock LLM that "summarises" by
 * counting words, answering like the Node harness's mock LlmBridge. */
static void host_handler(void *userdata, uint64_t call_id, const char *method, const char *params_json) {
    (void)userdata;
    printf("  [host] %s %s\n", method, params_json);
    char reply[512];
    if (strcmp(method, "host.llm.complete") == 0) {
        int words = 0, in_word = 0;
        for (const char *p = params_json; *p; p++) {
            int space = (*p == ' ' || *p == '"');
            if (!space && !in_word) words++;
            in_word = !space;
        }
        snprintf(reply, sizeof reply,
                 "{\"result\":{\"role\":\"assistant\",\"content\":{\"type\":\"text\",\"text\":\"A note of about %d words.\"},"
                 "\"model\":\"mock\",\"stopReason\":\"endTurn\"}}", words);
    } else {
        snprintf(reply, sizeof reply, "{\"error\":{\"code\":-32601,\"message\":\"not mocked: %s\"}}", method);
    }
    anna_runtime_host_reply(rt, call_id, reply);
}

int main(int argc, char **argv) {
    char root[4096];
    if (!getcwd(root, sizeof root)) return 1;
    const char *manifest_path = argc > 1 ? argv[1] : "examples/mini-notes/manifest.json";
    char *manifest = read_file(manifest_path);
    if (!manifest) {
        fprintf(stderr, "anna-demo: cannot read %s (run from the repository root)\n", manifest_path);
        return 1;
    }

    printf("annaruntime %s (dispatcher %s), in-process\n", anna_runtime_version(), anna_dispatcher_version());
    char config[4400];
    snprintf(config, sizeof config, "{\"dev_key_path\":\"%s/build/demo-dev.key\"}", root);
    char *err = NULL;
    rt = anna_runtime_new(config, &err);
    if (!rt) { fprintf(stderr, "anna-demo: %s\n", err); anna_string_free(err); return 1; }
    anna_runtime_set_host_handler(rt, host_handler, NULL);

    printf("\n== register the executa the app declares (the SDK's example plugin)\n");
    char params[16384];
    snprintf(params, sizeof params,
             "{\"executas\":[{\"tool_id\":\"tool-anna-example\",\"project_dir\":\"%s\",\"command\":[\"%s/.build/release/anna-example-executa\"]}]}",
             root, root);
    char *r = rpc("executas.register", params);
    show("<", r, 200);
    anna_string_free(r);

    printf("\n== open a window of %s\n", manifest_path);
    size_t plen = strlen(manifest) + 128;
    char *create = malloc(plen);
    snprintf(create, plen, "{\"user_id\":1,\"app_slug\":\"mini-notes\",\"manifest\":%s}", manifest);
    r = rpc("session.create", create);
    free(create);
    const char *sid = strstr(r, "\"session_id\": \"");
    if (!sid) { fprintf(stderr, "anna-demo: session.create failed: %s\n", r); return 1; }
    sid += strlen("\"session_id\": \"");
    snprintf(session_id, sizeof session_id, "%.*s", (int)(strchr(sid, '"') - sid), sid);
    show("<", r, 220);
    anna_string_free(r);

    printf("\n== the calls the app makes\n");
    anna_string_free(app_call("window", "hello", "{}"));
    anna_string_free(app_call("storage", "set", "{\"key\":\"note:1\",\"value\":{\"text\":\"Buy oat milk\",\"pinned\":true}}"));
    anna_string_free(app_call("storage", "set", "{\"key\":\"note:2\",\"value\":{\"text\":\"Call the dentist about Tuesday\"}}"));
    anna_string_free(app_call("storage", "list", "{\"prefix\":\"note:\"}"));
    anna_string_free(app_call("window", "set_title", "{\"title\":\"Mini Notes (2)\"}"));
    anna_string_free(app_call("tools", "invoke", "{\"tool_id\":\"tool-anna-example\",\"method\":\"echo\",\"args\":{\"hello\":\"plugin\"}}"));
    anna_string_free(app_call("tools", "invoke",
        "{\"tool_id\":\"tool-anna-example\",\"method\":\"storage_roundtrip\",\"args\":{\"key\":\"from-plugin\",\"value\":\"written by the executa\"}}"));
    anna_string_free(app_call("llm", "complete",
        "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\",\"text\":\"Summarise: Buy oat milk; call the dentist\"}}],\"maxTokens\":32}"));
    anna_string_free(app_call("chat", "write_message", "{\"content\":\"2 notes saved\"}"));
    anna_string_free(app_call("mobile", "share", "{\"text\":\"x\"}"));   /* not granted: permission_denied */

    printf("\n== a long task as an async job\n");
    r = app_call("tools", "invokeAsync", "{\"tool_id\":\"tool-anna-example\",\"method\":\"progress\",\"args\":{\"n\":3}}");
    const char *jid = strstr(r, "\"jobId\": \"");
    char job[64] = "";
    if (jid) { jid += strlen("\"jobId\": \""); snprintf(job, sizeof job, "%.*s", (int)(strchr(jid, '"') - jid), jid); }
    anna_string_free(r);
    for (int i = 0; i < 50 && job[0]; i++) {
        char args[128];
        snprintf(args, sizeof args, "{\"jobId\":\"%s\",\"limit\":1}", job);
        size_t len = strlen(args) + 256;
        char *p = malloc(len);
        snprintf(p, len, "{\"session_id\":\"%s\",\"ns\":\"tools\",\"method\":\"getJob\",\"args\":%s}", session_id, args);
        r = rpc("session.call", p);
        free(p);
        int done = strstr(r, "\"state\": \"succeeded\"") || strstr(r, "\"state\": \"failed\"");
        if (done) { printf("\n> tools.getJob {\"jobId\":\"%s\"}\n", job); show("<<", strstr(r, "\"result\": ") + 10, 300); }
        anna_string_free(r);
        if (done) break;
        struct timespec pause = {0, 50000000};
        nanosleep(&pause, NULL);
    }

    printf("\n== the events the runtime emitted (session.drain_events)\n");
    snprintf(params, sizeof params, "{\"session_id\":\"%s\"}", session_id);
    r = rpc("session.drain_events", params);
    for (const char *p = r; (p = strstr(p, "\"kind\": \"")) != NULL; ) {
        p += strlen("\"kind\": \"");
        const char *end = strchr(p, '"');
        const char *payload = strstr(end, "\"payload\": ");
        const char *ts = payload ? strstr(payload, ", \"ts\": ") : NULL;
        printf("  %-22.*s %.*s%s\n", (int)(end - p), p,
               payload && ts ? (int)(ts - payload - 11 > 110 ? 110 : ts - payload - 11) : 0, payload ? payload + 11 : "",
               payload && ts && ts - payload - 11 > 110 ? " …" : "");
    }
    anna_string_free(r);

    snprintf(params, sizeof params, "{\"session_id\":\"%s\"}", session_id);
    anna_string_free(rpc("session.close", params));
    anna_runtime_free(rt);
    free(manifest);
    printf("\ndone: window closed, plugin stopped, runtime freed.\n");
    return 0;
}
