"""Checks run against the candidate only: inputs that crash the reference
(documented divergences BR-FRAME-4, J-DEC-2, J-BUG-1, BR-OUT-5) plus the
silent drop of response-shaped lines (BR-CLS-4).  Each check states the
expected output from the spec and verifies the bridge keeps serving."""

from __future__ import annotations

import json
import queue
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from bridgeproc import BridgeProc
from divergences import PARSE_ERROR
from manifests import PROFILES
import jsonraw

READY = '{"jsonrpc": "2.0", "method": "_ready", "params": {}}'


@dataclass
class Result:
    name: str
    cls: str
    ok: bool
    detail: str = ""
    sent: list = field(default_factory=list)
    got: list = field(default_factory=list)


class Driver:
    def __init__(self, argv: list[str], env: dict, cwd: str, timeout: float) -> None:
        self.q: "queue.Queue[tuple[str, Optional[bytes]]]" = queue.Queue()
        self.p = BridgeProc("ours-only", argv, env, cwd, self.q)
        self.timeout = timeout
        self.dead = False
        self.n = 0

    def read(self, timeout: Optional[float] = None) -> Optional[str]:
        if self.dead:
            return None
        try:
            _, ln = self.q.get(timeout=self.timeout if timeout is None else timeout)
        except queue.Empty:
            return None
        if ln is None:
            self.dead = True
            return None
        return ln.decode("utf-8", "surrogateescape").rstrip("\n")

    def send(self, data: bytes) -> None:
        if not self.p.send(data):
            self.dead = True

    def sync(self) -> tuple[bool, list[str]]:
        """Ping; return (answered, other lines seen before the pong)."""
        self.n += 1
        pid = f"alive-{self.n}"
        self.send(jsonraw.line({"jsonrpc": "2.0", "id": pid, "method": "ping"}) + b"\n")
        want = json.dumps({"jsonrpc": "2.0", "id": pid, "result": {"pong": True}})
        others = []
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            ln = self.read(max(0.01, deadline - time.monotonic()))
            if ln is None:
                break
            if ln == want:
                return True, others
            others.append(ln)
        return False, others


def run_ours_only(argv: list[str], env: dict, cwd: str, timeout: float = 10.0,
                  log: Callable[[str], None] = print) -> list[Result]:
    results: list[Result] = []
    holder: dict[str, Driver] = {}
    restarts = [0]

    def start() -> Optional[Driver]:
        drv = Driver(argv, env, cwd, timeout)
        ready = drv.read(30)
        if ready != READY:
            results.append(Result("ready line", "-", False, f"got {ready!r}"))
            drv.p.kill()
            return None
        holder["d"] = drv
        return drv

    def alive_driver() -> Optional[Driver]:
        """The current bridge, restarted if the previous check killed it
        (so every check is judged on its own)."""
        drv = holder.get("d")
        if drv is not None and not drv.dead:
            return drv
        if drv is not None:
            drv.p.kill()
            restarts[0] += 1
        return start()

    d = alive_driver()
    if d is None:
        return results

    def expect_lines(name: str, cls: str, data: bytes, accept: Callable[[list[str]], Optional[str]]) -> None:
        """Send ``data`` (one or more lines), collect output until a sync
        ping is answered; ``accept`` returns None if fine, else a reason."""
        d = alive_driver()
        if d is None:
            results.append(Result(name, cls, False, "bridge does not start"))
            return
        d.send(data)
        alive, lines = d.sync()
        reason = accept(lines)
        if not alive:
            reason = (reason + "; " if reason else "") + "bridge did not answer the follow-up ping (crashed or hung)"
        results.append(Result(name, cls, reason is None, reason or "", [data[:300]], lines))

    def exactly(expected: str) -> Callable[[list[str]], Optional[str]]:
        def acc(lines: list[str]) -> Optional[str]:
            return None if lines == [expected] else f"expected [{expected}] got {lines}"
        return acc

    # --- BR-FRAME-4: invalid UTF-8 ------------------------------------------------
    bad_utf8 = [
        ("0xff byte in a string", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\xff"}}'),
        ("invalid continuation", b"\xc3\x28"),
        ("CESU-8 surrogate", b'{"id":2,"method":"ping","params":{"s":"\xed\xa0\x80"}}'),
        ("code point above U+10FFFF", b'{"id":3,"method":"ping","params":{"s":"\xf4\x90\x80\x80"}}'),
        ("overlong encoding", b"\xc0\xaf"),
        ("truncated sequence at end of line", b'{"id":4,"method":"ping"}\xe2\x82'),
        ("lone continuation byte before JSON", b'\x80{"id":5,"method":"ping"}'),
    ]
    for name, b in bad_utf8:
        expect_lines(f"invalid UTF-8: {name}", "BR-FRAME-4", b + b"\n", exactly(PARSE_ERROR))

    # --- J-DEC-2: integers with more than 4300 digits --------------------------------
    expect_lines("4301-digit integer in params", "J-DEC-2",
                 b'{"jsonrpc":"2.0","id":6,"method":"ping","params":{"n":' + b"9" * 4301 + b"}}\n", exactly(PARSE_ERROR))
    expect_lines("5000-digit negative integer", "J-DEC-2",
                 b'{"jsonrpc":"2.0","id":7,"method":"ping","params":[-' + b"1" * 5000 + b"]}\n", exactly(PARSE_ERROR))
    expect_lines("10000-digit integer id", "J-DEC-2",
                 b'{"jsonrpc":"2.0","id":' + b"1" * 10000 + b',"method":"ping"}\n', exactly(PARSE_ERROR))
    expect_lines("4300-digit integer still accepted", "J-DEC-2",
                 b'{"jsonrpc":"2.0","id":8,"method":"ping","params":{"n":' + b"9" * 4300 + b"}}\n",
                 exactly('{"jsonrpc": "2.0", "id": 8, "result": {"pong": true}}'))

    # --- J-BUG-1: nesting ------------------------------------------------------------
    def deep(n: int, open_: bytes = b"[", close: bytes = b"]") -> bytes:
        return b'{"jsonrpc":"2.0","id":9,"method":"ping","params":{"x":' + open_ * n + b"1" + close * n + b"}}\n"

    def parse_error_or_pong(lines: list[str]) -> Optional[str]:
        ok = [PARSE_ERROR], ['{"jsonrpc": "2.0", "id": 9, "result": {"pong": true}}']
        return None if lines in ok else f"expected parse error or pong, got {lines}"

    expect_lines("981 nested arrays", "J-BUG-1", deep(981), parse_error_or_pong)
    expect_lines("100000 nested arrays", "J-BUG-1", deep(100000), exactly(PARSE_ERROR))
    expect_lines("100000 nested objects", "J-BUG-1", b'{"id":9,"method":"ping","params":' + b'{"a":' * 100000 + b"1" + b"}" * 100000 + b"}\n",
                 exactly(PARSE_ERROR))
    expect_lines("unclosed 100000 nesting", "J-BUG-1", b"[" * 100000 + b"\n", exactly(PARSE_ERROR))

    # --- BR-OUT-5: truthy non-object error in an outbound answer -----------------------
    d = alive_driver()
    if d is None:
        return results
    d.send(jsonraw.line({"jsonrpc": "2.0", "id": "mk", "method": "session.create",
                         "params": {"manifest": PROFILES["full"], "app_slug": "ours-only"}}) + b"\n")
    created = d.read()
    sid = None
    try:
        sid = json.loads(created or "")["result"]["session_id"]
    except (ValueError, KeyError, TypeError):
        results.append(Result("session.create for BR-OUT-5", "BR-OUT-5", False, f"got {created!r}"))
    for val_text, str_val in [('"boom"', "boom"), ("[1]", "[1]"), ("5", "5"), ("true", "True"),
                              ('"\\u00e9"', "\u00e9"), ("1.5", "1.5")]:
        if sid is None or d.dead:
            results.append(Result(f"outbound answer error={val_text}", "BR-OUT-5", False,
                                  "bridge died on an earlier BR-OUT-5 check"))
            continue
        name = f"outbound answer error={val_text}"
        rid = f"bo-{len(results)}"
        d.send(jsonraw.line({"jsonrpc": "2.0", "id": rid, "method": "session.call",
                             "params": {"session_id": sid, "ns": "llm", "method": "complete",
                                        "args": {"messages": []}}}) + b"\n")
        out = d.read()
        oid = None
        try:
            o = json.loads(out or "")
            oid = o["id"] if o.get("method") == "host.llm.complete" else None
        except (ValueError, AttributeError):
            pass
        if oid is None:
            results.append(Result(name, "BR-OUT-5", False, f"expected an outbound host.llm.complete, got {out!r}"))
            continue
        d.send(b'{"jsonrpc":"2.0","id":' + json.dumps(oid).encode() + b',"error":' + val_text.encode() + b"}\n")
        resp = d.read()
        okset = [json.dumps({"jsonrpc": "2.0", "id": rid, "result": {"ok": False, "error": {
            "code": "jsonrpc_None", "message": m, "details": {}}}}) for m in (str_val, "unknown error")]
        alive, others = d.sync()
        reason = None if resp in okset else f"expected one of {okset}, got {resp!r}"
        if not alive or others:
            reason = (reason or "") + f" (alive={alive}, extra lines={others})"
        results.append(Result(name, "BR-OUT-5", reason is None, reason or "", [], [resp]))

    # --- BR-CLS-4: response-shaped lines are dropped ------------------------------------
    for name, b in [("result with string id", b'{"jsonrpc":"2.0","id":"late-1","result":{}}'),
                    ("error with unknown int id", b'{"jsonrpc":"2.0","id":999999,"error":{"code":1,"message":"x"}}'),
                    ("duplicate answer to resolved call", b'{"jsonrpc":"2.0","id":1,"result":{"dup":true}}'),
                    ("result null", b'{"id":"late-2","result":null}')]:
        expect_lines(f"response-shaped: {name}", "BR-CLS-4", b + b"\n",
                     lambda lines: None if lines == [] else f"expected no output, got {lines}")

    # --- end of input --------------------------------------------------------------
    d = alive_driver()
    if d is None:
        return results
    if restarts[0]:
        results.append(Result("no crash during the checks", "-", False, f"the bridge had to be restarted {restarts[0]} times"))
    d.p.close_stdin()
    rc = d.p.wait(10.0)
    results.append(Result("exit after EOF", "-", rc == 0, f"exit status {rc}"))
    if rc is None:
        d.p.kill()
    return results
