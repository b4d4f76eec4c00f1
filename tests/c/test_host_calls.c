/* test_host_calls — delegated methods and the host-call hook
 * (anna_runtime_set_host_handler / anna_runtime_host_reply): 04 D-DELEG-*,
 * D-LLM-STREAM-*, 05 ST-DLG-*, ST-HC-2, 09 BR-OUT-3/4, header contract. */
#define _GNU_SOURCE
#include "anna_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { REPLY_SYNC, REPLY_ASYNC, NO_REPLY };

typedef struct {
    anna_runtime *rt;
    pthread_t handler_thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int mode;
    char reply[512];
    int calls;
    uint64_t last_id;
    char method[128];
    char *params;
    int reply_rc;
    int second_reply_rc;
} host_t;

static host_t H = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

typedef struct {
    host_t *h;
    uint64_t id;
} async_reply_t;

static void *async_reply(void *arg) {
    async_reply_t *a = arg;
    struct timespec ts = {0, 30 * 1000 * 1000};
    nanosleep(&ts, NULL);
    int rc = anna_runtime_host_reply(a->h->rt, a->id, a->h->reply);
    pthread_mutex_lock(&a->h->mu);
    a->h->reply_rc = rc;
    pthread_mutex_unlock(&a->h->mu);
    free(a);
    return NULL;
}

static void handler(void *userdata, uint64_t call_id, const char *method, const char *params_json) {
    host_t *h = userdata;
    pthread_mutex_lock(&h->mu);
    h->calls++;
    h->last_id = call_id;
    h->handler_thread = pthread_self();
    snprintf(h->method, sizeof h->method, "%s", method ? method : "(NULL)");
    free(h->params);
    h->params = params_json ? strdup(params_json) : NULL;
    int mode = h->mode;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    if (mode == REPLY_SYNC) {
        int rc = anna_runtime_host_reply(h->rt, call_id, h->reply);
        int rc2 = anna_runtime_host_reply(h->rt, call_id, h->reply); /* answered already */
        pthread_mutex_lock(&h->mu);
        h->reply_rc = rc;
        h->second_reply_rc = rc2;
        pthread_mutex_unlock(&h->mu);
    } else if (mode == REPLY_ASYNC) {
        async_reply_t *a = malloc(sizeof *a);
        a->h = h;
        a->id = call_id;
        pthread_t t;
        pthread_create(&t, NULL, async_reply, a);
        pthread_detach(t);
    }
}

static int other_calls;
static void other_handler(void *userdata, uint64_t call_id, const char *method, const char *params_json) {
    (void)userdata; (void)call_id; (void)method; (void)params_json;
    __atomic_add_fetch(&other_calls, 1, __ATOMIC_SEQ_CST);
}

static void set_mode(int mode, const char *reply) {
    pthread_mutex_lock(&H.mu);
    H.mode = mode;
    snprintf(H.reply, sizeof H.reply, "%s", reply ? reply : "");
    H.reply_rc = 99;
    H.second_reply_rc = 99;
    pthread_mutex_unlock(&H.mu);
}

static int calls(void) {
    pthread_mutex_lock(&H.mu);
    int c = H.calls;
    pthread_mutex_unlock(&H.mu);
    return c;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A session.call that blocks, run on its own thread. */
typedef struct {
    anna_runtime *rt;
    const char *sid;
    const char *ns, *method, *args;
    char *answer;
} bg_call_t;

static void *bg_call(void *arg) {
    bg_call_t *b = arg;
    b->answer = at_scall_dup(b->rt, b->sid, b->ns, b->method, b->args);
    return NULL;
}

/* A handler that only records (id, marker) pairs; replies come from main. */
#define NPAR 4
static pthread_mutex_t par_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t par_cv = PTHREAD_COND_INITIALIZER;
static int par_n;
static uint64_t par_ids[NPAR];
static int par_marker[NPAR];
static void recording_handler(void *userdata, uint64_t call_id, const char *method, const char *params_json) {
    (void)userdata;
    (void)method;
    int marker = -1;
    const char *m = params_json ? strstr(params_json, "\"marker\": ") : NULL;
    if (m) marker = atoi(m + 10);
    pthread_mutex_lock(&par_mu);
    if (par_n < NPAR) {
        par_ids[par_n] = call_id;
        par_marker[par_n] = marker;
        par_n++;
    }
    pthread_cond_broadcast(&par_cv);
    pthread_mutex_unlock(&par_mu);
}

/* Wait (max 5 s) until the handler has seen `n` calls. */
static int wait_calls(int n) {
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 5;
    pthread_mutex_lock(&H.mu);
    while (H.calls < n) {
        if (pthread_cond_timedwait(&H.cv, &H.mu, &dl) != 0) break;
    }
    int ok = H.calls >= n;
    pthread_mutex_unlock(&H.mu);
    return ok;
}

static void check_stream_id(const char *resp, const char *prefix, const char *suffix, const char *file, int line) {
    /* prefix + "strm_" + 16 lowercase hex + suffix */
    int ok = resp && strncmp(resp, prefix, strlen(prefix)) == 0;
    if (ok) {
        const char *p = resp + strlen(prefix);
        ok = strncmp(p, "strm_", 5) == 0;
        for (int i = 0; ok && i < 16; i++) ok = strchr("0123456789abcdef", p[5 + i]) != NULL && p[5 + i] != 0;
        ok = ok && strcmp(p + 21, suffix) == 0;
        /* J-ID-2: hex index 12 of the uuid is always 4 */
        ok = ok && p[5 + 12] == '4';
    }
    if (!at_check(ok, file, line, "stream_id strm_<16 hex>")) {
        fprintf(stderr, "    expected: %sstrm_<16 hex>%s\n    actual  : %s\n", prefix, suffix, resp ? resp : "(NULL)");
    }
}
#define CHECK_STREAM_ID(resp, prefix, suffix) check_stream_id((resp), (prefix), (suffix), __FILE__, __LINE__)

int main(void) {
    at_init("test_host_calls");
    anna_runtime *rt = at_runtime_new(NULL);
    H.rt = rt;
    at_session s;
    if (at_session_create(rt, AT_MANIFEST_ALL, NULL, &s) != 0) return at_finish();
    const char *sid = s.session_id;
    const char *LLM_ARGS = "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\",\"text\":\"h\xc3\xa9llo\"}}],\"maxTokens\":5}";

    /* ---- no handler ------------------------------------------------------- */
    RULE("ST-DLG-2 / D-DELEG-1: no handler -> not_implemented");
    CHECK_STR(at_scall(rt, sid, "llm", "complete", LLM_ARGS),
              "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"ok\": false, \"error\": {\"code\": \"not_implemented\", "
              "\"message\": \"llm.complete not wired in this runtime\", \"details\": {}}}}");
    CHECK_SCALL_ERR(rt, sid, "image", "generate", "{}", "not_implemented", "image.generate not wired in this runtime");
    CHECK_SCALL_ERR(rt, sid, "image", "generateAsync", "{}", "not_implemented", "image.generateAsync not wired in this runtime");
    CHECK_SCALL_ERR(rt, sid, "agent", "session.list", "{}", "not_implemented", "agent.session.list not wired in this runtime");
    CHECK_SCALL_ERR(rt, sid, "upload", "inline", "{}", "not_implemented", "upload.inline not wired in this runtime");
    CHECK_SCALL_ERR(rt, sid, "llm", "stream", "{\"messages\":[1]}", "not_implemented", "llm.stream not wired in this runtime");
    RULE("D-DISP-1: pure delegates without a bridge pass non-object args through -> not_implemented");
    CHECK_SCALL_ERR(rt, sid, "llm", "complete", "[1]", "not_implemented", "llm.complete not wired in this runtime");

    RULE("header: set_host_handler NULL runtime -> -1");
    CHECK_INT(anna_runtime_set_host_handler(NULL, handler, &H), -1);
    CHECK_INT(anna_runtime_set_host_handler(rt, handler, &H), 0);

    /* ---- synchronous reply inside the handler ------------------------------ */
    RULE("ST-DLG-1 / BR-OUT-4: reply inside the handler");
    set_mode(REPLY_SYNC, "{\"result\":{\"role\":\"assistant\",\"content\":{\"type\":\"text\",\"text\":\"hello!\"},\"model\":\"mock\","
                         "\"stopReason\":\"endTurn\"}}");
    int before = calls();
    CHECK_SCALL(rt, sid, "llm", "complete", LLM_ARGS,
                "{\"role\": \"assistant\", \"content\": {\"type\": \"text\", \"text\": \"hello!\"}, \"model\": \"mock\", "
                "\"stopReason\": \"endTurn\"}");
    CHECK_INT(calls(), before + 1);
    CHECK_STR(H.method, "host.llm.complete");
    {
        json_t *got = at_json(H.params);
        json_t *want = at_json(LLM_ARGS);
        CHECK(got && want && json_equal(got, want));
        if (!(got && json_equal(got, want))) fprintf(stderr, "    params: %s\n", H.params ? H.params : "(NULL)");
        RULE("BR-JSON-2: params forwarded with Python separators, non-ASCII raw");
        CHECK_STR(H.params, "{\"messages\": [{\"role\": \"user\", \"content\": {\"type\": \"text\", \"text\": \"h\xc3\xa9llo\"}}], "
                            "\"maxTokens\": 5}");
    }
    RULE("header: the handler runs on the thread that made the call");
    CHECK(pthread_equal(H.handler_thread, pthread_self()));
    RULE("header: host_reply -> 0 when taken, -1 when answered already");
    CHECK_INT(H.reply_rc, 0);
    CHECK_INT(H.second_reply_rc, -1);
    RULE("header: host_reply to an unknown id / bad arguments -> -1");
    CHECK_INT(anna_runtime_host_reply(rt, 987654321, "{\"result\":{}}"), -1);
    CHECK_INT(anna_runtime_host_reply(rt, H.last_id, "{\"result\":{}}"), -1);
    CHECK_INT(anna_runtime_host_reply(NULL, H.last_id, "{\"result\":{}}"), -1);
    CHECK_INT(anna_runtime_host_reply(rt, H.last_id, NULL), -1);
    CHECK_INT(anna_runtime_host_reply(rt, 987654321, "[1]"), -1);
    CHECK_INT(anna_runtime_host_reply(rt, 987654321, "not json"), -1);

    /* ---- asynchronous reply from another thread ---------------------------- */
    RULE("header: reply later from another thread");
    set_mode(REPLY_ASYNC, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"a\":1}}");
    CHECK_SCALL(rt, sid, "llm", "complete", "{}", "{\"a\": 1}");
    {
        /* the async thread sets reply_rc after the call returned */
        for (int i = 0; i < 200; i++) {
            pthread_mutex_lock(&H.mu);
            int rc = H.reply_rc;
            pthread_mutex_unlock(&H.mu);
            if (rc != 99) break;
            usleep(5000);
        }
        CHECK_INT(H.reply_rc, 0);
    }
    RULE("ST-DLG-1: falsy args forwarded as {}");
    set_mode(REPLY_SYNC, "{\"result\":{}}");
    CHECK_SCALL(rt, sid, "llm", "embed", NULL, "{}");
    CHECK_STR(H.method, "host.llm.embed");
    CHECK_STR(H.params, "{}");

    /* ---- result / error mapping (ST-HC-2) ------------------------------------ */
    RULE("ST-HC-2 / BR-OUT-3/4");
    struct {
        const char *reply, *expected;
        int ok;
    } rows[] = {
        {"{\"error\":{\"code\":-32000,\"message\":\"quota\",\"data\":{\"errorCode\":\"QUOTA_EXCEEDED\",\"limit\":3}}}",
         "{\"code\": \"QUOTA_EXCEEDED\", \"message\": \"quota\", \"details\": {\"errorCode\": \"QUOTA_EXCEEDED\", \"limit\": 3}}", 0},
        {"{\"error\":{\"code\":-32001,\"message\":\"nodata\"}}",
         "{\"code\": \"jsonrpc_-32001\", \"message\": \"nodata\", \"details\": {}}", 0},
        {"{\"error\":{\"code\":-32001,\"data\":\"str\"}}",
         "{\"code\": \"jsonrpc_-32001\", \"message\": \"unknown error\", \"details\": {}}", 0},
        {"{\"error\":{}}", "{\"code\": \"jsonrpc_None\", \"message\": \"unknown error\", \"details\": {}}", 0},
        {"{\"error\":{\"code\":-32000,\"message\":\"m\",\"data\":{\"errorCode\":\"\"}}}",
         "{\"code\": \"jsonrpc_-32000\", \"message\": \"m\", \"details\": {\"errorCode\": \"\"}}", 0},
        {"{\"error\":{\"code\":\"x\",\"message\":\"m\"}}", "{\"code\": \"jsonrpc_x\", \"message\": \"m\", \"details\": {}}", 0},
        {"{\"error\":{\"code\":1,\"message\":5,\"data\":{\"errorCode\":7}}}",
         "{\"code\": \"7\", \"message\": \"5\", \"details\": {\"errorCode\": 7}}", 0},
        {"{\"error\":null,\"result\":{\"a\":1}}", "{\"a\": 1}", 1},
        {"{\"result\":[1,2]}", "{}", 1},
        {"{\"result\":null}", "{}", 1},
        {"{\"result\":\"text\"}", "{}", 1},
        {"{}", "{}", 1},
        {"{\"result\":{\"n\":NaN,\"big\":123456789012345678901234567890,\"s\":\"\xc3\xa9\"}}",
         "{\"n\": NaN, \"big\": 123456789012345678901234567890, \"s\": \"\\u00e9\"}", 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        set_mode(REPLY_SYNC, rows[i].reply);
        char *want = rows[i].ok ? at_ok(rows[i].expected)
                                : at_fmt("{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"ok\": false, \"error\": %s}}", rows[i].expected);
        at_check_str(at_scall(rt, sid, "llm", "complete", "{}"), want, __FILE__, __LINE__, rows[i].reply);
        CHECK_INT(H.reply_rc, 0);
    }
    RULE("BR-OUT-5: a non-object error member never crashes");
    set_mode(REPLY_SYNC, "{\"error\":\"boom\"}");
    CHECK_PREFIX(at_scall(rt, sid, "llm", "complete", "{}"), "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"ok\": false, \"error\": {\"code\": \"");
    set_mode(REPLY_SYNC, "{\"error\":[1]}");
    CHECK_PREFIX(at_scall(rt, sid, "llm", "complete", "{}"), "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"ok\": false, \"error\": {\"code\": \"");

    /* ---- method names ---------------------------------------------------------- */
    RULE("ST-DLG table: outbound method names");
    struct {
        const char *ns, *method, *host;
    } names[] = {
        {"llm", "catalog", "host.llm.catalog"},
        {"agent", "session.create", "host.agent.session.create"},
        {"agent", "session.cancel", "host.agent.session.cancel"},
        {"agent", "session.history", "host.agent.session.history"},
        {"agent", "session.delete", "host.agent.session.delete"},
        {"agent", "session.list", "host.agent.session.list"},
        {"image", "generate", "host.image.generate"},
        {"image", "edit", "host.image.edit"},
        {"image", "getJob", "host.image.getJob"},
        {"video", "generate", "host.video.generate"},
        {"video", "listJobs", "host.video.listJobs"},
        {"music", "cancelJob", "host.music.cancelJob"},
        {"audio", "speak", "host.audio.speak"},
        {"audio", "transcribe", "host.audio.transcribe"},
        {"upload", "inline", "host.upload.inline"},
        {"upload", "negotiate", "host.upload.negotiate"},
    };
    set_mode(REPLY_SYNC, "{\"result\":{\"x\":true}}");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *r = at_scall(rt, sid, names[i].ns, names[i].method, "{\"k\":1}");
        at_check_str(r, at_ok("{\"x\": true}"), __FILE__, __LINE__, names[i].host);
        at_check_str(H.method, names[i].host, __FILE__, __LINE__, "outbound method");
        at_check_str(H.params, "{\"k\": 1}", __FILE__, __LINE__, "outbound params");
    }

    /* ---- llm.stream ------------------------------------------------------------ */
    RULE("D-LLM-STREAM-1 / ST-DLG-5: validation before any host call");
    before = calls();
    CHECK_SCALL_ERR(rt, sid, "llm", "stream", "{}", "invalid_arg", "messages required");
    CHECK_SCALL_ERR(rt, sid, "llm", "stream", "{\"messages\":[]}", "invalid_arg", "messages required");
    CHECK_SCALL_ERR(rt, sid, "llm", "stream", "{\"messages\":\"x\"}", "invalid_arg", "messages required");
    CHECK_INT(calls(), before);
    RULE("D-LLM-STREAM-2/3 / ST-DLG-4: stream_id added when absent");
    set_mode(REPLY_SYNC, "{\"result\":{\"run_id\":\"r1\"}}");
    CHECK_STREAM_ID(at_scall(rt, sid, "llm", "stream", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
                    "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"ok\": true, \"result\": {\"run_id\": \"r1\", \"stream_id\": \"",
                    "\"}}}");
    CHECK_STR(H.method, "host.llm.stream");
    set_mode(REPLY_SYNC, "{\"result\":[1]}");
    CHECK_STREAM_ID(at_scall(rt, sid, "llm", "stream", "{\"messages\":[1]}"),
                    "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"ok\": true, \"result\": {\"stream_id\": \"", "\"}}}");
    RULE("D-LLM-STREAM-3: an existing stream_id is kept, even null");
    set_mode(REPLY_SYNC, "{\"result\":{\"stream_id\":\"mine\",\"z\":1}}");
    CHECK_SCALL(rt, sid, "llm", "stream", "{\"messages\":[1]}", "{\"stream_id\": \"mine\", \"z\": 1}");
    set_mode(REPLY_SYNC, "{\"result\":{\"stream_id\":null}}");
    CHECK_SCALL(rt, sid, "llm", "stream", "{\"messages\":[1]}", "{\"stream_id\": null}");
    RULE("ST-EVT-7: no rpc.stream event is emitted locally");
    {
        char *ev = at_drain(rt, sid);
        CHECK(ev && strstr(ev, "rpc.stream") == NULL);
    }

    /* ---- D-DISP-1 (13-errata): dict(args) with a bridge -------------------------- */
    RULE("D-DISP-1 (13-errata): delegates run dict(args) when a bridge is wired");
    set_mode(REPLY_SYNC, "{\"result\":{}}");
    CHECK_SCALL(rt, sid, "llm", "complete", "[[\"a\",1]]", "{}");
    CHECK_STR(H.params, "{\"a\": 1}");
    CHECK_SCALL(rt, sid, "llm", "complete", "[\"ab\"]", "{}");
    CHECK_STR(H.params, "{\"a\": \"b\"}");
    before = calls();
    CHECK_SCALL_ERR(rt, sid, "llm", "complete", "\"abc\"", "internal",
                    "handler crashed: dictionary update sequence element #0 has length 1; 2 is required");
    CHECK_SCALL_ERR(rt, sid, "llm", "complete", "[1]", "internal",
                    "handler crashed: cannot convert dictionary update sequence element #0 to a sequence");
    CHECK_INT(calls(), before);

    RULE("U-1 (13-errata): a lone surrogate in forwarded params never crashes");
    {
        char *r = at_scall(rt, sid, "llm", "complete", "{\"x\":\"\\ud800\"}");
        CHECK(r && at_pyjson_valid(r, strlen(r)));
        CHECK_PREFIX(r, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"ok\": ");
    }

    /* ---- web.* forwarding depends on web_mode ------------------------------------ */
    RULE("WEB-MODE-1: web.* stays local in \"local\" mode");
    before = calls();
    CHECK_SCALL_ERR(rt, sid, "web", "search", "{}", "invalid_arg", "query required");
    CHECK_INT(calls(), before);
    RULE("ST-DLG table: web.* forwarded in \"real\" mode");
    {
        anna_runtime *real = at_runtime_new("\"web_mode\": \"real\"");
        host_t *saved_rt = &H;
        anna_runtime *old = H.rt;
        H.rt = real;
        CHECK_INT(anna_runtime_set_host_handler(real, handler, saved_rt), 0);
        at_session ws;
        if (at_session_create(real, AT_MANIFEST_ALL, NULL, &ws) == 0) {
            set_mode(REPLY_SYNC, "{\"result\":{\"results\":[]}}");
            CHECK_SCALL(real, ws.session_id, "web", "search", "{\"query\":\"q\"}", "{\"results\": []}");
            CHECK_STR(H.method, "host.web.search");
            CHECK_STR(H.params, "{\"query\": \"q\"}");
            CHECK_SCALL(real, ws.session_id, "web", "fetch", "{\"urls\":[\"https://example.com\"]}", "{\"results\": []}");
            CHECK_STR(H.method, "host.web.fetch");
        }
        anna_runtime_free(real);
        H.rt = old;
    }

    /* ---- replacing the handler fails waiting calls -------------------------------- */
    RULE("header: calls waiting on a replaced handler fail with host_unavailable");
    {
        set_mode(NO_REPLY, NULL);
        before = calls();
        bg_call_t b = {rt, sid, "llm", "complete", "{}", NULL};
        pthread_t t;
        pthread_create(&t, NULL, bg_call, &b);
        CHECK(wait_calls(before + 1));
        uint64_t waiting_id = H.last_id;
        CHECK_INT(anna_runtime_set_host_handler(rt, other_handler, NULL), 0);
        pthread_join(t, NULL);
        CHECK_PREFIX(b.answer, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"ok\": false, \"error\": {\"code\": \"host_unavailable\", "
                               "\"message\": \"");
        free(b.answer);
        CHECK_INT(anna_runtime_host_reply(rt, waiting_id, "{\"result\":{}}"), -1);
    }
    RULE("header: removing the handler -> not_implemented again");
    CHECK_INT(anna_runtime_set_host_handler(rt, NULL, NULL), 0);
    CHECK_SCALL_ERR(rt, sid, "llm", "complete", "{}", "not_implemented", "llm.complete not wired in this runtime");
    CHECK_INT(other_calls, 0);
    CHECK_INT(anna_runtime_set_host_handler(rt, NULL, NULL), 0);

    /* ---- concurrent host calls, answered out of order ------------------------------- */
    RULE("header: concurrent host calls are correlated by call_id");
    {
        CHECK_INT(anna_runtime_set_host_handler(rt, recording_handler, NULL), 0);
        bg_call_t b[NPAR];
        pthread_t t[NPAR];
        char *args[NPAR];
        for (int i = 0; i < NPAR; i++) {
            args[i] = at_fmt("{\"marker\":%d}", i);
            b[i] = (bg_call_t){rt, sid, "llm", "complete", args[i], NULL};
            pthread_create(&t[i], NULL, bg_call, &b[i]);
        }
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += 5;
        pthread_mutex_lock(&par_mu);
        while (par_n < NPAR && pthread_cond_timedwait(&par_cv, &par_mu, &dl) == 0) {
        }
        int n = par_n;
        pthread_mutex_unlock(&par_mu);
        CHECK_INT(n, NPAR);
        int distinct = 1;
        for (int i = 0; i < n; i++)
            for (int k = i + 1; k < n; k++)
                if (par_ids[i] == par_ids[k]) distinct = 0;
        CHECK(distinct);
        for (int i = n - 1; i >= 0; i--) {
            char *reply = at_fmt("{\"result\":{\"echo\":%d}}", par_marker[i]);
            CHECK_INT(anna_runtime_host_reply(rt, par_ids[i], reply), 0);
        }
        for (int i = 0; i < NPAR; i++) {
            pthread_join(t[i], NULL);
            char *want = at_fmt("{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"ok\": true, \"result\": {\"echo\": %d}}}", i);
            CHECK_STR(b[i].answer, want);
            free(b[i].answer);
        }
        CHECK_INT(anna_runtime_set_host_handler(rt, NULL, NULL), 0);
    }

    RULE("header: host_call_timeout_ms 0 waits (a reply after 300 ms is taken)");
    {
        anna_runtime *slow = at_runtime_new("\"host_call_timeout_ms\": 0");
        anna_runtime *old = H.rt;
        H.rt = slow;
        CHECK_INT(anna_runtime_set_host_handler(slow, handler, &H), 0);
        at_session ss;
        if (at_session_create(slow, AT_MANIFEST_ALL, NULL, &ss) == 0) {
            set_mode(NO_REPLY, NULL);
            before = calls();
            bg_call_t b = {slow, ss.session_id, "llm", "complete", "{}", NULL};
            pthread_t t;
            pthread_create(&t, NULL, bg_call, &b);
            CHECK(wait_calls(before + 1));
            usleep(300 * 1000);
            CHECK_INT(anna_runtime_host_reply(slow, H.last_id, "{\"result\":{\"waited\":true}}"), 0);
            pthread_join(t, NULL);
            CHECK_STR(b.answer, at_ok("{\"waited\": true}"));
            free(b.answer);
        }
        anna_runtime_free(slow);
        H.rt = old;
    }

    /* ---- timeouts ------------------------------------------------------------------ */
    RULE("header: host_call_timeout_ms -> host_timeout");
    {
        anna_runtime *fast = at_runtime_new("\"host_call_timeout_ms\": 200");
        anna_runtime *old = H.rt;
        H.rt = fast;
        CHECK_INT(anna_runtime_set_host_handler(fast, handler, &H), 0);
        at_session fs;
        if (at_session_create(fast, AT_MANIFEST_ALL, NULL, &fs) == 0) {
            set_mode(NO_REPLY, NULL);
            before = calls();
            double t0 = now_s();
            char *r = at_scall(fast, fs.session_id, "llm", "complete", "{}");
            double dt = now_s() - t0;
            CHECK_PREFIX(r, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"ok\": false, \"error\": {\"code\": \"host_timeout\", "
                            "\"message\": \"");
            CHECK_INT(calls(), before + 1);
            CHECK(dt >= 0.19);
            CHECK(dt < 5.0);
            RULE("header: a reply after the timeout -> -1");
            CHECK_INT(anna_runtime_host_reply(fast, H.last_id, "{\"result\":{}}"), -1);
            RULE("the runtime still works after a timeout");
            set_mode(REPLY_SYNC, "{\"result\":{\"late\":false}}");
            CHECK_SCALL(fast, fs.session_id, "llm", "complete", "{}", "{\"late\": false}");
        }
        anna_runtime_free(fast);
        H.rt = old;
    }

    anna_runtime_free(rt);
    free(H.params);
    return at_finish();
}
