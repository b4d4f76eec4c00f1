"""The example plugin registered with the REFERENCE bridge (spec 09):
invokes go through the reference executa pool, reverse RPC lands in the
reference's in-memory storage, progress reaches async jobs."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import REPO, popen_lines

TOOL_ID = "tool-anna-example"


class Bridge:
    def __init__(self) -> None:
        self.proc = popen_lines([str(REPO / ".venv-ref" / "bin" / "python"), "-m", "anna_app_runtime_local.bridge"])
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
        assert line, f"bridge exited; stderr: {self.stderr[-20:]}"
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


@pytest.fixture
def session(plugin_binary: Path, tmp_path: Path):
    bridge = Bridge()
    try:
        registered = bridge.call("executas.register", {"executas": [
            {"tool_id": TOOL_ID, "project_dir": str(tmp_path), "command": [str(plugin_binary)]},
        ]})
        assert registered == {"registered": [TOOL_ID]}
        manifest = {
            "required_executas": [{"tool_id": TOOL_ID}],
            "ui": {"bundle": {"entry": "index.html"}, "host_api": {"storage": ["*"]}},
        }
        created = bridge.call("session.create", {"manifest": manifest})
        yield bridge, created["session_id"]
    finally:
        bridge.close()


def invoke(bridge: Bridge, sid: str, tool: str, args: dict) -> dict:
    return bridge.call("session.call", {"session_id": sid, "ns": "tools", "method": "invoke",
                                        "args": {"tool_id": TOOL_ID, "method": tool, "args": args}})


def test_tools_through_the_reference_bridge(session) -> None:
    bridge, sid = session
    assert invoke(bridge, sid, "echo", {"a": "é", "n": [1, 2]}) == {"ok": True, "result": {"a": "é", "n": [1, 2]}}

    # storage_roundtrip: storage/set + storage/get reverse calls into the
    # reference's in-memory window storage, visible to the app afterwards.
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


def test_reverse_call_denied_by_the_manifest(plugin_binary: Path, tmp_path: Path) -> None:
    bridge = Bridge()
    try:
        bridge.call("executas.register", {"executas": [
            {"tool_id": TOOL_ID, "project_dir": str(tmp_path), "command": [str(plugin_binary)]}]})
        manifest = {"required_executas": [{"tool_id": TOOL_ID}], "ui": {"bundle": {"entry": "index.html"}}}
        sid = bridge.call("session.create", {"manifest": manifest})["session_id"]
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
