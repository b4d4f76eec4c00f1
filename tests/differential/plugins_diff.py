#!/usr/bin/env python3
"""Plugin differential: the same executa plugins registered in the reference
bridge and in ``anna-bridge``, driven through the same sequences.

    python3 tests/differential/plugins_diff.py [--ours PATH|ref] [--verbose] [--dump DIR]
                                              [--no-expiry] [--no-aps] [--seed S] [--random N]

Both bridges run side by side (one thread each) with the same environment
(``bridgeproc.bridge_env``), the same project directory and the fault-injection
plugin ``tests/plugins/plug.py`` (plus ``exit_at_start.py``, ``ignore_term.py``,
``slow_exit.py``) registered under several tool ids, so that faults which kill
or stall one process do not disturb the others. Each side runs the same
scenario (``scenario()``): sync ``tools.invoke`` with every fault of spec 07
§10, every reverse-RPC method of the whitelist (files/*, host/uploadFile
modes, sampling validation, missing grants, notification and id forms),
invokeAsync / getJob / cancelJob / listJobs with progress, every JOB-FOLD rule,
the 5-active-jobs quota and a deadline expiry, ``--random`` seeded random
operations (``--seed``), then EOF. A second pair of
bridges runs in APS storage mode (``ANNA_APP_RUNTIME_STORAGE_MODE=aps``) for
the files/* and storage/* forwards. The harness plays "Node" for outbound
host calls (the answer echoes the call: ``{"node": <method>, "params": …}``,
or the error given in ``params.node_error``).

Every response, every outbound line (per step), every plugin stderr line
(``[executa:<tool_id>] …``, per tool id) and the exit status are compared
after normalisation (``normalize.Normalizer`` plus: plugin pids, invoke ids,
``deadlineMs`` relative to ``createdAt`` / to the clock). A difference is a
*documented divergence* only if the step names the rule and the reference's
and our lines are exactly the documented behaviours (``DIVERGENCES`` below:
EX-EXIT-4, EX-RESP-1, EX-CTX-5, SS-6, U-2, U-4, BR-EOF-2); known bugs of ours
(``KNOWN_BUGS``) are reported separately, also only when exact; anything else
is a mismatch.
Timing-dependent outcomes are made deterministic (``timeoutMs`` 1000 → a 3.0 s
budget against a plugin sleeping 10 s, a 60 s job deadline against a plugin
that never answers). Exit status 1 on any mismatch; the run takes about 75 s
(``--no-expiry``: about 20 s).
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import os
import re
import shlex
import shutil
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PLUGINS = ROOT / "tests" / "plugins"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(PLUGINS))
sys.dont_write_bytecode = True

from bridgeproc import bridge_env  # noqa: E402
from normalize import Normalizer  # noqa: E402
import pluginlib  # noqa: E402
from pluginlib import Bridge, manifest  # noqa: E402

KEY_BYTES = bytes(range(32))

T = "tool-test-plug"
ALIASES = ["tool-x-ids", "tool-x-true", "tool-x-e42", "tool-x-estr", "tool-x-elist", "tool-x-etrue",
           "tool-x-tmo", "tool-x-big", "tool-x-ctx", "tool-x-jobs", "tool-x-quota", "tool-x-exp",
           "tool-x-close", "tool-x-flood", "tool-x-crash"]
SPECIAL = ["tool-x-nocmd", "tool-x-nouv", "tool-x-nodir", "tool-x-start", "tool-x-term", "tool-x-slow"]
ALL_TOOLS = [T] + ALIASES + SPECIAL

EXPIRY_S = 60.0  # the async policy's minimum deadline (timeoutMs 1000 → 60000)


# ---------------------------------------------------------------------------------
# normalisation
# ---------------------------------------------------------------------------------

_DEADLINE_SNAP = re.compile(r'("createdAt": "(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{6})?)Z", '
                            r'"updatedAt": "[^"]*", "deadlineMs": )(-?\d+)')
_DEADLINE = re.compile(r'("deadlineMs": )(-?\d+)')
_PID = re.compile(r'("pid": |pid )(\d+)')
_HEX32 = re.compile(r"(?<![0-9a-zA-Z_])[0-9a-f]{32}(?![0-9a-zA-Z])")
_EXITED = re.compile(r"exited-(\d+)")


def _epoch_ms(iso: str) -> int:
    import datetime as dt
    d = dt.datetime.fromisoformat(iso).replace(tzinfo=dt.timezone.utc)
    return int(d.timestamp() * 1_000_000) // 1000


class Norm:
    """Per-side normalisation (stateful: placeholders in order of appearance)."""

    def __init__(self, verify) -> None:
        self.base = Normalizer(KEY_BYTES, verify)
        self.pids: dict[str, str] = {}
        self.hex: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        def snap(m: re.Match) -> str:
            return f'{m.group(1)}"<createdAt+{int(m.group(3)) - _epoch_ms(m.group(2))}ms>"'

        text = _DEADLINE_SNAP.sub(snap, text)
        now_ms = time.time() * 1000

        def rel(m: re.Match) -> str:
            d = (int(m.group(2)) - now_ms) / 1000
            return f'{m.group(1)}"<now+{int(round(d / 10.0)) * 10}s>"'

        text = _DEADLINE.sub(rel, text)
        text = self.base(text)

        def pid(m: re.Match) -> str:
            p = self.pids.setdefault(m.group(2), f"<pid-{len(self.pids) + 1}>")
            return m.group(1) + p

        text = _PID.sub(pid, text)
        return _HEX32.sub(lambda m: self.hex.setdefault(m.group(0), f"<hex-{len(self.hex) + 1}>"), text)


# ---------------------------------------------------------------------------------
# recording
# ---------------------------------------------------------------------------------

@dataclass
class Record:
    label: str
    kind: str          # response | outbound | stderr | exit | note
    text: Optional[str]
    div: tuple = ()
    sort_events: bool = False
    bugs: tuple = ()


def node_answer(method: str, params: Any) -> dict:
    """Node's answer to an outbound host call (deterministic)."""
    if isinstance(params, dict) and "node_error" in params:
        return {"error": params["node_error"]}
    return {"result": {"node": method, "params": params}}


class Side:
    def __init__(self, name: str, argv: list[str], env: dict, cwd: str, verify, proj: str) -> None:
        self.name = name
        self.proj = proj
        self.b = Bridge(argv, env, cwd, node=node_answer, name=name, id_prefix="")
        self.norm = Norm(verify)
        self.records: list[Record] = []
        self.out_seen = 0
        self.failed: Optional[str] = None
        self.sids: dict[str, str] = {}
        self.t0 = time.monotonic()
        self.exit_code: Optional[int] = None
        self.timeline: list[str] = []

    # -- basic recording ------------------------------------------------------------
    def _norm(self, raw: Optional[bytes]) -> Optional[str]:
        if raw is None:
            return None
        return self.norm(raw.decode("utf-8", "surrogateescape").rstrip("\r\n"))

    def _outbound(self, label: str) -> None:
        with self.b.cond:
            new = self.b.outbound[self.out_seen:]
            self.out_seen = len(self.b.outbound)
        for i, ln in enumerate(new):
            self.records.append(Record(f"{label} [outbound {i + 1}]", "outbound", self._norm(ln)))

    def wait_raw(self, key: str, timeout: float) -> Optional[bytes]:
        try:
            return self.b.raw(key, timeout)
        except TimeoutError:
            return None
        except pluginlib.BridgeDied:
            return None

    def rec(self, label: str, key: str, *, timeout: float = 30.0, div: tuple = (), sort_events: bool = False,
            bugs: tuple = ()) -> Any:
        raw = self.wait_raw(key, timeout)
        self.timeline.append(f"{time.monotonic() - self.t0:7.2f}s {label}")
        head = b'{"jsonrpc": "2.0", "id": ' + key.encode()
        if raw is not None and raw.startswith(head):  # ids differ (unrecorded polls); run.py checks id echo
            raw = b'{"jsonrpc": "2.0", "id": "<req>"' + raw[len(head):]
        text = self._norm(raw) if raw is not None else "<no answer within %.0f s>" % timeout
        self.records.append(Record(label, "response", text, div, sort_events, bugs))
        self._outbound(label)
        try:
            return json.loads(raw) if raw is not None else None
        except ValueError:
            return None

    def req(self, label: str, method: str, params: Any = None, **kw: Any) -> Any:
        return self.rec(label, self.b.send(method, params), **kw)

    def call(self, label: str, sid: str, ns: str, method: str, args: Any = None, **kw: Any) -> Any:
        params = {"session_id": self.sids[sid], "ns": ns, "method": method}
        if args is not None:
            params["args"] = args
        return self.req(label, "session.call", params, **kw)

    def send_call(self, sid: str, ns: str, method: str, args: Any = None) -> str:
        params = {"session_id": self.sids[sid], "ns": ns, "method": method}
        if args is not None:
            params["args"] = args
        return self.b.send("session.call", params)

    def inv(self, label: str, sid: str, tool: str, args: Any = None, *, tool_id: str = T,
            timeout_ms: Optional[int] = None, **kw: Any) -> Any:
        return self.call(label, sid, "tools", "invoke", inv_args(tool_id, tool, args, timeout_ms), **kw)

    def send_inv(self, sid: str, tool: str, args: Any = None, *, tool_id: str = T,
                 timeout_ms: Optional[int] = None) -> str:
        return self.send_call(sid, "tools", "invoke", inv_args(tool_id, tool, args, timeout_ms))

    def result(self, resp: Any) -> Any:
        try:
            return resp["result"]["result"]
        except (KeyError, TypeError):
            return None

    def drain(self, label: str, *, sort_events: bool = False, settle: float = 0.15, div: tuple = (),
              bugs: tuple = ()) -> Any:
        time.sleep(settle)  # JOB-EVT-4: the reference appends job events from scheduled tasks
        return self.req(label, "session.drain_events", {"session_id": self.sids["A"]}, sort_events=sort_events, div=div,
                        bugs=bugs)

    def job(self, label: str, sid: str, tool: str, args: Any = None, *, tool_id: str = "tool-x-jobs",
            **extra: Any) -> Optional[str]:
        a: dict[str, Any] = {"tool_id": tool_id, "method": tool, **extra}
        if args is not None:
            a["args"] = args
        r = self.call(label, sid, "tools", "invokeAsync", a)
        try:
            return r["result"]["result"]["jobId"]
        except (KeyError, TypeError):
            return None

    def wait_job(self, sid: str, job: Optional[str], timeout: float = 30.0) -> None:
        """Polls (unrecorded) until the job is terminal."""
        if job is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                r = self.b.scall(self.sids[sid], "tools", "getJob", {"jobId": job, "limit": 1})
            except (TimeoutError, AssertionError, pluginlib.BridgeDied):
                return
            if r.get("ok") is not True or r["result"]["state"] not in ("queued", "running"):
                return
            time.sleep(0.02)

    def get_job(self, label: str, sid: str, job: Optional[str], wait: bool = True, bugs: tuple = (), **extra: Any) -> Any:
        if wait:
            self.wait_job(sid, job)
        return self.call(label, sid, "tools", "getJob", {"jobId": job or "tjob_" + "0" * 32, **extra}, bugs=bugs)

    def note(self, label: str, text: str) -> None:
        self.records.append(Record(label, "note", text))


def inv_args(tool_id: str, tool: str, args: Any, timeout_ms: Optional[int]) -> dict:
    a: dict[str, Any] = {"tool_id": tool_id, "method": tool}
    if args is not None:
        a["args"] = args
    if timeout_ms is not None:
        a["timeoutMs"] = timeout_ms
    return a


# ---------------------------------------------------------------------------------
# the scenario (run identically on both sides)
# ---------------------------------------------------------------------------------

def rev1(s: Side, label: str, sid: str, method: Any, params: Any = None, div: tuple = (), **call: Any) -> Any:
    """One reverse call through the ``rev`` tool; the invoke result holds the
    parsed response and the raw H→P line."""
    c: dict[str, Any] = {"method": method, **call}
    if params is not None:
        c["params"] = params
    return s.inv(label, sid, "rev", {"calls": [c]}, div=div)


def scenario(s: Side, opts: argparse.Namespace) -> None:
    py = pluginlib.python()
    plug = str(PLUGINS / "plug.py")
    proj = s.proj
    items = [{"tool_id": t, "project_dir": proj, "command": [py, plug]} for t in [T] + ALIASES]
    items += [
        {"tool_id": "tool-x-nocmd", "project_dir": proj, "command": ["/nonexistent/bin"]},
        {"tool_id": "tool-x-nouv", "project_dir": proj},
        {"tool_id": "tool-x-nodir", "project_dir": "/no/such/dir", "command": [py, plug]},
        # exits 0.3 s after start without reading: immediately would race with the first write in the
        # reference ("Connection lost" or "executa process exited"); test_faults.py covers that for ours
        {"tool_id": "tool-x-start", "project_dir": proj, "command": [py, str(PLUGINS / "exit_at_start.py"), "0.3"]},
        {"tool_id": "tool-x-term", "project_dir": proj, "command": [py, str(PLUGINS / "ignore_term.py")]},
        {"tool_id": "tool-x-slow", "project_dir": proj, "command": [py, str(PLUGINS / "slow_exit.py")], },
    ]
    s.req("executas.register (all test plugins)", "executas.register", {"executas": items})
    # U-4: registration types are validated (ours) / accepted (reference).
    for i, bad in enumerate([{"tool_id": 5, "project_dir": proj},
                             {"tool_id": "tool-u4-a", "project_dir": proj, "command": "abc"},
                             {"tool_id": "tool-u4-b", "project_dir": proj, "command": 5},
                             {"tool_id": "tool-u4-c", "project_dir": proj, "command": [py, None]},
                             {"tool_id": "tool-u4-d", "project_dir": 7}]):
        s.req(f"executas.register U-4 #{i} {json.dumps(bad)[:60]}", "executas.register", {"executas": [bad]},
              div=("U-4",))
    s.req("executas.register missing project_dir", "executas.register", {"executas": [{"tool_id": "tool-u4-e"}]})

    def create(name: str, user: int, **kw: Any) -> None:
        r = s.req(f"session.create {name} (user {user})", "session.create",
                  {"user_id": user, "manifest": manifest(ALL_TOOLS, **kw), "app_slug": f"app-{name.lower()}"})
        try:
            s.sids[name] = r["result"]["session_id"]
        except (KeyError, TypeError):
            s.sids[name] = "sess-missing"

    create("A", 1)
    create("B", 2)
    create("N", 1, storage=False)
    create("L", 1, llm=True, extra={"agent": {"session": {"auto": True}}, "image": ["*"], "web": ["*"]})
    create("E", 3)
    create("C", 4)
    create("C2", 4)

    # A job that never answers, to expire at the end of the run (JOB-RUN-2).
    exp_job = None
    t_exp = time.monotonic()
    if not opts.no_expiry:
        exp_job = s.job("invokeAsync expiry job (hang, timeoutMs 1000 -> 60000)", "E", "hang", {},
                        tool_id="tool-x-exp", timeoutMs=1000)

    # -- 1. sync invokes: envelopes --------------------------------------------------
    s.inv("echo {é: 1} (spawn)", "A", "echo", {"é": 1})
    s.inv("echo again (warm: same pid)", "A", "echo", {"n": [1, 2.5, None, True]})
    s.inv("frame: the invoke line as the plugin received it (EX-WIRE-2)", "A", "frame", {"é": "x", "s": "😀\u2028"})
    for label, args in [("args [1]", [1]), ("args 's'", "s"), ("args null", None), ("args 0", 0), ("args ''", ""),
                        ("args {} ", {}), ("args nested", {"a": {"b": [{"c": None}]}, "big": 123456789012345678901234567890})]:
        s.call(f"echo {label} (EX-WIRE-3)", "A", "tools", "invoke", {"tool_id": T, "method": "echo", "args": args})
    s.call("echo without args key", "A", "tools", "invoke", {"tool_id": T, "method": "echo"})
    s.call("tool id with separator (plugin.tool)", "A", "tools", "invoke", {"tool_id": T + ".echo", "args": {"x": 1}})
    for label, value in [
        ("inner success:false error", {"success": False, "error": "nope"}),
        ("inner success:false only", {"success": False}),
        ("inner details dropped", {"success": False, "error": "x", "details": {"a": 1}}),
        ("inner subcall_timeout", {"success": False, "error": "subcall_timeout {'subcall': 'storage'}"}),
        ("inner error object", {"success": False, "error": {"msg": "boom", "n": 1}}),
        ("inner error 0", {"success": False, "error": 0}),
        ("result 'hello'", "hello"),
        ("result null", None),
        ("result [1]", [1]),
        ("result 5", 5),
        ("inner success:true no data", {"success": True}),
        ("inner data list", {"success": True, "data": [1, 2]}),
        ("inner success 1", {"success": 1, "data": {"a": 1}}),
        ("inner success 'yes'", {"success": "yes", "data": {"é": "ü"}}),
        ("inner success 0", {"success": 0, "data": {"a": 1}}),
        ("inner data jsonrpc_error", {"success": False, "error": "x", "data": {"jsonrpc_error": {"code": -32602}}}),
    ]:
        s.inv(f"result: {label}", "A", "result", {"value": value})
    s.inv("result member absent", "A", "result", {})
    # EX-RESP-3 table (+ extras)
    for e in [{"code": -32000, "message": "boom"}, {"code": -32602, "message": "bad param"}, {}, None, "", 0, False, [],
              {"code": None, "message": None}, {"code": "abc", "message": {"a": 1}}, {"message": "only msg"},
              {"code": 5}, {"code": -32000, "message": "é"}, {"code": 1.5, "message": [1, "x"]},
              {"code": 123456789012345678901234567890, "message": True}, {"code": -32000, "message": "m", "data": {"x": 1}}]:
        s.inv(f"error member {json.dumps(e)} (EX-RESP-3)", "A", "error", {"error": e})
    s.inv("error and result both present (error wins)", "A", "error", {"error": {"code": 1, "message": "e"},
                                                                        "also_result": {"success": True, "data": {}}})

    # -- 2. stdout faults ----------------------------------------------------------------
    s.inv("noise then answer (EX-READ-2)", "A", "noise",
          {"lines": ["this is not json", "[1,2,3]", '{"id": 999999, "result": 1}', '"str"', "null", "{}",
                     '{"id": null, "result": 2}', '{"id": "1", "result": 3}'],
           "hex": ["fffe80", "7b226964223a20317d ff"], "stderr": ["noise on stderr"]})
    s.inv("string id then real answer", "A", "members", {"id_mode": "string", "members": {"result": {"success": True, "data": {"w": "string id"}}},
                                                         "then": {"result": {"success": True, "data": {"w": "real"}}}})
    s.inv("float id (matches, EX-RESP-1)", "A", "members", {"id_mode": "float", "members": {"result": {"success": True, "data": {"w": "float id"}}}})
    s.inv("null id then real answer", "A", "members", {"id_mode": "null", "members": {"result": {"success": True, "data": {"w": "null"}}},
                                                       "then": {"result": {"success": True, "data": {"w": "real"}}}})
    s.inv("true id on a fresh process (matches id 1)", "A", "members", {"id_mode": "true", "members": {"result": {"success": True, "data": {"w": "true id"}}}},
          tool_id="tool-x-true")
    s.inv("drip: answer one byte per write", "A", "drip", {"delay": 0.002})
    s.inv("crash mid-invoke (exit 3)", "A", "crash", {})
    s.inv("echo after crash (respawned: new pid)", "A", "echo", {})
    s.inv("frame after the respawn (request ids restart at 1, EX-ID-1)", "A", "frame", {})
    s.inv("crash after a partial line", "A", "crash", {"partial": '{"jsonrpc": "2.0", "id"'})
    s.inv("crash: complete answer without newline, then exit (EX-READ-1)", "A", "crash", {"partial_answer": True})
    # The process is dead once its answer arrived; the reference (one event loop) sees the EOF before the next
    # call. Ours may not yet (EXIT-RACE, tests/plugins/test_faults.py::test_answer_then_eof_respawns): wait a
    # little so the spawn counts (and the pid placeholders after this point) agree.
    time.sleep(0.3)
    s.inv("answer then exit", "A", "exit_after", {})
    time.sleep(0.5)  # the plugin exits 0.05 s after answering: let both runtimes see it die
    s.inv("echo after exit (respawned)", "A", "echo", {})
    s.inv("close stdout, keep running", "A", "close_stdout", {}, tool_id="tool-x-crash")
    s.inv("echo after close_stdout (respawned)", "A", "echo", {}, tool_id="tool-x-crash")
    s.inv("stderr lines (EX-STDERR-1)", "A", "stderr", {"lines": ["stderr line one", "é ünïcode ✓"],
                                                        "hex": ["626164ff20e282 20656e64"]})

    # -- 3. sizes ---------------------------------------------------------------------------
    s.inv("response line 4194304 bytes (EX-RES-1: ok)", "A", "sized", {"bytes": 4194304}, tool_id="tool-x-big")
    s.inv("response line 4194305 bytes (result_too_large)", "A", "sized", {"bytes": 4194305}, tool_id="tool-x-big")
    s.inv("response line 17 MiB (oversized frame with id)", "A", "sized", {"bytes": 17 << 20}, tool_id="tool-x-big")
    s.inv("20 MiB non-JSON stdout line, then answer", "A", "bigline", {"bytes": 20 << 20}, tool_id="tool-x-big")
    s.inv("17 MiB stderr line, then answer (EX-STDERR-2)", "A", "bigline", {"bytes": 17 << 20, "stream": "stderr"},
          tool_id="tool-x-big")
    s.inv("17 MiB storage/set reverse request (EX-FRAME-2 case 2)", "A", "bigrev", {"bytes": 17 << 20}, tool_id="tool-x-big")
    s.inv("echo after the big frames (same process)", "A", "echo", {}, tool_id="tool-x-big")

    # -- 4. timeouts and non-object errors, all at once (one ~3 s wait) -------------------------
    keys = []
    keys.append(("sync timeout: timeoutMs 1000, plugin sleeps 10 s (3.0 s budget)",
                 s.send_inv("A", "sleep", {"s": 10}, tool_id="tool-x-tmo", timeout_ms=1000), ()))
    keys.append(("sync timeout: timeoutMs 500 (clamped to 1000, details)",
                 s.send_inv("A", "hang", {}, tool_id="tool-x-tmo", timeout_ms=500), ()))
    for tid, val in [("tool-x-e42", 42), ("tool-x-estr", "boom"), ("tool-x-elist", [1]), ("tool-x-etrue", True)]:
        keys.append((f"companion call in flight on {tid} (EX-EXIT-4)",
                     s.send_inv("A", "sleep", {"s": 1.0}, tool_id=tid, timeout_ms=5000), ("EX-EXIT-4",)))
    time.sleep(0.3)  # the companions are in flight before the bad answers arrive
    for tid, val in [("tool-x-e42", 42), ("tool-x-estr", "boom"), ("tool-x-elist", [1]), ("tool-x-etrue", True)]:
        keys.append((f"error member {json.dumps(val)} on {tid} (EX-EXIT-4)",
                     s.send_inv("A", "error", {"error": val}, tool_id=tid, timeout_ms=1000), ("EX-EXIT-4",)))
    keys.append(("id [n] then real answer on tool-x-ids (EX-RESP-1)",
                 s.send_inv("A", "members", {"id_mode": "array", "members": {"result": {"success": True, "data": {"w": "array id"}}},
                                             "then": {"result": {"success": True, "data": {"w": "real"}}}, "gap": 0.2},
                            tool_id="tool-x-ids", timeout_ms=1000), ("EX-RESP-1",)))
    for label, key, div in keys:
        s.rec(label, key, timeout=20, div=div)
    s.inv("id {id: n} then real answer on tool-x-ids (EX-RESP-1)", "A", "members",
          {"id_mode": "object", "members": {"result": {"success": True, "data": {"w": "object id"}}},
           "then": {"result": {"success": True, "data": {"w": "real"}}}, "gap": 0.2},
          tool_id="tool-x-ids", timeout_ms=1000, div=("EX-RESP-1",))
    s.inv("echo on tool-x-tmo after the timeouts (EX-TMO-3: same process)", "A", "echo", {}, tool_id="tool-x-tmo")

    # -- 5. spawn failures and process-level plugins ----------------------------------------
    s.inv("missing command (EX-SPAWN-4)", "A", "echo", {}, tool_id="tool-x-nocmd")
    s.inv("missing uv (default command)", "A", "echo", {}, tool_id="tool-x-nouv")
    s.inv("missing project dir", "A", "echo", {}, tool_id="tool-x-nodir")
    s.inv("missing command again (nothing cached)", "A", "echo", {}, tool_id="tool-x-nocmd")
    s.inv("plugin exits at start", "A", "echo", {}, tool_id="tool-x-start")
    s.inv("plugin exits at start (again: respawn)", "A", "echo", {}, tool_id="tool-x-start")
    s.inv("plugin ignoring SIGTERM answers", "A", "echo", {}, tool_id="tool-x-term")
    s.inv("plugin slow to exit answers", "A", "echo", {}, tool_id="tool-x-slow")

    # -- 6. reverse RPC ---------------------------------------------------------------------------
    rev1(s, "rev storage/set with context", "A", "storage/set", {"key": "k", "value": "vé"})
    rev1(s, "rev storage/get with context", "A", "storage/get", {"key": "k"})
    rev1(s, "rev storage/get no context (single in flight, EX-CTX-2)", "A", "storage/get", {"key": "k"}, context="none")
    rev1(s, "rev storage/get bogus invoke id (EX-CTX-2)", "A", "storage/get", {"key": "k"}, context="bogus")
    rev1(s, "rev storage/get context not an object", "A", "storage/get", {"key": "k"}, context={"invoke_id": 5})
    rev1(s, "rev storage/get {} (key required)", "A", "storage/get", {})
    s.inv("rev storage/get params [1]", "A", "rev", {"calls": [{"method": "storage/get", "params": [1]}]})
    s.inv("rev storage/get params absent", "A", "rev", {"calls": [{"method": "storage/get", "no_params": True}]})
    s.inv("rev storage/get params 'x'", "A", "rev", {"calls": [{"method": "storage/get", "params": "x"}]})
    rev1(s, "rev storage/list limit 0", "A", "storage/list", {"limit": 0})
    rev1(s, "rev storage/list", "A", "storage/list", {})
    rev1(s, "rev storage/delete nokey", "A", "storage/delete", {"key": "nokey"})
    rev1(s, "rev storage/set value with non-ASCII + big int", "A", "storage/set",
         {"key": "kü", "value": {"t": "😀\u2028", "n": 123456789012345678901234567890, "f": 1.5}})
    rev1(s, "rev storage/get it back", "A", "storage/get", {"key": "kü"})
    s.call("app storage.get sees the plugin's value (EX-ROUTE-5)", "A", "storage", "get", {"key": "kü"})
    s.inv("rev storage/set as notification (no effect)", "A", "rev",
          {"calls": [{"method": "storage/set", "params": {"key": "notif", "value": 1}, "notify": True},
                     {"method": "storage/set", "params": {"key": "notif2", "value": 1}, "notify": True, "null_id": True}]})
    time.sleep(0.2)
    s.call("app storage.get after notifications", "A", "storage", "get", {"key": "notif"})
    s.call("app storage.get after null-id notification", "A", "storage", "get", {"key": "notif2"})
    for label, rid in [("string id", "abc"), ("float id", 1.5), ("negative id", -7), ("big id", 123456789012345678901234567890),
                       ("object id", {"a": 1}), ("id 1 (collides with host id space)", 1)]:
        s.inv(f"rev request with {label} (EX-REV-5)", "A", "rev", {"calls": [{"method": "storage/get", "params": {"key": "k"}, "id": rid}]})
    for m in ["foo/bar", None, 5, "executa/progress", "web/image_search", "web/image_fetch", "agent/session.refresh",
              "storage/GET", "", ["storage/get"]]:
        rev1(s, f"rev method {json.dumps(m)} (EX-REV-2)", "A", m, {"key": "k"})
    s.inv("rev line without method (a response shape: ignored)", "A", "rev",
          {"calls": [{"no_method": True, "params": {"key": "k"}, "timeout": 0.5}]})
    for m in ["files/upload_begin", "files/upload_complete", "files/download_url", "files/list", "files/delete"]:
        rev1(s, f"rev {m} (local: not_implemented)", "A", m, {"name": "a.txt"})
    # host/uploadFile (EX-ROUTE-3): forwarded to Node whatever the grants
    rev1(s, "rev host/uploadFile default mode", "N", "host/uploadFile", {"filename": "a.txt", "_clientTimeoutS": 5})
    rev1(s, "rev host/uploadFile mode ''", "A", "host/uploadFile", {"filename": "a.txt", "mode": ""})
    rev1(s, "rev host/uploadFile negotiate", "A", "host/uploadFile", {"mode": "negotiate", "size": 10, "mime": "text/plain"})
    rev1(s, "rev host/uploadFile confirm", "A", "host/uploadFile", {"mode": "confirm", "r2_key": "k"})
    for mode in ["x", 5, [1], {"a": 1}, True]:
        rev1(s, f"rev host/uploadFile mode {json.dumps(mode)}", "A", "host/uploadFile", {"mode": mode})
    for label, err in [("invalid_request", {"code": -32000, "message": "denied", "data": {"errorCode": "invalid_request", "x": 1}}),
                       ("APP_NOT_GRANTED", {"code": -32000, "message": "denied", "data": {"errorCode": "APP_NOT_GRANTED", "x": 1}}),
                       ("no data", {"code": -32000, "message": "boom"}),
                       ("not_implemented", {"code": -32004, "message": "nope", "data": {"errorCode": "not_implemented"}}),
                       ("invalid_arg", {"code": -32602, "message": "bad", "data": {"errorCode": "invalid_arg"}}),
                       ("no message", {"code": 7})]:
        rev1(s, f"rev host/uploadFile, Node answers error {label} (EX-RMAP-2)", "A", "host/uploadFile",
             {"filename": "a", "node_error": err})
    # sampling (EX-SAMP-1) and the other routes, with and without grants
    text_msg = {"role": "user", "content": {"type": "text", "text": "hi"}}
    img_msg = {"role": "user", "content": {"type": "image", "data": "AAAA", "mimeType": "image/png"}}
    for label, msgs in [("image content", [img_msg]), ("text 5", [{"role": "user", "content": {"type": "text", "text": 5}}]),
                        ("second message bad", [text_msg, {"role": "user", "content": "str"}]),
                        ("message not an object", [text_msg, 5]), ("content list", [{"role": "user", "content": [{"type": "text", "text": "x"}]}])]:
        rev1(s, f"rev sampling/createMessage {label} (EX-SAMP-1)", "L", "sampling/createMessage", {"messages": msgs, "maxTokens": 5})
    rev1(s, "rev sampling/createMessage messages not a list", "L", "sampling/createMessage", {"messages": "hi", "maxTokens": 5})
    rev1(s, "rev sampling/createMessage text, no llm grant", "A", "sampling/createMessage", {"messages": [text_msg], "maxTokens": 5})
    rev1(s, "rev sampling/createMessage text, llm granted (to Node)", "L", "sampling/createMessage",
         {"messages": [text_msg], "maxTokens": 5})
    rev1(s, "rev agent/complete with image content (no sampling check)", "L", "agent/complete", {"messages": [img_msg], "maxTokens": 5})
    rev1(s, "rev sampling/createMessage, Node answers an error", "L", "sampling/createMessage",
         {"messages": [text_msg], "maxTokens": 5, "node_error": {"code": -32000, "message": "llm down", "data": {"errorCode": "upstream"}}})
    for m, p in [("embeddings/create", {"input": ["a"]}), ("agent/complete", {"messages": [text_msg]}),
                 ("image/generate", {"prompt": "cat"}), ("image/edit", {"prompt": "cat", "image": "AAAA"}),
                 ("web/search", {"query": "x"}), ("web/fetch", {"urls": ["http://127.0.0.1/"]}),
                 ("agent/session.create", {}), ("agent/session.run", {"session_id": "s", "content": "hi"}),
                 ("agent/session.cancel", {"session_id": "s"}), ("agent/session.history", {"session_id": "s"}),
                 ("agent/session.delete", {"session_id": "s"})]:
        rev1(s, f"rev {m} without grant", "A", m, p)
        if m != "web/search":  # local web.search differs by design (WEB-SEARCH-6/7, run.py covers it)
            rev1(s, f"rev {m} with grant", "L", m, p)
    rev1(s, "rev storage/get in a session without storage grant", "N", "storage/get", {"key": "k"})
    rev1(s, "rev storage/set in a session without storage grant", "N", "storage/set", {"key": "k", "value": 1})
    s.call("app stores a lone surrogate", "A", "storage", "set", {"key": "sur", "value": "a\ud800b"})
    rev1(s, "rev storage/get of a lone surrogate (U-2)", "A", "storage/get", {"key": "sur"}, timeout=1.5, div=("U-2",))
    s.drain("drain after reverse RPC")

    # progress on the sync channel: dropped; as a request: -32601
    s.inv("progress notifications on a sync invoke (dropped)", "A", "progress",
          {"notes": [{"type": "progress", "data": {"pct": 1}}, {"type": "progress", "data": {"pct": 2}, "id": 77}]})

    # -- 7. flood ----------------------------------------------------------------------------------
    s.inv("flood: 300 pipelined storage/set with context", "A", "flood", {"n": 300, "prefix": "f"},
          tool_id="tool-x-flood", timeout=60)
    s.call("app storage.list after the flood", "A", "storage", "list", {"prefix": "f", "limit": 1000})
    s.drain("drain after the flood (order of concurrent reverse calls is free)", sort_events=True)

    # -- 8. EX-CTX-5: un-attributable reverse calls --------------------------------------------
    s.inv("ctx plugin spawned by session A (user 1)", "A", "echo", {}, tool_id="tool-x-ctx")
    s.inv("session B (user 2): answer, then storage/set without context", "B", "late",
          {"calls": [{"method": "storage/set", "params": {"key": "leak", "value": "from-B"}, "context": "none"},
                     {"method": "storage/get", "params": {"key": "leak"}, "context": "bogus"}]}, tool_id="tool-x-ctx")
    time.sleep(0.8)  # the late calls (0.2 s after the answer) are done: no invoke is in flight meanwhile
    s.inv("late reverse responses (EX-CTX-5)", "B", "late_results", {"n": 2, "timeout": 0}, tool_id="tool-x-ctx",
          div=("EX-CTX-5",))
    k1 = s.send_inv("B", "ambig", {"role": "wait", "key": "amb1"}, tool_id="tool-x-ctx")
    k2 = s.send_inv("B", "ambig", {"role": "call", "key": "amb1",
                                   "calls": [{"method": "storage/set", "params": {"key": "amb", "value": "from-B"}, "context": "none"}]},
                    tool_id="tool-x-ctx")
    s.rec("two invokes in flight, storage/set without context (EX-CTX-5)", k2, div=("EX-CTX-5",))
    s.rec("the other invoke of the pair", k1)
    s.call("session A storage.get leak (must be untouched)", "A", "storage", "get", {"key": "leak"}, div=("EX-CTX-5",))
    s.call("session A storage.get amb", "A", "storage", "get", {"key": "amb"}, div=("EX-CTX-5",))
    s.call("session B storage.get leak", "B", "storage", "get", {"key": "leak"})
    s.drain("drain after the EX-CTX-5 probes", div=("EX-CTX-5",))

    # -- 9. async jobs ----------------------------------------------------------------------------
    j = s.job("invokeAsync echo", "A", "echo", {"x": 1}, clientTag="t1")
    s.get_job("getJob echo (succeeded)", "A", j)
    s.drain("drain after a quick job (JOB-EVT-2)")
    notes = [{"type": "progress", "data": {"pct": 10}}, {"type": "tool_update", "data": {"msg": "hi"}},
             {"type": "weird", "data": [1, 2]}, {"type": None, "data": {"a": 1}}, {"type": "progress", "data": {"x": 0}, "context": "none"},
             {"type": "progress", "data": {"x": 1}, "context": "bogus"}, {"method": "other/notif", "type": "progress", "data": {"x": 2}},
             {"type": "", "data": {"e": 1}}, {"type": 5, "data": "str"}, {"type": "tool_update"},
             {"type": "progress", "data": {"as": "request"}, "id": 555}, {"raw_params": [1]}, {"type": "progress", "data": {"last": 1}}]
    j = s.job("invokeAsync progress", "A", "progress", {"notes": notes, "result": {"success": True, "data": {"done": True}}}, clientTag="t2")
    s.get_job("getJob progress (JOB-PROG-4)", "A", j)
    s.get_job("getJob progress sinceSeq 2 limit 2", "A", j, sinceSeq=2, limit=2)
    s.drain("drain after the progress job")
    j = s.job("invokeAsync progress right before the answer", "A", "progress",
              {"repeat": 5, "settle": 0, "result": {"success": True, "data": {"quick": True}}})
    s.get_job("getJob progress right before the answer (JOB-PROG-1)", "A", j)
    s.drain("drain after progress right before the answer")
    j = s.job("invokeAsync 600 progress notifications", "A", "progress", {"repeat": 600, "settle": 0.8, "result": {"success": True, "data": {}}})
    s.get_job("getJob after 600 notifications (ring of 500)", "A", j, limit=3)
    s.get_job("getJob sinceSeq 590", "A", j, sinceSeq=590)
    s.drain("drain after 600 notifications")
    blob = lambda n: {"success": True, "data": {"blob": "x" * n}}  # noqa: E731
    folds = [
        ("JOB-FOLD-4 JSON-RPC error", "error", {"error": {"code": -32000, "message": "boom"}}),
        ("JOB-FOLD-4 success:false", "result", {"value": {"success": False, "error": "nope"}}),
        ("JOB-FOLD-4 with details", "result", {"value": {"success": False, "error": "e", "details": {"d": 1}}}),
        ("JOB-FOLD-4 details not an object", "result", {"value": {"success": False, "details": "notdict"}}),
        ("JOB-FOLD-3 result 'hello'", "result", {"value": "hello"}),
        ("JOB-FOLD-3 result null", "result", {"value": None}),
        ("JOB-FOLD-5 data [1]", "result", {"value": {"success": True, "data": [1]}}),
        ("JOB-FOLD-5 data 's'", "result", {"value": {"success": True, "data": "s"}}),
        ("JOB-FOLD-6 data null", "result", {"value": {"success": True, "data": None}}),
        ("JOB-FOLD-6 no data", "result", {"value": {"success": True}}),
        ("JOB-FOLD-6 success 1, data 0", "result", {"value": {"success": 1, "data": 0}}),
        ("JOB-FOLD-2 4194305-byte line", "sized", {"bytes": 4194305}),
        ("JOB-FOLD-2 17 MiB line", "sized", {"bytes": 17 << 20}),
        ("JOB-FOLD-5 blob 262144 (262156 chars)", "result", {"value": blob(262144)}),
        ("JOB-FOLD-5 blob 262133 (262145)", "result", {"value": blob(262133)}),
        ("JOB-FOLD-5 blob 262132 (262144: ok)", "result", {"value": blob(262132)}),
        ("JOB-FOLD-5 non-ASCII counted in code points", "result", {"value": {"success": True, "data": {"blob": "é" * 262132}}}),
        ("JOB-FOLD-4 plugin exits", "crash", {}),
    ]
    for label, tool, args in folds:
        j = s.job(f"invokeAsync {label}", "A", tool, args)
        s.get_job(f"getJob {label}", "A", j, limit=1)
    j = s.job("invokeAsync JOB-FOLD-8 missing command", "A", "echo", {}, tool_id="tool-x-nocmd")
    s.get_job("getJob JOB-FOLD-8 missing command", "A", j)
    j = s.job("invokeAsync JOB-FOLD-8 missing uv", "A", "echo", {}, tool_id="tool-x-nouv")
    s.get_job("getJob JOB-FOLD-8 missing uv", "A", j)
    j = s.job("invokeAsync plugin exiting at start", "A", "echo", {}, tool_id="tool-x-start")
    s.get_job("getJob plugin exiting at start", "A", j)
    s.drain("drain after the folds")
    # reverse RPC from a job lands in the creating session (JOB-CREATE-3)
    j = s.job("invokeAsync rev storage/set from a job", "A", "rev",
              {"calls": [{"method": "storage/set", "params": {"key": "from-job", "value": 1}},
                         {"method": "storage/get", "params": {"key": "from-job"}, "context": "none"}]})
    s.get_job("getJob rev job", "A", j)
    s.call("app storage.get from-job", "A", "storage", "get", {"key": "from-job"})
    # cancel
    j = s.job("invokeAsync hang (to cancel)", "A", "hang", {}, clientTag="c1")
    time.sleep(0.2)
    s.call("cancelJob with reason", "A", "tools", "cancelJob", {"jobId": j, "reason": "because"})
    s.call("cancelJob again (idempotent)", "A", "tools", "cancelJob", {"jobId": j})
    s.get_job("getJob cancelled", "A", j, wait=False)
    j2 = s.job("invokeAsync hang (cancel, default reason)", "A", "hang", {})
    time.sleep(0.2)
    s.call("cancelJob default reason", "A", "tools", "cancelJob", {"jobId": j2})
    j4 = s.job("invokeAsync sleep 0.5 s (cancelled, then the plugin answers)", "A", "sleep", {"s": 0.5})
    time.sleep(0.1)
    s.call("cancelJob the sleeping job", "A", "tools", "cancelJob", {"jobId": j4})
    time.sleep(0.8)
    s.get_job("getJob after the late answer (JOB-FOLD-1: still cancelled)", "A", j4, wait=False)
    j3 = s.job("invokeAsync echo (cancel after success)", "A", "echo", {})
    s.wait_job("A", j3)
    s.call("cancelJob after success", "A", "tools", "cancelJob", {"jobId": j3})
    s.call("getJob from another user (job_not_found)", "B", "tools", "getJob", {"jobId": j3})
    s.call("cancelJob from another user", "B", "tools", "cancelJob", {"jobId": j3})
    s.call("getJob from another session of the same user", "N", "tools", "getJob", {"jobId": j3, "limit": 1})
    s.call("getJob unknown id", "A", "tools", "getJob", {"jobId": "tjob_" + "0" * 32})
    s.call("invokeAsync unregistered tool", "A", "tools", "invokeAsync", {"tool_id": "tool-x-none", "method": "echo"})
    s.drain("drain after the cancels")
    # quota: 5 active jobs per user (user 1 has none active now)
    qjobs = [s.job(f"invokeAsync quota #{i + 1} (hang)", "A", "hang", {}, tool_id="tool-x-quota") for i in range(5)]
    s.job("invokeAsync 6th active job (job_quota_exceeded)", "L", "echo", {}, tool_id="tool-x-quota")
    s.job("invokeAsync by user 2 (own quota)", "B", "echo", {}, tool_id="tool-x-quota")
    s.call("cancelJob quota #1", "A", "tools", "cancelJob", {"jobId": qjobs[0], "reason": "free a slot"})
    q6 = s.job("invokeAsync after a cancel (slot freed)", "A", "echo", {}, tool_id="tool-x-quota")
    s.wait_job("A", q6)
    for i, qj in enumerate(qjobs[1:]):
        s.call(f"cancelJob quota #{i + 2}", "A", "tools", "cancelJob", {"jobId": qj})
    s.drain("drain after the quota (concurrent jobs: any order)", sort_events=True)
    # listJobs
    s.call("listJobs (default limit 20)", "A", "tools", "listJobs", {})
    s.call("listJobs tool_id + limit 3", "A", "tools", "listJobs", {"tool_id": "tool-x-quota", "limit": 3})
    s.call("listJobs states", "A", "tools", "listJobs", {"state": ["failed", "cancelled", "failed"], "limit": 100})
    s.call("listJobs state expired", "A", "tools", "listJobs", {"state": "expired"})
    s.call("listJobs clientTag t2", "A", "tools", "listJobs", {"clientTag": "t2"})
    s.call("listJobs since 2999", "A", "tools", "listJobs", {"since": "2999-01-01T00:00:00Z"})
    s.call("listJobs since 2000 (date only)", "A", "tools", "listJobs", {"since": "2000-01-01", "limit": 1})
    s.call("listJobs since yesterday (invalid_arg)", "A", "tools", "listJobs", {"since": "yesterday"})
    s.call("listJobs of user 2", "B", "tools", "listJobs", {})
    # SS-6: a closed session's running job
    cj = s.job("invokeAsync hang in session C (user 4)", "C", "hang", {}, tool_id="tool-x-close")
    time.sleep(0.2)
    s.drain("drain before closing C")
    s.req("session.close C", "session.close", {"session_id": s.sids["C"]})
    s.drain("drain after closing C (SS-6)", div=("SS-6",))
    s.call("getJob of the closed session's job from C2 (SS-6)", "C2", "tools", "getJob", {"jobId": cj, "limit": 1}, div=("SS-6",))
    s.call("listJobs of user 4 (SS-6)", "C2", "tools", "listJobs", {}, div=("SS-6",))
    s.call("session.call on the closed session", "C", "storage", "get", {"key": "k"})

    # -- 10. seeded random operations, then expiry and the end ---------------------------------------
    if opts.random:
        random_section(s, opts)
    if exp_job is not None:
        left = EXPIRY_S + 0.5 - (time.monotonic() - t_exp)
        if left > 0:
            time.sleep(left)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            r = s.b.scall(s.sids["E"], "tools", "getJob", {"jobId": exp_job, "limit": 1})
            if r.get("ok") and r["result"]["state"] not in ("queued", "running"):
                break
            time.sleep(0.05)
        s.get_job("getJob expired job (JOB-RUN-2)", "E", exp_job, wait=False)
        s.call("listJobs state expired (user 3)", "E", "tools", "listJobs", {"state": ["expired"]})
        s.call("sync invoke on the expired job's plugin still works", "E", "tools", "invoke",
               inv_args("tool-x-exp", "echo", {}, None))
    s.drain("final drain")
    s.req("ping", "ping", {})


# ---------------------------------------------------------------------------------
# seeded random section (same seed on both sides → same operations)
# ---------------------------------------------------------------------------------

def _rand_value(rng, depth: int = 0) -> Any:
    k = rng.randrange(12 if depth < 3 else 8)
    if k == 0:
        return None
    if k == 1:
        return rng.choice([True, False])
    if k == 2:
        return rng.choice([0, -1, 7, 2 ** 53 + 1, -(2 ** 63), 123456789012345678901234567890])
    if k == 3:
        return rng.choice([1.5, -0.0, 1e300, 1e-7, 0.1, float("nan"), float("inf"), 3.0])
    if k in (4, 5, 6, 7):
        return rng.choice(["", "a", "héllo", "😀", "\u2028x", "tab\t\"q\"", "\u0000", "日本", "k" * rng.randrange(1, 40)])
    if k in (8, 9):
        return [_rand_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["a", "b", "é", "key", "0", ""]) + str(i): _rand_value(rng, depth + 1) for i in range(rng.randrange(4))}


def _rand_error(rng) -> Any:
    e: dict[str, Any] = {}
    if rng.random() < 0.8:
        e["code"] = rng.choice([-32000, -32602, -32601, 5, 0, None, "abc", 1.5, True])
    if rng.random() < 0.8:
        e["message"] = rng.choice(["boom", "é", "", None, {"a": [1]}, [1, "x"], 3])
    return rng.choice([e, e, e, None, {}, 0, "", []])


def random_section(s: Side, opts: argparse.Namespace) -> None:
    import random
    rng = random.Random(opts.seed)
    keys = ["r1", "r2", "ré", "r😀", "r/4"]
    # fresh sessions: no state from the divergent steps above (EX-CTX-5 wrote A's storage in the reference)
    for name, user, kw in (("RA", 5, {}), ("RB", 6, {}), ("RN", 5, {"storage": False})):
        r = s.req(f"random: session.create {name}", "session.create", {"user_id": user, "manifest": manifest(ALL_TOOLS, **kw)})
        s.sids[name] = (r or {}).get("result", {}).get("session_id", "sess-missing")
    for i in range(opts.random):
        op = rng.randrange(10)
        tag = f"random #{i} (seed {opts.seed})"
        if op == 0:
            s.inv(f"{tag} echo", "RA", "echo", _rand_value(rng))
        elif op == 1:
            inner = rng.choice([{"success": True, "data": _rand_value(rng)}, {"success": False, "error": _rand_value(rng)},
                                {"success": rng.choice([0, 1, "", "y", None]), "data": _rand_value(rng)}, _rand_value(rng)])
            s.inv(f"{tag} result", "RA", "result", {"value": inner})
        elif op == 2:
            # objects and falsy values only: a truthy non-object is the EX-EXIT-4 case of section 4
            s.inv(f"{tag} error", "RB", "error", {"error": _rand_error(rng)})
        elif op in (3, 4, 5):
            m = rng.choice(["storage/set", "storage/get", "storage/delete", "storage/list"])
            params: dict[str, Any] = {}
            if m != "storage/list" or rng.random() < 0.3:
                params["key"] = rng.choice(keys)
            if m == "storage/set":
                params["value"] = _rand_value(rng)
            if m == "storage/list":
                params = {"prefix": rng.choice(["", "r", "x"]), "limit": rng.choice([1, 2, 100])}
            rev1(s, f"{tag} rev {m}", rng.choice(["RA", "RA", "RN", "RB"]), m, params,
                 context=rng.choice(["own", "none", "bogus"]))
        elif op == 6:
            m = rng.choice(["get", "set", "delete", "list"])
            args: dict[str, Any] = {"key": rng.choice(keys)}
            if m == "set":
                args["value"] = _rand_value(rng)
            if m == "list":
                args = {"prefix": "r"}
            s.call(f"{tag} app storage.{m}", rng.choice(["RA", "RB"]), "storage", m, args)
        elif op == 7:
            tool, args = rng.choice([("echo", _rand_value(rng)), ("result", {"value": {"success": True, "data": _rand_value(rng)}}),
                                     ("result", {"value": _rand_value(rng)}), ("error", {"error": {"code": -32000, "message": "m"}})])
            sid = rng.choice(["RA", "RB"])
            j = s.job(f"{tag} invokeAsync {tool}", sid, tool, args if isinstance(args, dict) else {"v": args})
            s.get_job(f"{tag} getJob {tool}", sid, j)
        elif op == 8:
            s.drain(f"{tag} drain", settle=0.15)
        else:
            s.call(f"{tag} listJobs", rng.choice(["RA", "RB"]), "tools", "listJobs", {"limit": rng.choice([1, 3, 100])})
    s.drain("drain after the random section")


# ---------------------------------------------------------------------------------
# APS storage mode (second pair of bridges)
# ---------------------------------------------------------------------------------

def scenario_aps(s: Side, opts: argparse.Namespace) -> None:
    py = pluginlib.python()
    s.req("aps: executas.register", "executas.register",
          {"executas": [{"tool_id": T, "project_dir": s.proj, "command": [py, str(PLUGINS / "plug.py")]}]})
    for name, user, kw in [("A", 1, {}), ("N", 1, {"storage": False})]:
        r = s.req(f"aps: session.create {name}", "session.create", {"user_id": user, "manifest": manifest([T], **kw)})
        s.sids[name] = (r or {}).get("result", {}).get("session_id", "sess-missing")
    for m in ["files/upload_begin", "files/upload_complete", "files/download_url", "files/list", "files/delete"]:
        rev1(s, f"aps: rev {m} (forwarded)", "A", m, {"name": "a.txt", "n": 1})
    rev1(s, "aps: rev files/list, Node answers not_implemented (EX-RMAP-2: -32603)", "A", "files/list",
         {"node_error": {"code": -32004, "message": "nope", "data": {"errorCode": "not_implemented"}}})
    for m, p in [("storage/get", {"key": "a"}), ("storage/set", {"key": "a", "value": 1}),
                 ("storage/delete", {"key": "a"}), ("storage/list", {"prefix": "a"})]:
        rev1(s, f"aps: rev {m} (forwarded)", "A", m, p)
        rev1(s, f"aps: rev {m} without storage grant (forwarded, no ACL)", "N", m, p)
    rev1(s, "aps: rev storage/get, Node answers invalid_arg", "A", "storage/get",
         {"key": "a", "node_error": {"code": -32602, "message": "bad", "data": {"errorCode": "invalid_arg"}}})
    rev1(s, "aps: rev storage/get, Node answers a non-object result", "A", "storage/get", {"key": "a"})
    s.call("aps: app storage.set stays local", "A", "storage", "set", {"key": "a", "value": 2})
    s.call("aps: app storage.get stays local", "A", "storage", "get", {"key": "a"})
    rev1(s, "aps: rev host/uploadFile", "A", "host/uploadFile", {"filename": "f"})
    s.req("aps: ping", "ping", {})


# ---------------------------------------------------------------------------------
# documented divergences: exact expectations for both sides
# ---------------------------------------------------------------------------------

def _j(text: Optional[str]) -> Any:
    try:
        return json.loads(text) if text is not None else None
    except ValueError:
        return None


def _canonical(text: Optional[str]) -> bool:
    return text is not None and json.dumps(json.loads(text)) == text


def _ok_result(o: Any) -> Any:
    return o["result"]["result"] if o["result"]["ok"] is True else None


def _err(o: Any) -> Any:
    return o["result"]["error"] if o["result"]["ok"] is False else None


PY_TYPE = {int: "int", str: "str", list: "list", bool: "bool", dict: "dict"}


def _pystr(v: Any) -> str:
    if v is True:
        return "True"
    if v is False:
        return "False"
    if isinstance(v, list):
        return "[" + ", ".join(repr(x) for x in v) + "]"
    return str(v)


def accept_ex_exit_4(label: str, ref: str, ours: str) -> bool:
    """Reference: the bad answer kills the reader: this call waits out its
    budget (tool_timeout), the companion fails with the reader's repr. Ours:
    the bad call fails at once with ``[?] <str(value)>``, the companion succeeds."""
    a, b = _j(ref), _j(ours)
    if not _canonical(ours):
        return False
    m = re.search(r"on (tool-x-\w+)", label)
    tid = m.group(1) if m else ""
    val = {"tool-x-e42": 42, "tool-x-estr": "boom", "tool-x-elist": [1], "tool-x-etrue": True}.get(tid)
    if val is None:
        return False
    if label.startswith("companion"):
        ref_exp = {"code": "tool_failed",
                   "message": f"executa stdout reader failed: AttributeError(\"'{PY_TYPE[type(val)]}' object has no attribute 'get'\")",
                   "details": {}}
        return _err(a) == ref_exp and _ok_result(b) == {"slept": 1.0}
    ref_exp = {"code": "tool_timeout", "message": f"executa '{tid}' timed out after 3.0s",
               "details": {"tool_id": tid, "timeout_ms": 1000}}
    ours_exp = {"code": "tool_failed", "message": f"[?] {_pystr(val)}", "details": {}}
    return _err(a) == ref_exp and _err(b) == ours_exp


def accept_ex_resp_1(label: str, ref: str, ours: str) -> bool:
    """Reference: an array/object id crashes the reader (every pending call
    fails); ours ignores the line and takes the real answer that follows."""
    a, b = _j(ref), _j(ours)
    kind = "list" if "[n]" in label else "dict"
    return (_canonical(ours)
            and _err(a) == {"code": "tool_failed", "details": {},
                            "message": f"executa stdout reader failed: TypeError(\"unhashable type: '{kind}'\")"}
            and _ok_result(b) == {"w": "real"})


NO_CTX = lambda m: {"code": -32603, "message": "No active LocalDispatcherSession for reverse-RPC dispatch",  # noqa: E731
                    "data": {"errorCode": "NO_SESSION_CONTEXT", "method": m}}


def accept_ex_ctx_5(label: str, ref: str, ours: str) -> bool:
    """Reference: un-attributable reverse calls run in the session that spawned
    the plugin (A, user 1). Ours: refused with NO_SESSION_CONTEXT, A untouched."""
    a, b = _j(ref), _j(ours)
    if not _canonical(ours):
        return False
    if label.startswith("late reverse responses"):
        ra, rb = _ok_result(a), _ok_result(b)
        return (ra is not None and rb is not None
                and [r["result"] for r in ra["responses"]] == [{"ok": True}, {"value": "from-B"}]
                and [r["error"] for r in rb["responses"]] == [NO_CTX("storage/set"), NO_CTX("storage/get")]
                and [r["id"] for r in ra["responses"]] == [r["id"] for r in rb["responses"]])
    if label.startswith("two invokes in flight"):
        ra, rb = _ok_result(a), _ok_result(b)
        return (ra is not None and rb is not None and ra["responses"][0]["result"] == {"ok": True}
                and rb["responses"][0]["error"] == NO_CTX("storage/set")
                and ra["responses"][0]["id"] == rb["responses"][0]["id"])
    if label.startswith("session A storage.get"):
        want = "from-B"
        return _ok_result(a) == {"value": want} and _ok_result(b) == {"value": None}
    if label.startswith("drain"):
        ea, eb = a["result"]["events"], b["result"]["events"]
        leaked = [e for e in ea if e["kind"] == "runtime_state_synced" and e["user_id"] == 1
                  and set(e["payload"]["patch"]) <= {"leak", "amb"}]
        rest = [e for e in ea if e not in leaked]
        return len(leaked) == 2 and rest == eb
    return False


def accept_ss_6(label: str, ref: str, ours: str) -> bool:
    """Reference: closing a session forgets only the handle; its job keeps
    running and stays listed. Ours: the job is cancelled (event, error
    "session closed") and removed."""
    a, b = _j(ref), _j(ours)
    if not _canonical(ours):
        return False
    if label.startswith("drain"):
        ea, eb = a["result"]["events"], b["result"]["events"]
        if ea != [] or len(eb) != 1:
            return False
        p = eb[0]["payload"]
        return (eb[0]["user_id"] == 4 and eb[0]["kind"] == "tool_job" and p["tool_id"] == "tool-x-close"
                and p["state"] == "cancelled" and p["seq"] is None and p["event"] is None and p["terminal"] is True
                and list(eb[0]) == ["user_id", "kind", "payload", "ts"])
    if label.startswith("getJob"):
        ra = _ok_result(a)
        eb = _err(b)
        return (ra is not None and ra["state"] == "running" and eb is not None
                and eb == {"code": "job_not_found", "message": f"job {ra['jobId']} not found", "details": {}})
    if label.startswith("listJobs"):
        ra, rb = _ok_result(a), _ok_result(b)
        return (ra is not None and len(ra["jobs"]) == 1 and ra["jobs"][0]["state"] == "running"
                and rb == {"jobs": [], "truncated": False})
    return False


def accept_u_2(label: str, ref: str, ours: str) -> bool:
    """Reference drops a reverse-RPC response it cannot encode (lone
    surrogate); ours sends it escaped."""
    a, b = _j(ref), _j(ours)
    ra, rb = _ok_result(a), _ok_result(b)
    return (ra is not None and rb is not None and ra["responses"] == [None] and ra["raw"] == [None]
            and rb["raw"][0] is not None and rb["raw"][0].endswith('"result": {"value": "a\\ud800b"}}'))


U4_MESSAGES = {"#0": "invalid param: 'tool_id' must be a non-empty string",
               "#1": "invalid param: 'command' must be a list of strings",
               "#2": "invalid param: 'command' must be a list of strings",
               "#3": "invalid param: 'command' must be a list of strings",
               "#4": "invalid param: 'project_dir' must be a string"}


def accept_u_4(label: str, ref: str, ours: str) -> bool:
    """Reference registers any types (``{"registered": [...]}``); ours answers
    -32602 ``invalid param: …`` naming the field."""
    a, b = _j(ref), _j(ours)
    m = re.search(r"U-4 (#\d)", label)
    want = U4_MESSAGES.get(m.group(1)) if m else None
    return (want is not None and _canonical(ours) and isinstance(a, dict) and isinstance(a.get("result"), dict)
            and list(a["result"]) == ["registered"] and isinstance(b, dict)
            and b.get("error") == {"code": -32602, "message": want} and "result" not in b)


def accept_br_eof_2(label: str, ref: str, ours: str) -> bool:
    """Reference: the plugin ignoring SIGTERM outlives the bridge (orphan);
    ours: every plugin stopped and reaped before exit."""
    return label.startswith("main:") and ref == "1" and ours == "0"


DIVERGENCES: dict[str, tuple[str, Callable[[str, str, str], bool]]] = {
    "BR-EOF-2": ("every plugin is stopped and reaped at EOF (no orphan)", accept_br_eof_2),
    "EX-EXIT-4": ("a non-object plugin `error` fails only its call", accept_ex_exit_4),
    "EX-RESP-1": ("array/object response ids are ignored", accept_ex_resp_1),
    "EX-CTX-5": ("un-attributable reverse RPC refused with NO_SESSION_CONTEXT", accept_ex_ctx_5),
    "SS-6": ("a closed session's jobs are cancelled and dropped", accept_ss_6),
    "U-2": ("reverse-RPC responses with lone surrogates are sent escaped", accept_u_2),
    "U-4": ("registration types are validated", accept_u_4),
}


# ---------------------------------------------------------------------------------
# known bugs of ours (the differential's "xfail"): reported, not counted as
# mismatches, and only when ours differs from the reference in exactly the way
# described. Remove an entry once the bug is fixed.
# ---------------------------------------------------------------------------------

KNOWN_BUGS: dict[str, tuple[str, Callable[[str, str, str], bool]]] = {}  # none open


# ---------------------------------------------------------------------------------
# comparison and main
# ---------------------------------------------------------------------------------

def stderr_records(side: Side) -> list[Record]:
    per: dict[str, list[str]] = collections.defaultdict(list)
    for ln in side.b.stderr_text().split("\n"):
        m = re.match(r"\[executa:([^\]]*)\] ", ln)
        if m:
            text = _PID.sub(lambda mm: mm.group(1) + "<pid>", ln)
            text = _EXITED.sub("exited-<pid>", text)
            per[m.group(1)].append(text)
    return [Record(f"stderr of {tid}", "stderr", "\n".join(sorted(lines))) for tid, lines in sorted(per.items())]


def sort_events(text: Optional[str]) -> Optional[str]:
    o = _j(text)
    try:
        evs = o["result"]["events"]
    except (KeyError, TypeError):
        return text
    o["result"]["events"] = sorted(evs, key=lambda e: json.dumps(e, sort_keys=True))
    return json.dumps(o)


class Compare:
    def __init__(self) -> None:
        self.compared = 0
        self.identical = 0
        self.divs: collections.Counter = collections.Counter()
        self.bugs: collections.Counter = collections.Counter()
        self.mismatches: list[tuple[str, str, Optional[str], Optional[str]]] = []

    def run(self, ra: list[Record], rb: list[Record]) -> None:
        ia = {}
        for r in ra:
            ia.setdefault(r.label, []).append(r)
        seen: set[str] = set()
        order = [r.label for r in ra] + [r.label for r in rb if r.label not in ia]
        ib = {}
        for r in rb:
            ib.setdefault(r.label, []).append(r)
        for label in order:
            if label in seen:
                continue
            seen.add(label)
            la, lb = ia.get(label, []), ib.get(label, [])
            for k in range(max(len(la), len(lb))):
                x = la[k] if k < len(la) else None
                y = lb[k] if k < len(lb) else None
                self.one(label, x, y)

    def one(self, label: str, x: Optional[Record], y: Optional[Record]) -> None:
        self.compared += 1
        ta = x.text if x else None
        tb = y.text if y else None
        if x is not None and x.sort_events:
            ta, tb = sort_events(ta), sort_events(tb)
        if ta == tb and ta is not None:
            self.identical += 1
            return
        for cls in (x.div if x else ()):
            try:
                if ta is not None and tb is not None and DIVERGENCES[cls][1](label, ta, tb):
                    self.divs[cls] += 1
                    return
            except (KeyError, TypeError, IndexError, AttributeError):
                pass
        for bug in (x.bugs if x else ()):
            try:
                if ta is not None and tb is not None and KNOWN_BUGS[bug][1](label, ta, tb):
                    self.bugs[bug] += 1
                    return
            except (KeyError, TypeError, IndexError, AttributeError):
                pass
        self.mismatches.append((label, (x or y).kind if (x or y) else "?", ta, tb))


def short(t: Optional[str], n: int = 1500) -> str:
    if t is None:
        return "<none>"
    return t if len(t) <= n else t[:n] + f"…(+{len(t) - n} chars)"


def print_mismatch(m, out=sys.stdout) -> None:
    label, kind, a, b = m
    print(f"--- MISMATCH [{kind}] {label}", file=out)
    print(f"    ref : {short(a)}", file=out)
    print(f"    ours: {short(b)}", file=out)
    if a is not None and b is not None:
        i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
        print(f"    first difference at char {i}: ref …{a[max(0, i - 60):i + 80]!r}", file=out)
        print(f"    {' ' * 31}ours …{b[max(0, i - 60):i + 80]!r}", file=out)


def load_ref_verify(venv: Path):
    for d in sorted((venv / "lib").glob("python*")):
        path = d / "site-packages" / "anna_app_runtime_local" / "token.py"
        if path.exists():
            spec = importlib.util.spec_from_file_location("_anna_ref_token_p", path)
            mod = importlib.util.module_from_spec(spec)
            assert spec.loader is not None
            spec.loader.exec_module(mod)
            return mod.verify_dev_token
    return None


def run_pair(tag: str, fn, ref_argv, ours_argv, env, tmp: Path, proj: Path, verify, opts) -> tuple[dict[str, Side], list[str]]:
    sides: dict[str, Side] = {}
    errors: list[str] = []
    for name, argv in (("ref", ref_argv), ("ours", ours_argv)):
        cwd = tmp / f"{tag}-{name}"
        cwd.mkdir(exist_ok=True)
        sides[name] = Side(name, argv, env, str(cwd), verify, str(proj))

    def drive(side: Side) -> None:
        try:
            fn(side, opts)
        except Exception:  # noqa: BLE001 - report and carry on with the other side
            side.failed = traceback.format_exc()
        finally:
            plugins = side.b.children()
            side.b.close_stdin()
            t = time.monotonic()
            side.exit_code = side.b.wait_exit(30)
            side.records.append(Record(f"{tag}: exit status after EOF", "exit", str(side.exit_code)))
            side.records.append(Record(f"{tag}: teardown within 10 s", "exit", str(time.monotonic() - t < 10)))
            if side.exit_code is None:
                side.b.kill()
            # BR-EOF-2: plugins still running after the bridge exited (orphans). The reference
            # leaves the one that ignores SIGTERM (its teardown never gets to SIGKILL).
            def running(p: int) -> bool:  # a zombie handed to init is dead
                st = pluginlib.proc_stat(p)
                return st is not None and st[0] != "Z"

            deadline = time.monotonic() + 2.0  # slow_exit.py needs 0.5 s after its stdin EOF
            while time.monotonic() < deadline and any(running(p) for p in plugins):
                time.sleep(0.05)
            left = [p for p in plugins if running(p)]
            if os.environ.get("PDIFF_DEBUG"):
                for p in left:
                    try:
                        print(side.name, p, open(f"/proc/{p}/cmdline").read().replace("\0", " "), pluginlib.proc_stat(p))
                    except OSError:
                        pass
            side.records.append(Record(f"{tag}: plugin processes left running after EOF", "exit", str(len(left)),
                                       div=("BR-EOF-2",)))
            for p in left:  # ours to clean up: they were started by this harness's bridge
                pluginlib.kill_quietly(p)

    threads = [threading.Thread(target=drive, args=(s,)) for s in sides.values()]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for name, side in sides.items():
        if side.failed:
            errors.append(f"{tag}/{name}: scenario raised:\n{side.failed}")
        side.records.extend(stderr_records(side))
    return sides, errors


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ours", default=str(ROOT / ".build" / "release" / "anna-bridge"))
    ap.add_argument("--venv", default=str(ROOT / ".venv-ref"))
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--dump", metavar="DIR")
    ap.add_argument("--no-expiry", action="store_true", help="skip the 60 s job-deadline check")
    ap.add_argument("--no-aps", action="store_true", help="skip the APS storage-mode pair")
    ap.add_argument("--max-print", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1, help="seed of the random section (default 1)")
    ap.add_argument("--random", type=int, default=200, help="operations in the random section (default 200; 0 = none)")
    opts = ap.parse_args(argv)

    venv = Path(opts.venv)
    ref_argv = [str(venv / "bin" / "python"), "-m", "anna_app_runtime_local.bridge"]
    if opts.ours == "ref":
        ours_argv = list(ref_argv)
    else:
        ours_argv = shlex.split(opts.ours)
        ours_argv[0] = os.path.abspath(ours_argv[0]) if os.sep in ours_argv[0] else ours_argv[0]
        if shutil.which(ours_argv[0]) is None:
            print(f"candidate bridge not found: {ours_argv[0]}", file=sys.stderr)
            return 2
    tmp = Path(tempfile.mkdtemp(prefix="anna-pdiff-"))
    t0 = time.monotonic()
    try:
        home = tmp / "home"
        home.mkdir()
        key = tmp / "dev.key"
        key.write_bytes(KEY_BYTES)
        os.chmod(key, 0o600)
        os.environ["ANNA_APP_DEV_KEY"] = str(key)
        verify = load_ref_verify(venv)
        env = bridge_env(str(home), str(key))
        proj = tmp / "proj"
        proj.mkdir()
        results = []
        errors: list[str] = []
        pairs = [("main", scenario, env)]
        if not opts.no_aps:
            pairs.append(("aps", scenario_aps, {**env, "ANNA_APP_RUNTIME_STORAGE_MODE": "aps"}))
        threads = []
        out: dict[str, Any] = {}

        def run(tag, fn, e):
            out[tag] = run_pair(tag, fn, ref_argv, ours_argv, e, tmp, proj, verify, opts)

        for tag, fn, e in pairs:
            th = threading.Thread(target=run, args=(tag, fn, e))
            th.start()
            threads.append(th)
        for th in threads:
            th.join()
        cmp = Compare()
        for tag, _, _ in pairs:
            sides, errs = out[tag]
            errors += errs
            cmp.run(sides["ref"].records, sides["ours"].records)
            results.append((tag, sides))
        limit = len(cmp.mismatches) if opts.verbose else opts.max_print
        for m in cmp.mismatches[:limit]:
            print_mismatch(m)
        if len(cmp.mismatches) > limit:
            print(f"... {len(cmp.mismatches) - limit} more mismatches (use --verbose or --dump)")
        for e in errors:
            print("ERROR " + e)
        if opts.dump:
            d = Path(opts.dump)
            d.mkdir(parents=True, exist_ok=True)
            for tag, sides in results:
                for name, side in sides.items():
                    with open(d / f"{tag}-{name}.records.txt", "w", encoding="utf-8", errors="backslashreplace") as f:
                        for r in side.records:
                            f.write(f"# {r.label} [{r.kind}]\n{r.text}\n")
                    (d / f"{tag}-{name}.stderr.txt").write_text(side.b.stderr_text()[-4_000_000:], encoding="utf-8",
                                                                   errors="backslashreplace")
                    (d / f"{tag}-{name}.timeline.txt").write_text("\n".join(side.timeline) + "\n")
            with open(d / "mismatches.txt", "w", encoding="utf-8", errors="backslashreplace") as f:
                for m in cmp.mismatches:
                    print_mismatch(m, f)
        if cmp.divs:
            print("documented divergences: " + ", ".join(f"{k}={v}" for k, v in sorted(cmp.divs.items())))
        for bug, n in sorted(cmp.bugs.items()):
            print(f"known bug (xfail) {bug} x{n}: {KNOWN_BUGS[bug][0]}")
        if opts.verbose:
            print(f"elapsed {time.monotonic() - t0:.1f}s")
        fails = len(cmp.mismatches) + len(errors)
        print(f"plugins-differential: {cmp.compared} lines compared, {cmp.identical} identical, "
              f"{sum(cmp.divs.values())} documented divergences, {fails} mismatches")
        return 1 if fails else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
