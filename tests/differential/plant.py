#!/usr/bin/env python3
"""Fake candidate bridges for validating the harness itself.

Wraps the reference bridge and either plants a difference (the harness must
then FAIL) or emulates our documented divergences (the harness must PASS and
count them as documented divergences):

    run.py --ours "tests/differential/plant.py message"   # alters one error message
    run.py --ours "tests/differential/plant.py event"     # alters one drained event
    run.py --ours "tests/differential/plant.py outbound"  # alters one outbound host request
    run.py --ours "tests/differential/plant.py token"     # re-signs one token with another key
    run.py --ours "tests/differential/plant.py drop" --timeout 2   # drops one response
    run.py --ours "tests/differential/plant.py crash"      # exits in the middle of the run
    run.py --ours "tests/differential/plant.py better"    # BR-CLS-4, ST-META-2, D-DISP-2 and
                                                          # the ours-only behaviours

Stdlib only; finds the reference venv at <repo>/.venv-ref.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
VENV_PY = os.environ.get("ANNA_DIFF_REF_PYTHON") or os.path.join(HERE, "..", "..", ".venv-ref", "bin", "python")
MODE = sys.argv[1] if len(sys.argv) > 1 else "message"
PARSE_ERROR = b'{"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "parse error"}}\n'

out_lock = threading.Lock()
state_lock = threading.Lock()
pending: set = set()          # outbound ids awaiting Node's answer
create_slug: dict = {}        # request id key -> app_slug of a session.create
hello_sid: dict = {}          # request id key -> session_id of a window.hello call
sid_slug: dict = {}           # session id -> own slug
done = {"planted": False, "lines": 0}


def write(b: bytes) -> None:
    with out_lock:
        sys.stdout.buffer.write(b)
        sys.stdout.buffer.flush()


def key(v) -> str:
    return json.dumps(v)


def pystr(v) -> str:
    """Python str() of a decoded JSON value (good enough for the fake)."""
    if isinstance(v, str):
        return v
    if v is True or v is False or v is None:
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(repr(x) if isinstance(x, str) else pystr(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k!r}: {repr(x) if isinstance(x, str) else pystr(x)}" for k, x in v.items()) + "}"
    return str(v)


def _depth(s: str) -> int:
    depth = best = 0
    in_str = esc = False
    for c in s:
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in "[{":
            depth += 1
            best = max(best, depth)
        elif c in "]}":
            depth -= 1
    return best


def better_filter(raw: bytes):
    """Return the bytes to forward to the reference, or None to swallow."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        write(PARSE_ERROR)
        return None
    s = text.strip()
    if not s:
        return raw
    if s.count("[") + s.count("{") > 900 and _depth(s) > 980:   # J-BUG-1
        write(PARSE_ERROR)
        return None
    try:
        env = json.loads(s)
    except (ValueError, RecursionError):
        write(PARSE_ERROR)
        return None
    if not isinstance(env, dict):
        return raw
    if "method" not in env:
        rid = env.get("id")
        with state_lock:
            is_pending = isinstance(rid, int) and rid in pending
            if is_pending:
                pending.discard(rid)
        if is_pending:
            err = env.get("error")
            if err and not isinstance(err, dict):  # BR-OUT-5: truthy non-object error
                env["error"] = {"message": pystr(err)}
                return (json.dumps(env) + "\n").encode()
            return raw
        if "result" in env or "error" in env:      # BR-CLS-4: drop silently
            return None
        return raw
    params = env.get("params") if isinstance(env.get("params"), dict) else {}
    if env.get("method") == "session.create":
        with state_lock:
            create_slug[key(env.get("id"))] = params.get("app_slug")
    if env.get("method") == "session.call":
        ns, m = params.get("ns"), params.get("method")
        if isinstance(ns, (list, dict)) or isinstance(m, (list, dict)):   # D-DISP-2
            resp = {"jsonrpc": "2.0", "id": env.get("id"), "result": {"ok": False, "error": {
                "code": "unknown_method", "message": f"{pystr(ns)}.{pystr(m)} is not defined", "details": {}}}}
            write((json.dumps(resp) + "\n").encode())
            return None
        if ns == "window" and m == "hello":
            with state_lock:
                hello_sid[key(env.get("id"))] = params.get("session_id")
    return raw


def better_out(line: bytes) -> bytes:
    try:
        obj = json.loads(line)
    except ValueError:
        return line
    if not isinstance(obj, dict):
        return line
    if "method" in obj and "id" in obj:
        with state_lock:
            pending.add(obj["id"])
        return line
    k = key(obj.get("id"))
    with state_lock:
        if k in create_slug and isinstance(obj.get("result"), dict) and "session_id" in obj["result"]:
            sid_slug[obj["result"]["session_id"]] = create_slug.pop(k)
            return line
        if k in hello_sid:
            sid = hello_sid.pop(k)
            r = obj.get("result")
            if isinstance(r, dict) and r.get("ok") is True and isinstance(r.get("result"), dict):
                slug = sid_slug.get(sid)
                r["result"]["app"] = {"id": 1} if slug is None else {"id": 1, "slug": slug, "name": slug}
                return (json.dumps(obj) + "\n").encode()
    return line


def plant_out(line: bytes) -> bytes | None:
    done["lines"] += 1
    if done["planted"]:
        return line
    if MODE == "message" and b"endpoint not yet available" in line:
        done["planted"] = True
        return line.replace(b"endpoint not yet available", b"endpoint not available yet")
    if MODE == "event" and b'"kind": "title_changed"' in line:
        done["planted"] = True
        return line.replace(b'"kind": "title_changed"', b'"kind": "title_change"', 1)
    if MODE == "outbound" and b'"method": "host.' in line:
        done["planted"] = True
        return line.replace(b'"method": "host.', b'"method": "host.x.', 1)
    if MODE == "drop" and b'"pong": true' in line and b"sync-" not in line and done["lines"] > 50:
        done["planted"] = True
        return None
    if MODE == "token" and b'"token": "eyJ' in line:
        done["planted"] = True
        obj = json.loads(line)
        tok = obj["result"]["token"]
        body = tok.split(".")[0]
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        sig = hmac.new(b"wrong key", raw, hashlib.sha256).digest()
        obj["result"]["token"] = body + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()
        return (json.dumps(obj) + "\n").encode()
    if MODE == "crash" and done["lines"] > 300:
        os._exit(3)
    return line


def main() -> None:
    child = subprocess.Popen([VENV_PY, "-m", "anna_app_runtime_local.bridge"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, bufsize=0)

    def pump_in() -> None:
        assert child.stdin is not None
        try:
            while True:
                raw = sys.stdin.buffer.readline()
                if not raw:
                    break
                fwd = better_filter(raw) if MODE == "better" else raw
                if fwd is not None:
                    child.stdin.write(fwd)
                    child.stdin.flush()
        except BrokenPipeError:
            pass
        finally:
            try:
                child.stdin.close()
            except OSError:
                pass

    threading.Thread(target=pump_in, daemon=True).start()
    assert child.stdout is not None
    for line in iter(child.stdout.readline, b""):
        out = better_out(line) if MODE == "better" else plant_out(line)
        if out is not None:
            write(out)
    sys.exit(child.wait())


if __name__ == "__main__":
    main()
