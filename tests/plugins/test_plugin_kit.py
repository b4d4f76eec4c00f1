"""The test plugins under the PyPI plugin test kit ``anna-executa-test``
(spec 10): where they are meant to be well-behaved (``plug.py``'s describe,
health, echo, error and reverse-RPC lines) they pass the kit's validators;
where they misbehave on purpose the kit notices it too.

    .venv-ref/bin/python -m pytest tests/plugins
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import pluginlib  # noqa: E402

kit = pytest.importorskip("anna_executa_test")
from anna_executa_test import (  # noqa: E402
    ExecutaError,
    JsonRpcError,
    assert_jsonrpc_error,
    assert_jsonrpc_ok,
    contract_for,
    describe_plugin,
    executa,
)
from anna_executa_test.wire_format import (  # noqa: E402
    WireFormatError,
    validate_invoke_result,
    validate_request,
    validate_response,
)


@pytest.fixture
def plug(tmp_path: Path):
    with executa.spawn(tmp_path, command=pluginlib.plug_cmd()) as client:
        yield client


def test_describe(plug) -> None:  # PC-SDK-1
    info = describe_plugin(plug)
    assert info["name"] == "tool-test-plug" and info["version"] == "0.1.0"
    names = {t["name"] for t in info["tools"]}
    assert {"echo", "crash", "hang", "rev", "flood", "progress", "sized", "drip"} <= names
    for tool in info["tools"]:
        assert isinstance(tool["description"], str) and tool["description"]
        for p in tool["parameters"]:
            assert set(p) == {"name", "type", "description", "required"}


def test_health(plug) -> None:  # PC-SDK-2
    assert plug.health(timeout=5.0) == {"status": "ok"}


def test_echo_invoke(plug) -> None:  # PC-SDK-3
    args = {"s": "héllo 😀", "n": [1, 2.5, None, True], "o": {"k": {}}}
    result = plug.invoke("echo", args)
    validate_invoke_result(result)
    assert_jsonrpc_ok(result)
    assert result["data"]["arguments"] == args
    assert result["data"]["context"] == {}  # the kit sends no context (PC-REQ-1)


def test_failure_and_error_shapes(plug) -> None:
    result = plug.invoke("result", {"value": {"success": False, "error": "nope"}})
    validate_invoke_result(result)
    assert_jsonrpc_error(result, message_contains="nope")
    with pytest.raises(JsonRpcError) as ei:
        plug.invoke("error", {"error": {"code": -32602, "message": "bad param"}})
    assert_jsonrpc_error(ei.value, code=-32602, message_contains="bad param")
    with pytest.raises(JsonRpcError) as ei:  # PC-REQ-3
        plug.call("nomethod")
    assert (ei.value.code, ei.value.message) == (-32601, "Method not found: nomethod")
    with pytest.raises(JsonRpcError) as ei:
        plug.invoke("no_such_tool", {})
    assert ei.value.code == -32601


def test_contract_for(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "tool-test-plug"\nversion = "0.1.0"\n')
    contract = contract_for(tmp_path, command=pluginlib.plug_cmd())
    assert contract.tool_id == "tool-test-plug" and contract.version == "0.1.0"
    assert [p["name"] for p in contract.tool("echo").parameters] == ["value"]
    contract.parametrize_invoke([("echo", {}), ("sleep", {"s": 0})])
    with pytest.raises(AssertionError):
        contract.parametrize_invoke([("nope", {})])


def test_misbehaving_tools_are_caught_by_the_kit(plug) -> None:
    with pytest.raises(ExecutaError, match="non-JSON line on stdout"):  # PC-WIRE-2
        plug.invoke("noise", {"lines": ["this is not json"]})


def test_kit_sees_a_crash(tmp_path: Path) -> None:
    with executa.spawn(tmp_path, command=pluginlib.plug_cmd()) as client:
        with pytest.raises(ExecutaError, match="closed stdout"):
            client.invoke("crash", {})
        assert client.proc.wait(5) == 3


def _lines(proc: subprocess.Popen, n: int) -> list[dict]:
    assert proc.stdout is not None
    return [json.loads(proc.stdout.readline()) for _ in range(n)]


def test_raw_envelopes_pass_the_validators(tmp_path: Path) -> None:
    """Every line the plugin writes in a runtime-style exchange (invoke with
    context, a reverse-RPC request, the final response) is a valid envelope."""
    proc = subprocess.Popen(pluginlib.plug_cmd(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=tmp_path, text=True, bufsize=1)
    try:
        assert proc.stdin is not None
        ctx = {"invoke_id": "0123456789abcdef0123456789abcdef"}
        for rid, tool in ((1, "echo"), (2, "health")):
            req = {"jsonrpc": "2.0", "id": rid, "method": "invoke" if tool == "echo" else "health"}
            if tool == "echo":
                req["params"] = {"tool": "echo", "arguments": {"x": 1}, "context": ctx}
            validate_request(req)
            proc.stdin.write(json.dumps(req) + "\n")
            proc.stdin.flush()
            resp = _lines(proc, 1)[0]
            validate_response(resp)
            assert resp["id"] == rid
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 3, "method": "invoke", "params": {
            "tool": "rev", "arguments": {"calls": [{"method": "storage/get", "params": {"key": "k"}}]},
            "context": ctx}}) + "\n")
        proc.stdin.flush()
        rev = _lines(proc, 1)[0]
        validate_request(rev)  # plugin → host request
        assert rev == {"jsonrpc": "2.0", "id": 1000, "method": "storage/get",
                       "params": {"key": "k", "context": ctx}}
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 1000, "result": {"value": "v"}}) + "\n")
        proc.stdin.flush()
        resp = _lines(proc, 1)[0]
        validate_response(resp)
        validate_invoke_result(resp["result"])
        assert resp["result"]["data"]["responses"] == [{"jsonrpc": "2.0", "id": 1000, "result": {"value": "v"}}]
        # a progress notification is not a request (no id): the request validator says so
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 4, "method": "invoke", "params": {
            "tool": "progress", "arguments": {"notes": [{"type": "progress", "data": {"pct": 1}}], "settle": 0},
            "context": ctx}}) + "\n")
        proc.stdin.flush()
        note, resp = _lines(proc, 2)
        with pytest.raises(WireFormatError, match="request must include 'id'"):
            validate_request(note)
        assert note == {"jsonrpc": "2.0", "method": "executa/progress",
                        "params": {"type": "progress", "data": {"pct": 1}, "context": ctx}}
        validate_response(resp)
    finally:
        proc.kill()
        proc.wait(5)
