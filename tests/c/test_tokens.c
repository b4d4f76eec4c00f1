/* test_tokens — anna_dev_token_mint / anna_dev_token_verify against the
 * worked vectors T1..T3 and the TOK-VER table of 06-tokens.md. */
#define _GNU_SOURCE
#include "anna_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *T1 =
    "eyJhaWQiOjEsImF1ZCI6ImFubmEtYXBwLXdpbmRvdyIsImV4cCI6MTcwMDAwMDAzMCwiaWF0IjoxNzAwMDAwMDAwLCJpc3MiOiJhbm5hLWFwcC1y"
    "dW50aW1lLWxvY2FsIiwic2NvcGVzIjpbXSwic3ViIjoiMSIsInVpZCI6MSwidmlkIjoxLCJ3aWQiOiIwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0w"
    "MDAwMDAwMDAwMDAifQ.f8WWJXxCg5EFHbGN1HZvWyzhkriU99MHiGP3uTZimrw";
static const char *T2 =
    "eyJhaWQiOjAsImF1ZCI6ImFubmEtYXBwLXdpbmRvdyIsImV4cCI6MTcwMDAwMDAzMCwiaWF0IjoxNzAwMDAwMDAwLCJpc3MiOiJhbm5hLWFwcC1y"
    "dW50aW1lLWxvY2FsIiwic2NvcGVzIjpbXSwic3ViIjoiNDIiLCJ1aWQiOjQyLCJ2aWQiOjAsIndpZCI6IncifQ.uQ1-B2eWGYFha6_usqTJjcRArrjO"
    "32xalak9sy7fCWc";
static const char *T3 =
    "eyJhaWQiOjMsImF1ZCI6ImFubmEtYXBwLXdpbmRvdyIsImV4cCI6MTcwMDAwMDA2MCwiaWF0IjoxNzAwMDAwMDAwLCJpc3MiOiJhbm5hLWFwcC1y"
    "dW50aW1lLWxvY2FsIiwic2NvcGVzIjpbInN0b3JhZ2UuZ2V0IiwiYSJdLCJzdWIiOiI3IiwidWlkIjo3LCJ2aWQiOjQsIndpZCI6IndcdTAwZTki"
    "fQ.wpVsj_bZLX2_1mwfb6x3mjacz46tqV9Aeko-U9nqsJA";

static const char *T1_PAYLOAD =
    "{\"payload\": {\"aid\": 1, \"aud\": \"anna-app-window\", \"exp\": 1700000030, \"iat\": 1700000000, \"iss\": "
    "\"anna-app-runtime-local\", \"scopes\": [], \"sub\": \"1\", \"uid\": 1, \"vid\": 1, \"wid\": "
    "\"00000000-0000-4000-8000-000000000000\"}}";

/* Validly signed (key 0..31) bodies, computed with an independent HMAC. */
static const char *SIGNED_NOT_JSON = "bm90IGpzb24.VVzMZaq4HdgImOj4y7vB7Wo_NEbSo0a0oT2t-wgwx8k";  /* "not json" */
static const char *SIGNED_EMPTY = "e30.hiJ_6WcioiR9z-4SwH2JwbBWe7yapqjYBIOPZqPahD8";              /* "{}" */
static const char *SIGNED_EXP_FLOAT = "eyJleHAiOiAxNzAwMDAwMDAwLjl9.SXwGulIkpzSIBVMsZ26j7G5I72ykSAhPecgYD18y5uM"; /* {"exp": 1700000000.9} */
static const char *SIGNED_EXP_STR = "eyJleHAiOiAiMTgwMDAwMDAwMCJ9.4cwsaaqq1yKjX13NBlA58gC0wdUAJus2OMxjMdMsPFE";   /* {"exp": "1800000000"} */

static const char *key;

static char *vparams(const char *token_json, const char *now) {
    return at_fmt("{\"token\": %s, \"now\": %s, \"key_path\": \"%s\"}", token_json, now, key);
}

static char *tok_err(const char *message) {
    return at_fmt("{\"error\": {\"code\": \"dev_token_error\", \"message\": \"%s\"}}", message);
}

static void check_error_object(const char *resp, const char *file, int line) {
    json_t *j = at_json(resp);
    json_t *e = json_object_get(j, "error");
    at_check(json_is_object(j) && json_object_size(j) == 1 && json_is_object(e) &&
                 json_is_string(json_object_get(e, "code")) && json_is_string(json_object_get(e, "message")),
             file, line, "{\"error\": {\"code\": <str>, \"message\": <str>}}");
    if (!json_is_object(e)) fprintf(stderr, "    actual: %s\n", resp ? resp : "(NULL)");
}
#define CHECK_ERROR_OBJECT(resp) check_error_object((resp), __FILE__, __LINE__)

int main(void) {
    at_init("test_tokens");
    key = at_vector_key_path();

    /* ---- minting the vectors (NULL runtime, explicit key_path) ----------- */
    RULE("06 §5 T1 (TOK-FMT-*, TOK-MINT-1)");
    CHECK_STR(at_mint(NULL, at_fmt("{\"window_uuid\": \"00000000-0000-4000-8000-000000000000\", \"user_id\": 1, \"app_id\": 1, "
                                   "\"version_id\": 1, \"scopes\": [], \"ttl_seconds\": 30, \"now\": 1700000000.9, \"key_path\": \"%s\"}",
                                   key)),
              at_fmt("{\"token\": \"%s\", \"expires_in\": 30}", T1));
    RULE("06 §5 T2: library defaults");
    CHECK_STR(at_mint(NULL, at_fmt("{\"window_uuid\": \"w\", \"user_id\": 42, \"now\": 1700000000.9, \"key_path\": \"%s\"}", key)),
              at_fmt("{\"token\": \"%s\", \"expires_in\": 30}", T2));
    RULE("06 §5 T3: non-ASCII, scopes order, ttl 60");
    CHECK_STR(at_mint(NULL, at_fmt("{\"window_uuid\": \"w\xc3\xa9\", \"user_id\": 7, \"app_id\": 3, \"version_id\": 4, "
                                   "\"scopes\": [\"storage.get\", \"a\"], \"ttl_seconds\": 60, \"now\": 1700000000.9, "
                                   "\"key_path\": \"%s\"}",
                                   key)),
              at_fmt("{\"token\": \"%s\", \"expires_in\": 60}", T3));
    CHECK_STR(at_mint(NULL, at_fmt("{\"key_path\": \"%s\", \"now\": 1700000000.9, \"ttl_seconds\": 60, \"scopes\": [\"storage.get\", \"a\"], "
                                   "\"version_id\": 4, \"app_id\": 3, \"user_id\": 7, \"window_uuid\": \"w\\u00e9\"}",
                                   key)),
              at_fmt("{\"token\": \"%s\", \"expires_in\": 60}", T3));
    RULE("TOK-FMT-5: minting is deterministic within a second");
    CHECK_STR(at_mint(NULL, at_fmt("{\"window_uuid\": \"w\", \"user_id\": 42, \"now\": 1700000000, \"key_path\": \"%s\"}", key)),
              at_fmt("{\"token\": \"%s\", \"expires_in\": 30}", T2));
    CHECK_STR(at_mint(NULL, at_fmt("{\"window_uuid\": \"w\", \"user_id\": 42, \"now\": 1700000000.999, \"key_path\": \"%s\"}", key)),
              at_fmt("{\"token\": \"%s\", \"expires_in\": 30}", T2));

    /* ---- verification (TOK-VER table) --------------------------------------- */
    RULE("TOK-VER-6/7: T1 valid until exp + 0.999");
    CHECK_STR(at_verify(NULL, vparams(at_fmt("\"%s\"", T1), "1700000000")), T1_PAYLOAD);
    CHECK_STR(at_verify(NULL, vparams(at_fmt("\"%s\"", T1), "1700000030.999")), T1_PAYLOAD);
    CHECK_STR(at_verify(NULL, vparams(at_fmt("\"%s\"", T1), "1600000000")), T1_PAYLOAD);
    RULE("TOK-VER-6: token expired at exp + 1");
    CHECK_STR(at_verify(NULL, vparams(at_fmt("\"%s\"", T1), "1700000031")), tok_err("token expired"));
    RULE("TOK-VER-7: T2/T3 payloads");
    CHECK_STR(at_verify(NULL, vparams(at_fmt("\"%s\"", T2), "1700000000")),
              "{\"payload\": {\"aid\": 0, \"aud\": \"anna-app-window\", \"exp\": 1700000030, \"iat\": 1700000000, \"iss\": "
              "\"anna-app-runtime-local\", \"scopes\": [], \"sub\": \"42\", \"uid\": 42, \"vid\": 0, \"wid\": \"w\"}}");
    CHECK_STR(at_verify(NULL, vparams(at_fmt("\"%s\"", T3), "1700000060")),
              "{\"payload\": {\"aid\": 3, \"aud\": \"anna-app-window\", \"exp\": 1700000060, \"iat\": 1700000000, \"iss\": "
              "\"anna-app-runtime-local\", \"scopes\": [\"storage.get\", \"a\"], \"sub\": \"7\", \"uid\": 7, \"vid\": 4, "
              "\"wid\": \"w\\u00e9\"}}");
    CHECK_STR(at_verify(NULL, vparams(at_fmt("\"%s\"", T3), "1700000061")), tok_err("token expired"));

    RULE("TOK-VER-1: malformed token");
    CHECK_STR(at_verify(NULL, vparams("123", "1700000000")), tok_err("malformed token"));
    CHECK_STR(at_verify(NULL, vparams("\"nodot\"", "1700000000")), tok_err("malformed token"));
    CHECK_STR(at_verify(NULL, vparams("\"\"", "1700000000")), tok_err("malformed token"));
    CHECK_STR(at_verify(NULL, vparams("null", "1700000000")), tok_err("malformed token"));
    CHECK_STR(at_verify(NULL, vparams("[\"a.b\"]", "1700000000")), tok_err("malformed token"));
    CHECK_STR(at_verify(NULL, at_fmt("{\"now\": 1700000000, \"key_path\": \"%s\"}", key)), tok_err("malformed token"));
    RULE("TOK-VER-3: base64 decode failed");
    CHECK_STR(at_verify(NULL, vparams("\"abcde.xyz\"", "1700000000")),
              tok_err("base64 decode failed: Invalid base64-encoded string: number of data characters (5) cannot be 1 more "
                      "than a multiple of 4"));
    CHECK_STR(at_verify(NULL, vparams("\"a=bc.abcd\"", "1700000000")), tok_err("base64 decode failed: Incorrect padding"));
    CHECK_STR(at_verify(NULL, vparams("\"abcd.a\"", "1700000000")),
              tok_err("base64 decode failed: Invalid base64-encoded string: number of data characters (1) cannot be 1 more "
                      "than a multiple of 4"));
    RULE("TOK-VER-4: bad signature");
    CHECK_STR(at_verify(NULL, vparams(at_fmt("\"%sx\"", T1), "1700000000")), tok_err("bad signature"));
    CHECK_STR(at_verify(NULL, vparams(at_fmt("\"%s.extra\"", T1), "1700000000")), tok_err("bad signature"));
    CHECK_STR(at_verify(NULL, vparams("\".\"", "1700000000")), tok_err("bad signature"));
    RULE("TOK-VER-4: a different key -> bad signature");
    {
        char *other = at_tmppath("other.key");
        at_write_file(other, "abc", 3);
        CHECK_STR(at_verify(NULL, at_fmt("{\"token\": \"%s\", \"now\": 1700000000, \"key_path\": \"%s\"}", T1, other)),
                  tok_err("bad signature"));
        RULE("TOK-KEY-4: any key length is used as is");
        char *m = at_mint(NULL, at_fmt("{\"window_uuid\": \"w\", \"user_id\": 1, \"now\": 1700000000, \"key_path\": \"%s\"}", other));
        const char *t = json_string_value(json_object_get(at_json(m), "token"));
        CHECK(t != NULL);
        if (t) {
            CHECK_PREFIX(at_verify(NULL, at_fmt("{\"token\": \"%s\", \"now\": 1700000000, \"key_path\": \"%s\"}", t, other)),
                         "{\"payload\": {\"aid\": 0,");
            CHECK_STR(at_verify(NULL, vparams(at_fmt("\"%s\"", t), "1700000000")), tok_err("bad signature"));
        }
    }
    RULE("TOK-VER-5: payload not json");
    CHECK_STR(at_verify(NULL, vparams(at_fmt("\"%s\"", SIGNED_NOT_JSON), "1700000000")),
              tok_err("payload not json: Expecting value: line 1 column 1 (char 0)"));
    RULE("TOK-VER-6: exp missing -> 0 -> expired");
    CHECK_STR(at_verify(NULL, vparams(at_fmt("\"%s\"", SIGNED_EMPTY), "1700000000")), tok_err("token expired"));
    RULE("TOK-VER-8 (13-errata): float exp truncated; numeric-string exp accepted");
    CHECK_STR(at_verify(NULL, vparams(at_fmt("\"%s\"", SIGNED_EXP_FLOAT), "1700000000.5")),
              "{\"payload\": {\"exp\": 1700000000.9}}");
    CHECK_STR(at_verify(NULL, vparams(at_fmt("\"%s\"", SIGNED_EXP_FLOAT), "1700000001")), tok_err("token expired"));
    CHECK_STR(at_verify(NULL, vparams(at_fmt("\"%s\"", SIGNED_EXP_STR), "1700000000")),
              "{\"payload\": {\"exp\": \"1800000000\"}}");
    RULE("TOK-VER-9: non-canonical padding accepted");
    {
        /* T1 with the signature padded by "=" */
        CHECK_STR(at_verify(NULL, vparams(at_fmt("\"%s=\"", T1), "1700000000")), T1_PAYLOAD);
    }

    /* ---- NULL and bad params -------------------------------------------------- */
    RULE("header: NULL params -> error object");
    {
        char *r = anna_dev_token_mint(NULL, NULL);
        CHECK(r != NULL);
        char *c = r ? at_fmt("%s", r) : NULL;
        anna_string_free(r);
        CHECK_ERROR_OBJECT(c);
        r = anna_dev_token_verify(NULL, NULL);
        CHECK(r != NULL);
        c = r ? at_fmt("%s", r) : NULL;
        anna_string_free(r);
        CHECK_ERROR_OBJECT(c);
    }
    RULE("header: malformed params -> error object");
    CHECK_ERROR_OBJECT(at_mint(NULL, "not json"));
    CHECK_ERROR_OBJECT(at_mint(NULL, "[1]"));
    CHECK_ERROR_OBJECT(at_mint(NULL, "\xff\xfe"));
    CHECK_ERROR_OBJECT(at_verify(NULL, "not json"));
    CHECK_ERROR_OBJECT(at_verify(NULL, "5"));
    CHECK_ERROR_OBJECT(at_mint(NULL, at_fmt("{\"user_id\": 1, \"key_path\": \"%s\"}", key)));                        /* no uuid */
    CHECK_ERROR_OBJECT(at_mint(NULL, at_fmt("{\"window_uuid\": \"w\", \"key_path\": \"%s\"}", key)));                 /* no user */
    CHECK_ERROR_OBJECT(at_mint(NULL, at_fmt("{\"window_uuid\": 5, \"user_id\": 1, \"key_path\": \"%s\"}", key)));
    CHECK_ERROR_OBJECT(at_mint(NULL, at_fmt("{\"window_uuid\": \"w\", \"user_id\": 1, \"now\": \"x\", \"key_path\": \"%s\"}", key)));
    CHECK_ERROR_OBJECT(at_mint(NULL, at_fmt("{\"window_uuid\": \"w\", \"user_id\": 1, \"now\": NaN, \"key_path\": \"%s\"}", key)));
    CHECK_ERROR_OBJECT(at_mint(NULL, at_fmt("{\"window_uuid\": \"w\", \"user_id\": 1, \"scopes\": \"a\", \"key_path\": \"%s\"}", key)));
    CHECK_ERROR_OBJECT(at_verify(NULL, at_fmt("{\"token\": \"%s\", \"now\": [1], \"key_path\": \"%s\"}", T1, key)));
    CHECK_ERROR_OBJECT(at_verify(NULL, at_fmt("{\"token\": \"%s\", \"now\": 1700000000, \"key_path\": 5}", T1)));
    RULE("header: an unreadable key path -> error object");
    CHECK_ERROR_OBJECT(at_verify(NULL, at_fmt("{\"token\": \"%s\", \"now\": 1700000000, \"key_path\": \"%s\"}", T1, at_tmpdir())));

    /* ---- key selection ------------------------------------------------------------ */
    RULE("header / TOK-KEY-2: NULL runtime without key_path uses $ANNA_APP_DEV_KEY");
    {
        const char *env_key = getenv("ANNA_APP_DEV_KEY");
        unsigned char bytes[32];
        for (int i = 0; i < 32; i++) bytes[i] = (unsigned char)i;
        CHECK(env_key && at_write_file(env_key, bytes, 32) == 0);
        CHECK_STR(at_mint(NULL, "{\"window_uuid\": \"w\", \"user_id\": 42, \"now\": 1700000000.9}"),
                  at_fmt("{\"token\": \"%s\", \"expires_in\": 30}", T2));
        CHECK_STR(at_verify(NULL, at_fmt("{\"token\": \"%s\", \"now\": 1700000000}", T1)), T1_PAYLOAD);
    }
    RULE("header: a runtime's own key file and TTL are used");
    {
        anna_runtime *rt = at_runtime_new("\"token_ttl_seconds\": 60"); /* key bytes 0..31 */
        CHECK_STR(at_mint(rt, "{\"window_uuid\": \"w\xc3\xa9\", \"user_id\": 7, \"app_id\": 3, \"version_id\": 4, "
                              "\"scopes\": [\"storage.get\", \"a\"], \"now\": 1700000000.9}"),
                  at_fmt("{\"token\": \"%s\", \"expires_in\": 60}", T3));
        CHECK_STR(at_verify(rt, at_fmt("{\"token\": \"%s\", \"now\": 1700000000}", T1)), T1_PAYLOAD);
        RULE("header: key_path overrides the runtime's key");
        char *other = at_tmppath("override.key");
        at_write_file(other, "xyz", 3);
        CHECK_STR(at_verify(rt, at_fmt("{\"token\": \"%s\", \"now\": 1700000000, \"key_path\": \"%s\"}", T1, other)),
                  tok_err("bad signature"));

        RULE("BR-M-CREATE-3: session.create tokens verify with the runtime's key");
        at_session s;
        if (at_session_create(rt, AT_MANIFEST_ALL, NULL, &s) == 0) {
            char *v = at_verify(rt, at_fmt("{\"token\": \"%s\"}", s.token));
            CHECK_PREFIX(v, "{\"payload\": {\"aid\": 1, \"aud\": \"anna-app-window\", \"exp\": ");
            CHECK_CONTAINS(v, at_fmt("\"sub\": \"1\", \"uid\": 1, \"vid\": 1, \"wid\": \"%s\"}}", s.window_uuid));
            CHECK_PREFIX(at_verify(NULL, at_fmt("{\"token\": \"%s\", \"key_path\": \"%s\"}", s.token, at_last_key_path())),
                         "{\"payload\": {");
            CHECK_STR(at_verify(NULL, at_fmt("{\"token\": \"%s\", \"key_path\": \"%s\"}", s.token, other)), tok_err("bad signature"));
            json_t *p = json_object_get(at_json(v), "payload");
            long long iat = json_integer_value(json_object_get(p, "iat"));
            CHECK_INT(json_integer_value(json_object_get(p, "exp")) - iat, 60);
            RULE("TOK-VER-6: the session token expires with the TTL");
            CHECK_STR(at_verify(rt, at_fmt("{\"token\": \"%s\", \"now\": %lld}", s.token, iat + 61)), tok_err("token expired"));
            RULE("TOK-MINT-3: replacing the key file takes effect on the next verify");
            at_write_file(at_last_key_path(), "new-key", 7);
            CHECK_STR(at_verify(rt, at_fmt("{\"token\": \"%s\"}", s.token)), tok_err("bad signature"));
        }
        anna_runtime_free(rt);
    }

    return at_finish();
}
