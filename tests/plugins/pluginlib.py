"""A small driver for one stdio bridge (ours or the reference) with plugins.

Used by the fault tests (``tests/plugins/test_faults.py``) and by the
plugin differential (``tests/differential/plugins_diff.py``). Standard
library only.

* ``Bridge(argv, env, cwd, node=...)`` starts the bridge and waits for
  ``_ready``. A reader thread takes every stdout line: outbound host requests
  (``method`` + ``id``) are recorded and answered at once with
  ``node(method, params)`` (a dict holding ``result`` or ``error``, or raw
  bytes); every other line is filed under its id. stderr is collected.
* ``send(method, params) -> key`` writes a request (several may be in
  flight), ``wait(key)`` returns the parsed response, ``raw(key)`` its bytes;
  ``call(...)`` does both; ``scall(sid, ns, method, args)`` is
  ``session.call``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PLUG = HERE / "plug.py"
OURS = REPO / ".build" / "release" / "anna-bridge"
REF_PY = REPO / ".venv-ref" / "bin" / "python"
REF = [str(REF_PY), "-m", "anna_app_runtime_local.bridge"]
KEY_BYTES = bytes(range(32))

#: The manifest used by the plugin tests: storage granted, tools allowed.
def manifest(tools: list[str], *, storage: bool = True, llm: bool = False, extra: Optional[dict] = None) -> dict:
    host_api: dict[str, Any] = {"tools": ["required:*", "*"]}
    if storage:
        host_api["storage"] = ["*"]
    if llm:
        host_api["llm"] = ["*"]
    if extra:
        host_api.update(extra)
    return {"schema": 1, "required_executas": [{"tool_id": t} for t in tools],
            "ui": {"bundle": {"entry": "index.html"},
                   "views": [{"name": "main", "title": "Main", "default": True}],
                   "host_api": host_api}}


def python() -> str:
    """The interpreter that runs the plugins (the reference venv's, else python3)."""
    return str(REF_PY) if REF_PY.exists() else "python3"


def plug_cmd(name: str = "plug.py") -> list[str]:
    return [python(), str(HERE / name)]


def default_node(method: str, params: Any) -> dict:
    """Node's answer to an outbound host call: echoes the call back."""
    if isinstance(params, dict) and isinstance(params.get("node_error"), dict):
        return {"error": params["node_error"]}
    return {"result": {"node": method, "params": params}}


def make_env(tmp: Path, extra: Optional[dict] = None) -> dict:
    home = tmp / "home"
    home.mkdir(parents=True, exist_ok=True)
    key = tmp / "dev.key"
    if not key.exists():
        key.write_bytes(KEY_BYTES)
        os.chmod(key, 0o600)
    keep = ("PATH", "LANG", "LC_ALL")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update({"TZ": "UTC", "HOME": str(home), "ANNA_APP_DEV_KEY": str(key),
                "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"})
    if extra:
        env.update(extra)
    return env


class BridgeDied(AssertionError):
    pass


class Bridge:
    def __init__(self, argv: list[str], env: dict, cwd: str,
                 node: Callable[[str, Any], Any] = default_node, name: str = "bridge",
                 id_prefix: Optional[str] = None) -> None:
        self.name = name
        self.id_prefix = name if id_prefix is None else id_prefix
        self.node = node
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, cwd=cwd, bufsize=0)
        self.pid = self.proc.pid
        self.cond = threading.Condition()
        self.lines: dict[str, list[bytes]] = {}
        self.outbound: list[bytes] = []
        self.unkeyed: list[bytes] = []
        self.stdout_all: list[bytes] = []
        self.stderr_buf = bytearray()
        self.eof = False
        self.ready: Optional[bytes] = None
        self.next_id = 0
        self._wlock = threading.Lock()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        with self.cond:
            if not self.cond.wait_for(lambda: self.ready is not None or self.eof, 60):
                raise BridgeDied(f"{name}: no _ready line within 60 s")
        if self.ready is None:
            raise BridgeDied(f"{name}: exited before _ready; stderr: {self.stderr_text()[-2000:]}")

    # -- readers -----------------------------------------------------------------
    def _read_stdout(self) -> None:
        f = self.proc.stdout
        assert f is not None
        try:
            while True:
                ln = f.readline()
                if not ln:
                    break
                self.stdout_all.append(ln)
                if self.ready is None:
                    with self.cond:
                        self.ready = ln
                        self.cond.notify_all()
                    continue
                try:
                    obj = json.loads(ln)
                except ValueError:
                    obj = None
                if isinstance(obj, dict) and "method" in obj:
                    with self.cond:
                        self.outbound.append(ln)
                        self.cond.notify_all()
                    if "id" in obj:
                        ans = self.node(obj["method"], obj.get("params"))
                        if isinstance(ans, (bytes, bytearray)):
                            data = bytes(ans)
                        elif ans is None:
                            continue  # Node never answers
                        else:
                            data = json.dumps({"jsonrpc": "2.0", "id": obj["id"], **ans}).encode() + b"\n"
                        self.write(data)
                    continue
                key = json.dumps(obj.get("id")) if isinstance(obj, dict) else "<non-object>"
                with self.cond:
                    self.lines.setdefault(key, []).append(ln)
                    self.cond.notify_all()
        finally:
            with self.cond:
                self.eof = True
                self.cond.notify_all()

    def _read_stderr(self) -> None:
        f = self.proc.stderr
        assert f is not None
        while True:
            chunk = f.read(1 << 16)
            if not chunk:
                break
            with self.cond:
                self.stderr_buf += chunk
                self.cond.notify_all()

    def stderr_text(self) -> str:
        with self.cond:
            return bytes(self.stderr_buf).decode("utf-8", "replace")

    def stderr_lines(self) -> list[str]:
        return self.stderr_text().splitlines()

    def wait_stderr(self, pred: Callable[[str], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred(self.stderr_text()):
                return True
            time.sleep(0.02)
        return pred(self.stderr_text())

    # -- writing -----------------------------------------------------------------
    def write(self, data: bytes) -> None:
        with self._wlock:
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError):
                pass

    def send(self, method: str, params: Any = None, *, rid: Any = None) -> str:
        if rid is None:
            self.next_id += 1
            rid = f"{self.id_prefix}-{self.next_id}" if self.id_prefix else self.next_id
        req = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            req["params"] = params
        self.write(json.dumps(req).encode() + b"\n")
        return json.dumps(rid)

    def raw(self, key: str, timeout: float = 30.0) -> bytes:
        with self.cond:
            if not self.cond.wait_for(lambda: self.lines.get(key) or self.eof, timeout):
                raise TimeoutError(f"{self.name}: no answer to {key} within {timeout} s")
            got = self.lines.get(key)
            if not got:
                raise BridgeDied(f"{self.name}: stdout closed before the answer to {key}; "
                                 f"stderr: {self.stderr_text()[-3000:]}")
            return got.pop(0)

    def wait(self, key: str, timeout: float = 30.0) -> Any:
        return json.loads(self.raw(key, timeout))

    def wait_result(self, key: str, timeout: float = 60.0) -> Any:
        """The ``result`` of the response to ``key`` (asserts no JSON-RPC error)."""
        resp = self.wait(key, timeout)
        if "error" in resp:
            raise AssertionError(f"request {key} failed: {resp}")
        return resp["result"]

    def call(self, method: str, params: Any = None, timeout: float = 30.0) -> Any:
        """The response's ``result`` (asserts there is no JSON-RPC error)."""
        resp = self.wait(self.send(method, params), timeout)
        if "error" in resp:
            raise AssertionError(f"{method} failed: {resp}")
        return resp["result"]

    def scall(self, sid: str, ns: str, method: str, args: Any = None, timeout: float = 30.0) -> Any:
        params = {"session_id": sid, "ns": ns, "method": method}
        if args is not None:
            params["args"] = args
        return self.call("session.call", params, timeout)

    def ssend(self, sid: str, ns: str, method: str, args: Any = None) -> str:
        params = {"session_id": sid, "ns": ns, "method": method}
        if args is not None:
            params["args"] = args
        return self.send("session.call", params)

    def invoke(self, sid: str, tool_id: str, tool: str, args: Any = None, timeout_ms: Optional[int] = None,
               timeout: float = 100.0) -> Any:
        a: dict[str, Any] = {"tool_id": tool_id, "method": tool}
        if args is not None:
            a["args"] = args
        if timeout_ms is not None:
            a["timeoutMs"] = timeout_ms
        return self.scall(sid, "tools", "invoke", a, timeout)

    def invoke_send(self, sid: str, tool_id: str, tool: str, args: Any = None, timeout_ms: Optional[int] = None) -> str:
        a: dict[str, Any] = {"tool_id": tool_id, "method": tool}
        if args is not None:
            a["args"] = args
        if timeout_ms is not None:
            a["timeoutMs"] = timeout_ms
        return self.ssend(sid, "tools", "invoke", a)

    def register(self, items: list[dict]) -> Any:
        return self.call("executas.register", {"executas": items})

    def create(self, tools: list[str], user_id: int = 1, **kw: Any) -> str:
        return self.call("session.create", {"user_id": user_id, "manifest": manifest(tools, **kw)})["session_id"]

    # -- jobs ----------------------------------------------------------------------
    def job(self, sid: str, tool_id: str, tool: str, args: Any = None, **extra: Any) -> Any:
        a: dict[str, Any] = {"tool_id": tool_id, "method": tool, **extra}
        if args is not None:
            a["args"] = args
        return self.scall(sid, "tools", "invokeAsync", a)

    def wait_job(self, sid: str, job_id: str, timeout: float = 30.0, **extra: Any) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            got = self.scall(sid, "tools", "getJob", {"jobId": job_id, **extra})
            assert got["ok"] is True, got
            if got["result"]["state"] not in ("queued", "running"):
                return got["result"]
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {got['result']['state']} after {timeout} s")
            time.sleep(0.02)

    # -- lifetime ------------------------------------------------------------------
    def close_stdin(self) -> None:
        with self._wlock:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
            except OSError:
                pass

    def wait_exit(self, timeout: float = 20.0) -> Optional[int]:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def children(self) -> list[int]:
        return children_of(self.pid)


# -- /proc helpers -----------------------------------------------------------------

def proc_stat(pid: int) -> Optional[tuple[str, int]]:
    """(state letter, ppid) of a live or zombie process, None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("ascii", "replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    rest = data[data.rindex(")") + 2:].split()
    return rest[0], int(rest[1])


def children_of(ppid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st and st[1] == ppid:
                out.append(int(d))
    return sorted(out)


def zombies_of(ppid: int) -> list[int]:
    return [p for p in children_of(ppid) if (proc_stat(p) or ("?",))[0] == "Z"]


def gone(pid: int) -> bool:
    """True when the process no longer exists (reaped); a zombie is not gone."""
    return proc_stat(pid) is None


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gone(pid):
            return True
        time.sleep(0.01)
    return gone(pid)


def kill_quietly(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
