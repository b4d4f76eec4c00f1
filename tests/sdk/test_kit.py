"""The example plugin under the PyPI test kit ``anna-executa-test`` (10 PC-SDK-*)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import popen_lines
from anna_executa_test import (
    JsonRpcError,
    assert_jsonrpc_error,
    assert_jsonrpc_ok,
    contract_for,
    describe_plugin,
    executa,
)
from anna_executa_test.wire_format import (
    validate_invoke_result,
    validate_request,
    validate_response,
)

TOOLS = {"echo", "storage_roundtrip", "progress", "fail", "sleep"}


@pytest.fixture
def plugin(tmp_path: Path, plugin_command: list[str]):
    with executa.spawn(tmp_path, command=plugin_command) as client:
        yield client


def test_describe_passes_the_kit(plugin) -> None:  # PC-SDK-1
    info = describe_plugin(plugin)
    assert info["name"].startswith("tool-")
    assert isinstance(info["version"], str)
    assert {t["name"] for t in info["tools"]} == TOOLS
    for tool in info["tools"]:
        assert isinstance(tool["description"], str)
        for p in tool["parameters"]:
            assert set(p) == {"name", "type", "description", "required"}
            assert isinstance(p["required"], bool)


def test_contract_for(tmp_path: Path, plugin_command: list[str]) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "tool-anna-example"\nversion = "0.1.0"\n')
    contract = contract_for(tmp_path, command=plugin_command)
    assert contract.tool_id == "tool-anna-example"
    assert contract.version == "0.1.0"
    assert {t.name for t in contract.tools} == TOOLS
    assert [p["name"] for p in contract.tool("storage_roundtrip").parameters] == ["key", "value"]
    contract.parametrize_invoke([("echo", {}), ("sleep", {"ms": 1})])


def test_health(plugin) -> None:  # PC-SDK-2
    assert plugin.health(timeout=5.0) == {"status": "ok"}


def test_echo(plugin) -> None:  # PC-SDK-3
    args = {"s": "héllo 😀", "n": [1, 2.5, None, True], "o": {"k": {}}}
    result = plugin.invoke("echo", args)
    validate_invoke_result(result)
    assert_jsonrpc_ok(result)
    assert result["data"] == args


def test_fail(plugin) -> None:
    result = plugin.invoke("fail", {"message": "nope"})
    validate_invoke_result(result)
    assert result == {"success": False, "error": "nope"}
    assert_jsonrpc_error(result, message_contains="nope")


def test_progress_and_sleep(plugin) -> None:
    result = plugin.invoke("progress", {"n": 4})
    validate_invoke_result(result)
    assert result == {"success": True, "data": {"count": 4}}
    result = plugin.invoke("sleep", {"ms": 30})
    assert result == {"success": True, "data": {"slept_ms": 30}}


def test_bad_arguments_fail_the_invoke_not_the_plugin(plugin) -> None:
    for tool, args in [("sleep", {"ms": "x"}), ("progress", {"n": -1}), ("storage_roundtrip", {})]:
        result = plugin.invoke(tool, args)
        validate_invoke_result(result)
        assert result["success"] is False and isinstance(result["error"], str)
    assert plugin.health() == {"status": "ok"}


def test_unknown_tool(plugin) -> None:
    result = plugin.invoke("nosuch", {})
    validate_invoke_result(result)
    assert_jsonrpc_error(result, message_contains="unknown tool 'nosuch'")


def test_unknown_method(plugin) -> None:  # PC-SDK-10
    with pytest.raises(JsonRpcError) as info:
        plugin.call("nomethod")
    assert_jsonrpc_error(info.value, code=-32601, message_contains="nomethod")
    assert str(info.value) == "[-32601] Method not found: nomethod"


def test_reverse_call_without_context_fails_fast(plugin) -> None:
    # The kit sends no context and never answers reverse calls (PC-CLI-4):
    # the SDK must not wait for an answer that cannot come.
    start = time.monotonic()
    result = plugin.invoke("storage_roundtrip", {"key": "k", "value": 1}, timeout=5.0)
    assert time.monotonic() - start < 2.0
    validate_invoke_result(result)
    assert result["success"] is False
    assert "context.invoke_id" in result["error"]


def test_prints_go_to_stderr(plugin) -> None:  # PC-SDK-5
    # `progress` prints on stdout; the kit would raise on a non-JSON stdout line.
    assert plugin.invoke("progress", {"n": 1})["success"] is True
    assert plugin.health() == {"status": "ok"}
    deadline = time.monotonic() + 2.0
    while not any("progress: sending 1" in line for line in plugin.stderr_lines):
        assert time.monotonic() < deadline, plugin.stderr_lines
        time.sleep(0.01)


class Wire:
    """Raw line access to a spawned plugin, for what the kit client hides."""

    def __init__(self, command: list[str]) -> None:
        self.proc = popen_lines(command)

    def send(self, obj: object) -> None:
        text = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def recv(self) -> dict:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, "plugin closed stdout"
        return json.loads(line)

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            return self.proc.wait(timeout=2.0)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def wire(plugin_command: list[str]):
    w = Wire(plugin_command)
    yield w
    if w.proc.poll() is None:
        w.proc.kill()
        w.proc.wait()


def test_every_frame_is_valid_and_ids_keep_their_type(wire: Wire) -> None:  # PC-SDK-4
    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "describe"},
        {"jsonrpc": "2.0", "id": "two", "method": "health"},
        {"jsonrpc": "2.0", "id": 3, "method": "invoke", "params": {"tool": "echo", "arguments": {"a": 1}}},
        {"jsonrpc": "2.0", "id": 4, "method": "invoke",
         "params": {"tool": "echo", "arguments": {}, "context": {"invoke_id": "ab" * 16}}},
        {"jsonrpc": "2.0", "id": "5", "method": "invoke", "params": {"tool": "fail"}},
        {"jsonrpc": "2.0", "id": 6, "method": "nope"},
        {"jsonrpc": "2.0", "id": None, "method": "health"},
    ]
    for r in requests:
        validate_request(r)
        wire.send(r)
    seen = {}
    for _ in requests:
        resp = wire.recv()
        validate_response(resp)
        assert "method" not in resp
        if "error" in resp:
            assert "result" not in resp
        seen[json.dumps(resp["id"])] = resp
    assert set(seen) == {json.dumps(r["id"]) for r in requests}
    for r in requests[2:5]:
        validate_invoke_result(seen[json.dumps(r["id"])]["result"])
    assert seen["6"]["error"]["code"] == -32601
    assert wire.close() == 0


def test_malformed_frames(wire: Wire) -> None:
    wire.send("this is not json")
    assert wire.recv() == {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
    wire.send("[1, 2]")
    assert wire.recv() == {"jsonrpc": "2.0", "id": None,
                           "error": {"code": -32600, "message": "request must be an object"}}
    wire.send({"jsonrpc": "2.0", "id": 9, "method": 5})
    resp = wire.recv()
    validate_response(resp)
    assert resp["id"] == 9 and resp["error"]["code"] == -32600
    wire.send("")  # blank lines are ignored
    wire.send({"jsonrpc": "2.0", "id": 10, "method": "health"})
    assert wire.recv() == {"jsonrpc": "2.0", "id": 10, "result": {"status": "ok"}}


def test_progress_notifications(wire: Wire) -> None:  # PC-SDK-8
    invoke_id = "0123456789abcdef0123456789abcdef"
    wire.send({"jsonrpc": "2.0", "id": 1, "method": "invoke",
               "params": {"tool": "progress", "arguments": {"n": 3}, "context": {"invoke_id": invoke_id}}})
    notes = [wire.recv() for _ in range(3)]
    for i, note in enumerate(notes, 1):
        assert note == {"jsonrpc": "2.0", "method": "executa/progress",
                        "params": {"context": {"invoke_id": invoke_id}, "type": "progress",
                                   "data": {"step": i, "total": 3}}}
    assert wire.recv() == {"jsonrpc": "2.0", "id": 1, "result": {"success": True, "data": {"count": 3}}}


def test_reverse_calls_carry_invoke_id_and_string_ids(wire: Wire) -> None:  # PC-SDK-6/7
    wire.send({"jsonrpc": "2.0", "id": 1, "method": "invoke",
               "params": {"tool": "storage_roundtrip", "arguments": {"key": "k", "value": {"v": "é"}},
                          "context": {"invoke_id": "inv-1"}}})
    set_req = wire.recv()
    validate_request(set_req)
    assert set_req["method"] == "storage/set"
    assert isinstance(set_req["id"], str)
    assert set_req["params"] == {"key": "k", "value": {"v": "é"}, "context": {"invoke_id": "inv-1"}}
    # While storage_roundtrip waits for the host, another invoke completes.
    wire.send({"jsonrpc": "2.0", "id": 2, "method": "invoke", "params": {"tool": "echo", "arguments": {"x": 1}}})
    assert wire.recv() == {"jsonrpc": "2.0", "id": 2, "result": {"success": True, "data": {"x": 1}}}
    wire.send({"jsonrpc": "2.0", "id": set_req["id"], "result": {"ok": True}})
    get_req = wire.recv()
    assert get_req["method"] == "storage/get" and get_req["id"] != set_req["id"]
    assert get_req["params"] == {"key": "k", "context": {"invoke_id": "inv-1"}}
    wire.send({"jsonrpc": "2.0", "id": get_req["id"], "result": {"value": {"v": "é"}}})
    assert wire.recv() == {"jsonrpc": "2.0", "id": 1,
                           "result": {"success": True, "data": {"key": "k", "value": {"v": "é"}}}}


def test_reverse_call_error_fails_the_invoke(wire: Wire) -> None:
    wire.send({"jsonrpc": "2.0", "id": 1, "method": "invoke",
               "params": {"tool": "storage_roundtrip", "arguments": {"key": "k"}, "context": {"invoke_id": "i"}}})
    req = wire.recv()
    wire.send({"jsonrpc": "2.0", "id": req["id"],
               "error": {"code": -32603, "message": "manifest does not grant 'storage.set'",
                         "data": {"errorCode": "permission_denied", "details": {}}}})
    resp = wire.recv()
    validate_invoke_result(resp["result"])
    assert resp["result"] == {"success": False,
                              "error": "host call 'storage/set' failed: [-32603] manifest does not grant 'storage.set'"}


def test_overlapping_invokes(wire: Wire) -> None:  # PC-SDK-6
    start = time.monotonic()
    for i in range(1, 6):
        wire.send({"jsonrpc": "2.0", "id": i, "method": "invoke", "params": {"tool": "sleep", "arguments": {"ms": 300}}})
    ids = {wire.recv()["id"] for _ in range(5)}
    assert ids == {1, 2, 3, 4, 5}
    assert time.monotonic() - start < 1.2


def test_exits_promptly_on_eof(wire: Wire) -> None:  # PC-SDK-9
    wire.send({"jsonrpc": "2.0", "id": 1, "method": "health"})
    wire.recv()
    start = time.monotonic()
    assert wire.close() == 0
    assert time.monotonic() - start < 2.0


def test_exits_promptly_on_eof_with_a_tool_running(wire: Wire) -> None:
    wire.send({"jsonrpc": "2.0", "id": 1, "method": "invoke", "params": {"tool": "sleep", "arguments": {"ms": 60000}}})
    time.sleep(0.05)
    start = time.monotonic()
    assert wire.close() == 0
    assert time.monotonic() - start < 2.0


def test_shutdown_request(wire: Wire) -> None:
    wire.send({"jsonrpc": "2.0", "id": 7, "method": "shutdown"})
    assert wire.recv() == {"jsonrpc": "2.0", "id": 7, "result": {"ok": True}}
    assert wire.proc.wait(timeout=2.0) == 0
