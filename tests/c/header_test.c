/* header_test.c — annaruntime.h compiles as strict C11 (-Wall -Wextra
 * -pedantic -Werror) and every declaration is usable: each function is
 * referenced with its exact type, the macros expand to the right kinds. */
#include "annaruntime.h"

#include <stddef.h>
#include <stdint.h>

static void handler(void *userdata, uint64_t call_id, const char *method, const char *params_json) {
    (void)userdata;
    (void)call_id;
    (void)method;
    (void)params_json;
}

struct anna_header_api {
    const char *(*runtime_version)(void);
    const char *(*dispatcher_version)(void);
    anna_runtime *(*runtime_new)(const char *, char **);
    void (*runtime_free)(anna_runtime *);
    char *(*runtime_call)(anna_runtime *, const char *);
    char *(*dev_token_mint)(anna_runtime *, const char *);
    char *(*dev_token_verify)(anna_runtime *, const char *);
    int (*set_host_handler)(anna_runtime *, anna_host_call_fn, void *);
    int (*host_reply)(anna_runtime *, uint64_t, const char *);
    void (*string_free)(char *);
    anna_host_call_fn fn;
};

const struct anna_header_api anna_header_api_table = {
    anna_runtime_version,
    anna_dispatcher_version,
    anna_runtime_new,
    anna_runtime_free,
    anna_runtime_call,
    anna_dev_token_mint,
    anna_dev_token_verify,
    anna_runtime_set_host_handler,
    anna_runtime_host_reply,
    anna_string_free,
    handler,
};

/* Version macros: integers and string literals. */
const int anna_header_version_parts[3] = {ANNA_RUNTIME_VERSION_MAJOR, ANNA_RUNTIME_VERSION_MINOR, ANNA_RUNTIME_VERSION_PATCH};
const char anna_header_version[] = ANNA_RUNTIME_VERSION;
const char anna_header_dispatcher_version[] = ANNA_DISPATCHER_VERSION;
_Static_assert(ANNA_RUNTIME_VERSION_MAJOR >= 0, "major is an integer constant");
_Static_assert(sizeof(ANNA_DISPATCHER_VERSION) == sizeof("0.30.0"), "dispatcher version is 0.30.0");

/* The handle is opaque: only pointers to it exist. */
size_t anna_header_handle_pointer_size(anna_runtime *rt);
size_t anna_header_handle_pointer_size(anna_runtime *rt) { return sizeof rt; }
