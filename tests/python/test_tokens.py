"""mint_dev_token / verify_dev_token, also against the reference's functions."""

from __future__ import annotations

import base64
import json
import time

import pytest

import annaruntime
from annaruntime import DevTokenError, Runtime, mint_dev_token, verify_dev_token


def test_mint_and_verify() -> None:
    token, expires_in = mint_dev_token(window_uuid="w-1", user_id=42, app_id=3, version_id=4, scopes=["a"])
    assert expires_in == 30
    payload = verify_dev_token(token)
    now = int(time.time())
    assert payload["iss"] == "anna-app-runtime-local" and payload["aud"] == "anna-app-window"
    assert (payload["sub"], payload["uid"], payload["aid"], payload["vid"]) == ("42", 42, 3, 4)
    assert payload["wid"] == "w-1" and payload["scopes"] == ["a"]
    assert abs(payload["iat"] - now) <= 2 and payload["exp"] == payload["iat"] + 30
    assert list(payload) == sorted(payload)


def test_ttl() -> None:
    token, expires_in = mint_dev_token(window_uuid="w", user_id=1, ttl_seconds=600)
    assert expires_in == 600
    p = verify_dev_token(token)
    assert p["exp"] - p["iat"] == 600


@pytest.mark.parametrize("bad, message", [
    ("no-dot", "malformed token"),
    (123, "malformed token"),
    (None, "malformed token"),
    ("abc.def", "bad signature"),
])
def test_verify_errors(bad, message) -> None:
    with pytest.raises(DevTokenError) as ei:
        verify_dev_token(bad)
    assert str(ei.value) == message
    assert isinstance(ei.value, ValueError)


def test_tampered_token() -> None:
    token, _ = mint_dev_token(window_uuid="w", user_id=1)
    body, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["uid"] = 2
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode() + "." + sig
    with pytest.raises(DevTokenError, match="bad signature"):
        verify_dev_token(forged)


def test_expired_token() -> None:
    with Runtime() as rt:
        token, _ = rt.mint_token(window_uuid="w", user_id=1, ttl_seconds=30, now=time.time() - 100)
        with pytest.raises(DevTokenError, match="token expired"):
            rt.verify_token(token)
        assert rt.verify_token(token, now=time.time() - 90)["uid"] == 1


def test_runtime_key_file(tmp_path) -> None:
    with Runtime(dev_key_path=str(tmp_path / "k.key"), token_ttl_seconds=7) as rt:
        token, ttl = rt.mint_token(window_uuid="w", user_id=1)
        assert ttl == 7 and (tmp_path / "k.key").stat().st_size == 32
        assert rt.verify_token(token)["wid"] == "w"
        with pytest.raises(DevTokenError, match="bad signature"):
            verify_dev_token(token)  # signed with another key


def test_bad_mint_params() -> None:
    with pytest.raises(ValueError, match="user_id"):
        mint_dev_token(window_uuid="w", user_id="x")  # type: ignore[arg-type]


def test_interoperable_with_reference() -> None:
    ref = pytest.importorskip("anna_app_runtime_local")
    ours, _ = mint_dev_token(window_uuid="w-9", user_id=9, app_id=1, version_id=1)
    theirs, _ = ref.mint_dev_token(window_uuid="w-9", user_id=9, app_id=1, version_id=1)
    assert ref.verify_dev_token(ours) == verify_dev_token(theirs)
    # same second, same key, same claims: byte-identical (06 TOK-FMT-5)
    if verify_dev_token(ours)["iat"] == verify_dev_token(theirs)["iat"]:
        assert ours == theirs
    for bad in ("no-dot", "abc.def", "a.b.c"):
        with pytest.raises(ValueError) as e1:
            verify_dev_token(bad)
        with pytest.raises(ValueError) as e2:
            ref.verify_dev_token(bad)
        assert str(e1.value) == str(e2.value)


def test_session_token_verifies_with_reference(session) -> None:
    ref = pytest.importorskip("anna_app_runtime_local")
    assert ref.verify_dev_token(session.token)["wid"] == session.window_uuid
    assert annaruntime.verify_dev_token(session.token)["wid"] == session.window_uuid


# Bodies as any key holder could sign them: the canonical compact form and
# forms whose json.loads/json.dumps round trip changes more than spacing
# (floats, spaces, repeated keys, escapes Python does not write, big ints).
ODD_BODIES = [
    '{"aid":1,"exp":%(exp)d,"scopes":["a","\\u00e9\\ud83d\\ude00",{"x":[1,null,true]}],"wid":"w"}',
    '{"exp":%(exp)d,"n":1.0,"m":1e3,"z":-0,"big":12345678901234567890123}',
    '{ "exp" : %(exp)d , "a" : [ 1 , 2 ] }',
    '{"exp":%(exp)d,"a":1,"a":2,"b":{"c":1,"c":"two"}}',
    '{"exp":%(exp)d,"s":"\\/\\u0041\\u00E9\\u000a\\t","raw":"\u00e9\u2028"}',
    '{"exp":"%(exp)d"}',
    '{"exp":%(exp)d.9}',
    '{"exp":%(exp)d,"deep":' + "[" * 40 + "]" * 40 + "}",
    '{"a":"\\u0000\\u001f\\u007f\\ud800"}',
]


@pytest.mark.parametrize("template", ODD_BODIES)
def test_signed_odd_bodies_verify_like_the_reference(template: str) -> None:
    """TOK-VER-6/7: our verify output is byte-identical to json.dumps of the
    reference's payload for any body signed with the key, canonical or not."""
    import hashlib
    import hmac
    import os

    ref = pytest.importorskip("anna_app_runtime_local")
    with open(os.environ["ANNA_APP_DEV_KEY"], "rb") as f:
        key = f.read()
    body = (template % {"exp": int(time.time()) + 60}).encode()
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    token = b64(body) + "." + b64(hmac.new(key, body, hashlib.sha256).digest())
    try:
        expected = json.dumps({"payload": ref.verify_dev_token(token)})
    except ValueError as e:  # no exp: expired at 0 (TOK-VER-7)
        expected = json.dumps({"error": {"code": "dev_token_error", "message": str(e)}})
    from annaruntime import _lib
    for _ in range(3):  # the second and later verifies are answered from the memo
        raw = _lib.take_string(_lib.lib.anna_dev_token_verify(None, json.dumps({"token": token}).encode()))
        assert raw.decode() == expected
