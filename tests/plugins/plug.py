#!/usr/bin/env python3
"""Fault-injection executa plugin: one behaviour per tool (spec 07 §10 "plug.py").

Standard library only; run it with any Python 3.9+ (``python3 plug.py`` or the
reference venv's python). It speaks the executa wire (07, 10): one JSON object
per line on stdin/stdout, stderr free-form. Multi-threaded: every ``invoke``
runs on its own thread, so several invokes can be in flight at once and a tool
can make reverse-RPC calls (plugin → host) while its invoke is pending.

Host → plugin methods: ``invoke``, ``describe``, ``health`` (the test kit's),
anything else → ``-32601 Method not found: <m>``.

Tools (``params.tool``; ``a`` = ``params.arguments``):

========================  =================================================================
``echo``                  ``{success, data: {tool, arguments, context, pid, cwd, argv}}``
``frame``                 ``{success, data: {raw: <the invoke line exactly as received>}}``
``result``                answers ``"result": a.value`` (no ``result`` member if absent)
``error``                 answers ``"error": a.error`` (``a.also_result`` adds a result member)
``members``               answers ``{"jsonrpc", "id": a.id (default: the request id), **a.members}``
                          (``a.id_mode`` string|float|array|object|true|null derives the id
                          from the request id);
                          ``a.then`` (members) sends a second answer with the real id
``crash``                 writes ``a.partial`` (optional, no newline; ``a.partial_answer``: the
                          complete answer without its newline), exits with ``a.code`` (3)
``hang``                  never answers
``sleep``                 sleeps ``a.s`` seconds, answers ``{success, data: {slept: s}}``
``noise``                 writes ``a.lines`` (text) and ``a.hex`` (raw bytes) lines to stdout,
                          ``a.stderr`` lines to stderr, then answers success
``bigline``               writes one line of ``a.bytes`` bytes (``a.stream`` stdout|stderr,
                          ``a.fill`` "x"), then answers success
``sized``                 answers with a response line of exactly ``a.bytes`` bytes (without
                          the newline): ``result = {success: true, data: {bytes: n}}`` and a
                          padding member ``pad`` after it
``drip``                  writes its answer one byte per write (``a.delay`` s between bytes)
``rev``                   reverse calls ``a.calls`` (see ``_rev``), answers
                          ``{success, data: {responses: [...], raw: [...]}}``
``flood``                 ``a.n`` pipelined ``storage/set`` calls (with context), answers counts
``bigrev``                one ``storage/set`` request line of ``a.bytes`` bytes (with id) and
                          answers with the host's response to it
``late``                  answers success first, sleeps ``a.delay`` (0.2 s), then makes the
                          reverse calls ``a.calls``; their responses are kept for ``late_results``
``late_results``          waits until ``a.n`` late responses exist (10 s max), returns and
                          clears them
``ambig``                 two concurrent invokes: role ``wait`` blocks until role ``call`` (same
                          ``a.key``) has made its reverse calls (no context) while both are
                          in flight; ``call`` answers with the responses
``progress``              sends ``a.notes`` (executa/progress notifications, see
                          ``_progress``), waits ``a.settle`` (0.2 s), answers ``a.result``
``stderr``                writes ``a.lines`` to stderr (each with ``\\n``), ``a.tail`` without
                          a newline, ``a.hex`` raw byte lines, then answers success
``exit_after``            answers success, then exits 0
``close_stdout``          closes its stdout and keeps running (until killed; ``a.ignore_term``:
                          ignores SIGTERM first, so only SIGKILL stops it)
========================  =================================================================
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time

TOOL_ID = os.environ.get("PLUG_TOOL_ID", "tool-test-plug")

_out_lock = threading.Lock()
_out_closed = False
_stay_alive = threading.Event()


def write_raw(data: bytes) -> None:
    """One complete write (serialised) to stdout."""
    with _out_lock:
        if _out_closed:
            return
        view = memoryview(data)
        while view:
            n = os.write(1, view)
            view = view[n:]


def send(obj) -> None:
    write_raw(json.dumps(obj).encode("utf-8") + b"\n")


def respond(rid, result=None, *, error=None, omit_result=False) -> None:
    env = {"jsonrpc": "2.0", "id": rid}
    if error is not None:
        env["error"] = error
    elif not omit_result:
        env["result"] = result
    send(env)


def ok(rid, data) -> None:
    respond(rid, {"success": True, "data": data})


def err_line(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


# -- reverse RPC (plugin → host) -------------------------------------------------

_rev_lock = threading.Lock()
_rev_next = [1000]
_rev_wait: dict = {}  # json.dumps(id) -> [Event, raw line or None]


def _new_rev_id() -> int:
    with _rev_lock:
        n = _rev_next[0]
        _rev_next[0] += 1
        return n


def rev_send(method, params, *, rid=None, notify=False, null_id=False, raw_params=False):
    """Writes one plugin → host request; returns a waiter (or None for notifications)."""
    env = {"jsonrpc": "2.0"}
    waiter = None
    if not notify:
        rid = _new_rev_id() if rid is None else rid
        env["id"] = rid
        waiter = [threading.Event(), None]
        with _rev_lock:
            _rev_wait[json.dumps(rid)] = waiter
    elif null_id:
        env["id"] = None
    if method is not _MISSING:
        env["method"] = method
    if params is not _MISSING:
        env["params"] = params
    send(env)
    return waiter


def rev_wait(waiter, timeout=30.0):
    if not waiter[0].wait(timeout):
        return None
    return waiter[1]


_MISSING = object()


def _with_context(params, mode, invoke_id):
    if not isinstance(params, dict):
        return params
    params = dict(params)
    if mode == "own":
        params["context"] = {"invoke_id": invoke_id}
    elif mode == "bogus":
        params["context"] = {"invoke_id": "0" * 32}
    elif isinstance(mode, dict):
        params["context"] = mode
    return params


def _rev(calls, invoke_id, pipeline=False):
    """Each call: ``{method, params (default {}), context: own|none|bogus|{...} (own),
    notify, null_id, id, no_params, no_method}``. Returns (parsed, raw) lists
    (``None`` for notifications and unanswered calls)."""
    waiters = []
    for c in calls:
        params = _MISSING if c.get("no_params") else _with_context(c.get("params", {}), c.get("context", "own"), invoke_id)
        method = _MISSING if c.get("no_method") else c.get("method")
        w = rev_send(method, params, rid=c.get("id"), notify=bool(c.get("notify")), null_id=bool(c.get("null_id")))
        if not pipeline:
            waiters.append(rev_wait(w, c.get("timeout", 30.0)) if w else None)
        else:
            waiters.append(w)
    if pipeline:
        waiters = [rev_wait(w) if w else None for w in waiters]
    raw = [w.decode("utf-8", "surrogateescape") if w is not None else None for w in waiters]
    parsed = [json.loads(w) if w is not None else None for w in waiters]
    return parsed, raw


# -- tools ---------------------------------------------------------------------

_late_lock = threading.Condition()
_late: list = []
_ambig_lock = threading.Condition()
_ambig: dict = {}


def tool_echo(rid, a, ctx, raw_line):
    args = json.loads(raw_line).get("params", {}).get("arguments")
    ok(rid, {"tool": "echo", "arguments": args, "context": ctx, "pid": os.getpid(), "cwd": os.getcwd(),
             "argv": sys.argv[1:]})


def tool_frame(rid, a, ctx, raw_line):
    ok(rid, {"raw": raw_line.decode("utf-8", "surrogateescape").rstrip("\n")})


def tool_result(rid, a, ctx, raw_line):
    if "value" in a:
        respond(rid, a["value"])
    else:
        respond(rid, omit_result=True)


def tool_error(rid, a, ctx, raw_line):
    env = {"jsonrpc": "2.0", "id": rid}
    if "also_result" in a:
        env["result"] = a["also_result"]
    env["error"] = a.get("error")
    send(env)


_ID_MODES = {"string": str, "float": float, "array": lambda r: [r], "object": lambda r: {"id": r},
             "true": lambda r: True, "null": lambda r: None}


def tool_members(rid, a, ctx, raw_line):
    first = _ID_MODES[a["id_mode"]](rid) if "id_mode" in a else a.get("id", rid)
    env = {"jsonrpc": "2.0", "id": first}
    env.update(a.get("members", {}))
    send(env)
    if "then" in a:
        time.sleep(a.get("gap", 0.05))
        env = {"jsonrpc": "2.0", "id": rid}
        env.update(a["then"])
        send(env)


def tool_crash(rid, a, ctx, raw_line):
    if a.get("partial"):
        write_raw(a["partial"].encode("utf-8"))
    if a.get("partial_answer"):  # a complete answer as the final, unterminated chunk
        write_raw(json.dumps({"jsonrpc": "2.0", "id": rid, "result": {"success": True, "data": {"last": "words"}}}).encode())
    err_line("crashing now")
    os._exit(a.get("code", 3))


def tool_hang(rid, a, ctx, raw_line):
    threading.Event().wait()


def tool_sleep(rid, a, ctx, raw_line):
    time.sleep(a.get("s", 1))
    ok(rid, {"slept": a.get("s", 1)})


def tool_noise(rid, a, ctx, raw_line):
    for ln in a.get("lines", ["this is not json", "[1,2,3]", '{"id": 999999, "result": 1}']):
        write_raw(ln.encode("utf-8") + b"\n")
    for h in a.get("hex", []):
        write_raw(bytes.fromhex(h) + b"\n")
    for ln in a.get("stderr", []):
        err_line(ln)
    ok(rid, {"noise": "done"})


def tool_bigline(rid, a, ctx, raw_line):
    n = a.get("bytes", 20 << 20)
    data = (a.get("fill", "x").encode("utf-8") * n)[:n] + b"\n"
    if a.get("stream", "stdout") == "stderr":
        sys.stderr.flush()
        view = memoryview(data)
        while view:
            view = view[os.write(2, view):]
    else:
        write_raw(data)
    ok(rid, {"bigline": n})


def tool_sized(rid, a, ctx, raw_line):
    n = a["bytes"]
    prefix = '{"jsonrpc": "2.0", "id": %s, "result": {"success": true, "data": {"bytes": %d}}, "pad": "' % (json.dumps(rid), n)
    suffix = '"}'
    pad = n - len(prefix) - len(suffix)
    assert pad >= 0, "line too short"
    write_raw((prefix + "x" * pad + suffix).encode("ascii") + b"\n")


def tool_drip(rid, a, ctx, raw_line):
    line = json.dumps({"jsonrpc": "2.0", "id": rid, "result": {"success": True, "data": {"drip": "é✓"}}}).encode() + b"\n"
    delay = a.get("delay", 0.002)
    with _out_lock:  # hold the stdout lock: nothing else may interleave
        for i in range(len(line)):
            os.write(1, line[i:i + 1])
            time.sleep(delay)


def tool_rev(rid, a, ctx, raw_line):
    parsed, raw = _rev(a.get("calls", []), ctx.get("invoke_id"), pipeline=bool(a.get("pipeline")))
    ok(rid, {"responses": parsed, "raw": raw})


def tool_flood(rid, a, ctx, raw_line):
    n = a.get("n", 300)
    calls = [{"method": "storage/set", "params": {"key": f"{a.get('prefix', 'f')}{i}", "value": i}} for i in range(n)]
    parsed, _ = _rev(calls, ctx.get("invoke_id"), pipeline=True)
    oks = sum(1 for p in parsed if p is not None and p.get("result") == {"ok": True})
    errors = [p for p in parsed if p is None or "error" in p]
    ok(rid, {"count": n, "ok": oks, "answered": sum(1 for p in parsed if p is not None),
             "first_error": errors[0] if errors else None})


def tool_bigrev(rid, a, ctx, raw_line):
    n = a.get("bytes", 17 << 20)
    rev_id = _new_rev_id()
    prefix = ('{"jsonrpc": "2.0", "id": %d, "method": "storage/set", "params": {"context": {"invoke_id": "%s"}, '
              '"key": "big", "value": "' % (rev_id, ctx.get("invoke_id")))
    suffix = '"}}'
    waiter = [threading.Event(), None]
    with _rev_lock:
        _rev_wait[json.dumps(rev_id)] = waiter
    write_raw((prefix + "v" * (n - len(prefix) - len(suffix)) + suffix).encode("ascii") + b"\n")
    got = rev_wait(waiter, 30.0)
    ok(rid, {"response": json.loads(got) if got is not None else None,
             "raw": got.decode("utf-8", "surrogateescape") if got is not None else None})


def tool_late(rid, a, ctx, raw_line):
    ok(rid, {"late": "answered"})
    time.sleep(a.get("delay", 0.2))
    parsed, raw = _rev(a.get("calls", []), ctx.get("invoke_id"))
    with _late_lock:
        _late.extend(zip(parsed, raw))
        _late_lock.notify_all()


def tool_late_results(rid, a, ctx, raw_line):
    deadline = time.monotonic() + a.get("timeout", 10.0)
    with _late_lock:
        while len(_late) < a.get("n", 1) and time.monotonic() < deadline:
            _late_lock.wait(0.05)
        got = list(_late)
        _late.clear()
    ok(rid, {"responses": [p for p, _ in got], "raw": [r for _, r in got]})


def tool_ambig(rid, a, ctx, raw_line):
    key = a.get("key", "k")
    with _ambig_lock:
        st = _ambig.setdefault(key, {"waiting": False, "done": False})
    if a.get("role") == "wait":
        with _ambig_lock:
            st["waiting"] = True
            _ambig_lock.notify_all()
            deadline = time.monotonic() + 20
            while not st["done"] and time.monotonic() < deadline:
                _ambig_lock.wait(0.05)
        ok(rid, {"role": "wait", "released": st["done"]})
        return
    with _ambig_lock:
        deadline = time.monotonic() + 20
        while not st["waiting"] and time.monotonic() < deadline:
            _ambig_lock.wait(0.05)
    parsed, raw = _rev(a.get("calls", [{"method": "storage/set", "params": {"key": "amb", "value": 1},
                                        "context": "none"}]), ctx.get("invoke_id"))
    with _ambig_lock:
        st["done"] = True
        _ambig_lock.notify_all()
    ok(rid, {"role": "call", "responses": parsed, "raw": raw})


def tool_progress(rid, a, ctx, raw_line):
    """Each note: ``{type, data, context: own|none|bogus|{...}, method, id, no_params}``;
    ``a.repeat`` sends ``{"type": "progress", "data": {"i": k}}`` that many times."""
    notes = list(a.get("notes", []))
    for k in range(a.get("repeat", 0)):
        notes.append({"type": "progress", "data": {"i": k}})
    answers = []
    for nt in notes:
        params = {}
        for f in ("type", "data"):
            if f in nt:
                params[f] = nt[f]
        params = _with_context(params, nt.get("context", "own"), ctx.get("invoke_id"))
        if nt.get("raw_params", _MISSING) is not _MISSING:
            params = nt["raw_params"]
        method = nt.get("method", "executa/progress")
        if "id" in nt:
            w = rev_send(method, params, rid=nt["id"])
            got = rev_wait(w, 10.0)
            answers.append(json.loads(got) if got is not None else None)
        else:
            rev_send(method, params, notify=True)
    time.sleep(a.get("settle", 0.2))
    if "result" in a:
        respond(rid, a["result"])
    else:
        ok(rid, {"notes": len(notes), "answers": answers})


def tool_stderr(rid, a, ctx, raw_line):
    for ln in a.get("lines", ["stderr line one", "stderr line two"]):
        sys.stderr.write(ln + "\n")
    if a.get("tail"):
        sys.stderr.write(a["tail"])
    sys.stderr.flush()
    for h in a.get("hex", []):
        os.write(2, bytes.fromhex(h) + b"\n")
    time.sleep(a.get("settle", 0.05))
    ok(rid, {"stderr": "written"})


def tool_exit_after(rid, a, ctx, raw_line):
    ok(rid, {"pid": os.getpid()})
    time.sleep(a.get("delay", 0.05))
    os._exit(0)


def tool_spawn_holder(rid, a, ctx, raw_line):
    """Forks a child that keeps this plugin's stdin/stdout/stderr open for
    ``a.s`` seconds after the plugin itself is gone (no EOF for the host)."""
    pid = os.fork()
    if pid == 0:
        time.sleep(a.get("s", 20))
        os._exit(0)
    ok(rid, {"holder": pid})


def tool_close_stdout(rid, a, ctx, raw_line):
    global _out_closed
    if a.get("ignore_term"):
        _stay_alive.set()  # SIGTERM is ignored (see _on_sigterm) and stdin EOF too
    err_line(f"closing stdout (pid {os.getpid()})")
    with _out_lock:
        _out_closed = True
        os.close(1)
    threading.Event().wait()


TOOLS = {name[5:]: fn for name, fn in globals().items() if name.startswith("tool_") and callable(fn)}

MANIFEST = {
    "name": TOOL_ID,
    "display_name": "Fault-injection test plugin",
    "version": "0.1.0",
    "description": "One behaviour per tool, for the runtime's fault tests.",
    "tools": [
        {"name": name, "description": (fn.__doc__ or name).strip().splitlines()[0] if fn.__doc__ else name,
         "parameters": []}
        for name, fn in sorted(TOOLS.items())
    ],
}
MANIFEST["tools"][[t["name"] for t in MANIFEST["tools"]].index("echo")]["parameters"] = [
    {"name": "value", "type": "any", "description": "echoed back", "required": False}]


def handle_request(msg: dict, raw_line: bytes) -> None:
    rid = msg.get("id")
    method = msg.get("method")
    params = msg.get("params") if isinstance(msg.get("params"), dict) else {}
    try:
        if method == "describe":
            respond(rid, MANIFEST)
        elif method == "health":
            respond(rid, {"status": "ok"})
        elif method == "invoke":
            tool = params.get("tool")
            fn = TOOLS.get(tool)
            if fn is None:
                respond(rid, error={"code": -32601, "message": f"unknown tool: {tool}"})
                return
            args = params.get("arguments")
            ctx = params.get("context") if isinstance(params.get("context"), dict) else {}
            fn(rid, args if isinstance(args, dict) else {"_non_object": args}, ctx, raw_line)
        else:
            respond(rid, error={"code": -32601, "message": f"Method not found: {method}"})
    except Exception as e:  # a bug in a tool must not hang the test
        err_line(f"tool error: {e!r}")
        respond(rid, error={"code": -32603, "message": f"plugin error: {e!r}"})


def _on_sigterm(signum, frame) -> None:
    """Default SIGTERM behaviour, unless a ``close_stdout`` call asked to ignore it."""
    if _stay_alive.is_set():
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def main() -> None:
    signal.signal(signal.SIGTERM, _on_sigterm)
    stdin = sys.stdin.buffer
    while True:
        line = stdin.readline()
        if not line:
            if _stay_alive.is_set():
                threading.Event().wait()
            os._exit(0)  # stdin EOF: exit promptly (PC-WIRE-4)
        try:
            msg = json.loads(line)
        except ValueError:
            err_line(f"bad line from host: {line[:80]!r}")
            continue
        if not isinstance(msg, dict):
            continue
        if "method" in msg:
            threading.Thread(target=handle_request, args=(msg, line), daemon=True).start()
            continue
        key = json.dumps(msg.get("id"))
        with _rev_lock:
            w = _rev_wait.pop(key, None)
        if w is not None:
            w[1] = line.rstrip(b"\n")
            w[0].set()
        else:
            err_line(f"unmatched host response: {line[:200]!r}")


if __name__ == "__main__":
    main()
