"""``python -m annaruntime.bridge``: the stdio bridge (09-bridge.md) in Python.

A convenience drop-in for ``python -m anna_app_runtime_local.bridge``: prints
``_ready`` first, then answers one JSON-RPC request per input line with
``anna_runtime_call``. Requests that may block (session.call of tools.invoke
and the delegated namespaces) run on worker threads, so a slow call never
delays a ``ping``; outbound host calls (``host.llm.complete`` ...) are written
to stdout with the call id as JSON-RPC id, and their answers read from stdin
are handed to ``anna_runtime_host_reply``.

Environment, as the reference bridge: ``ANNA_APP_RUNTIME_STORAGE_MODE=aps``,
``ANNA_APP_RUNTIME_WEB_MODE=real``; plus ``ANNA_BRIDGE_HOST_CALL_TIMEOUT_MS``
(default 0 = wait forever, as the reference). The native ``anna-bridge``
executable is the faster choice; this module needs no Swift toolchain.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import sys
import threading
from typing import Any, BinaryIO, Optional

from . import _lib
from .runtime import Runtime
from .session import may_block

_READY = b'{"jsonrpc": "2.0", "method": "_ready", "params": {}}\n'


class _BridgeRuntime(Runtime):
    """A runtime whose host calls become outbound request lines."""

    def __init__(self, config: dict, write_line: Any):
        super().__init__(config)
        self._write_line = write_line

    def _on_host_call(self, call_id: int, method_b: bytes, params_b: bytes) -> None:
        # BR-OUT-1 / BR-JSON-2: params come from the library already encoded
        # without non-ASCII escaping; the method name is written the same way.
        try:
            method = json.dumps(method_b.decode("utf-8", "surrogatepass"), ensure_ascii=False)
            self._write_line(b'{"jsonrpc": "2.0", "id": ' + str(call_id).encode() + b', "method": '
                             + method.encode("utf-8", "surrogatepass") + b', "params": ' + params_b + b"}")
        except BaseException as e:  # noqa: BLE001 - never raise into ctypes
            self._reply(call_id, {"error": {"code": -32603, "message": f"bridge write failed: {e}"}})


def _config_from_env() -> dict:
    def norm(name: str) -> str:
        return os.environ.get(name, "").strip().lower()

    cfg: dict[str, Any] = {"host_call_timeout_ms": 0}
    if norm("ANNA_APP_RUNTIME_STORAGE_MODE") == "aps":
        cfg["storage_mode"] = "aps"
    if norm("ANNA_APP_RUNTIME_WEB_MODE") == "real":
        cfg["web_mode"] = "real"
    t = os.environ.get("ANNA_BRIDGE_HOST_CALL_TIMEOUT_MS", "").strip()
    if t.isdigit():
        cfg["host_call_timeout_ms"] = int(t)
    return cfg


def _is_host_answer(line: bytes) -> Optional[int]:
    """The call id when ``line`` answers an outbound call (BR-CLS-3)."""
    if b'"method"' in line and b'"result"' not in line and b'"error"' not in line:
        return None
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict) or "method" in obj:
        return None
    rid = obj.get("id")
    return int(rid) if isinstance(rid, int) and rid >= 0 else None  # True/False count as 1/0


def _blocks(line: bytes) -> bool:
    if b'"session.call"' not in line:
        return False
    try:
        req = json.loads(line)
        p = req.get("params") if isinstance(req, dict) else None
        return isinstance(p, dict) and may_block(p.get("ns"), p.get("method"))
    except (ValueError, TypeError, AttributeError):
        return False


def serve(stdin: BinaryIO, stdout: BinaryIO, config: Optional[dict] = None) -> int:
    lock = threading.Lock()

    def write_line(data: bytes) -> None:
        with lock:
            stdout.write(data + b"\n")
            stdout.flush()

    with lock:
        stdout.write(_READY)
        stdout.flush()
    rt = _BridgeRuntime(_config_from_env() if config is None else config, write_line)
    rt.set_host_handler(lambda method, params: None)  # installs the trampoline; _on_host_call is overridden
    workers = concurrent.futures.ThreadPoolExecutor(max_workers=256, thread_name_prefix="annaruntime-bridge")

    def answer(line: bytes) -> None:
        resp = rt._call_bytes(line)
        if resp:
            write_line(resp)

    try:
        for raw in stdin:
            line = raw.rstrip(b"\n")
            if b"\x00" in line:
                write_line(b'{"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "parse error"}}')
                continue
            call_id = _is_host_answer(line)
            if call_id is not None and _lib.lib.anna_runtime_host_reply(rt._ptr, call_id, line) == 0:
                continue
            if _blocks(line):
                workers.submit(answer, line)
            else:
                answer(line)
    finally:
        # EOF: nobody can answer host calls any more; fail them, let the
        # workers write their answers, then stop plugins.
        rt.set_host_handler(None)
        workers.shutdown(wait=True)
        rt.close()
    return 0


def main() -> int:
    return serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    sys.exit(main())
