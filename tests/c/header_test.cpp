// header_test.cpp — annaruntime.h compiles as C++17 (-Wall -Wextra -pedantic
// -Werror), inside extern "C", and every declaration has C linkage and the
// documented type.
#include "annaruntime.h"

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace {

void handler(void *userdata, std::uint64_t call_id, const char *method, const char *params_json) {
    (void)userdata;
    (void)call_id;
    (void)method;
    (void)params_json;
}

static_assert(std::is_same<decltype(&anna_runtime_version), const char *(*)()>::value, "anna_runtime_version");
static_assert(std::is_same<decltype(&anna_dispatcher_version), const char *(*)()>::value, "anna_dispatcher_version");
static_assert(std::is_same<decltype(&anna_runtime_new), anna_runtime *(*)(const char *, char **)>::value, "anna_runtime_new");
static_assert(std::is_same<decltype(&anna_runtime_free), void (*)(anna_runtime *)>::value, "anna_runtime_free");
static_assert(std::is_same<decltype(&anna_runtime_call), char *(*)(anna_runtime *, const char *)>::value, "anna_runtime_call");
static_assert(std::is_same<decltype(&anna_dev_token_mint), char *(*)(anna_runtime *, const char *)>::value, "anna_dev_token_mint");
static_assert(std::is_same<decltype(&anna_dev_token_verify), char *(*)(anna_runtime *, const char *)>::value, "anna_dev_token_verify");
static_assert(std::is_same<decltype(&anna_runtime_set_host_handler), int (*)(anna_runtime *, anna_host_call_fn, void *)>::value,
              "anna_runtime_set_host_handler");
static_assert(std::is_same<decltype(&anna_runtime_host_reply), int (*)(anna_runtime *, std::uint64_t, const char *)>::value,
              "anna_runtime_host_reply");
static_assert(std::is_same<decltype(&anna_string_free), void (*)(char *)>::value, "anna_string_free");
static_assert(std::is_same<anna_host_call_fn, void (*)(void *, std::uint64_t, const char *, const char *)>::value, "anna_host_call_fn");
static_assert(ANNA_RUNTIME_VERSION_MAJOR >= 0 && ANNA_RUNTIME_VERSION_MINOR >= 0 && ANNA_RUNTIME_VERSION_PATCH >= 0, "version macros");
static_assert(sizeof(ANNA_RUNTIME_VERSION) > 1, "version string");
static_assert(sizeof(ANNA_DISPATCHER_VERSION) == sizeof("0.30.0"), "dispatcher version");

}  // namespace

// Referencing every function keeps the test honest if a declaration is removed.
struct AnnaHeaderApi {
    decltype(&anna_runtime_version) runtime_version;
    decltype(&anna_dispatcher_version) dispatcher_version;
    decltype(&anna_runtime_new) runtime_new;
    decltype(&anna_runtime_free) runtime_free;
    decltype(&anna_runtime_call) runtime_call;
    decltype(&anna_dev_token_mint) dev_token_mint;
    decltype(&anna_dev_token_verify) dev_token_verify;
    decltype(&anna_runtime_set_host_handler) set_host_handler;
    decltype(&anna_runtime_host_reply) host_reply;
    decltype(&anna_string_free) string_free;
    anna_host_call_fn fn;
};

extern const AnnaHeaderApi anna_header_cxx_api;
const AnnaHeaderApi anna_header_cxx_api = {
    &anna_runtime_version,  &anna_dispatcher_version,      &anna_runtime_new,        &anna_runtime_free,
    &anna_runtime_call,     &anna_dev_token_mint,          &anna_dev_token_verify,   &anna_runtime_set_host_handler,
    &anna_runtime_host_reply, &anna_string_free,           &handler,
};
