/* test_threads — 8 threads on one runtime at once (header: "many threads may
 * call one runtime at once"; 05 ST-RS-7: no lost update on one window;
 * 09 BR-M-CREATE-3: session ids unique, never reused). */
#define _GNU_SOURCE
#include "anna_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTHREADS 8
#define SHARED_SETS 300 /* per thread, on the shared session: 2400 in all */
#define OWN_SETS 50
#define CREATES 20
#define TOKENS 20

static anna_runtime *rt;
static char shared_sid[64], shared_wid[64];

/* Event accounting (the queue is store-wide, 05 ST-EVT-3). */
static pthread_mutex_t ev_mu = PTHREAD_MUTEX_INITIALIZER;
static long ev_total, ev_shared, ev_other_kind, ev_bad;
static volatile int workers_done;

static void count_events(const char *resp) {
    json_t *j = at_json_owned(resp);
    json_t *events = json_object_get(json_object_get(j, "result"), "events");
    long total = 0, shared = 0, other = 0, bad = 0;
    if (!json_is_array(events)) {
        bad++;
    } else {
        size_t i;
        json_t *e;
        json_array_foreach(events, i, e) {
            const char *kind = json_string_value(json_object_get(e, "kind"));
            if (!kind || strcmp(kind, "runtime_state_synced") != 0) {
                other++;
                continue;
            }
            total++;
            const char *w = json_string_value(json_object_get(json_object_get(e, "payload"), "window_uuid"));
            if (w && strcmp(w, shared_wid) == 0) shared++;
        }
    }
    json_decref(j);
    pthread_mutex_lock(&ev_mu);
    ev_total += total;
    ev_shared += shared;
    ev_other_kind += other;
    ev_bad += bad;
    pthread_mutex_unlock(&ev_mu);
}

static char *drain_dup(const char *sid) {
    char req[256];
    snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.drain_events\",\"params\":{\"session_id\":\"%s\"}}", sid);
    return at_call_dup(rt, req);
}

static void *drainer(void *arg) {
    (void)arg;
    while (!__atomic_load_n(&workers_done, __ATOMIC_SEQ_CST)) {
        char *r = drain_dup(shared_sid);
        count_events(r);
        free(r);
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

typedef struct {
    int idx;
    long ok_sets, ok_own, ok_ping, ok_tokens, ok_creates;
    int created_ids[CREATES];
    int n_created;
} worker_t;

static const char *OK_SET = "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"ok\": true, \"result\": {\"ok\": true}}}";
static const char *PONG = "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"pong\": true}}";
static const char *MANIFEST = "{\"schema\":1,\"ui\":{\"bundle\":{\"entry\":\"index.html\"},\"host_api\":{\"storage\":[\"*\"]}}}";

static void *worker(void *arg) {
    worker_t *w = arg;
    char req[1024], args[256];

    /* its own session */
    snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.create\",\"params\":{\"manifest\":%s,\"user_id\":%d}}",
             MANIFEST, 100 + w->idx);
    char *r = at_call_dup(rt, req);
    json_t *j = at_json_owned(r);
    const char *sid = json_string_value(json_object_get(json_object_get(j, "result"), "session_id"));
    char own[64] = "sess-none";
    if (sid) snprintf(own, sizeof own, "%s", sid);
    if (sid) w->created_ids[w->n_created++] = atoi(sid + 5);
    json_decref(j);
    free(r);

    for (int i = 0; i < SHARED_SETS; i++) {
        snprintf(args, sizeof args, "{\"key\":\"t%d-%04d\",\"value\":%d}", w->idx, i, i);
        r = at_scall_dup(rt, shared_sid, "storage", "set", args);
        if (r && strcmp(r, OK_SET) == 0) w->ok_sets++;
        free(r);

        if (i % (SHARED_SETS / OWN_SETS) == 0) {
            snprintf(args, sizeof args, "{\"key\":\"own-%d\",\"value\":\"%d\"}", i, w->idx);
            r = at_scall_dup(rt, own, "storage", "set", args);
            if (r && strcmp(r, OK_SET) == 0) w->ok_own++;
            free(r);
        }
        if (i % 10 == 0) {
            r = at_call_dup(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
            if (r && strcmp(r, PONG) == 0) w->ok_ping++;
            free(r);
        }
        if (i % (SHARED_SETS / TOKENS) == 0) {
            snprintf(args, sizeof args, "{\"window_uuid\": \"w-%d-%d\", \"user_id\": %d, \"now\": 1700000000}", w->idx, i, w->idx);
            char *m = at_mint_dup(rt, args);
            json_t *mj = at_json_owned(m);
            const char *tok = json_string_value(json_object_get(mj, "token"));
            if (tok) {
                char vp[1024];
                snprintf(vp, sizeof vp, "{\"token\": \"%s\", \"now\": 1700000001}", tok);
                char *v = at_verify_dup(rt, vp);
                char want[128];
                snprintf(want, sizeof want, "\"wid\": \"w-%d-%d\"}}", w->idx, i);
                if (v && strncmp(v, "{\"payload\": ", 12) == 0 && strstr(v, want)) w->ok_tokens++;
                free(v);
            }
            json_decref(mj);
            free(m);
        }
        if (i % (SHARED_SETS / CREATES) == 0 && w->n_created < CREATES) {
            /* create and close a session concurrently with everything else */
            snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.create\",\"params\":{\"manifest\":{}}}");
            r = at_call_dup(rt, req);
            j = at_json_owned(r);
            const char *tmp = json_string_value(json_object_get(json_object_get(j, "result"), "session_id"));
            if (tmp) {
                w->created_ids[w->n_created++] = atoi(tmp + 5);
                char close_req[256];
                snprintf(close_req, sizeof close_req,
                         "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.close\",\"params\":{\"session_id\":\"%s\"}}", tmp);
                char *c = at_call_dup(rt, close_req);
                if (c && strcmp(c, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"ok\": true}}") == 0) {
                    /* the closed id is gone */
                    char *g = at_scall_dup(rt, tmp, "storage", "get", "{\"key\":\"x\"}");
                    char want[128];
                    snprintf(want, sizeof want, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"error\": {\"code\": -32602, \"message\": \"unknown session_id: %s\"}}", tmp);
                    if (g && strcmp(g, want) == 0) w->ok_creates++;
                    free(g);
                }
                free(c);
            }
            json_decref(j);
            free(r);
        }
    }
    /* read back the own session: every own key present with this thread's value */
    int own_ok = 1;
    for (int i = 0; i < SHARED_SETS; i += SHARED_SETS / OWN_SETS) {
        snprintf(args, sizeof args, "{\"key\":\"own-%d\"}", i);
        r = at_scall_dup(rt, own, "storage", "get", args);
        char want[128];
        snprintf(want, sizeof want, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"ok\": true, \"result\": {\"value\": \"%d\"}}}", w->idx);
        if (!r || strcmp(r, want) != 0) own_ok = 0;
        free(r);
    }
    if (!own_ok) w->ok_own = -1;
    return NULL;
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int main(void) {
    at_init("test_threads");
    rt = at_runtime_new(NULL);
    at_session s;
    if (at_session_create(rt, MANIFEST, NULL, &s) != 0) return at_finish();
    snprintf(shared_sid, sizeof shared_sid, "%s", s.session_id);
    snprintf(shared_wid, sizeof shared_wid, "%s", s.window_uuid);

    pthread_t th[NTHREADS], dr;
    worker_t w[NTHREADS];
    memset(w, 0, sizeof w);
    pthread_create(&dr, NULL, drainer, NULL);
    for (int i = 0; i < NTHREADS; i++) {
        w[i].idx = i;
        pthread_create(&th[i], NULL, worker, &w[i]);
    }
    for (int i = 0; i < NTHREADS; i++) pthread_join(th[i], NULL);
    __atomic_store_n(&workers_done, 1, __ATOMIC_SEQ_CST);
    pthread_join(dr, NULL);
    count_events(at_drain(rt, shared_sid));

    RULE("header: concurrent calls all answered correctly");
    long sets = 0, own = 0, pings = 0, toks = 0, creates = 0;
    for (int i = 0; i < NTHREADS; i++) {
        sets += w[i].ok_sets;
        pings += w[i].ok_ping;
        toks += w[i].ok_tokens;
        creates += w[i].ok_creates;
        CHECK_INT(w[i].ok_own, OWN_SETS);
        own += w[i].ok_own;
    }
    CHECK_INT(sets, NTHREADS * SHARED_SETS);
    CHECK_INT(pings, NTHREADS * (SHARED_SETS / 10));
    CHECK_INT(toks, NTHREADS * TOKENS);
    CHECK_INT(creates, NTHREADS * (CREATES - 1));

    RULE("ST-RS-7: no lost write on the shared window (list pages through every key once)");
    {
        char *seen = calloc(NTHREADS * SHARED_SETS, 1);
        long found = 0, dup = 0, wrong = 0, pages = 0;
        char cursor[64] = "";
        for (;;) {
            char args[128];
            if (cursor[0]) snprintf(args, sizeof args, "{\"limit\":1000,\"cursor\":\"%s\"}", cursor);
            else snprintf(args, sizeof args, "{\"limit\":1000}");
            char *r = at_scall(rt, shared_sid, "storage", "list", args);
            pages++;
            json_t *res = json_object_get(json_object_get(json_object_get(at_json(r), "result"), "result"), "items");
            json_t *next = json_object_get(json_object_get(json_object_get(at_json(r), "result"), "result"), "next_cursor");
            if (!CHECK(json_is_array(res))) break;
            size_t i;
            json_t *it;
            json_array_foreach(res, i, it) {
                int t, n;
                const char *k = json_string_value(json_object_get(it, "key"));
                if (k && sscanf(k, "t%d-%d", &t, &n) == 2 && t >= 0 && t < NTHREADS && n >= 0 && n < SHARED_SETS) {
                    if (seen[t * SHARED_SETS + n]++) dup++;
                    else found++;
                } else {
                    wrong++;
                }
            }
            if (json_is_null(next)) break;
            if (!CHECK(json_is_string(next)) || pages > 10) break;
            snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
            at_arena_reset();
        }
        CHECK_INT(found, NTHREADS * SHARED_SETS);
        CHECK_INT(dup, 0);
        CHECK_INT(wrong, 0);
        CHECK_INT(pages, 3); /* 1000 + 1000 + 400 */
        free(seen);
        /* values survived too */
        CHECK_SCALL(rt, shared_sid, "storage", "get", "{\"key\":\"t7-0299\"}", "{\"value\": 299}");
        CHECK_SCALL(rt, shared_sid, "storage", "get", "{\"key\":\"t0-0000\"}", "{\"value\": 0}");
    }

    RULE("D-STORAGE-6 / ST-EVT-4: one runtime_state_synced per set, none lost or duplicated");
    CHECK_INT(ev_bad, 0);
    CHECK_INT(ev_other_kind, 0);
    CHECK_INT(ev_shared, NTHREADS * SHARED_SETS);
    CHECK_INT(ev_total, NTHREADS * SHARED_SETS + NTHREADS * OWN_SETS);

    RULE("BR-M-CREATE-3: session ids unique under concurrency");
    {
        int ids[NTHREADS * CREATES + 1];
        int n = 0;
        for (int i = 0; i < NTHREADS; i++)
            for (int k = 0; k < w[i].n_created; k++) ids[n++] = w[i].created_ids[k];
        qsort(ids, (size_t)n, sizeof ids[0], cmp_int);
        int dups = 0;
        for (int i = 1; i < n; i++)
            if (ids[i] == ids[i - 1] || ids[i] < 2) dups++;
        CHECK_INT(n, NTHREADS * CREATES);
        CHECK_INT(dups, 0);
        /* sess-1 is the shared one; everything else is 2..n+1 with no gap */
        CHECK_INT(n ? ids[0] : 0, 2);
        CHECK_INT(n ? ids[n - 1] : 0, n + 1);
    }

    anna_runtime_free(rt);
    return at_finish();
}
