"""The reference's own usage, run against the reference and against annaruntime
with only the import changed; the transcripts must be identical after
normalising uuids, tokens and timestamps.

The sample follows the reference README ("Public surface") and its
docstrings: create a session, storage set/get, window.hello, drain events,
mint/verify a token, plus the error paths a harness sees.
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
import re
from typing import Any

import pytest

ref = pytest.importorskip("anna_app_runtime_local")
import annaruntime  # noqa: E402

README_MANIFEST = {
    "ui": {
        "bundle": {"entry": "index.html"},
        "views": [
            {"name": "main", "title": "Focus", "default": True, "default_size": {"w": 400, "h": 300}},
            {"name": "stats", "title": "Stats \u00e9\U0001F600", "chrome": "vibrancy"},
        ],
        "host_api": {"storage": ["*"], "chat": ["*"]},
    },
}

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z?")
_MSG_ID = re.compile(r"^msg-\d{13}$")  # chat.write_message: milliseconds since the epoch
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{40,}\.[A-Za-z0-9_-]{43}$")


def normalise(value: Any) -> Any:
    uuids: dict[str, str] = {}

    def walk(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [walk(x) for x in v]
        if isinstance(v, str):
            if _TOKEN.match(v):
                return "<token>"
            if _MSG_ID.match(v):
                return "msg-<ms>"
            v = _UUID.sub(lambda m: uuids.setdefault(m.group(0), f"<uuid{len(uuids)}>"), v)
            return _TS.sub("<ts>", v)
        return v

    return walk(value)


async def readme_usage(mod) -> list:
    """What a harness does; `mod` is the only thing that differs."""
    out: list = []
    session = mod.LocalDispatcherSession.create(
        user_id=1,
        app_slug="focus-flow",
        manifest_dict=README_MANIFEST,
        view="main",
        entry_payload={"topic": "ECM"},
    )
    w = session.window
    out.append(("window", session.window_uuid == w.window_uuid, w.user_id, w.app_id, w.version_id, w.bundle_id,
                w.view, w.entry_payload, w.runtime_state, w.app_slug, w.title, w.status))
    out.append(await session.call("storage", "set", {"key": "x", "value": 42}))
    out.append(await session.call("storage", "get", {"key": "x"}))
    out.append(await session.call("storage", "set", {"key": "nested", "value": {"a": [1, 2.5, None, "é"]}}))
    out.append(await session.call("storage", "list", {"prefix": ""}))
    out.append(await session.call("window", "hello", {}))
    out.append(await session.call("window", "set_title", {"title": "Deep work"}))
    out.append(await session.call("window", "resize", {"w": 640, "h": "480"}))
    out.append(await session.call("window", "focus"))
    out.append(await session.call("chat", "write_message", {"content": "hi"}))
    out.append(await session.call("storage", "delete", {"key": "x"}))
    out.append(("state", session.window.runtime_state, session.window.title))
    events = session.drain_events()  # list[dict] for SSE relay
    out.append(events)
    out.append(session.drain_events())
    for ns, method, args in [
        ("llm", "complete", {"messages": []}),       # not granted
        ("storage", "explode", {}),                  # unknown method
        ("window", "resize", {"w": None}),           # invalid_arg
        ("storage", "set", {"key": "big", "value": "x" * 262136}),  # too_large
        ("tools", "invoke", {"tool_id": ""}),        # not granted (no tools)
    ]:
        try:
            await session.call(ns, method, args)
            out.append(("no error", ns, method))
        except mod.LocalSessionError as e:
            out.append((e.code, e.message, e.details, e.to_dict(), str(e)))

    # a second window on the same store shares the event queue. (Same slug:
    # with another one, hello's `app` differs by design — see
    # test_documented_divergence_app_slug.)
    other = mod.LocalDispatcherSession.create(user_id=2, manifest_dict=README_MANIFEST, store=session.store,
                                              view="stats", app_slug="focus-flow")
    await other.call("storage", "set", {"key": "k", "value": True})
    hello = await other.call("window", "hello")
    out.append((hello["app"], hello["view_meta"], hello["runtime_state"]))
    out.append([(e["user_id"], e["kind"]) for e in session.drain_events()])

    token, expires_in = mod.mint_dev_token(window_uuid=session.window_uuid, user_id=1, app_id=1, version_id=1)
    payload = mod.verify_dev_token(token)
    lifetime = payload.pop("exp") - payload.pop("iat")  # seconds differ between the two runs
    out.append((expires_in, lifetime, payload))
    for bad in ("garbage", token[:-2] + "xx", token.split(".")[0]):
        try:
            mod.verify_dev_token(bad)
        except mod.DevTokenError as e:
            out.append(("DevTokenError", str(e), isinstance(e, ValueError)))
    try:
        mod.LocalDispatcherSession.create(user_id=1, manifest_dict={"ui": {"views": "nope"}})
    except ValueError as e:
        out.append(("ValueError", str(e)))
    return out


def test_readme_usage_is_identical() -> None:
    theirs = normalise(asyncio.run(readme_usage(ref)))
    ours = normalise(asyncio.run(readme_usage(annaruntime)))
    for i, (a, b) in enumerate(zip(theirs, ours)):
        assert a == b, f"step {i} differs"
    assert len(theirs) == len(ours)


def test_documented_divergence_app_slug() -> None:
    """tests/differential/divergences.py: the reference's window.hello reports
    the FIRST window's slug to every window of the store; ours reports each
    window's own slug."""

    async def run(mod):
        first = mod.LocalDispatcherSession.create(user_id=1, manifest_dict=README_MANIFEST, app_slug="first")
        second = mod.LocalDispatcherSession.create(user_id=1, manifest_dict=README_MANIFEST, store=first.store,
                                                   app_slug="second")
        return (await second.call("window", "hello"))["app"]

    assert asyncio.run(run(ref)) == {"id": 1, "slug": "first", "name": "first"}
    assert asyncio.run(run(annaruntime)) == {"id": 1, "slug": "second", "name": "second"}


REAL_APPS = sorted(glob.glob(os.path.join(os.environ.get("ANNA_DIFF_REAL_APPS", os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "..", "shared", "conformance", "real-apps")),
                                          "*__manifest.json")))


@pytest.mark.skipif(not REAL_APPS, reason="no real-app manifests (shared/conformance/real-apps)")
def test_real_app_manifests_hello_identical() -> None:
    async def run(mod, manifest):
        try:
            s = mod.LocalDispatcherSession.create(user_id=3, manifest_dict=manifest, app_slug="app")
        except ValueError as e:
            return ("invalid", str(e))
        res = []
        for ns, method in (("window", "hello"), ("tools", "list"), ("storage", "get")):
            try:
                res.append(await s.call(ns, method, {"key": "k"}))
            except mod.LocalSessionError as e:
                res.append(e.to_dict())
        return (s.window.view, res)

    checked = 0
    for path in REAL_APPS:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
        a = normalise(asyncio.run(run(ref, manifest)))
        b = normalise(asyncio.run(run(annaruntime, manifest)))
        assert a == b, os.path.basename(path)
        checked += 1
    assert checked == len(REAL_APPS)
