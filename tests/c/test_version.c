/* test_version — version functions, and the library loads by path with
 * dlopen(RTLD_NOW) (every C symbol resolves, no Swift toolchain needed:
 * the check that no libswift* is a dependency is scripts/check-exports.sh). */
#define _GNU_SOURCE
#include "anna_test.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const symbols[] = {
    "anna_runtime_version", "anna_dispatcher_version", "anna_runtime_new",     "anna_runtime_free",
    "anna_runtime_call",    "anna_dev_token_mint",     "anna_dev_token_verify", "anna_runtime_set_host_handler",
    "anna_runtime_host_reply", "anna_string_free",
};

int main(void) {
    at_init("test_version");

    RULE("header: anna_runtime_version");
    const char *v = anna_runtime_version();
    CHECK_STR(v, ANNA_RUNTIME_VERSION);
    CHECK(anna_runtime_version() == v); /* static, stable */
    char expect[64];
    snprintf(expect, sizeof expect, "%d.%d.%d", ANNA_RUNTIME_VERSION_MAJOR, ANNA_RUNTIME_VERSION_MINOR,
             ANNA_RUNTIME_VERSION_PATCH);
    CHECK_STR(v, expect);

    RULE("header: anna_dispatcher_version / SB-VER-1");
    CHECK_STR(anna_dispatcher_version(), "0.30.0");
    CHECK_STR(anna_dispatcher_version(), ANNA_DISPATCHER_VERSION);

    RULE("loading: dlopen by path, RTLD_NOW");
    const char *lib = getenv("ANNA_LIB");
#ifdef ANNA_LIB_PATH
    if (!lib || !*lib) lib = ANNA_LIB_PATH;
#endif
    if (!CHECK(lib != NULL && *lib)) {
        fprintf(stderr, "set ANNA_LIB to the path of libannaruntime.so\n");
        return at_finish();
    }
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!CHECK(h != NULL)) {
        fprintf(stderr, "    dlopen(%s): %s\n", lib, dlerror());
        return at_finish();
    }
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        void *sym = dlsym(h, symbols[i]);
        if (!CHECK(sym != NULL)) fprintf(stderr, "    missing symbol %s\n", symbols[i]);
    }
    /* Swift's own symbols stay local (linker version script). */
    CHECK(dlsym(h, "swift_retain") == NULL);
    CHECK(dlsym(h, "$s10AnnaRuntime") == NULL);

    const char *(*ver)(void) = NULL;
    const char *(*dver)(void) = NULL;
    *(void **)&ver = dlsym(h, "anna_runtime_version");
    *(void **)&dver = dlsym(h, "anna_dispatcher_version");
    if (ver) CHECK_STR(ver(), ANNA_RUNTIME_VERSION);
    if (dver) CHECK_STR(dver(), ANNA_DISPATCHER_VERSION);

    /* A full round trip through the dlopen'ed copy. */
    anna_runtime *(*rt_new)(const char *, char **) = NULL;
    void (*rt_free)(anna_runtime *) = NULL;
    char *(*rt_call)(anna_runtime *, const char *) = NULL;
    void (*sfree)(char *) = NULL;
    *(void **)&rt_new = dlsym(h, "anna_runtime_new");
    *(void **)&rt_free = dlsym(h, "anna_runtime_free");
    *(void **)&rt_call = dlsym(h, "anna_runtime_call");
    *(void **)&sfree = dlsym(h, "anna_string_free");
    if (rt_new && rt_free && rt_call && sfree) {
        char *cfg = at_fmt("{\"dev_key_path\": \"%s\"}", at_tmppath("dl.key"));
        char *err = NULL;
        anna_runtime *rt = rt_new(cfg, &err);
        CHECK(rt != NULL);
        CHECK(err == NULL);
        if (rt) {
            char *r = rt_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
            CHECK_STR(r, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"pong\": true}}");
            sfree(r);
            rt_free(rt);
        }
        sfree(err);
    }
    /* The library is linked into this program too; dlclose only drops our
     * reference. */
    CHECK(dlclose(h) == 0);
    return at_finish();
}
