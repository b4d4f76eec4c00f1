/* test_storage — storage.set/get/delete/list (04 §10 D-STORAGE-*, 03 §4.4
 * ACL-STORE-*, 05 §6 ST-RS-*, 11 §6 etag/size vectors, J-DEC-*), the Python
 * JSON rendering of stored values, and runtime_state_synced events. */
#define _GNU_SOURCE
#include "anna_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITEM(key, etag, size) \
    "{\"key\": \"" key "\", \"etag\": \"W/\\\"1-" etag "\\\"\", \"size_bytes\": " size ", \"metadata\": null, \"tags\": null, \"updated_at\": null}"
#define ITEM1(key) ITEM(key, "f6fc42039fba3776", "1") /* value 1 */

static anna_runtime *rt;

static const char *new_session(const char *manifest, const char *extra) {
    at_session s;
    if (at_session_create(rt, manifest, extra, &s) != 0) return "sess-none";
    return s.session_id;
}

static char *window_of(const char *resp) {
    const char *w = json_string_value(json_object_get(json_object_get(at_json(resp), "result"), "window_uuid"));
    return w ? at_fmt("%s", w) : NULL;
}

#define SET(sid, key_json, value_json) \
    CHECK_SCALL(rt, sid, "storage", "set", at_fmt("{\"key\":%s,\"value\":%s}", key_json, value_json), "{\"ok\": true}")
#define GET(sid, key_json, expected_value) \
    CHECK_SCALL(rt, sid, "storage", "get", at_fmt("{\"key\":%s}", key_json), at_fmt("{\"value\": %s}", expected_value))
#define LIST(sid, args, items, next) \
    CHECK_SCALL(rt, sid, "storage", "list", args, "{\"items\": [" items "], \"next_cursor\": " next "}")

/* One etag/size vector of 11 §6: store `input` under "v", read it back as
 * `rendered`, list it with `etag` and `size`. */
static void vector(const char *sid, const char *input, const char *rendered, const char *etag, int size, int line) {
    char what[64];
    snprintf(what, sizeof what, "vector at line %d", line);
    at_check_str(at_scall(rt, sid, "storage", "set", at_fmt("{\"key\":\"v\",\"value\":%s}", input)), at_ok("{\"ok\": true}"),
                 __FILE__, line, what);
    at_check_str(at_scall(rt, sid, "storage", "get", "{\"key\":\"v\"}"), at_ok(at_fmt("{\"value\": %s}", rendered)),
                 __FILE__, line, what);
    at_check_str(at_scall(rt, sid, "storage", "list", "{\"prefix\":\"v\"}"),
                 at_ok(at_fmt("{\"items\": [{\"key\": \"v\", \"etag\": \"W/\\\"1-%s\\\"\", \"size_bytes\": %d, \"metadata\": null, "
                              "\"tags\": null, \"updated_at\": null}], \"next_cursor\": null}",
                              etag, size)),
                 __FILE__, line, what);
}
#define VECTOR(sid, input, rendered, etag, size) vector((sid), (input), (rendered), (etag), (size), __LINE__)

int main(void) {
    at_init("test_storage");
    rt = at_runtime_new(NULL);
    const char *M = at_manifest_with_host_api("{\"storage\":[\"*\"]}");

    /* ---- basic get/set/delete ------------------------------------------- */
    const char *s = new_session(M, NULL);
    RULE("D-STORAGE-3");
    GET(s, "\"k\"", "null");
    RULE("D-STORAGE-4/6");
    SET(s, "\"k\"", "{\"a\":[1,2]}");
    GET(s, "\"k\"", "{\"a\": [1, 2]}");
    RULE("D-STORAGE-4: value absent -> null stored");
    CHECK_SCALL(rt, s, "storage", "set", "{\"key\":\"nv\"}", "{\"ok\": true}");
    LIST(s, "{\"prefix\":\"nv\"}", ITEM("nv", "7376b2cbfa0ad26e", "4"), "null");
    RULE("D-STORAGE-7");
    CHECK_SCALL(rt, s, "storage", "delete", "{\"key\":\"k\"}", "{\"ok\": true}");
    GET(s, "\"k\"", "null");
    CHECK_SCALL(rt, s, "storage", "delete", "{\"key\":\"never-set\"}", "{\"ok\": true}");
    RULE("D-STORAGE-2: key required");
    CHECK_SCALL_ERR(rt, s, "storage", "get", "{}", "invalid_arg", "key required");
    CHECK_SCALL_ERR(rt, s, "storage", "set", "{\"value\":1}", "invalid_arg", "key required");
    CHECK_SCALL_ERR(rt, s, "storage", "delete", "{\"key\":\"\"}", "invalid_arg", "key required");
    CHECK_SCALL_ERR(rt, s, "storage", "get", NULL, "invalid_arg", "key required");
    RULE("D-STORAGE-2: non-string keys are str()-ed");
    {
        const char *k = new_session(M, NULL);
        SET(k, "null", "1");
        SET(k, "0", "2");
        SET(k, "false", "3");
        SET(k, "1.5", "4");
        SET(k, "{\"a\":1}", "5");
        SET(k, "\" \"", "6");
        SET(k, "true", "7");
        SET(k, "[1,\"x\"]", "8");
        GET(k, "\"None\"", "1");
        GET(k, "\"0\"", "2");
        GET(k, "\"False\"", "3");
        GET(k, "\"1.5\"", "4");
        GET(k, "\"{'a': 1}\"", "5");
        GET(k, "\" \"", "6");
        GET(k, "\"True\"", "7");
        GET(k, "\"[1, 'x']\"", "8");
        GET(k, "0", "2");
        CHECK_SCALL(rt, k, "storage", "list", "{}",
                    "{\"items\": [" ITEM(" ", "1b3d182df7f1004c", "1") ", " ITEM("0", "1bf41ef6fd6f6f6c", "1") ", "
                    ITEM("1.5", "711d7b067f3018b6", "1") ", " ITEM("False", "9e251905a6d98e01", "1") ", "
                    ITEM("None", "f6fc42039fba3776", "1") ", " ITEM("True", "e75017cace788f82", "1") ", "
                    ITEM("[1, 'x']", "a3382767cbd236fa", "1") ", " ITEM("{'a': 1}", "8b54089fee8d99a0", "1")
                    "], \"next_cursor\": null}");
    }

    /* ---- list (D-STORAGE-8..10, 14) -------------------------------------- */
    RULE("D-STORAGE-14");
    const char *L = new_session(M, NULL);
    const char *keys[] = {"\"b\"", "\"a\"", "\"c\"", "\"ab\"", "\"B\"", "\"\xc3\xa9\"", "\"z\"", "\"\xf0\x9f\x98\x80\"", "\"\xef\xbd\x9e\""};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) SET(L, keys[i], "1");
#define I_B ITEM1("B")
#define I_a ITEM1("a")
#define I_ab ITEM1("ab")
#define I_b ITEM1("b")
#define I_c ITEM1("c")
#define I_z ITEM1("z")
#define I_e ITEM1("\\u00e9")
#define I_w ITEM1("\\uff5e")
#define I_s ITEM1("\\ud83d\\ude00")
    LIST(L, "{}", I_B ", " I_a ", " I_ab ", " I_b ", " I_c ", " I_z ", " I_e ", " I_w ", " I_s, "null");
    LIST(L, "{\"limit\":2}", I_B ", " I_a, "\"a\"");
    LIST(L, "{\"limit\":2,\"cursor\":\"ab\"}", I_b ", " I_c, "\"c\"");
    LIST(L, "{\"prefix\":\"a\",\"limit\":1}", I_a, "\"a\"");
    LIST(L, "{\"cursor\":\"z\"}", I_e ", " I_w ", " I_s, "null");
    LIST(L, "{\"limit\":8}", I_B ", " I_a ", " I_ab ", " I_b ", " I_c ", " I_z ", " I_e ", " I_w, "\"\\uff5e\"");
    LIST(L, "{\"limit\":9}", I_B ", " I_a ", " I_ab ", " I_b ", " I_c ", " I_z ", " I_e ", " I_w ", " I_s, "null");
    RULE("D-STORAGE-10: paging with next_cursor");
    LIST(L, "{\"limit\":4,\"cursor\":\"a\"}", I_ab ", " I_b ", " I_c ", " I_z, "\"z\"");
    LIST(L, "{\"limit\":4,\"cursor\":\"z\"}", I_e ", " I_w ", " I_s, "null");
    LIST(L, "{\"cursor\":\"\\ud83d\\ude00\"}", "", "null");
    LIST(L, "{\"prefix\":\"zz\"}", "", "null");
    LIST(L, "{\"prefix\":\"a\",\"cursor\":\"a\"}", I_ab, "null");
    RULE("D-STORAGE-8: prefix/cursor falsy, prefix str()-ed, limit int()");
    LIST(L, "{\"prefix\":\"\",\"cursor\":\"\",\"limit\":\"2\"}", I_B ", " I_a, "\"a\"");
    LIST(L, "{\"prefix\":0,\"cursor\":null,\"limit\":2.9}", I_B ", " I_a, "\"a\"");
    LIST(L, "{\"limit\":true}", I_B, "\"B\"");
    LIST(L, "{\"limit\":\" 2 \"}", I_B ", " I_a, "\"a\"");
    RULE("D-STORAGE-9");
    CHECK_SCALL_ERR(rt, L, "storage", "list", "{\"limit\":0}", "invalid_arg", "limit must be in (0, 1000]");
    CHECK_SCALL_ERR(rt, L, "storage", "list", "{\"limit\":-1}", "invalid_arg", "limit must be in (0, 1000]");
    CHECK_SCALL_ERR(rt, L, "storage", "list", "{\"limit\":1001}", "invalid_arg", "limit must be in (0, 1000]");
    CHECK_SCALL(rt, L, "storage", "list", "{\"limit\":1000,\"prefix\":\"B\"}", "{\"items\": [" I_B "], \"next_cursor\": null}");
    CHECK_SCALL_ERR(rt, L, "storage", "list", "{\"limit\":null}", "invalid_arg", "limit must be int");
    CHECK_SCALL_ERR(rt, L, "storage", "list", "{\"limit\":\"x\"}", "invalid_arg", "limit must be int");
    CHECK_SCALL_ERR(rt, L, "storage", "list", "{\"limit\":[1]}", "invalid_arg", "limit must be int");
    CHECK_SCALL_ERR(rt, L, "storage", "list", "{\"limit\":NaN}", "invalid_arg", "limit must be int");
    CHECK_SCALL_ERR(rt, L, "storage", "list", "{\"limit\":\"2.5\"}", "invalid_arg", "limit must be int");
    CHECK_SCALL_ERR(rt, L, "storage", "list", "{\"limit\":Infinity}", "internal",
                    "handler crashed: cannot convert float infinity to integer");
    RULE("J-STRIP-1 / J-INT-2 (13-errata)");
    CHECK_SCALL_ERR(rt, L, "storage", "list", "{\"limit\":\"\\u001c5\\u001f\"}", "invalid_arg", "limit must be int");
    LIST(L, "{\"limit\":\" \\u3000 1\\u3000\"}", I_B, "\"B\"");

    RULE("J-ORDER-1: keys compared by code point, no normalisation");
    {
        const char *n = new_session(M, NULL);
        SET(n, "\"\xc3\xa9\"", "1");
        SET(n, "\"e\\u0301\"", "2");
        GET(n, "\"\xc3\xa9\"", "1");
        GET(n, "\"e\xcc\x81\"", "2");
        LIST(n, "{}", ITEM("e\\u0301", "1bf41ef6fd6f6f6c", "1") ", " ITEM1("\\u00e9"), "null");
    }

    /* ---- etag and size vectors (11 §6) ------------------------------------ */
    RULE("D-STORAGE-11/12, J-ETAG-1, J-SIZE-2: 11 §6 vectors");
    {
        const char *v = new_session(M, NULL);
        VECTOR(v, "null", "null", "7376b2cbfa0ad26e", 4);
        VECTOR(v, "true", "true", "f56975c80364f63f", 4);
        VECTOR(v, "false", "false", "8cb95ad818059778", 5);
        VECTOR(v, "0", "0", "842b7d9d43cddf75", 1);
        VECTOR(v, "1", "1", "f6fc42039fba3776", 1);
        VECTOR(v, "-1", "-1", "1f5738ea708b00e6", 2);
        VECTOR(v, "1.0", "1.0", "bec9a06d1c986b42", 3);
        VECTOR(v, "0.5", "0.5", "23d7c4ddf8924c03", 3);
        VECTOR(v, "1e16", "1e+16", "729c98dbe5709e08", 5);
        VECTOR(v, "1e-5", "1e-05", "49b4abe93b131554", 5);
        VECTOR(v, "0.0001", "0.0001", "c45f670fd1c686f9", 6);
        VECTOR(v, "1.5e300", "1.5e+300", "d52a3c25dafe6778", 8);
        VECTOR(v, "NaN", "NaN", "c0430650c0f06ec3", 3);
        VECTOR(v, "Infinity", "Infinity", "54a9a2b037ada0bc", 8);
        VECTOR(v, "-Infinity", "-Infinity", "0edf5272af71423f", 9);
        VECTOR(v, "-0.0", "-0.0", "a3472e6653d0cdfa", 4);
        VECTOR(v, "123456789012345678901234567890", "123456789012345678901234567890", "2bd40ed37369884b", 30);
        VECTOR(v, "9007199254740993", "9007199254740993", "034628c6a11e9370", 16);
        VECTOR(v, "0.30000000000000004", "0.30000000000000004", "ebc1c5bdefa69186", 19);
        VECTOR(v, "123456789.123456789", "123456789.12345679", "90b4e2c76100e0a7", 18);
        VECTOR(v, "100.0", "100.0", "745e9e15c98b77e2", 5);
        VECTOR(v, "5e-324", "5e-324", "a873fe483ccf275a", 6);
        VECTOR(v, "\"\"", "\"\"", "fbcad3b4d0be6c48", 2);
        VECTOR(v, "\"a\"", "\"a\"", "167004e8304614a8", 3);
        VECTOR(v, "\"\xc3\xa9\"", "\"\\u00e9\"", "eb3e65575ac0e515", 8);
        VECTOR(v, "\"\xf0\x9f\x98\x80\"", "\"\\ud83d\\ude00\"", "f4711f047a984537", 14);
        VECTOR(v, "\"\\u2028\"", "\"\\u2028\"", "859a50aa66d6ca51", 8);
        VECTOR(v, "\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\"", "\"\\u65e5\\u672c\\u8a9e\"", "1efba96797ddb90d", 20);
        VECTOR(v, "\"a\\\"b\\\\c\\n\\t\\u0000\\u001f\\u007f\"", "\"a\\\"b\\\\c\\n\\t\\u0000\\u001f\\u007f\"", "e122e42fd6d1a85b", 31);
        VECTOR(v, "[]", "[]", "71857576257465c7", 2);
        VECTOR(v, "{}", "{}", "01e7b720ff566d53", 2);
        VECTOR(v, "[1,2,3]", "[1, 2, 3]", "d22fbb01112e9357", 9);
        VECTOR(v, "[1,2.5,null]", "[1, 2.5, null]", "a044427cb4821428", 14);
        VECTOR(v, "{\"b\":1,\"a\":2}", "{\"b\": 1, \"a\": 2}", "330591db021132d1", 16);
        VECTOR(v, "{\"k\":\"\xc3\xa9\"}", "{\"k\": \"\\u00e9\"}", "e6e3388677ff6adb", 15);
        VECTOR(v, "{\"z\":1,\"a\":[true,false]}", "{\"z\": 1, \"a\": [true, false]}", "dc03906db2be8c87", 28);
        VECTOR(v, "{\"a\":{\"d\":1,\"c\":[1,{\"z\":0,\"y\":1}]}}", "{\"a\": {\"d\": 1, \"c\": [1, {\"z\": 0, \"y\": 1}]}}",
               "63153c2955b2cfad", 43);

        RULE("BR-JSON-3 / J-DEC-*: Python json.loads round trips");
        VECTOR(v, "1e400", "Infinity", "54a9a2b037ada0bc", 8);
        VECTOR(v, "-1e400", "-Infinity", "0edf5272af71423f", 9);
        VECTOR(v, "1.50", "1.5", "7a148f2c63572d35", 3);
        VECTOR(v, "-0", "0", "842b7d9d43cddf75", 1);
        VECTOR(v, "1E2", "100.0", "745e9e15c98b77e2", 5);
        VECTOR(v, "0.1e1", "1.0", "bec9a06d1c986b42", 3);
        VECTOR(v, "{\"a\":1,\"b\":2,\"a\":3}", "{\"a\": 3, \"b\": 2}", "5678b74de6f4296f", 16);
        VECTOR(v, "\"\\ud800\"", "\"\\ud800\"", "69aff8d3db26e731", 8);
        VECTOR(v, "\"e\\u0301\"", "\"e\\u0301\"", "13d4793495d34771", 9);
        VECTOR(v, "\"\\/\"", "\"/\"", "c2feaf2c53a98ffd", 3);
        VECTOR(v, "{\"\":null}", "{\"\": null}", "2b6ebb27296386c8", 10);
        VECTOR(v, "\"\\ud83d\\ude00\"", "\"\\ud83d\\ude00\"", "f4711f047a984537", 14);

        RULE("11 §6: end-to-end bridge example");
        VECTOR(v,
               "{\"s\":\"\xc3\xa9\xf0\x9f\x98\x80\",\"f\":1E2,\"g\":1e16,\"h\":0.00001,\"n\":NaN,\"i\":-Infinity,\"z\":-0,"
               "\"big\":123456789012345678901234567890,\"dup\":1,\"dup\":2}",
               "{\"s\": \"\\u00e9\\ud83d\\ude00\", \"f\": 100.0, \"g\": 1e+16, \"h\": 1e-05, \"n\": NaN, \"i\": -Infinity, "
               "\"z\": 0, \"big\": 123456789012345678901234567890, \"dup\": 2}",
               "5724d2a9911a0267", 146);
    }

    /* ---- the 262144-byte cap ----------------------------------------------- */
    RULE("D-STORAGE-5 / ST-RS-3: size guard boundary");
    {
        const char *c = new_session(M, NULL);
        at_drain(rt, c);
        char *x262135 = at_repeat("x", 262135);
        char *x262136 = at_repeat("x", 262136);
        SET(c, "\"k\"", at_fmt("\"%s\"", x262135));
        CHECK_SCALL_ERR(rt, c, "storage", "set", at_fmt("{\"key\":\"k\",\"value\":\"%s\"}", x262136), "too_large",
                        "runtime_state exceeds 262144 bytes (got 262145)");
        RULE("D-STORAGE-5: a refused set changes nothing and emits no event");
        GET(c, "\"k\"", at_fmt("\"%s\"", x262135));
        {
            char *ev = at_drain(rt, c);
            json_t *events = json_object_get(json_object_get(at_json(ev), "result"), "events");
            CHECK_INT(json_array_size(events), 1);
        }
        CHECK_SCALL_ERR(rt, c, "storage", "set", "{\"key\":\"k2\",\"value\":1}", "too_large",
                        "runtime_state exceeds 262144 bytes (got 262153)");
        CHECK_SCALL(rt, c, "storage", "delete", "{\"key\":\"k\"}", "{\"ok\": true}");
        RULE("J-SIZE-1: non-ASCII counts escaped (6 bytes per BMP code point)");
        SET(c, "\"k\"", at_fmt("\"%s\"", at_repeat("\xc3\xa9", 43689)));
        CHECK_SCALL_ERR(rt, c, "storage", "set", at_fmt("{\"key\":\"k\",\"value\":\"%s\"}", at_repeat("\xc3\xa9", 43690)),
                        "too_large", "runtime_state exceeds 262144 bytes (got 262149)");
        at_drain(rt, c);
    }
    RULE("D-STORAGE-13: delete under an oversized initial runtime_state -> invalid_arg");
    {
        char *big = at_repeat("x", 262200);
        char *r = at_callf(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.create\",\"params\":{\"manifest\":%s,"
                               "\"runtime_state\":{\"big\":\"%s\",\"small\":1}}}",
                           M, big);
        const char *sid = json_string_value(json_object_get(json_object_get(at_json(r), "result"), "session_id"));
        CHECK(sid != NULL);
        if (sid) {
            sid = at_fmt("%s", sid);
            /* {"big": "<262200 x>"} = 262211 bytes */
            CHECK_SCALL_ERR(rt, sid, "storage", "delete", "{\"key\":\"small\"}", "invalid_arg",
                            "runtime_state exceeds 262144 bytes (got 262211)");
            GET(sid, "\"small\"", "1");
            /* {"big": "...", "small": 1, "c": 1} = 262211 + 11 + 8 */
            CHECK_SCALL_ERR(rt, sid, "storage", "set", "{\"key\":\"c\",\"value\":1}", "too_large",
                            "runtime_state exceeds 262144 bytes (got 262231)");
            RULE("D-STORAGE-13: get/list unaffected");
            LIST(sid, "{\"prefix\":\"s\"}", ITEM1("small"), "null");
            RULE("D-STORAGE-13: a delete that brings it under the cap works");
            CHECK_SCALL(rt, sid, "storage", "delete", "{\"key\":\"big\"}", "{\"ok\": true}");
            GET(sid, "\"big\"", "null");
        }
    }

    /* ---- scope / owner (ACL-STORE-*) ---------------------------------------- */
    RULE("ACL-STORE-2");
    CHECK_SCALL_ERR(rt, s, "storage", "get", "{\"scope\":\"bad\"}", "invalid_arg", "scope must be user|app|tool, got 'bad'");
    CHECK_SCALL_ERR(rt, s, "storage", "get", "{\"scope\":\"USER\",\"key\":\"k\"}", "invalid_arg",
                    "scope must be user|app|tool, got 'USER'");
    CHECK_SCALL_ERR(rt, s, "storage", "set", "{\"scope\":5}", "invalid_arg", "scope must be user|app|tool, got 5");
    CHECK_SCALL_ERR(rt, s, "storage", "list", "{\"scope\":[\"x\"]}", "invalid_arg", "scope must be user|app|tool, got ['x']");
    CHECK_SCALL_ERR(rt, s, "storage", "delete", "{\"scope\":true}", "invalid_arg", "scope must be user|app|tool, got True");
    RULE("ACL-STORE-1: falsy scope means app");
    GET(s, "\"nv\"", "null");
    CHECK_SCALL(rt, s, "storage", "get", "{\"scope\":\"\",\"key\":\"nv\"}", "{\"value\": null}");
    CHECK_SCALL(rt, s, "storage", "get", "{\"scope\":0,\"key\":\"nv\"}", "{\"value\": null}");
    CHECK_SCALL(rt, s, "storage", "get", "{\"scope\":null,\"key\":\"nv\",\"owner\":\"self\"}", "{\"value\": null}");
    RULE("ACL-STORE-6/7: permission_denied before key validation");
    CHECK_SCALL_ERR(rt, s, "storage", "get", "{\"scope\":\"user\"}", "permission_denied",
                    "manifest does not declare 'aps.scope.user.read'");
    CHECK_SCALL_ERR(rt, s, "storage", "set", "{\"scope\":\"user\",\"key\":\"k\",\"value\":1}", "permission_denied",
                    "manifest does not declare 'aps.scope.user.write'");
    CHECK_SCALL_ERR(rt, s, "storage", "delete", "{\"scope\":\"tool\",\"key\":\"k\"}", "permission_denied",
                    "manifest does not declare 'aps.scope.tool.write'");
    CHECK_SCALL_ERR(rt, s, "storage", "list", "{\"scope\":\"tool\"}", "permission_denied",
                    "manifest does not declare 'aps.scope.tool.read'");
    RULE("ACL-STORE-3: cross-owner");
    CHECK_SCALL_ERR(rt, s, "storage", "get", "{\"owner\":\"other\",\"key\":\"k\"}", "permission_denied",
                    "manifest does not declare 'aps.scope.app.read' (cross-owner)");
    CHECK_SCALL_ERR(rt, s, "storage", "set", "{\"owner\":0,\"key\":\"k\"}", "permission_denied",
                    "manifest does not declare 'aps.scope.app.write' (cross-owner)");
    CHECK_SCALL_ERR(rt, s, "storage", "get", "{\"owner\":false,\"key\":\"k\"}", "permission_denied",
                    "manifest does not declare 'aps.scope.app.read' (cross-owner)");
    CHECK_SCALL(rt, s, "storage", "get", "{\"owner\":\"\",\"key\":\"nv\"}", "{\"value\": null}");
    CHECK_SCALL(rt, s, "storage", "get", "{\"owner\":\"self\",\"key\":\"nv\"}", "{\"value\": null}");
    CHECK_SCALL(rt, s, "storage", "get", "{\"owner\":null,\"key\":\"nv\"}", "{\"value\": null}");
    RULE("ACL-STORE-6 matrix: aps.scope.user.read");
    {
        const char *u = new_session("{\"schema\":1,\"host_capabilities\":[\"aps.scope.user.read\"],\"ui\":{\"bundle\":{\"entry\":\"i.html\"},"
                                    "\"views\":[{\"name\":\"main\",\"title\":\"Main\",\"default\":true}],\"host_api\":{\"storage\":[\"*\"]}}}",
                                    NULL);
        CHECK_SCALL(rt, u, "storage", "get", "{\"scope\":\"user\",\"key\":\"k\"}", "{\"value\": null}");
        CHECK_SCALL_ERR(rt, u, "storage", "set", "{\"scope\":\"user\",\"key\":\"k\",\"value\":1}", "permission_denied",
                        "manifest does not declare 'aps.scope.user.write'");
        RULE("ACL-STORE-8: every scope reads/writes the same runtime_state");
        SET(u, "\"k\"", "\"app\"");
        CHECK_SCALL(rt, u, "storage", "get", "{\"scope\":\"user\",\"key\":\"k\"}", "{\"value\": \"app\"}");
    }
    RULE("ACL-STORE-6 matrix: aps.scope.admin");
    {
        const char *a = new_session("{\"schema\":1,\"host_capabilities\":[\"aps.scope.admin\"],\"ui\":{\"bundle\":{\"entry\":\"i.html\"},"
                                    "\"host_api\":{\"storage\":[\"*\"]}}}",
                                    NULL);
        CHECK_SCALL(rt, a, "storage", "set", "{\"scope\":\"tool\",\"key\":\"t\",\"value\":1}", "{\"ok\": true}");
        CHECK_SCALL(rt, a, "storage", "get", "{\"owner\":\"someone\",\"key\":\"t\"}", "{\"value\": 1}");
        CHECK_SCALL(rt, a, "storage", "list", "{\"scope\":\"user\"}", "{\"items\": [" ITEM1("t") "], \"next_cursor\": null}");
    }
    RULE("ACL-STORE-6 matrix: storage {scopes:{tool:\"w\"}}");
    {
        const char *t = new_session("{\"schema\":3,\"storage\":{\"scopes\":{\"tool\":\"w\"}},\"ui\":{\"bundle\":{\"entry\":\"i.html\"},"
                                    "\"host_api\":{\"storage\":[\"*\"]}}}",
                                    NULL);
        CHECK_SCALL(rt, t, "storage", "set", "{\"scope\":\"tool\",\"key\":\"t\",\"value\":1}", "{\"ok\": true}");
        CHECK_SCALL_ERR(rt, t, "storage", "get", "{\"scope\":\"tool\",\"key\":\"t\"}", "permission_denied",
                        "manifest does not declare 'aps.scope.tool.read'");
    }

    /* ---- events --------------------------------------------------------------- */
    RULE("D-STORAGE-6/7, ST-EVT-1..4: runtime_state_synced in emission order");
    {
        at_drain(rt, s);
        char *r = at_callf(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.create\",\"params\":{\"manifest\":%s,\"user_id\":7}}", M);
        char *w7 = window_of(r);
        const char *s7 = "sess-none";
        const char *sid7 = json_string_value(json_object_get(json_object_get(at_json(r), "result"), "session_id"));
        if (sid7) s7 = at_fmt("%s", sid7);
        r = at_callf(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.create\",\"params\":{\"manifest\":%s}}", M);
        char *w1 = window_of(r);
        const char *sid1 = json_string_value(json_object_get(json_object_get(at_json(r), "result"), "session_id"));
        const char *s1 = sid1 ? at_fmt("%s", sid1) : "sess-none";
        CHECK(w7 && w1);
        if (w7 && w1) {
            SET(s7, "\"a\"", "1");
            SET(s7, "\"b\"", "\"\xc3\xa9\"");
            SET(s1, "\"x\"", "{\"n\":NaN}");
            CHECK_SCALL(rt, s7, "storage", "delete", "{\"key\":\"a\"}", "{\"ok\": true}");
            CHECK_SCALL(rt, s7, "storage", "delete", "{\"key\":\"missing\"}", "{\"ok\": true}");
            SET(s7, "\"b\"", "2");
            char *expected = at_fmt(
                "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"events\": ["
                "{\"user_id\": 7, \"kind\": \"runtime_state_synced\", \"payload\": {\"window_uuid\": \"%s\", \"patch\": {\"a\": 1}}, \"ts\": \"TS\"}, "
                "{\"user_id\": 7, \"kind\": \"runtime_state_synced\", \"payload\": {\"window_uuid\": \"%s\", \"patch\": {\"b\": \"\\u00e9\"}}, \"ts\": \"TS\"}, "
                "{\"user_id\": 1, \"kind\": \"runtime_state_synced\", \"payload\": {\"window_uuid\": \"%s\", \"patch\": {\"x\": {\"n\": NaN}}}, \"ts\": \"TS\"}, "
                "{\"user_id\": 7, \"kind\": \"runtime_state_synced\", \"payload\": {\"window_uuid\": \"%s\", \"patch\": {\"a\": null}}, \"ts\": \"TS\"}, "
                "{\"user_id\": 7, \"kind\": \"runtime_state_synced\", \"payload\": {\"window_uuid\": \"%s\", \"patch\": {\"missing\": null}}, \"ts\": \"TS\"}, "
                "{\"user_id\": 7, \"kind\": \"runtime_state_synced\", \"payload\": {\"window_uuid\": \"%s\", \"patch\": {\"b\": 2}}, \"ts\": \"TS\"}"
                "]}}",
                w7, w7, w1, w7, w7, w7);
            RULE("ST-EVT-3: one store-wide queue; drained through any session");
            CHECK_STR(at_mask_ts(at_drain(rt, s1)), expected);
            CHECK_STR(at_drain(rt, s7), "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"events\": []}}");
            RULE("ST-RS-6 / J-ORDER-2: runtime_state key order (hello)");
            SET(s7, "\"a\"", "3");
            SET(s7, "\"b\"", "4");
            char *hello = at_scall(rt, s7, "window", "hello", "{}");
            CHECK_CONTAINS(hello, "\"runtime_state\": {\"b\": 4, \"a\": 3}");
            RULE("BR-M-CLOSE-2: events of a closed session persist in the queue");
            CHECK_STR(at_callf(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.close\",\"params\":{\"session_id\":\"%s\"}}", s7),
                      "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"ok\": true}}");
            char *ev = at_drain(rt, s1);
            json_t *events = json_object_get(json_object_get(at_json(ev), "result"), "events");
            CHECK_INT(json_array_size(events), 2);
        }
    }
    RULE("D-STORAGE-4: an overwritten key keeps its position, re-set after delete goes last");
    {
        const char *o = new_session(M, NULL);
        SET(o, "\"p\"", "1");
        SET(o, "\"q\"", "2");
        SET(o, "\"r\"", "3");
        SET(o, "\"p\"", "4");
        CHECK_CONTAINS(at_scall(rt, o, "window", "hello", NULL), "\"runtime_state\": {\"p\": 4, \"q\": 2, \"r\": 3}");
        CHECK_SCALL(rt, o, "storage", "delete", "{\"key\":\"q\"}", "{\"ok\": true}");
        SET(o, "\"q\"", "5");
        CHECK_CONTAINS(at_scall(rt, o, "window", "hello", NULL), "\"runtime_state\": {\"p\": 4, \"r\": 3, \"q\": 5}");
    }

    anna_runtime_free(rt);
    return at_finish();
}
