"""The example plugin registered with a stdio bridge (spec 09): invokes go
through the bridge's executa pool, reverse RPC lands in its in-memory
storage, progress reaches async jobs. Every check runs under BOTH bridges —
the reference (``python -m anna_app_runtime_local.bridge``) and ours
(``.build/release/anna-bridge``) — and ``test_both_bridges_agree`` runs one
transcript through both and asserts identical (normalised) results."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, popen_lines

TOOL_ID = "tool-anna-example"
BRIDGES = {
    "reference": [str(REPO / ".venv-ref" / "bin" / "python"), "-m", "anna_app_runtime_local.bridge"],
    "ours": [str(REPO / ".build" / "release" / "anna-bridge")],
}


class Bridge:
    def __init__(self, kind: str = "reference") -> None:
        argv = BRIDGES[kind]
        if not Path(argv[0]).exists():
            pytest.fail(f"{kind} bridge not found: {argv[0]}")
        self.kind = kind
        self.proc = popen_lines(argv)
        self.stderr: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()
        self.next_id = 0
        ready = json.loads(self._readline())
        assert ready == {"jsonrpc": "2.0", "method": "_ready", "params": {}}

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line.rstrip("\n"))

    def _readline(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, f"{self.kind} bridge exited; stderr: {self.stderr[-20:]}"
        return line

    def call(self, method: str, params: dict) -> dict:
        self.next_id += 1
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}) + "\n")
        self.proc.stdin.flush()
        while True:
            resp = json.loads(self._readline())
            if resp.get("id") == self.next_id and "method" not in resp:
                assert "error" not in resp, resp
                return resp["result"]

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(params=list(BRIDGES))
def kind(request) -> str:
    return request.param


def open_session(kind: str, plugin_binary: Path, tmp_path: Path, host_api: dict | None) -> tuple[Bridge, str]:
    bridge = Bridge(kind)
    registered = bridge.call("executas.register", {"executas": [
        {"tool_id": TOOL_ID, "project_dir": str(tmp_path), "command": [str(plugin_binary)]},
    ]})
    assert registered == {"registered": [TOOL_ID]}
    ui: dict[str, Any] = {"bundle": {"entry": "index.html"}}
    if host_api is not None:
        ui["host_api"] = host_api
    created = bridge.call("session.create", {"manifest": {"required_executas": [{"tool_id": TOOL_ID}], "ui": ui}})
    return bridge, created["session_id"]


@pytest.fixture
def session(kind: str, plugin_binary: Path, tmp_path: Path):
    bridge, sid = open_session(kind, plugin_binary, tmp_path, {"storage": ["*"]})
    try:
        yield bridge, sid
    finally:
        bridge.close()


def invoke(bridge: Bridge, sid: str, tool: str, args: dict) -> dict:
    return bridge.call("session.call", {"session_id": sid, "ns": "tools", "method": "invoke",
                                        "args": {"tool_id": TOOL_ID, "method": tool, "args": args}})


def test_tools_through_the_bridge(session) -> None:
    bridge, sid = session
    assert invoke(bridge, sid, "echo", {"a": "é", "n": [1, 2]}) == {"ok": True, "result": {"a": "é", "n": [1, 2]}}

    # storage_roundtrip: storage/set + storage/get reverse calls into the
    # bridge's in-memory window storage, visible to the app afterwards.
    value = {"x": [1, 2.5, None], "s": "vé"}
    assert invoke(bridge, sid, "storage_roundtrip", {"key": "k1", "value": value}) == {
        "ok": True, "result": {"key": "k1", "value": value}}
    assert bridge.call("session.call", {"session_id": sid, "ns": "storage", "method": "get",
                                        "args": {"key": "k1"}}) == {"ok": True, "result": {"value": value}}

    assert invoke(bridge, sid, "fail", {"message": "nope"}) == {
        "ok": False, "error": {"code": "tool_failed", "message": "nope", "details": {}}}
    assert invoke(bridge, sid, "progress", {"n": 3}) == {"ok": True, "result": {"count": 3}}
    assert invoke(bridge, sid, "sleep", {"ms": 20}) == {"ok": True, "result": {"slept_ms": 20}}
    # The plugin's print went to stderr, which the bridge forwards with a prefix.
    deadline = time.monotonic() + 2
    while not any(l.startswith(f"[executa:{TOOL_ID}] progress: sending 3") for l in bridge.stderr):
        assert time.monotonic() < deadline, bridge.stderr
        time.sleep(0.01)


def test_reverse_call_denied_by_the_manifest(kind: str, plugin_binary: Path, tmp_path: Path) -> None:
    bridge, sid = open_session(kind, plugin_binary, tmp_path, None)
    try:
        result = invoke(bridge, sid, "storage_roundtrip", {"key": "k", "value": 1})
        assert result["ok"] is False
        assert result["error"]["code"] == "tool_failed"
        assert result["error"]["message"] == "host call 'storage/set' failed: [-32603] manifest does not grant 'storage.set'"
    finally:
        bridge.close()


def test_concurrent_invokes_share_one_process(session) -> None:
    bridge, sid = session
    # Jobs run concurrently in the bridge; five 300 ms sleeps on one plugin
    # process finish together only if the SDK runs invokes concurrently.
    start = time.monotonic()
    jobs = []
    for _ in range(5):
        created = bridge.call("session.call", {"session_id": sid, "ns": "tools", "method": "invokeAsync",
                                               "args": {"tool_id": TOOL_ID, "method": "sleep", "args": {"ms": 300}}})
        assert created["ok"] is True, created
        jobs.append(created["result"]["jobId"])
    for job in jobs:
        snap = wait_job(bridge, sid, job)
        assert snap["state"] == "succeeded" and snap["result"] == {"slept_ms": 300}
    assert time.monotonic() - start < 1.5


def wait_job(bridge: Bridge, sid: str, job: str) -> dict:
    deadline = time.monotonic() + 10
    while True:
        got = bridge.call("session.call", {"session_id": sid, "ns": "tools", "method": "getJob", "args": {"jobId": job}})
        assert got["ok"] is True, got
        if got["result"]["state"] not in ("queued", "running"):
            return got["result"]
        assert time.monotonic() < deadline, got
        time.sleep(0.02)


def test_progress_reaches_an_async_job(session) -> None:
    bridge, sid = session
    created = bridge.call("session.call", {"session_id": sid, "ns": "tools", "method": "invokeAsync",
                                           "args": {"tool_id": TOOL_ID, "method": "progress", "args": {"n": 3}}})
    snap = wait_job(bridge, sid, created["result"]["jobId"])
    assert snap["state"] == "succeeded"
    assert snap["result"] == {"count": 3}
    progress = [(p["seq"], p["type"], p["data"]) for p in snap["progress"]]
    assert progress == [
        (1, "tool_start", {"tool_name": f"{TOOL_ID}.progress"}),
        (2, "progress", {"step": 1, "total": 3}),
        (3, "progress", {"step": 2, "total": 3}),
        (4, "progress", {"step": 3, "total": 3}),
    ]


# -- the same transcript through both bridges -----------------------------------------

_RUN_DEPENDENT = [
    (re.compile(r"tjob_[0-9a-f]{32}"), "tjob_<id>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{6})?Z"), "<ts>"),
    (re.compile(r'"deadlineMs": \d+'), '"deadlineMs": <ms>'),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+"), "<token>"),
]


def transcript(kind: str, plugin_binary: Path, tmp_path: Path, jobs: tuple) -> list[str]:
    """One fixed sequence (plus async ``jobs``); every result JSON-encoded with
    run-dependent values masked."""
    out: list[Any] = []
    bridge, sid = open_session(kind, plugin_binary, tmp_path, {"storage": ["*"]})
    bare, bare_sid = open_session(kind, plugin_binary, tmp_path, None)
    try:
        def sc(ns: str, method: str, args: Any, s: str = sid, b: Bridge = bridge) -> Any:
            r = b.call("session.call", {"session_id": s, "ns": ns, "method": method, "args": args})
            out.append(r)
            return r

        def inv(tool: str, args: Any, s: str = sid, b: Bridge = bridge) -> Any:
            return sc("tools", "invoke", {"tool_id": TOOL_ID, "method": tool, "args": args}, s, b)

        inv("echo", {"a": "é", "n": [1, 2.5, None, True], "o": {"k": {}}})
        inv("echo", {})
        inv("storage_roundtrip", {"key": "k1", "value": {"x": [1, 2.5, None], "s": "vé😀"}})
        sc("storage", "get", {"key": "k1"})
        sc("storage", "list", {})
        inv("fail", {"message": "nope"})
        inv("fail", {})
        inv("progress", {"n": 2})
        inv("sleep", {"ms": 5})
        inv("no_such_tool", {})
        inv("storage_roundtrip", {"key": "k", "value": 1}, bare_sid, bare)
        for tool, args in jobs:
            created = sc("tools", "invokeAsync", {"tool_id": TOOL_ID, "method": tool, "args": args, "clientTag": tool})
            out.append(wait_job(bridge, sid, created["result"]["jobId"]))
        sc("tools", "listJobs", {"limit": 10})
        time.sleep(0.1)
        out.append(bridge.call("session.drain_events", {"session_id": sid}))
    finally:
        bridge.close()
        bare.close()
    texts = []
    for r in out:
        t = json.dumps(r)
        for rx, sub in _RUN_DEPENDENT:
            t = rx.sub(sub, t)
        texts.append(t)
    return texts


def compare(plugin_binary: Path, tmp_path: Path, jobs: tuple) -> None:
    (tmp_path / "ref").mkdir()
    (tmp_path / "ours").mkdir()
    ref = transcript("reference", plugin_binary, tmp_path / "ref", jobs)
    ours = transcript("ours", plugin_binary, tmp_path / "ours", jobs)
    assert len(ref) == len(ours)
    for i, (a, b) in enumerate(zip(ref, ours)):
        assert a == b, f"result #{i} differs:\nreference: {a}\nours:      {b}"


def test_both_bridges_agree(plugin_binary: Path, tmp_path: Path) -> None:
    compare(plugin_binary, tmp_path, (("echo", {"j": 1}), ("fail", {"message": "x"}), ("sleep", {"ms": 1})))


def test_both_bridges_agree_on_progress_jobs(plugin_binary: Path, tmp_path: Path) -> None:
    for _ in range(3):
        compare(plugin_binary, tmp_path, (("progress", {"n": 3}), ("progress", {"n": 5})))
        for d in ("ref", "ours"):
            for f in (tmp_path / d).iterdir():
                f.unlink()
            (tmp_path / d).rmdir()
