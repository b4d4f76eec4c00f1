/* test_call_protocol — every bridge method of 09 §5 and every bridge error
 * of 09 §7 through anna_runtime_call, compared byte for byte where the
 * answer is deterministic. Expected texts are the reference's (09 §10). */
#define _GNU_SOURCE
#include "anna_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PONG(id) "{\"jsonrpc\": \"2.0\", \"id\": " id ", \"result\": {\"pong\": true}}"
#define RPC_ERR(id, code, msg) \
    "{\"jsonrpc\": \"2.0\", \"id\": " id ", \"error\": {\"code\": " code ", \"message\": \"" msg "\"}}"

static const char *MANIFEST =
    "{\"schema\":1,\"ui\":{\"bundle\":{\"entry\":\"index.html\"},"
    "\"views\":[{\"name\":\"main\",\"title\":\"Main\",\"default\":true}],"
    "\"host_api\":{\"storage\":[\"get\",\"set\"]}}}";

static const char *VIEW_META =
    "{\"name\": \"main\", \"title\": \"Main\", \"default\": true, \"resizable\": true, \"movable\": true, "
    "\"single_instance\": false, \"chrome\": \"solid\", \"transparent\": false}";

/* -32603 internal: the message exact, data exactly {"traceback": <string>}. */
static void check_internal(const char *resp, const char *id, const char *message_escaped, const char *file, int line) {
    char *prefix = at_fmt("{\"jsonrpc\": \"2.0\", \"id\": %s, \"error\": {\"code\": -32603, \"message\": \"%s\", "
                          "\"data\": {\"traceback\": \"",
                          id, message_escaped);
    at_check_prefix(resp, prefix, file, line, "-32603 internal envelope");
    json_t *j = at_json(resp);
    json_t *data = json_object_get(json_object_get(j, "error"), "data");
    at_check(json_is_object(data) && json_object_size(data) == 1 && json_is_string(json_object_get(data, "traceback")),
             file, line, "data is {\"traceback\": <string>}");
    at_check(resp && strlen(resp) > 4 && strcmp(resp + strlen(resp) - 4, "\"}}}") == 0, file, line,
             "envelope ends after data");
}
#define CHECK_INTERNAL(resp, id, msg) check_internal((resp), (id), (msg), __FILE__, __LINE__)

int main(void) {
    at_init("test_call_protocol");
    anna_runtime *rt = at_runtime_new(NULL);

    /* ---- ping and ids -------------------------------------------------- */
    RULE("BR-M-PING-1");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{}}"), PONG("1"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"x\":[1,2]}}"), PONG("1"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":[1]}"), PONG("1"));

    RULE("BR-REQ-1: id echoed verbatim, absent -> null");
    CHECK_STR(at_call(rt, "{\"method\":\"ping\",\"id\":2.5}"), PONG("2.5"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"method\":\"ping\"}"), PONG("null"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}"), PONG("null"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"ping\"}"), PONG("\"abc\""));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":\"\\u00e9\",\"method\":\"ping\"}"), PONG("\"\\u00e9\""));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":123456789012345678901234567890,\"method\":\"ping\"}"),
              PONG("123456789012345678901234567890"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":{\"a\":[1,\"\xc3\xa9\"]},\"method\":\"ping\"}"),
              PONG("{\"a\": [1, \"\\u00e9\"]}"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":-0,\"method\":\"ping\"}"), PONG("0"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":1E2,\"method\":\"ping\"}"), PONG("100.0"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}"), PONG("true"));
    RULE("BR-JSON-1 / J-FLOAT-1: floats in Python repr");
    {
        const char *floats[][2] = {
            {"1e15", "1000000000000000.0"}, {"1e16", "1e+16"}, {"1e22", "1e+22"}, {"1e-4", "0.0001"},
            {"1e-5", "1e-05"}, {"1e-7", "1e-07"}, {"12345678901234567890.0", "1.2345678901234567e+19"},
            {"0.1", "0.1"}, {"1.7976931348623157e308", "1.7976931348623157e+308"}, {"4.9e-324", "5e-324"},
            {"2.2250738585072014e-308", "2.2250738585072014e-308"}, {"-0.0", "-0.0"}, {"123e-20", "1.23e-18"},
            {"2.5e-5", "2.5e-05"}, {"-1.5e-10", "-1.5e-10"}, {"9007199254740993.0", "9007199254740992.0"},
            {"-1E+2", "-100.0"}, {"0.30000000000000004", "0.30000000000000004"}, {"1e400", "Infinity"},
            {"-1e400", "-Infinity"}, {"0.0", "0.0"}, {"5E-1", "0.5"},
        };
        for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) {
            char *r = at_callf(rt, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"ping\"}", floats[i][0]);
            at_check_str(r, at_fmt("{\"jsonrpc\": \"2.0\", \"id\": %s, \"result\": {\"pong\": true}}", floats[i][1]), __FILE__,
                         __LINE__, floats[i][0]);
        }
    }
    RULE("BR-JSON-1 / J-ENC-1: string escapes (ASCII only, lowercase hex, surrogate pairs)");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":\"\\b\\f\\r\\u0001\\u001f /<>&\xc3\xbf\xef\xbf\xbf\x7f\xf0\x9f\x98\x80\xe2\x80\xa8\\/\\t\\n\\\"\\\\\",\"method\":\"ping\"}"),
              PONG("\"\\b\\f\\r\\u0001\\u001f /<>&\\u00ff\\uffff\\u007f\\ud83d\\ude00\\u2028/\\t\\n\\\"\\\\\""));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":\"\\uD83D\\uDE00\\u00E9\",\"method\":\"ping\"}"), PONG("\"\\ud83d\\ude00\\u00e9\""));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":\"\\udfff\\ud800x\",\"method\":\"ping\"}"), PONG("\"\\udfff\\ud800x\""));
    RULE("BR-REQ-1: jsonrpc member not checked");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}"), PONG("1"));
    CHECK_STR(at_call(rt, "{\"id\":1,\"method\":\"ping\"}"), PONG("1"));

    /* ---- framing ------------------------------------------------------- */
    RULE("BR-FRAME-2: blank request -> empty string");
    CHECK_STR(at_call(rt, ""), "");
    CHECK_STR(at_call(rt, "   "), "");
    CHECK_STR(at_call(rt, " \t\r\n\v\f"), "");
    CHECK_STR(at_call(rt, "\xe3\x80\x80\xe2\x80\xa8"), ""); /* U+3000 U+2028 */
    RULE("BR-FRAME-2: str.strip() whitespace around a request");
    CHECK_STR(at_call(rt, "\r\n  {\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r\n"), PONG("1"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\xe2\x80\xa8"), PONG("1"));
    CHECK_STR(at_call(rt, "\xc2\x85{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\xe3\x80\x80"), PONG("1"));
    RULE("J-STRIP-1: every str.strip() whitespace code point around a request");
    {
        const char *ws[] = {"\t", "\n", "\v", "\f", "\r", "\x1c", "\x1d", "\x1e", "\x1f", " ", "\xc2\x85", "\xc2\xa0",
                            "\xe1\x9a\x80", "\xe2\x80\x80", "\xe2\x80\x85", "\xe2\x80\x8a", "\xe2\x80\xa8", "\xe2\x80\xa9",
                            "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80"};
        for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) {
            char *r = at_callf(rt, "%s{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}%s", ws[i], ws[i]);
            at_check_str(r, PONG("1"), __FILE__, __LINE__, at_fmt("whitespace #%zu", i));
            at_check_str(at_call(rt, ws[i]), "", __FILE__, __LINE__, at_fmt("blank whitespace #%zu", i));
        }
        RULE("J-STRIP-1: U+200B, U+FEFF, U+180E are not whitespace");
        const char *not_ws[] = {"\xe2\x80\x8b", "\xef\xbb\xbf", "\xe1\xa0\x8e"};
        for (size_t i = 0; i < 3; i++) {
            char *r = at_callf(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}%s", not_ws[i]);
            at_check_str(r, RPC_ERR("null", "-32700", "parse error"), __FILE__, __LINE__, at_fmt("not whitespace #%zu", i));
        }
    }
    RULE("J-STRIP-1 (13-errata): U+001C..U+001F are stripped");
    CHECK_STR(at_call(rt, "\x1c{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\x1f"), PONG("1"));
    RULE("BR-FRAME-2: a UTF-8 BOM is not whitespace");
    CHECK_STR(at_call(rt, "\xef\xbb\xbf{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"),
              RPC_ERR("null", "-32700", "parse error"));
    RULE("BR-FRAME-2: U+200B is not whitespace");
    CHECK_STR(at_call(rt, "\xe2\x80\x8b{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"),
              RPC_ERR("null", "-32700", "parse error"));

    /* ---- classification errors (09 §7) ---------------------------------- */
    RULE("BR-CLS-1");
    CHECK_STR(at_call(rt, "not json"), RPC_ERR("null", "-32700", "parse error"));
    CHECK_STR(at_call(rt, "{"), RPC_ERR("null", "-32700", "parse error"));
    CHECK_STR(at_call(rt, "{\"id\":1} {\"id\":2}"), RPC_ERR("null", "-32700", "parse error"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",}"), RPC_ERR("null", "-32700", "parse error"));
    CHECK_STR(at_call(rt, "{'id':1}"), RPC_ERR("null", "-32700", "parse error"));
    RULE("BR-CLS-2");
    CHECK_STR(at_call(rt, "[1,2]"), RPC_ERR("null", "-32600", "request must be an object"));
    CHECK_STR(at_call(rt, "\"str\""), RPC_ERR("null", "-32600", "request must be an object"));
    CHECK_STR(at_call(rt, "5"), RPC_ERR("null", "-32600", "request must be an object"));
    CHECK_STR(at_call(rt, "null"), RPC_ERR("null", "-32600", "request must be an object"));
    CHECK_STR(at_call(rt, "true"), RPC_ERR("null", "-32600", "request must be an object"));
    CHECK_STR(at_call(rt, "NaN"), RPC_ERR("null", "-32600", "request must be an object"));

    RULE("BR-REQ-3");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"bogus\"}"),
              RPC_ERR("10", "-32601", "method not found: bogus"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":4}"), RPC_ERR("4", "-32601", "method not found: None"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":null}"), RPC_ERR("8", "-32601", "method not found: None"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"nope\\u00e9\"}"),
              RPC_ERR("6", "-32601", "method not found: nope\\u00e9"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":5}"), RPC_ERR("7", "-32601", "method not found: 5"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"PING\"}"), RPC_ERR("7", "-32601", "method not found: PING"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"session.bogus\"}"),
              RPC_ERR("\"x\"", "-32601", "method not found: session.bogus"));

    /* ---- session.create -------------------------------------------------- */
    RULE("BR-M-CREATE-5: missing manifest");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"session.create\",\"params\":{}}"),
              RPC_ERR("6", "-32602", "missing required param: 'manifest'"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"session.create\"}"),
              RPC_ERR("6", "-32602", "missing required param: 'manifest'"));
    RULE("BR-REQ-5 / BR-M-CREATE-2: internal errors");
    CHECK_INTERNAL(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"session.create\",\"params\":[1]}"), "5",
                   "internal: 'list' object has no attribute 'get'");
    CHECK_INTERNAL(at_callf(rt, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"session.create\",\"params\":{\"manifest\":%s,"
                                "\"user_id\":\"abc\"}}", MANIFEST),
                   "5", "internal: invalid literal for int() with base 10: 'abc'");
    CHECK_INTERNAL(at_callf(rt, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"session.create\",\"params\":{\"manifest\":%s,"
                                "\"user_id\":null}}", MANIFEST),
                   "5", "internal: int() argument must be a string, a bytes-like object or a real number, not 'NoneType'");
    CHECK_INTERNAL(at_callf(rt, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"session.create\",\"params\":{\"manifest\":%s,"
                                "\"user_id\":[1]}}", MANIFEST),
                   "5", "internal: int() argument must be a string, a bytes-like object or a real number, not 'list'");
    RULE("U-7 (13-errata): user_id NaN");
    CHECK_INTERNAL(at_callf(rt, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"session.create\",\"params\":{\"manifest\":%s,"
                                "\"user_id\":NaN}}", MANIFEST),
                   "5", "internal: cannot convert float NaN to integer");
    RULE("BR-REQ-5 / M-GEN-2: invalid manifest");
    CHECK_INTERNAL(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"session.create\",\"params\":{\"manifest\":{\"bogus\":1}}}"),
                   "5",
                   "internal: 1 validation error for AppManifest\\nbogus\\n  Extra inputs are not permitted "
                   "[type=extra_forbidden, input_value=1, input_type=int]\\n    For further information visit "
                   "https://errors.pydantic.dev/2.14/v/extra_forbidden");
    RULE("BR-REQ-5 / M-GEN-1: manifest not an object");
    {
        char *r = at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"session.create\",\"params\":{\"manifest\":5}}");
        CHECK_PREFIX(r, "{\"jsonrpc\": \"2.0\", \"id\": 5, \"error\": {\"code\": -32603, \"message\": \"internal: 1 validation "
                        "error for AppManifest\\n  Input should be a valid dictionary or instance of AppManifest");
    }

    RULE("BR-M-CREATE-3/4: result, key order, first id sess-1 (failed creates consume no number)");
    at_session s1 = {0};
    {
        char *r = at_callf(rt, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"session.create\",\"params\":{\"user_id\":1,"
                               "\"manifest\":%s,\"app_slug\":\"demo\"}}",
                           MANIFEST);
        json_t *j = at_json(r);
        json_t *res = json_object_get(j, "result");
        const char *wid = json_string_value(json_object_get(res, "window_uuid"));
        const char *tok = json_string_value(json_object_get(res, "token"));
        CHECK(wid && tok);
        if (wid && tok) {
            s1.session_id = "sess-1";
            s1.window_uuid = at_fmt("%s", wid);
            s1.token = at_fmt("%s", tok);
            CHECK_STR(r, at_fmt("{\"jsonrpc\": \"2.0\", \"id\": 3, \"result\": {\"session_id\": \"sess-1\", \"window_uuid\": "
                                "\"%s\", \"token\": \"%s\", \"expires_in\": 30, \"view\": \"main\", \"view_meta\": %s}}",
                                wid, tok, VIEW_META));
            RULE("J-ID-1: window_uuid is a canonical lowercase UUID v4");
            CHECK_INT(strlen(wid), 36);
            int shape = strlen(wid) == 36 && wid[8] == '-' && wid[13] == '-' && wid[18] == '-' && wid[23] == '-' &&
                        wid[14] == '4' && strchr("89ab", wid[19]) != NULL;
            for (int i = 0; i < 36 && shape; i++)
                if (i != 8 && i != 13 && i != 18 && i != 23 && !strchr("0123456789abcdef", wid[i])) shape = 0;
            CHECK(shape);
            RULE("BR-M-CREATE-3 / TOK-FMT-2: the token verifies with the runtime's key");
            char *v = at_verify(rt, at_fmt("{\"token\": \"%s\"}", tok));
            json_t *p = json_object_get(at_json(v), "payload");
            CHECK(json_is_object(p));
            CHECK_STR(json_string_value(json_object_get(p, "wid")), wid);
            CHECK_INT(json_integer_value(json_object_get(p, "uid")), 1);
            CHECK_STR(json_string_value(json_object_get(p, "sub")), "1");
            CHECK_INT(json_integer_value(json_object_get(p, "aid")), 1);
            CHECK_INT(json_integer_value(json_object_get(p, "vid")), 1);
            CHECK(json_is_array(json_object_get(p, "scopes")) && json_array_size(json_object_get(p, "scopes")) == 0);
            CHECK_INT(json_integer_value(json_object_get(p, "exp")) - json_integer_value(json_object_get(p, "iat")), 30);
            CHECK_STR(json_string_value(json_object_get(p, "iss")), "anna-app-runtime-local");
            CHECK_STR(json_string_value(json_object_get(p, "aud")), "anna-app-window");
        }
    }
    RULE("BR-M-CREATE-3: next id sess-2; user_id \"12\" -> sub \"12\"; manifest {} -> view_meta null");
    {
        char *r = at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":37,\"method\":\"session.create\",\"params\":{\"manifest\":{},\"user_id\":\"12\"}}");
        json_t *res = json_object_get(at_json(r), "result");
        const char *wid = json_string_value(json_object_get(res, "window_uuid"));
        const char *tok = json_string_value(json_object_get(res, "token"));
        CHECK(wid && tok);
        if (wid && tok) {
            CHECK_STR(r, at_fmt("{\"jsonrpc\": \"2.0\", \"id\": 37, \"result\": {\"session_id\": \"sess-2\", \"window_uuid\": "
                                "\"%s\", \"token\": \"%s\", \"expires_in\": 30, \"view\": \"main\", \"view_meta\": null}}",
                                wid, tok));
            json_t *p = json_object_get(at_json(at_verify(rt, at_fmt("{\"token\": \"%s\"}", tok))), "payload");
            CHECK_STR(json_string_value(json_object_get(p, "sub")), "12");
            CHECK_INT(json_integer_value(json_object_get(p, "uid")), 12);
        }
    }
    RULE("BR-M-CREATE-2: user_id 2.9 -> 2, true -> 1");
    {
        char *r = at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.create\",\"params\":{\"manifest\":{},\"user_id\":2.9}}");
        CHECK_PREFIX(r, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"session_id\": \"sess-3\"");
        const char *tok = json_string_value(json_object_get(json_object_get(at_json(r), "result"), "token"));
        json_t *p = json_object_get(at_json(at_verify(rt, at_fmt("{\"token\": \"%s\"}", tok ? tok : ""))), "payload");
        CHECK_INT(json_integer_value(json_object_get(p, "uid")), 2);
        r = at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.create\",\"params\":{\"manifest\":{},\"user_id\":true}}");
        CHECK_PREFIX(r, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"session_id\": \"sess-4\"");
        tok = json_string_value(json_object_get(json_object_get(at_json(r), "result"), "token"));
        p = json_object_get(at_json(at_verify(rt, at_fmt("{\"token\": \"%s\"}", tok ? tok : ""))), "payload");
        CHECK_STR(json_string_value(json_object_get(p, "sub")), "1");
    }

    /* ---- session.call ----------------------------------------------------- */
    RULE("BR-M-CALL-1: params read order");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"session.call\",\"params\":{}}"),
              RPC_ERR("10", "-32602", "missing required param: 'session_id'"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"session.call\",\"params\":{\"session_id\":\"sess-9\"}}"),
              RPC_ERR("11", "-32602", "unknown session_id: sess-9"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"session.call\",\"params\":{\"session_id\":\"sess-9\",\"ns\":\"storage\",\"method\":\"get\"}}"),
              RPC_ERR("11", "-32602", "unknown session_id: sess-9"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"session.call\",\"params\":{\"session_id\":\"sess-1\"}}"),
              RPC_ERR("12", "-32602", "missing required param: 'ns'"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":13,\"method\":\"session.call\",\"params\":{\"session_id\":\"sess-1\",\"ns\":\"storage\"}}"),
              RPC_ERR("13", "-32602", "missing required param: 'method'"));
    RULE("BR-M-CALL-1 (13-errata): hashable non-string session_id -> unknown session_id: <str>");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"session.call\",\"params\":{\"session_id\":5}}"),
              RPC_ERR("12", "-32602", "unknown session_id: 5"));
    RULE("BR-M-CALL-1 (13-errata): array/object session_id -> internal unhashable");
    CHECK_INTERNAL(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":24,\"method\":\"session.call\",\"params\":{\"session_id\":[1]}}"),
                   "24", "internal: unhashable type: 'list'");
    CHECK_INTERNAL(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":34,\"method\":\"session.drain_events\",\"params\":{\"session_id\":{\"a\":1}}}"),
                   "34", "internal: unhashable type: 'dict'");
    CHECK_INTERNAL(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":33,\"method\":\"session.close\",\"params\":{\"session_id\":[1]}}"),
                   "33", "internal: unhashable type: 'list'");

    RULE("BR-M-CALL-2: ok shape");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"session.call\",\"params\":{\"session_id\":\"sess-1\","
                          "\"ns\":\"storage\",\"method\":\"set\",\"args\":{\"key\":\"greeting\",\"value\":\"h\xc3\xa9llo\"}}}"),
              "{\"jsonrpc\": \"2.0\", \"id\": 4, \"result\": {\"ok\": true, \"result\": {\"ok\": true}}}");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"session.call\",\"params\":{\"session_id\":\"sess-1\","
                          "\"ns\":\"storage\",\"method\":\"get\",\"args\":{\"key\":\"greeting\"}}}"),
              "{\"jsonrpc\": \"2.0\", \"id\": 5, \"result\": {\"ok\": true, \"result\": {\"value\": \"h\\u00e9llo\"}}}");
    RULE("BR-M-CALL-3: host errors are results");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"session.call\",\"params\":{\"session_id\":\"sess-1\","
                          "\"ns\":\"llm\",\"method\":\"complete\",\"args\":{}}}"),
              "{\"jsonrpc\": \"2.0\", \"id\": 7, \"result\": {\"ok\": false, \"error\": {\"code\": \"permission_denied\", "
              "\"message\": \"manifest does not grant 'llm.complete'\", \"details\": {}}}}");
    RULE("D-DISP-2");
    CHECK_SCALL_ERR(rt, "sess-1", "storage", "nope", NULL, "unknown_method", "storage.nope is not defined");
    CHECK_SCALL_ERR(rt, "sess-1", "Storage", "get", "{}", "unknown_method", "Storage.get is not defined");
    RULE("D-DISP-2 (13-errata): hashable non-string ns/method");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.call\",\"params\":{\"session_id\":\"sess-1\",\"ns\":5,\"method\":6}}"),
              at_err("unknown_method", "5.6 is not defined", "{}"));
    RULE("D-DISP-3: gate");
    CHECK_SCALL_ERR(rt, "sess-1", "storage", "delete", "{\"key\":\"x\"}", "permission_denied",
                    "manifest does not grant 'storage.delete'");
    RULE("D-DISP-1: falsy args -> {}");
    CHECK_SCALL_ERR(rt, "sess-1", "storage", "get", "null", "invalid_arg", "key required");
    CHECK_SCALL_ERR(rt, "sess-1", "storage", "get", "0", "invalid_arg", "key required");
    CHECK_SCALL_ERR(rt, "sess-1", "storage", "get", "\"\"", "invalid_arg", "key required");
    CHECK_SCALL_ERR(rt, "sess-1", "storage", "get", "[]", "invalid_arg", "key required");
    RULE("D-DISP-1: truthy non-object args -> internal");
    CHECK_SCALL_ERR(rt, "sess-1", "storage", "get", "[1]", "internal", "handler crashed: 'list' object has no attribute 'get'");
    CHECK_SCALL_ERR(rt, "sess-1", "storage", "get", "\"abc\"", "internal", "handler crashed: 'str' object has no attribute 'get'");

    /* ---- drain_events --------------------------------------------------- */
    RULE("BR-M-DRAIN-1");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":13,\"method\":\"session.drain_events\",\"params\":{}}"),
              RPC_ERR("13", "-32602", "missing required param: 'session_id'"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":14,\"method\":\"session.drain_events\",\"params\":{\"session_id\":\"zz\"}}"),
              RPC_ERR("14", "-32602", "unknown session_id: zz"));
    RULE("BR-M-DRAIN-2 / D-EVT-1 / D-STORAGE-6");
    if (s1.window_uuid) {
        char *r = at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"session.drain_events\",\"params\":{\"session_id\":\"sess-1\"}}");
        CHECK_STR(at_mask_ts(r), at_fmt("{\"jsonrpc\": \"2.0\", \"id\": 7, \"result\": {\"events\": [{\"user_id\": 1, \"kind\": "
                                        "\"runtime_state_synced\", \"payload\": {\"window_uuid\": \"%s\", \"patch\": "
                                        "{\"greeting\": \"h\\u00e9llo\"}}, \"ts\": \"TS\"}]}}",
                                        s1.window_uuid));
        CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"session.drain_events\",\"params\":{\"session_id\":\"sess-1\"}}"),
                  "{\"jsonrpc\": \"2.0\", \"id\": 8, \"result\": {\"events\": []}}");
    }

    /* ---- refresh_token ---------------------------------------------------- */
    RULE("BR-M-REFRESH-1");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":18,\"method\":\"session.refresh_token\",\"params\":{}}"),
              RPC_ERR("18", "-32602", "missing required param: 'session_id'"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":19,\"method\":\"session.refresh_token\",\"params\":{\"session_id\":\"zz\"}}"),
              RPC_ERR("19", "-32602", "unknown session_id: zz"));
    if (s1.window_uuid) {
        char *r = at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"session.refresh_token\",\"params\":{\"session_id\":\"sess-1\"}}");
        const char *tok = json_string_value(json_object_get(json_object_get(at_json(r), "result"), "token"));
        CHECK(tok != NULL);
        if (tok) {
            CHECK_STR(r, at_fmt("{\"jsonrpc\": \"2.0\", \"id\": 8, \"result\": {\"token\": \"%s\", \"expires_in\": 30}}", tok));
            json_t *p = json_object_get(at_json(at_verify(rt, at_fmt("{\"token\": \"%s\"}", tok))), "payload");
            json_t *p0 = json_object_get(at_json(at_verify(rt, at_fmt("{\"token\": \"%s\"}", s1.token))), "payload");
            CHECK_STR(json_string_value(json_object_get(p, "wid")), s1.window_uuid);
            CHECK_INT(json_integer_value(json_object_get(p, "aid")), 1);
            RULE("TOK-FMT-5: same second -> identical token");
            if (json_integer_value(json_object_get(p, "iat")) == json_integer_value(json_object_get(p0, "iat")))
                CHECK_STR(tok, s1.token);
        }
    }

    /* ---- executas.register ------------------------------------------------- */
    RULE("BR-M-REG-1..3");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":16,\"method\":\"executas.register\",\"params\":{}}"),
              "{\"jsonrpc\": \"2.0\", \"id\": 16, \"result\": {\"registered\": []}}");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":16,\"method\":\"executas.register\",\"params\":{\"executas\":null}}"),
              "{\"jsonrpc\": \"2.0\", \"id\": 16, \"result\": {\"registered\": []}}");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":21,\"method\":\"executas.register\",\"params\":{\"executas\":[{\"project_dir\":\"/tmp\"}]}}"),
              RPC_ERR("21", "-32602", "missing required param: 'tool_id'"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":22,\"method\":\"executas.register\",\"params\":{\"executas\":[{\"tool_id\":\"t\"}]}}"),
              RPC_ERR("22", "-32602", "missing required param: 'project_dir'"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":23,\"method\":\"executas.register\",\"params\":{\"executas\":["
                          "{\"tool_id\":\"a\",\"project_dir\":\"/tmp\"},{\"tool_id\":\"a\",\"project_dir\":\"/tmp\",\"command\":[]},"
                          "{\"tool_id\":\"b\",\"project_dir\":\"/tmp\",\"command\":null}]}}"),
              "{\"jsonrpc\": \"2.0\", \"id\": 23, \"result\": {\"registered\": [\"a\", \"a\", \"b\"]}}");
    RULE("BR-M-REG-2: no rollback; the error is returned");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":23,\"method\":\"executas.register\",\"params\":{\"executas\":["
                          "{\"tool_id\":\"c\",\"project_dir\":\"/tmp\"},{\"project_dir\":\"/tmp\"}]}}"),
              RPC_ERR("23", "-32602", "missing required param: 'tool_id'"));
    RULE("BR-M-REG-4");
    CHECK_INTERNAL(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"executas.register\",\"params\":{\"executas\":\"ab\"}}"),
                   "9", "internal: string indices must be integers, not 'str'");

    /* ---- close --------------------------------------------------------------- */
    RULE("BR-M-CLOSE-1");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":15,\"method\":\"session.close\",\"params\":{}}"),
              RPC_ERR("15", "-32602", "missing required param: 'session_id'"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"session.close\",\"params\":{\"session_id\":\"zz\"}}"),
              "{\"jsonrpc\": \"2.0\", \"id\": 10, \"result\": {\"ok\": true}}");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":17,\"method\":\"session.close\",\"params\":{\"session_id\":5}}"),
              "{\"jsonrpc\": \"2.0\", \"id\": 17, \"result\": {\"ok\": true}}");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"session.close\",\"params\":{\"session_id\":\"sess-1\"}}"),
              "{\"jsonrpc\": \"2.0\", \"id\": 9, \"result\": {\"ok\": true}}");
    RULE("BR-M-CLOSE-2");
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":39,\"method\":\"session.call\",\"params\":{\"session_id\":\"sess-1\","
                          "\"ns\":\"storage\",\"method\":\"get\",\"args\":{\"key\":\"greeting\"}}}"),
              RPC_ERR("39", "-32602", "unknown session_id: sess-1"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":40,\"method\":\"session.refresh_token\",\"params\":{\"session_id\":\"sess-1\"}}"),
              RPC_ERR("40", "-32602", "unknown session_id: sess-1"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":41,\"method\":\"session.drain_events\",\"params\":{\"session_id\":\"sess-1\"}}"),
              RPC_ERR("41", "-32602", "unknown session_id: sess-1"));
    CHECK_STR(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"session.close\",\"params\":{\"session_id\":\"sess-1\"}}"),
              "{\"jsonrpc\": \"2.0\", \"id\": 9, \"result\": {\"ok\": true}}");
    RULE("BR-M-CREATE-3: ids never reused");
    CHECK_PREFIX(at_call(rt, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.create\",\"params\":{\"manifest\":{}}}"),
                 "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"session_id\": \"sess-5\"");

    RULE("runtime isolation: a second runtime has its own session table");
    {
        anna_runtime *rt2 = at_runtime_new(NULL);
        CHECK_PREFIX(at_call(rt2, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.create\",\"params\":{\"manifest\":{}}}"),
                     "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"session_id\": \"sess-1\"");
        CHECK_STR(at_call(rt2, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.drain_events\",\"params\":{\"session_id\":\"sess-2\"}}"),
                  RPC_ERR("1", "-32602", "unknown session_id: sess-2"));
        anna_runtime_free(rt2);
    }

    anna_runtime_free(rt);
    return at_finish();
}
