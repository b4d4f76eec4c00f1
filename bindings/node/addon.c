/*
 * addon.c — the Node binding of libannaruntime: one plain-C N-API addon.
 *
 * index.js is the public API; this file gives it a `NativeRuntime` class
 * that moves JSON text in and out of the C API (include/annaruntime.h) and
 * does the three things JS cannot do alone:
 *
 *   - run calls that may block (tools.invoke, delegated host methods) off
 *     the event loop and settle a Promise when they finish;
 *   - receive the library's host-call hook on whatever thread makes the
 *     call and forward it to JS (a napi_threadsafe_function), while JS
 *     answers later with anna_runtime_host_reply();
 *   - free the native runtime exactly once, after the last call that uses
 *     it, whether JS called close() or the object was garbage-collected.
 *
 * Worker threads. Blocking calls do not run on libuv's threadpool
 * (napi_async_work): that pool has 4 threads by default, so 4 slow plugin
 * calls, or 4 host calls waiting for a JS handler which itself needs the
 * pool (fs.promises, dns.lookup, crypto), would stall every other
 * napi_async_work, fs call and each other, up to the host-call timeout. The
 * addon keeps its own small process-wide pool instead: calls marked
 * cheap run on at most `soft cap` threads (the number of CPUs, 2..8), a call
 * marked blocking always gets a thread (new ones are started as needed, up
 * to 1024), and idle threads exit after 10 s. Results travel back through
 * one threadsafe function per runtime, which is ref'ed (keeps the process
 * alive) only while calls are pending.
 *
 * Lifetime (the part that must not go wrong). A `core` holds the
 * anna_runtime and is shared by the JS object (through a small `box` given
 * to napi_wrap), by every in-flight call, and by the threadsafe functions:
 *   uses = 1 for the JS object until close()/finalize + 1 per in-flight call.
 *          When it drops to 0 the anna_runtime is freed (on a pool thread,
 *          never blocking the event loop: anna_runtime_free may wait ~2 s
 *          for plugin processes) and a pending close() Promise resolves.
 *   mem  = 1 while the anna_runtime exists + 1 per live threadsafe function
 *          + 1 per host call queued to JS. When it drops to 0 the core's
 *          memory is released.
 * `c->rt` is set to NULL (under c->mu) before anna_runtime_free, and every
 * path that may run after the last use (a host call delivered late, env
 * teardown) looks at it under the mutex, so nothing reaches a freed runtime.
 *
 * Errors become JS exceptions (NODE_API_CALL); nothing here aborts. Strings
 * from JS are copied by asking their length first and allocating len+1.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <node_api.h>

#include "annaruntime.h"

/* ---- errors ------------------------------------------------------------- */

/* Throws a JS Error for a failed N-API call, unless one is already pending. */
static void throw_napi_failure(napi_env env, const char *expr) {
    const napi_extended_error_info *info = NULL;
    char msg[512];
    napi_get_last_error_info(env, &info);
    snprintf(msg, sizeof msg, "N-API call failed: %s (%s)",
             (info && info->error_message) ? info->error_message : "unknown error", expr);
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) napi_throw_error(env, "ERR_ANNA_NAPI", msg);
}

#define NODE_API_CALL(env, call)                 \
    do {                                         \
        if ((call) != napi_ok) {                 \
            throw_napi_failure((env), #call);    \
            return NULL;                         \
        }                                        \
    } while (0)

static napi_value throw_code(napi_env env, const char *code, const char *msg) {
    napi_throw_error(env, code, msg);
    return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return NULL;
}

#define ERR_CLOSED "ERR_ANNA_CLOSED"
#define MSG_CLOSED "the runtime is closed"

/* The JSON-RPC error replies the addon gives on its own. The library turns
 * them into app-visible errors {"code": data.errorCode, ...}. */
#define REPLY_UNAVAILABLE \
    "{\"error\": {\"code\": -32000, \"message\": \"the Node host handler is not available (runtime closed or handler removed)\", \"data\": {\"errorCode\": \"host_unavailable\"}}}"
#define REPLY_SYNC_CALL \
    "{\"error\": {\"code\": -32000, \"message\": \"a host call cannot be answered during callSync (the JS thread is blocked); use await session.call()\", \"data\": {\"errorCode\": \"host_unavailable\"}}}"
#define REPLY_THREW \
    "{\"error\": {\"code\": -32603, \"message\": \"the Node host handler threw synchronously\", \"data\": {\"errorCode\": \"host_error\"}}}"

/* ---- strings ------------------------------------------------------------ */

/* Copies a JS string into a malloc'd NUL-terminated buffer: length first,
 * then len+1 bytes, then the copy. Throws (and returns NULL) on a
 * non-string or out of memory. */
static char *copy_js_string(napi_env env, napi_value v, const char *what, size_t *out_len) {
    size_t len = 0;
    napi_status st = napi_get_value_string_utf8(env, v, NULL, 0, &len);
    if (st == napi_string_expected) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s must be a string", what);
        throw_type(env, msg);
        return NULL;
    }
    if (st != napi_ok) {
        throw_napi_failure(env, "napi_get_value_string_utf8");
        return NULL;
    }
    char *buf = malloc(len + 1);
    if (!buf) {
        throw_code(env, "ERR_ANNA_NOMEM", "out of memory");
        return NULL;
    }
    size_t copied = 0;
    if (napi_get_value_string_utf8(env, v, buf, len + 1, &copied) != napi_ok) {
        free(buf);
        throw_napi_failure(env, "napi_get_value_string_utf8");
        return NULL;
    }
    buf[copied] = '\0';
    if (out_len) *out_len = copied;
    return buf;
}

/* A library-owned string -> JS string; the library string is freed. */
static napi_value take_library_string(napi_env env, char *s) {
    if (!s) return throw_code(env, "ERR_ANNA_NOMEM", "the library returned NULL (out of memory)");
    napi_value v;
    napi_status st = napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
    anna_string_free(s);
    NODE_API_CALL(env, st);
    return v;
}

/* ---- the shared state ----------------------------------------------------- */

typedef struct core core;

/* What napi_wrap owns; lives as long as the JS object. */
typedef struct box {
    core *c;        /* NULL once close() ran */
    napi_ref self;  /* weak reference to the JS object */
} box;

struct core {
    pthread_mutex_t mu;
    /* guarded by mu */
    anna_runtime *rt;                       /* NULL once freed */
    int uses, mem, closed;
    napi_threadsafe_function done_tsfn;     /* results -> JS; NULL once released */
    napi_threadsafe_function host_tsfn;     /* host calls -> JS; NULL when none */
    napi_deferred close_deferred;           /* a close() waiting for the free */
    unsigned host_gen;                      /* current hook installation (JS thread writes) */
    struct host_install *installs;          /* every installation, freed with the core */
    /* set once */
    pthread_t js_thread;
    /* JS thread only */
    napi_threadsafe_function done_tsfn_js;  /* for ref/unref; NULL once finalized */
    unsigned js_pending;                    /* Promises waiting on done_tsfn */
    box *b;                                 /* NULL once closed/finalized */
};

static volatile int g_live_runtimes;  /* created and not yet freed (tests) */

/* One anna_runtime_set_host_handler installation: the hook's userdata. The
 * library numbers host calls per installation (ids restart at 1 after the
 * handler is replaced) and anna_runtime_host_reply answers the current
 * installation only, so a reply is given only for a call of the current
 * installation: a late answer to an old call could otherwise resolve a new,
 * unrelated call that got the same id. */
typedef struct host_install {
    struct host_install *next;
    core *c;
    unsigned gen;
} host_install;

static void core_destroy(core *c) {
    while (c->installs) {
        host_install *n = c->installs->next;
        free(c->installs);
        c->installs = n;
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* Drops one `mem` reference; the caller must not hold c->mu. */
static void core_unmem(core *c) {
    pthread_mutex_lock(&c->mu);
    int dead = --c->mem == 0;
    pthread_mutex_unlock(&c->mu);
    if (dead) core_destroy(c);
}

/* ---- the worker pool -------------------------------------------------- */

enum { JOB_CALL, JOB_FREE, JOB_CLOSED };

typedef struct job {
    struct job *next;
    int kind;
    int blocking;
    core *c;
    char *req;               /* JOB_CALL: malloc'd request */
    char *resp;              /* JOB_CALL: library string */
    napi_deferred deferred;  /* JOB_CALL, JOB_CLOSED */
} job;

#define POOL_HARD_CAP 1024
#define POOL_IDLE_SECONDS 10

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static job *pool_head, *pool_tail;
static int pool_threads, pool_idle, pool_queued, pool_blocking, pool_soft_cap;

static void run_job(job *j);

static void *pool_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&pool_mu);
    for (;;) {
        while (!pool_head) {
            struct timespec dl;
            clock_gettime(CLOCK_REALTIME, &dl);
            dl.tv_sec += POOL_IDLE_SECONDS;
            pool_idle++;
            int rc = pthread_cond_timedwait(&pool_cv, &pool_mu, &dl);
            pool_idle--;
            if (rc == ETIMEDOUT && !pool_head) {
                pool_threads--;
                pthread_mutex_unlock(&pool_mu);
                return NULL;
            }
        }
        job *j = pool_head;
        pool_head = j->next;
        if (!pool_head) pool_tail = NULL;
        pool_queued--;
        int blocking = j->blocking;
        if (blocking) pool_blocking++;
        pthread_mutex_unlock(&pool_mu);
        run_job(j);
        pthread_mutex_lock(&pool_mu);
        if (blocking) pool_blocking--;
    }
}

static int pool_spawn_locked(void) {
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) return -1;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int rc = pthread_create(&t, &attr, pool_main, NULL);
    pthread_attr_destroy(&attr);
    if (rc == 0) pool_threads++;
    return rc;
}

/* Queues a job; 0 on success, -1 when no thread can run it. */
static int pool_submit(job *j) {
    j->next = NULL;
    pthread_mutex_lock(&pool_mu);
    if (!pool_soft_cap) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        pool_soft_cap = n < 2 ? 2 : n > 8 ? 8 : (int)n;
    }
    if (pool_tail) pool_tail->next = j; else pool_head = j;
    pool_tail = j;
    pool_queued++;
    if (pool_queued > pool_idle) {
        /* Cheap calls share `soft cap` threads; threads busy in blocking
         * calls do not count against it, and a blocking call may always
         * start one more thread. */
        int want = j->blocking ? pool_threads < POOL_HARD_CAP
                               : pool_threads - pool_blocking < pool_soft_cap;
        if (want && pool_spawn_locked() != 0 && pool_threads == 0) {
            /* No thread at all: take the job back. (It is the tail.) */
            job **p = &pool_head;
            while (*p != j) p = &(*p)->next;
            *p = NULL;
            pool_tail = NULL;
            for (job *q = pool_head; q; q = q->next) pool_tail = q;
            pool_queued--;
            pthread_mutex_unlock(&pool_mu);
            return -1;
        }
    }
    if (pool_idle > 0) pthread_cond_signal(&pool_cv);
    pthread_mutex_unlock(&pool_mu);
    return 0;
}

/* ---- releasing the runtime -------------------------------------------- */

/* The last use is gone: free the anna_runtime, resolve a pending close(),
 * release the result channel. Runs on a pool thread. */
static void core_finish(core *c) {
    pthread_mutex_lock(&c->mu);
    anna_runtime *rt = c->rt;
    c->rt = NULL;
    pthread_mutex_unlock(&c->mu);
    anna_runtime_free(rt);
    __atomic_sub_fetch(&g_live_runtimes, 1, __ATOMIC_SEQ_CST);

    pthread_mutex_lock(&c->mu);
    napi_deferred d = c->close_deferred;
    c->close_deferred = NULL;
    napi_threadsafe_function t = c->done_tsfn;
    c->done_tsfn = NULL;
    if (t) {
        napi_status st = napi_ok;
        if (d) {
            job *j = calloc(1, sizeof *j);
            if (j) {
                j->kind = JOB_CLOSED;
                j->deferred = d;
                st = napi_call_threadsafe_function(t, j, napi_tsfn_nonblocking);
                if (st != napi_ok) free(j);
            }
        }
        /* After napi_closing the function must not be touched again. */
        if (st != napi_closing) napi_release_threadsafe_function(t, napi_tsfn_release);
    }
    int dead = --c->mem == 0;
    pthread_mutex_unlock(&c->mu);
    if (dead) core_destroy(c);
}

/* Drops one use. On the JS thread the free is handed to the pool so the
 * event loop never waits for plugin processes to exit. */
static void core_unuse(core *c, int on_js_thread) {
    pthread_mutex_lock(&c->mu);
    int last = --c->uses == 0;
    pthread_mutex_unlock(&c->mu);
    if (!last) return;
    if (on_js_thread) {
        job *j = calloc(1, sizeof *j);
        if (j) {
            j->kind = JOB_FREE;
            j->blocking = 1;
            j->c = c;
            if (pool_submit(j) == 0) return;
            free(j);
        }
    }
    core_finish(c);
}

/* Sends a finished job to the JS thread, or drops it if JS is gone. */
static void deliver(core *c, job *j) {
    napi_status st = napi_closing;
    pthread_mutex_lock(&c->mu);
    if (c->done_tsfn) {
        st = napi_call_threadsafe_function(c->done_tsfn, j, napi_tsfn_nonblocking);
        if (st == napi_closing) c->done_tsfn = NULL;
    }
    pthread_mutex_unlock(&c->mu);
    if (st != napi_ok) {
        anna_string_free(j->resp);
        free(j);
    }
}

static void run_job(job *j) {
    core *c = j->c;
    switch (j->kind) {
    case JOB_CALL:
        /* c->rt is stable: this job holds a use. */
        j->resp = anna_runtime_call(c->rt, j->req);
        free(j->req);
        j->req = NULL;
        deliver(c, j);  /* j belongs to the JS thread from here on */
        core_unuse(c, 0);
        break;
    case JOB_FREE:
        free(j);
        core_finish(c);
        break;
    default:
        free(j);
        break;
    }
}

/* ---- JS-thread side of the result channel --------------------------------- */

static void js_pending_add(napi_env env, core *c) {
    if (c->js_pending++ == 0 && c->done_tsfn_js) napi_ref_threadsafe_function(env, c->done_tsfn_js);
}

static void js_pending_sub(napi_env env, core *c) {
    if (--c->js_pending == 0 && c->done_tsfn_js) napi_unref_threadsafe_function(env, c->done_tsfn_js);
}

static void reject_with(napi_env env, napi_deferred d, const char *code, const char *msg) {
    napi_value m, k, e;
    if (napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m) == napi_ok &&
        napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &k) == napi_ok &&
        napi_create_error(env, k, m, &e) == napi_ok)
        napi_reject_deferred(env, d, e);
}

static void done_call_js(napi_env env, napi_value js_cb, void *context, void *data) {
    (void)js_cb;
    job *j = data;
    if (!env) {  /* the environment is being torn down: only free */
        anna_string_free(j->resp);
        free(j);
        return;
    }
    core *c = context;
    if (j->kind == JOB_CALL) {
        napi_value v;
        if (!j->resp) {
            reject_with(env, j->deferred, "ERR_ANNA_NOMEM", "the library returned NULL (out of memory)");
        } else if (napi_create_string_utf8(env, j->resp, NAPI_AUTO_LENGTH, &v) == napi_ok) {
            napi_resolve_deferred(env, j->deferred, v);
        } else {
            reject_with(env, j->deferred, "ERR_ANNA_NAPI", "could not create the result string");
        }
        anna_string_free(j->resp);
    } else {
        napi_value u;
        napi_get_undefined(env, &u);
        napi_resolve_deferred(env, j->deferred, u);
    }
    free(j);
    js_pending_sub(env, c);
}

static void done_finalize(napi_env env, void *data, void *hint) {
    (void)env;
    (void)hint;
    core *c = data;
    c->done_tsfn_js = NULL;
    pthread_mutex_lock(&c->mu);
    c->done_tsfn = NULL;
    int dead = --c->mem == 0;
    pthread_mutex_unlock(&c->mu);
    if (dead) core_destroy(c);
}

/* ---- host calls --------------------------------------------------------- */

typedef struct host_item {
    uint64_t id;
    unsigned gen;
    char *method;
    char *params;
} host_item;

typedef struct host_slot {  /* finalize data of one host tsfn */
    core *c;
    napi_threadsafe_function t;
} host_slot;

static char *dup_or_empty(const char *s, const char *fallback) {
    return strdup(s ? s : fallback);
}

/* The library's hook: runs on the thread that made the call. */
static void host_hook(void *userdata, uint64_t call_id, const char *method, const char *params_json) {
    host_install *inst = userdata;
    core *c = inst->c;  /* alive: the call that runs us holds a use */
    pthread_mutex_lock(&c->mu);
    int stale = inst->gen != c->host_gen;
    pthread_mutex_unlock(&c->mu);
    if (stale) return;  /* replaced: the library fails or times out this call; a reply could hit another */
    if (pthread_equal(pthread_self(), c->js_thread)) {
        /* callSync on the JS thread: JS cannot run until we return. */
        anna_runtime_host_reply(c->rt, call_id, REPLY_SYNC_CALL);
        return;
    }
    host_item *it = calloc(1, sizeof *it);
    if (it) {
        it->id = call_id;
        it->gen = inst->gen;
        it->method = dup_or_empty(method, "");
        it->params = dup_or_empty(params_json, "{}");
    }
    napi_status st = napi_closing;
    if (it && it->method && it->params) {
        pthread_mutex_lock(&c->mu);
        if (c->host_tsfn && !c->closed && inst->gen == c->host_gen) {
            c->mem++;
            st = napi_call_threadsafe_function(c->host_tsfn, it, napi_tsfn_nonblocking);
            if (st != napi_ok) {
                c->mem--;
                if (st == napi_closing) c->host_tsfn = NULL;
            }
        }
        pthread_mutex_unlock(&c->mu);
    }
    if (st != napi_ok) {
        pthread_mutex_lock(&c->mu);
        if (inst->gen == c->host_gen) anna_runtime_host_reply(c->rt, call_id, REPLY_UNAVAILABLE);
        pthread_mutex_unlock(&c->mu);
        if (it) {
            free(it->method);
            free(it->params);
            free(it);
        }
    }
}

/* On the JS thread: hand the call to obj._dispatchHost(id, method, params, gen). */
static void host_call_js(napi_env env, napi_value js_cb, void *context, void *data) {
    (void)js_cb;
    core *c = context;  /* alive: the item holds a mem reference */
    host_item *it = data;
    int handed = 0;
    const char *fallback = REPLY_UNAVAILABLE;
    if (env && !c->closed && c->b && c->b->self && it->gen == c->host_gen) {
        napi_value obj = NULL, fn, argv[4];
        napi_valuetype t = napi_undefined;
        if (napi_get_reference_value(env, c->b->self, &obj) == napi_ok && obj &&
            napi_get_named_property(env, obj, "_dispatchHost", &fn) == napi_ok &&
            napi_typeof(env, fn, &t) == napi_ok && t == napi_function &&
            napi_create_bigint_uint64(env, it->id, &argv[0]) == napi_ok &&
            napi_create_string_utf8(env, it->method, NAPI_AUTO_LENGTH, &argv[1]) == napi_ok &&
            napi_create_string_utf8(env, it->params, NAPI_AUTO_LENGTH, &argv[2]) == napi_ok &&
            napi_create_uint32(env, it->gen, &argv[3]) == napi_ok) {
            napi_status st = napi_call_function(env, obj, fn, 4, argv, NULL);
            if (st == napi_ok) {
                handed = 1;
            } else {
                napi_value ex;
                napi_get_and_clear_last_exception(env, &ex);
                fallback = REPLY_THREW;
            }
        }
    }
    if (!handed) {
        pthread_mutex_lock(&c->mu);
        if (c->rt && it->gen == c->host_gen) anna_runtime_host_reply(c->rt, it->id, fallback);
        pthread_mutex_unlock(&c->mu);
    }
    free(it->method);
    free(it->params);
    free(it);
    core_unmem(c);
}

static void host_finalize(napi_env env, void *data, void *hint) {
    (void)env;
    (void)hint;
    host_slot *s = data;
    core *c = s->c;
    pthread_mutex_lock(&c->mu);
    if (c->host_tsfn == s->t) c->host_tsfn = NULL;
    int dead = --c->mem == 0;
    pthread_mutex_unlock(&c->mu);
    free(s);
    if (dead) core_destroy(c);
}

/* Removes the hook and releases the host channel. JS thread; rt alive. */
static void host_detach(core *c) {
    pthread_mutex_lock(&c->mu);
    c->host_gen++;  /* answers to calls of the old installation are dropped */
    pthread_mutex_unlock(&c->mu);
    anna_runtime_set_host_handler(c->rt, NULL, NULL);  /* waiting calls fail: host_unavailable */
    pthread_mutex_lock(&c->mu);
    napi_threadsafe_function t = c->host_tsfn;
    c->host_tsfn = NULL;
    pthread_mutex_unlock(&c->mu);
    if (t) napi_release_threadsafe_function(t, napi_tsfn_release);
}

/* ---- the NativeRuntime class ---------------------------------------------- */

/* close() and the finalizer: give up the JS object's use. JS thread. */
static void core_shutdown(napi_env env, core *c, napi_deferred d) {
    host_detach(c);
    pthread_mutex_lock(&c->mu);
    c->closed = 1;
    if (d) c->close_deferred = d;
    pthread_mutex_unlock(&c->mu);
    c->b = NULL;
    if (d) js_pending_add(env, c);
    core_unuse(c, 1);
}

static void box_finalize(napi_env env, void *data, void *hint) {
    (void)hint;
    box *b = data;
    if (b->c) {
        core *c = b->c;
        b->c = NULL;
        core_shutdown(env, c, NULL);
    }
    if (b->self) napi_delete_reference(env, b->self);
    free(b);
}

/* Unwraps `this`; returns the box (never NULL unless it threw). */
static box *this_box(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
    napi_value self;
    void *data = NULL;
    if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) {
        throw_napi_failure(env, "napi_get_cb_info");
        return NULL;
    }
    if (napi_unwrap(env, self, &data) != napi_ok || !data) {
        throw_type(env, "not a NativeRuntime");
        return NULL;
    }
    return data;
}

static core *open_core(napi_env env, box *b) {
    if (!b) return NULL;
    if (!b->c) throw_code(env, ERR_CLOSED, MSG_CLOSED);
    return b->c;
}

static bool is_nullish(napi_env env, napi_value v) {
    napi_valuetype t;
    return napi_typeof(env, v, &t) != napi_ok || t == napi_undefined || t == napi_null;
}

/* new NativeRuntime(configJson: string | null) */
static napi_value rt_new(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1], self, target;
    NODE_API_CALL(env, napi_get_new_target(env, info, &target));
    if (!target) return throw_type(env, "NativeRuntime must be called with new");
    NODE_API_CALL(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
    char *config = NULL;
    if (argc >= 1 && !is_nullish(env, argv[0])) {
        config = copy_js_string(env, argv[0], "config", NULL);
        if (!config) return NULL;
    }
    char *err = NULL;
    anna_runtime *rt = anna_runtime_new(config, &err);
    free(config);
    if (!rt) {
        /* index.js parses `json` ({"error": {"code", "message"}}). */
        napi_value code, msg, e, j;
        NODE_API_CALL(env, napi_create_string_utf8(env, "ERR_ANNA_CONFIG", NAPI_AUTO_LENGTH, &code));
        NODE_API_CALL(env, napi_create_string_utf8(env, err ? err : "{}", NAPI_AUTO_LENGTH, &msg));
        NODE_API_CALL(env, napi_create_error(env, code, msg, &e));
        NODE_API_CALL(env, napi_create_string_utf8(env, err ? err : "{}", NAPI_AUTO_LENGTH, &j));
        NODE_API_CALL(env, napi_set_named_property(env, e, "json", j));
        anna_string_free(err);
        napi_throw(env, e);
        return NULL;
    }
    __atomic_add_fetch(&g_live_runtimes, 1, __ATOMIC_SEQ_CST);

    core *c = calloc(1, sizeof *c);
    box *b = c ? calloc(1, sizeof *b) : NULL;
    if (!c || !b) {
        free(c);
        free(b);
        anna_runtime_free(rt);
        __atomic_sub_fetch(&g_live_runtimes, 1, __ATOMIC_SEQ_CST);
        return throw_code(env, "ERR_ANNA_NOMEM", "out of memory");
    }
    pthread_mutex_init(&c->mu, NULL);
    c->rt = rt;
    c->uses = 1;  /* the JS object */
    c->mem = 1;   /* the anna_runtime */
    c->js_thread = pthread_self();

    napi_value name;
    if (napi_create_string_utf8(env, "annaruntime.result", NAPI_AUTO_LENGTH, &name) != napi_ok ||
        napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, c, done_finalize, c, done_call_js,
                                        &c->done_tsfn) != napi_ok) {
        throw_napi_failure(env, "napi_create_threadsafe_function");
        core_destroy(c);
        free(b);
        anna_runtime_free(rt);
        __atomic_sub_fetch(&g_live_runtimes, 1, __ATOMIC_SEQ_CST);
        return NULL;
    }
    c->mem++;
    c->done_tsfn_js = c->done_tsfn;
    napi_unref_threadsafe_function(env, c->done_tsfn);  /* ref'ed only while calls are pending */

    b->c = c;
    c->b = b;
    if (napi_wrap(env, self, b, box_finalize, NULL, NULL) != napi_ok) {
        throw_napi_failure(env, "napi_wrap");
        b->c = NULL;
        core_shutdown(env, c, NULL);  /* frees rt on the pool, then the core */
        free(b);
        return NULL;
    }
    if (napi_create_reference(env, self, 0, &b->self) != napi_ok) b->self = NULL;  /* no host calls then */
    return self;
}

/* callSync(requestJson: string): string — on the JS thread. */
static napi_value rt_call_sync(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1];
    core *c = open_core(env, this_box(env, info, &argc, argv));
    if (!c) return NULL;
    if (argc < 1) return throw_type(env, "request must be a string");
    char *req = copy_js_string(env, argv[0], "request", NULL);
    if (!req) return NULL;
    char *resp = anna_runtime_call(c->rt, req);
    free(req);
    return take_library_string(env, resp);
}

/* callAsync(requestJson: string, blocking: boolean): Promise<string> */
static napi_value rt_call_async(napi_env env, napi_callback_info info) {
    size_t argc = 2;
    napi_value argv[2], promise;
    core *c = open_core(env, this_box(env, info, &argc, argv));
    if (!c) return NULL;
    if (argc < 1) return throw_type(env, "request must be a string");
    bool blocking = true;
    if (argc >= 2 && napi_get_value_bool(env, argv[1], &blocking) != napi_ok) blocking = true;
    job *j = calloc(1, sizeof *j);
    if (!j) return throw_code(env, "ERR_ANNA_NOMEM", "out of memory");
    j->req = copy_js_string(env, argv[0], "request", NULL);
    if (!j->req) {
        free(j);
        return NULL;
    }
    if (napi_create_promise(env, &j->deferred, &promise) != napi_ok) {
        free(j->req);
        free(j);
        throw_napi_failure(env, "napi_create_promise");
        return NULL;
    }
    j->kind = JOB_CALL;
    j->blocking = blocking;
    j->c = c;
    pthread_mutex_lock(&c->mu);
    c->uses++;  /* cannot be the first: the JS object holds one */
    pthread_mutex_unlock(&c->mu);
    js_pending_add(env, c);
    if (pool_submit(j) != 0) {
        js_pending_sub(env, c);
        core_unuse(c, 1);
        reject_with(env, j->deferred, "ERR_ANNA_THREAD", "could not start a worker thread");
        free(j->req);
        free(j);
    }
    return promise;
}

/* hostReply(callId: bigint, gen: number, replyJson: string): boolean —
 * false when the call is no longer waiting (answered, timed out, handler
 * replaced, runtime closed). */
static napi_value rt_host_reply(napi_env env, napi_callback_info info) {
    size_t argc = 3;
    napi_value argv[3], out;
    box *b = this_box(env, info, &argc, argv);
    if (!b) return NULL;
    if (argc < 3) return throw_type(env, "hostReply(callId, gen, replyJson)");
    uint64_t id = 0;
    bool lossless = false;
    if (napi_get_value_bigint_uint64(env, argv[0], &id, &lossless) != napi_ok || !lossless)
        return throw_type(env, "callId must be a non-negative bigint");
    uint32_t gen = 0;
    if (napi_get_value_uint32(env, argv[1], &gen) != napi_ok) return throw_type(env, "gen must be a number");
    char *reply = copy_js_string(env, argv[2], "reply", NULL);
    if (!reply) return NULL;
    int rc = -1;
    /* The JS object's use keeps rt; host_gen is written on this thread only. */
    if (b->c && gen == b->c->host_gen) rc = anna_runtime_host_reply(b->c->rt, id, reply);
    free(reply);
    NODE_API_CALL(env, napi_get_boolean(env, rc == 0, &out));
    return out;
}

/* setHostHandler(enabled: boolean): installs or removes the hook; the
 * handler itself is obj._dispatchHost, looked up at each call. */
static napi_value rt_set_host_handler(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1], undef;
    core *c = open_core(env, this_box(env, info, &argc, argv));
    if (!c) return NULL;
    bool enable = false;
    if (argc >= 1 && napi_get_value_bool(env, argv[0], &enable) != napi_ok)
        return throw_type(env, "enabled must be a boolean");
    NODE_API_CALL(env, napi_get_undefined(env, &undef));
    if (!enable) {
        host_detach(c);
        return undef;
    }
    pthread_mutex_lock(&c->mu);
    int have = c->host_tsfn != NULL;
    pthread_mutex_unlock(&c->mu);
    if (have) return undef;  /* already installed; JS swaps the function */
    host_slot *s = calloc(1, sizeof *s);
    host_install *inst = calloc(1, sizeof *inst);
    if (!s || !inst) {
        free(s);
        free(inst);
        return throw_code(env, "ERR_ANNA_NOMEM", "out of memory");
    }
    s->c = c;
    inst->c = c;
    napi_value name;
    napi_threadsafe_function t;
    if (napi_create_string_utf8(env, "annaruntime.host", NAPI_AUTO_LENGTH, &name) != napi_ok ||
        napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, s, host_finalize, c, host_call_js, &t) != napi_ok) {
        free(s);
        free(inst);
        throw_napi_failure(env, "napi_create_threadsafe_function");
        return NULL;
    }
    s->t = t;
    /* Pending calls keep the process alive already (the result channel). */
    napi_unref_threadsafe_function(env, t);
    pthread_mutex_lock(&c->mu);
    c->host_tsfn = t;
    c->mem++;
    inst->gen = ++c->host_gen;
    inst->next = c->installs;
    c->installs = inst;
    pthread_mutex_unlock(&c->mu);
    anna_runtime_set_host_handler(c->rt, host_hook, inst);
    return undef;
}

/* close(): Promise<void>, resolved once the native runtime is freed. */
static napi_value rt_close(napi_env env, napi_callback_info info) {
    size_t argc = 0;
    napi_value promise;
    napi_deferred d;
    box *b = this_box(env, info, &argc, NULL);
    if (!b) return NULL;
    NODE_API_CALL(env, napi_create_promise(env, &d, &promise));
    if (!b->c) {
        napi_value u;
        napi_get_undefined(env, &u);
        napi_resolve_deferred(env, d, u);
        return promise;
    }
    core *c = b->c;
    b->c = NULL;
    core_shutdown(env, c, d);
    return promise;
}

static napi_value rt_is_closed(napi_env env, napi_callback_info info) {
    size_t argc = 0;
    napi_value out;
    box *b = this_box(env, info, &argc, NULL);
    if (!b) return NULL;
    NODE_API_CALL(env, napi_get_boolean(env, b->c == NULL, &out));
    return out;
}

typedef char *(*token_fn)(anna_runtime *, const char *);

static napi_value token_call(napi_env env, anna_runtime *rt, napi_value arg, token_fn fn) {
    char *params = copy_js_string(env, arg, "params", NULL);
    if (!params) return NULL;
    char *r = fn(rt, params);
    free(params);
    return take_library_string(env, r);
}

/* mintDevToken(paramsJson) / verifyDevToken(paramsJson): string */
static napi_value rt_mint(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1];
    core *c = open_core(env, this_box(env, info, &argc, argv));
    if (!c) return NULL;
    if (argc < 1) return throw_type(env, "params must be a string");
    return token_call(env, c->rt, argv[0], anna_dev_token_mint);
}

static napi_value rt_verify(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1];
    core *c = open_core(env, this_box(env, info, &argc, argv));
    if (!c) return NULL;
    if (argc < 1) return throw_type(env, "params must be a string");
    return token_call(env, c->rt, argv[0], anna_dev_token_verify);
}

/* ---- module functions --------------------------------------------------- */

static napi_value mod_mint(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1];
    NODE_API_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    if (argc < 1) return throw_type(env, "params must be a string");
    return token_call(env, NULL, argv[0], anna_dev_token_mint);
}

static napi_value mod_verify(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1];
    NODE_API_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    if (argc < 1) return throw_type(env, "params must be a string");
    return token_call(env, NULL, argv[0], anna_dev_token_verify);
}

static napi_value set_int(napi_env env, napi_value obj, const char *key, int v) {
    napi_value n;
    NODE_API_CALL(env, napi_create_int32(env, v, &n));
    NODE_API_CALL(env, napi_set_named_property(env, obj, key, n));
    return obj;
}

/* stats(): counters for tests and diagnostics. */
static napi_value mod_stats(napi_env env, napi_callback_info info) {
    (void)info;
    napi_value o;
    NODE_API_CALL(env, napi_create_object(env, &o));
    pthread_mutex_lock(&pool_mu);
    int threads = pool_threads, idle = pool_idle, queued = pool_queued, blocking = pool_blocking;
    pthread_mutex_unlock(&pool_mu);
    if (!set_int(env, o, "liveRuntimes", __atomic_load_n(&g_live_runtimes, __ATOMIC_SEQ_CST))) return NULL;
    if (!set_int(env, o, "poolThreads", threads)) return NULL;
    if (!set_int(env, o, "poolIdle", idle)) return NULL;
    if (!set_int(env, o, "poolQueued", queued)) return NULL;
    if (!set_int(env, o, "poolBlocking", blocking)) return NULL;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    /* Bytes malloc has handed out and not taken back (leak tests). */
    struct mallinfo2 mi = mallinfo2();
    napi_value n;
    NODE_API_CALL(env, napi_create_double(env, (double)mi.uordblks, &n));
    NODE_API_CALL(env, napi_set_named_property(env, o, "mallocInUse", n));
#endif
    return o;
}

static napi_value export_string(napi_env env, napi_value exports, const char *key, const char *value) {
    napi_value v;
    NODE_API_CALL(env, napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v));
    NODE_API_CALL(env, napi_set_named_property(env, exports, key, v));
    return exports;
}

/* "a.b.c" -> a*1000+b; the header and the library must agree on major.minor. */
static long major_minor(const char *v) {
    char *end;
    long major = strtol(v, &end, 10);
    long minor = (*end == '.') ? strtol(end + 1, NULL, 10) : 0;
    return major * 1000 + minor;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
    const char *lib = anna_runtime_version();
    if (major_minor(lib) != major_minor(ANNA_RUNTIME_VERSION)) {
        char msg[160];
        snprintf(msg, sizeof msg, "libannaruntime %s does not match the addon's header %s", lib, ANNA_RUNTIME_VERSION);
        napi_throw_error(env, "ERR_ANNA_VERSION", msg);
        return NULL;
    }
    napi_property_descriptor methods[] = {
        {"callSync", NULL, rt_call_sync, NULL, NULL, NULL, napi_default_method, NULL},
        {"callAsync", NULL, rt_call_async, NULL, NULL, NULL, napi_default_method, NULL},
        {"hostReply", NULL, rt_host_reply, NULL, NULL, NULL, napi_default_method, NULL},
        {"setHostHandler", NULL, rt_set_host_handler, NULL, NULL, NULL, napi_default_method, NULL},
        {"close", NULL, rt_close, NULL, NULL, NULL, napi_default_method, NULL},
        {"isClosed", NULL, rt_is_closed, NULL, NULL, NULL, napi_default_method, NULL},
        {"mintDevToken", NULL, rt_mint, NULL, NULL, NULL, napi_default_method, NULL},
        {"verifyDevToken", NULL, rt_verify, NULL, NULL, NULL, napi_default_method, NULL},
    };
    napi_value cls;
    NODE_API_CALL(env, napi_define_class(env, "NativeRuntime", NAPI_AUTO_LENGTH, rt_new, NULL,
                                         sizeof methods / sizeof methods[0], methods, &cls));
    NODE_API_CALL(env, napi_set_named_property(env, exports, "NativeRuntime", cls));
    napi_property_descriptor fns[] = {
        {"mintDevToken", NULL, mod_mint, NULL, NULL, NULL, napi_enumerable, NULL},
        {"verifyDevToken", NULL, mod_verify, NULL, NULL, NULL, napi_enumerable, NULL},
        {"stats", NULL, mod_stats, NULL, NULL, NULL, napi_enumerable, NULL},
    };
    NODE_API_CALL(env, napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns));
    if (!export_string(env, exports, "version", lib)) return NULL;
    if (!export_string(env, exports, "dispatcherVersion", anna_dispatcher_version())) return NULL;
    if (!export_string(env, exports, "headerVersion", ANNA_RUNTIME_VERSION)) return NULL;
    return exports;
}
