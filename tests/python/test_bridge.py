"""``python -m annaruntime.bridge``: the stdio bridge protocol (09-bridge.md)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading

import pytest

from .conftest import MANIFEST, REPO
from .test_reference_parity import normalise

READY = '{"jsonrpc": "2.0", "method": "_ready", "params": {}}'


class Bridge:
    def __init__(self, module: str = "annaruntime.bridge"):
        env = dict(os.environ, PYTHONPATH=str(REPO / "bindings" / "python"))
        self.proc = subprocess.Popen([sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.lines: "queue.Queue[str | None]" = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.decode("utf-8"))
        self.lines.put(None)

    def send(self, line: str | bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((line.encode() if isinstance(line, str) else line) + b"\n")
        self.proc.stdin.flush()

    def read(self, timeout: float = 20) -> str:
        line = self.lines.get(timeout=timeout)
        assert line is not None, "bridge exited"
        assert line.endswith("\n")
        return line[:-1]

    def rpc(self, method: str, params: dict | None = None, rid: int = 1) -> dict:
        req = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            req["params"] = params
        self.send(json.dumps(req))
        return json.loads(self.read())

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        rc = self.proc.wait(timeout=20)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return rc


@pytest.fixture
def bridge():
    b = Bridge()
    yield b
    if b.proc.poll() is None:
        b.close()


def test_ready_ping_and_errors(bridge: Bridge) -> None:
    assert bridge.read() == READY
    bridge.send('{"jsonrpc":"2.0","id":1,"method":"ping"}')
    assert bridge.read() == '{"jsonrpc": "2.0", "id": 1, "result": {"pong": true}}'
    bridge.send("")
    bridge.send("not json")
    assert bridge.read() == '{"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "parse error"}}'
    bridge.send(b"\xff\xfe")
    assert bridge.read() == '{"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "parse error"}}'
    bridge.send("[1,2]")
    assert bridge.read() == '{"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "request must be an object"}}'
    bridge.send('{"jsonrpc":"2.0","id":6,"method":"session.create","params":{}}')
    assert bridge.read() == ('{"jsonrpc": "2.0", "id": 6, "error": {"code": -32602, '
                             '"message": "missing required param: \'manifest\'"}}')
    assert bridge.close() == 0


def test_sessions_and_host_calls(bridge: Bridge) -> None:
    assert bridge.read() == READY
    created = bridge.rpc("session.create", {"manifest": MANIFEST, "app_slug": "demo"})["result"]
    sid = created["session_id"]
    assert sid == "sess-1" and created["expires_in"] == 30 and created["view"] == "main"
    call = {"session_id": sid, "ns": "storage", "method": "set", "args": {"key": "k", "value": "é"}}
    assert bridge.rpc("session.call", call, rid=2)["result"] == {"ok": True, "result": {"ok": True}}
    events = bridge.rpc("session.drain_events", {"session_id": sid}, rid=3)["result"]["events"]
    assert [e["kind"] for e in events] == ["runtime_state_synced"]

    # an outbound host call: raw UTF-8 params, our answer resolves it
    bridge.send(json.dumps({"jsonrpc": "2.0", "id": 4, "method": "session.call", "params": {
        "session_id": sid, "ns": "llm", "method": "complete", "args": {"messages": ["héllo"]}}}))
    out = bridge.read()
    assert out == '{"jsonrpc": "2.0", "id": 1, "method": "host.llm.complete", "params": {"messages": ["héllo"]}}'
    # the bridge keeps answering while the host call is pending
    bridge.send('{"jsonrpc":"2.0","id":5,"method":"ping"}')
    assert bridge.read() == '{"jsonrpc": "2.0", "id": 5, "result": {"pong": true}}'
    bridge.send('{"jsonrpc": "2.0", "id": 1, "result": {"content": "hi"}}')
    assert json.loads(bridge.read()) == {"jsonrpc": "2.0", "id": 4, "result": {"ok": True, "result": {"content": "hi"}}}

    # an error answer becomes the app's host error
    bridge.send(json.dumps({"jsonrpc": "2.0", "id": 6, "method": "session.call", "params": {
        "session_id": sid, "ns": "llm", "method": "complete", "args": {}}}))
    assert json.loads(bridge.read())["id"] == 2
    bridge.send('{"jsonrpc": "2.0", "id": 2, "error": {"code": -32000, "message": "off", "data": {"errorCode": "llm_disabled"}}}')
    assert json.loads(bridge.read())["result"] == {"ok": False, "error": {
        "code": "llm_disabled", "message": "off", "details": {"errorCode": "llm_disabled"}}}

    token = bridge.rpc("session.refresh_token", {"session_id": sid}, rid=7)["result"]
    assert token["expires_in"] == 30 and "." in token["token"]
    assert bridge.rpc("session.close", {"session_id": sid}, rid=8)["result"] == {"ok": True}
    assert bridge.rpc("session.drain_events", {"session_id": sid}, rid=9)["error"] == {
        "code": -32602, "message": "unknown session_id: sess-1"}
    assert bridge.rpc("executas.register", {"executas": [{"tool_id": "t", "project_dir": "/tmp"}]},
                      rid=10)["result"] == {"registered": ["t"]}


def test_eof_fails_pending_host_calls(bridge: Bridge) -> None:
    assert bridge.read() == READY
    sid = bridge.rpc("session.create", {"manifest": MANIFEST})["result"]["session_id"]
    bridge.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "session.call", "params": {
        "session_id": sid, "ns": "llm", "method": "complete", "args": {}}}))
    assert json.loads(bridge.read())["method"] == "host.llm.complete"
    assert bridge.proc.stdin is not None
    bridge.proc.stdin.close()
    answer = json.loads(bridge.read())
    assert answer["id"] == 2 and answer["result"]["ok"] is False
    assert answer["result"]["error"]["code"] == "host_unavailable"
    assert bridge.proc.wait(timeout=20) == 0


def test_same_transcript_as_reference_bridge() -> None:
    pytest.importorskip("anna_app_runtime_local")
    script = [
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "id": 2, "method": "session.create", "params": {"manifest": MANIFEST, "user_id": "12",
                                                                             "entry_payload": {"a": 1}}},
        {"jsonrpc": "2.0", "id": 3, "method": "session.call", "params": {
            "session_id": "sess-1", "ns": "storage", "method": "set", "args": {"key": "x", "value": [1.0, 1e16, None]}}},
        {"jsonrpc": "2.0", "id": 4, "method": "session.call", "params": {
            "session_id": "sess-1", "ns": "window", "method": "hello"}},
        {"jsonrpc": "2.0", "id": 5, "method": "session.call", "params": {
            "session_id": "sess-1", "ns": "nope", "method": "x"}},
        {"jsonrpc": "2.0", "id": 6, "method": "session.drain_events", "params": {"session_id": "sess-1"}},
        {"jsonrpc": "2.0", "id": 7, "method": "session.call", "params": {"session_id": "sess-9", "ns": "a",
                                                                           "method": "b"}},
        {"jsonrpc": "2.0", "id": 8, "method": "nope\u00e9"},
        {"jsonrpc": "2.0", "id": 9, "method": "session.close", "params": {"session_id": "zz"}},
    ]

    def run(module: str) -> list:
        b = Bridge(module)
        try:
            assert b.read(timeout=60) == READY
            out = []
            for req in script:
                b.send(json.dumps(req))
                out.append(b.read(timeout=60))
            return out
        finally:
            b.close()

    theirs = run("anna_app_runtime_local.bridge")
    ours = run("annaruntime.bridge")
    for a, b in zip(theirs, ours):
        assert normalise(json.loads(a)) == normalise(json.loads(b))
        if '"token"' not in a and '"ts"' not in a and '"window_uuid"' not in a:
            assert a == b  # byte-identical lines
