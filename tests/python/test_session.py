"""LocalDispatcherSession / InMemoryWindowStore / Runtime: the public surface."""

from __future__ import annotations

import asyncio
import json
import re
import uuid

import pytest

import annaruntime
from annaruntime import (
    AnnaRuntimeError,
    InMemoryWindowStore,
    InvalidParamsError,
    LocalDispatcherSession,
    LocalSessionError,
    ManifestValidationError,
    Runtime,
    RuntimeClosedError,
    RuntimeConfigError,
    UnknownSessionError,
)

from .conftest import MANIFEST


def test_create_defaults(session: LocalDispatcherSession) -> None:
    assert uuid.UUID(session.window_uuid).version == 4
    assert session.window_uuid == session.window.window_uuid
    w = session.window
    assert (w.user_id, w.app_id, w.version_id, w.bundle_id) == (1, 1, 1, 1)
    assert w.view == "main" and w.app_slug == "demo"
    assert w.entry_payload == {} and w.runtime_state == {} and w.geometry == {}
    assert (w.title, w.status, w.source) == (None, "active", "harness")
    assert session.session_id.startswith("sess-")
    assert session.expires_in == 30
    assert annaruntime.verify_dev_token(session.token)["wid"] == session.window_uuid
    assert session.view_meta["name"] == "main"
    assert session.manifest is MANIFEST
    assert "WindowInfo(" in repr(w) and session.window_uuid in repr(session)


def test_view_selection(store: InMemoryWindowStore) -> None:
    m = {"ui": {"bundle": {"entry": "i.html"}, "views": [{"name": "a", "title": "A"}, {"name": "b", "title": "B", "default": True}]}}
    assert LocalDispatcherSession.create(user_id=1, manifest_dict=m, store=store).window.view == "b"
    assert LocalDispatcherSession.create(user_id=1, manifest_dict=m, store=store, view="a").window.view == "a"
    assert LocalDispatcherSession.create(user_id=1, manifest_dict=m, store=store, view="").window.view == "main"
    assert LocalDispatcherSession.create(user_id=1, manifest_dict={}, store=store).window.view == "main"


def test_entry_payload_and_runtime_state_are_copied(store: InMemoryWindowStore) -> None:
    entry, state = {"topic": "ECM"}, {"k": [1, 2]}
    s = LocalDispatcherSession.create(user_id=7, manifest_dict=MANIFEST, store=store,
                                      entry_payload=entry, runtime_state=state)
    entry["topic"] = "changed"
    assert s.window.entry_payload == {"topic": "ECM"}
    assert s.call_sync("storage", "get", {"key": "k"}) == {"value": [1, 2]}
    hello = s.call_sync("window", "hello")
    assert hello["entry_payload"] == {"topic": "ECM"} and hello["is_resume"] is True
    assert s.window.runtime_state == {"k": [1, 2]}


async def test_storage_roundtrip(session: LocalDispatcherSession) -> None:
    assert await session.call("storage", "set", {"key": "x", "value": 42}) == {"ok": True}
    assert await session.call("storage", "get", {"key": "x"}) == {"value": 42}
    assert await session.call("storage", "get", {"key": "missing"}) == {"value": None}
    await session.call("storage", "set", {"key": "y", "value": {"a": [1, "é", None, 1.5]}})
    listed = await session.call("storage", "list", {})
    assert [i["key"] for i in listed["items"]] == ["x", "y"]
    assert await session.call("storage", "delete", {"key": "x"}) == {"ok": True}
    assert session.window.runtime_state == {"y": {"a": [1, "é", None, 1.5]}}


def test_call_sync_matches_call(session: LocalDispatcherSession) -> None:
    session.call_sync("storage", "set", {"key": "k", "value": "v"})
    assert asyncio.run(session.call("storage", "get", {"key": "k"})) == session.call_sync("storage", "get", {"key": "k"})


def test_python_json_values_roundtrip(session: LocalDispatcherSession) -> None:
    for value in [10 ** 40, -0.0, 1e-05, float("inf"), "\ud800", "😀\u2028", [], {}, True, None, 1.0]:
        session.call_sync("storage", "set", {"key": "v", "value": value})
        got = session.call_sync("storage", "get", {"key": "v"})["value"]
        assert json.dumps(got) == json.dumps(value)
    session.call_sync("storage", "set", {"key": "v", "value": float("nan")})
    assert session.call_sync("storage", "get", {"key": "v"})["value"] != session.call_sync("storage", "get", {"key": "v"})["value"]


def test_args_falsy_and_default(session: LocalDispatcherSession) -> None:
    for args in (None, {}, 0, "", []):
        assert session.call_sync("window", "ready", args) == {"ok": True}
    assert session.call_sync("window", "ready") == {"ok": True}


def test_host_errors(session: LocalDispatcherSession) -> None:
    with pytest.raises(LocalSessionError) as ei:
        session.call_sync("nope", "nothing", {})
    assert ei.value.to_dict() == {"code": "unknown_method", "message": "nope.nothing is not defined", "details": {}}
    assert str(ei.value) == "nope.nothing is not defined"
    with pytest.raises(LocalSessionError) as ei:
        session.call_sync("tools", "list", {})
    assert ei.value.code == "permission_denied"
    with pytest.raises(LocalSessionError) as ei:
        session.call_sync("storage", "set", {"key": "big", "value": "x" * 300_000})
    assert ei.value.code == "too_large" and ei.value.message.startswith("runtime_state exceeds 262144 bytes")
    with pytest.raises(LocalSessionError) as ei:
        session.call_sync("window", "resize", {"w": "x"})
    assert (ei.value.code, ei.value.message, ei.value.details) == ("invalid_arg", "w/h must be integers", {})


async def test_async_errors(session: LocalDispatcherSession) -> None:
    with pytest.raises(LocalSessionError) as ei:
        await session.call("llm", "complete", {"messages": []})
    assert ei.value.to_dict() == {"code": "not_implemented", "message": "llm.complete not wired in this runtime",
                                  "details": {}}


def test_invalid_manifest_is_a_value_error(store: InMemoryWindowStore) -> None:
    with pytest.raises(ValueError) as ei:
        LocalDispatcherSession.create(user_id=1, manifest_dict={"bogus": 1}, store=store)
    e = ei.value
    assert isinstance(e, ManifestValidationError) and isinstance(e, AnnaRuntimeError)
    assert str(e).startswith("1 validation error for AppManifest\nbogus\n  Extra inputs are not permitted")
    assert e.code == -32603 and e.message == "internal: " + str(e)
    assert e.kind == "ValidationError"


def test_invalid_manifest_text_matches_reference() -> None:
    ref = pytest.importorskip("anna_app_runtime_local")
    bad = {"ui": {"views": [{"name": 5}]}, "extra": True}
    with pytest.raises(ValueError) as ours:
        LocalDispatcherSession.create(user_id=1, manifest_dict=bad)
    with pytest.raises(ValueError) as theirs:
        ref.LocalDispatcherSession.create(user_id=1, manifest_dict=bad)
    assert str(ours.value) == str(theirs.value)


def test_bad_user_id(store: InMemoryWindowStore) -> None:
    with pytest.raises(ValueError) as ei:
        LocalDispatcherSession.create(user_id="abc", manifest_dict={}, store=store)  # type: ignore[arg-type]
    assert str(ei.value) == "invalid literal for int() with base 10: 'abc'"
    with pytest.raises(TypeError):
        LocalDispatcherSession.create(user_id=None, manifest_dict={}, store=store)  # type: ignore[arg-type]


def test_events_are_store_wide(store: InMemoryWindowStore) -> None:
    a = LocalDispatcherSession.create(user_id=7, manifest_dict=MANIFEST, store=store)
    b = LocalDispatcherSession.create(user_id=1, manifest_dict=MANIFEST, store=store)
    a.call_sync("storage", "set", {"key": "k", "value": 1})
    a.call_sync("window", "set_title", {"title": "Hello"})
    b.call_sync("storage", "set", {"key": "k", "value": 2})
    events = b.drain_events()
    assert [(e["user_id"], e["kind"]) for e in events] == [(7, "runtime_state_synced"), (7, "title_changed"),
                                                           (1, "runtime_state_synced")]
    assert events[1]["payload"] == {"window_uuid": a.window_uuid, "title": "Hello"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z", events[0]["ts"])
    assert a.drain_events() == [] and store.drain_events() == []
    # windows of one store are separate; the state is per window
    assert a.call_sync("storage", "get", {"key": "k"}) == {"value": 1}
    assert a.window.title == "Hello" and b.window.title is None


def test_create_without_store_gets_a_fresh_one() -> None:
    a = LocalDispatcherSession.create(user_id=1, manifest_dict=MANIFEST)
    b = LocalDispatcherSession.create(user_id=1, manifest_dict=MANIFEST)
    assert a.store is not b.store
    a.call_sync("storage", "set", {"key": "k", "value": 1})
    assert b.drain_events() == []
    assert len(a.drain_events()) == 1


def test_window_tracking(session: LocalDispatcherSession) -> None:
    session.call_sync("window", "set_title", {"title": None})
    assert session.window.title == "None"
    session.call_sync("window", "resize", {"w": 300.9, "h": "200"})
    assert session.window.geometry == {"w": 300, "h": 200}
    session.call_sync("window", "close", {})
    assert (session.window.status, session.window.closed_reason) == ("closed", "iframe_close")
    session.call_sync("window", "close", {"reason": 5})
    assert session.window.closed_reason == "5"


def test_close_session(store: InMemoryWindowStore) -> None:
    s = LocalDispatcherSession.create(user_id=1, manifest_dict=MANIFEST, store=store)
    s.call_sync("storage", "set", {"key": "k", "value": 1})
    s.close()
    s.close()  # idempotent
    with pytest.raises(UnknownSessionError) as ei:
        s.call_sync("storage", "get", {"key": "k"})
    assert isinstance(ei.value, InvalidParamsError) and ei.value.code == -32602
    # the store still drains the closed session's events
    assert [e["kind"] for e in store.drain_events()] == ["runtime_state_synced"]
    with LocalDispatcherSession.create(user_id=1, manifest_dict=MANIFEST, store=store) as t:
        assert t.call_sync("window", "ready") == {"ok": True}
    with pytest.raises(UnknownSessionError):
        t.call_sync("window", "ready")


def test_store_drain_before_any_session_creates_nothing(store: InMemoryWindowStore) -> None:
    assert store.drain_events() == []
    s = LocalDispatcherSession.create(user_id=1, manifest_dict=MANIFEST, store=store, app_slug="first")
    # no hidden window was created before this one: it is the store's first (app meta)
    assert s.call_sync("window", "hello")["app"] == {"id": 1, "slug": "first", "name": "first"}


def test_refresh_token(session: LocalDispatcherSession) -> None:
    token, ttl = session.refresh_token()
    assert ttl == 30 and session.token == token
    payload = annaruntime.verify_dev_token(token)
    assert (payload["wid"], payload["uid"], payload["aid"], payload["vid"]) == (session.window_uuid, 1, 1, 1)


def test_store_reference_helpers() -> None:
    pool = annaruntime.ExecutaPool()
    with InMemoryWindowStore(executa_pool=pool, aps_forward_storage=True, web_forward_real=True) as st:
        assert st.aps_forward_storage and st.web_forward_real
        assert st.config == {"storage_mode": "aps", "web_mode": "real"}
        u = st.register_user(5, default_agent_client_id="agent-1")
        assert (u.id, u.default_agent_client_id) == (5, "agent-1") and st._users[5] is u
        s = LocalDispatcherSession.create(user_id=9, manifest_dict=MANIFEST, store=st)
        assert 9 in st._users and s.store is st


def test_runtime_config() -> None:
    with Runtime(token_ttl_seconds=120) as rt:
        created = rt.request("session.create", {"manifest": {}})
        assert created["expires_in"] == 120
    with pytest.raises(RuntimeConfigError) as ei:
        Runtime({"bogus": 1})
    assert ei.value.code == "invalid_config" and "bogus" in str(ei.value)
    with pytest.raises(TypeError):
        Runtime(nope=1)


def test_runtime_raw_protocol() -> None:
    with Runtime() as rt:
        assert rt.ping()
        assert rt.call_raw('{"jsonrpc":"2.0","id":1,"method":"ping"}') == '{"jsonrpc": "2.0", "id": 1, "result": {"pong": true}}'
        assert rt.call_raw("   ") == ""
        assert rt.call_raw(b"not json") == '{"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "parse error"}}'
        with pytest.raises(AnnaRuntimeError) as ei:
            rt.request("nope")
        assert (ei.value.code, ei.value.message) == (-32601, "method not found: nope")
        assert ei.value.to_dict() == {"code": -32601, "message": "method not found: nope"}
        with pytest.raises(InvalidParamsError) as ei:
            rt.request("session.create", {})
        assert ei.value.message == "missing required param: 'manifest'"


def test_closed_store() -> None:
    st = InMemoryWindowStore()
    s = LocalDispatcherSession.create(user_id=1, manifest_dict=MANIFEST, store=st)
    st.close()
    st.close()
    assert st.closed
    with pytest.raises(RuntimeClosedError):
        s.call_sync("window", "ready")
    with pytest.raises(RuntimeClosedError):
        st.request("ping")
    with pytest.raises(RuntimeClosedError):
        st.set_host_handler(lambda m, p: {})
    s.close()  # no error after the store is gone


def test_unserialisable_args(session: LocalDispatcherSession) -> None:
    with pytest.raises(TypeError):
        session.call_sync("storage", "set", {"key": "k", "value": object()})
    assert session.call_sync("storage", "get", {"key": "k"}) == {"value": None}


def test_public_names_match_reference() -> None:
    ref = pytest.importorskip("anna_app_runtime_local")
    missing = [n for n in ref.__all__ if not hasattr(annaruntime, n) and n not in ("InMemoryJobTable", "LocalToolJob")]
    assert missing == []
    assert issubclass(annaruntime.DevTokenError, ValueError)


async def test_cheap_calls_run_inline_slow_ones_on_a_thread(session: LocalDispatcherSession) -> None:
    from annaruntime.session import may_block

    assert not may_block("storage", "get") and not may_block("window", "hello") and not may_block("tools", "list")
    assert not may_block(["unhashable"], "x")
    for ns in ("llm", "agent", "image", "video", "music", "audio", "upload", "web"):
        assert may_block(ns, "anything")
    assert may_block("tools", "invoke") and not may_block("tools", "invokeAsync")
    # an inline call does not suspend: a callback scheduled before it has not run after it
    ran = []
    asyncio.get_running_loop().call_soon(ran.append, 1)
    await session.call("storage", "get", {"key": "k"})
    assert ran == []
    try:
        await session.call("llm", "complete", {})
    except LocalSessionError:
        pass
    assert ran == [1]  # the thread hop let the loop run


def test_reference_aliases() -> None:
    assert annaruntime.InMemoryWindowSession is annaruntime.WindowInfo
    pool = annaruntime.ExecutaPool()
    pool.set_server_request_handler(lambda *a: None)
    assert all(hasattr(annaruntime, name) for name in annaruntime.__all__)
    assert annaruntime.ExecutaSpec("t", "/d").to_dict() == {"tool_id": "t", "project_dir": "/d", "command": None}
