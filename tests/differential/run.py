#!/usr/bin/env python3
"""Differential test: reference stdio bridge vs. our ``anna-bridge``.

    python3 tests/differential/run.py [--seed S] [--requests N] [--ours PATH|ref]
                                      [--verbose] [--dump DIR] [--ours-only]

Both bridges get the same environment (TZ=UTC, HOME and ANNA_APP_DEV_KEY at
one temp key file of 32 fixed bytes) and the same seeded request stream; the
harness plays "Node" for both (answers every outbound host request the same
way).  Every response line, every outbound request line and the `_ready` /
EOF behaviour are compared after normalisation (see normalize.py).  Exit
status 1 on any mismatch (or failed ours-only check).  See README.md.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import os
import queue
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # keep tests/differential free of __pycache__

import divergences  # noqa: E402
import jsonraw  # noqa: E402
from bridgeproc import BridgeProc, bridge_env  # noqa: E402
from gen import METHODS, Gen, Obs  # noqa: E402
from model import Request, Step  # noqa: E402
from normalize import Normalizer, id_key  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
KEY_BYTES = bytes(range(32))  # 00 01 .. 1f, as in 06 §5
SIDES = ("ref", "ours")


def load_ref_verify(venv: str):
    """The REFERENCE's verify_dev_token, loaded from its file (stdlib-only module)."""
    cands = [os.path.join(venv, "lib", d, "site-packages", "anna_app_runtime_local", "token.py")
             for d in sorted(os.listdir(os.path.join(venv, "lib")))] if os.path.isdir(os.path.join(venv, "lib")) else []
    for path in cands:
        if os.path.exists(path):
            spec = importlib.util.spec_from_file_location("_anna_ref_token", path)
            mod = importlib.util.module_from_spec(spec)
            assert spec.loader is not None
            spec.loader.exec_module(mod)
            return mod.verify_dev_token
    return None


def short(b: Any, n: int = 600) -> str:
    if b is None:
        return "<no line>"
    if isinstance(b, bytes):
        b = b.decode("utf-8", "backslashreplace")
    return b if len(b) <= n else b[:n] + f"…(+{len(b) - n} chars)"


class SideState:
    """Per-step, per-side collection state."""

    def __init__(self, step: Step) -> None:
        self.slots: list[Optional[bytes]] = [None] * len(step.requests)
        self.outbound: list[bytes] = []
        self.answers_sent: list[bytes] = []
        self.sync_done = not step.sync
        self.sync_line: Optional[bytes] = None
        self.dead = False

    def complete(self, step: Step) -> bool:
        if self.dead:
            return True
        return self.sync_done and all(s is not None for s, r in zip(self.slots, step.requests) if r.expect)


class Side:
    def __init__(self, name: str, proc: BridgeProc, norm: Normalizer) -> None:
        self.name = name
        self.proc = proc
        self.norm = norm
        self.stash: dict[str, list[bytes]] = collections.defaultdict(list)
        self.unexpected: list[tuple[int, bytes]] = []
        self.expired: set[str] = set()
        self.dead = False
        self.transcript: list[str] = []
        self.exit_code: Optional[int] = None
        self.timeouts_in_a_row = 0


class Runner:
    def __init__(self, args: argparse.Namespace, ref_argv: list[str], ours_argv: list[str], env: dict, cwd: str,
                 verify) -> None:
        self.args = args
        self.q: "queue.Queue[tuple[str, Optional[bytes]]]" = queue.Queue()
        self.sides = {
            "ref": Side("ref", BridgeProc("ref", ref_argv, env, cwd, self.q), Normalizer(KEY_BYTES, verify)),
            "ours": Side("ours", BridgeProc("ours", ours_argv, env, cwd, self.q), Normalizer(KEY_BYTES, verify)),
        }
        self.timeout = args.timeout
        self.compared = 0
        self.identical = 0
        self.div_counts: collections.Counter = collections.Counter()
        self.mismatches: list[dict] = []
        self.stash_keys: set[str] = set()
        self.stash_labels: dict[str, str] = {}
        self.pair_calls: collections.Counter = collections.Counter()
        self.pair_ok: collections.Counter = collections.Counter()
        self.pair_err: collections.Counter = collections.Counter()
        self.messages: collections.Counter = collections.Counter()
        self.answer_kinds: collections.Counter = collections.Counter()
        self.requests_sent = 0
        self.steps = 0
        self.fatal: Optional[str] = None

    # -- comparison ---------------------------------------------------------------
    def _record(self, what: str, idx: int, label: str, req: Optional[Request], a: Optional[bytes], b: Optional[bytes]) -> None:
        ref, ours = self.sides["ref"], self.sides["ours"]
        na = ref.norm(a.decode("utf-8", "surrogateescape").rstrip("\r\n")) if a is not None else None
        nb = ours.norm(b.decode("utf-8", "surrogateescape").rstrip("\r\n")) if b is not None else None
        ref.transcript.append(f"= {short(na, 4000)}")
        ours.transcript.append(f"= {short(nb, 4000)}")
        self.compared += 1
        if na == nb and na is not None:
            self.identical += 1
            return
        if na is None and nb is None:
            self.mismatches.append({"what": what, "step": idx, "label": label + " (no answer from either bridge)",
                                    "request": short(req.line if req else None, 800), "ref": None, "ours": None})
            return
        cls = divergences.classify(req, na, nb) if req is not None else None
        if cls:
            self.div_counts[cls] += 1
            return
        self.mismatches.append({"what": what, "step": idx, "label": label,
                                "request": short(req.line if req else None, 800),
                                "ref": na, "ours": nb})

    def _note_ref(self, req: Request, raw: Optional[bytes]) -> Any:
        if raw is None:
            return None
        try:
            o = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(o, dict):
            return o
        r = o.get("result")
        if req.pair is not None:
            self.pair_calls[req.pair] += 1
            if isinstance(r, dict) and r.get("ok") is True:
                self.pair_ok[req.pair] += 1
            elif (isinstance(r, dict) and isinstance(r.get("error"), dict)) or isinstance(o.get("error"), dict):
                self.pair_err[req.pair] += 1
        if isinstance(r, dict) and r.get("ok") is False and isinstance(r.get("error"), dict):
            e = r["error"]
            self.messages[(str(e.get("code")), _msg_shape(e.get("message")))] += 1
        if isinstance(o.get("error"), dict):
            e = o["error"]
            self.messages[(str(e.get("code")), _msg_shape(e.get("message")))] += 1
        return o

    # -- line routing -----------------------------------------------------------------
    def _handle(self, name: str, ln: Optional[bytes], idx: int, step: Step, st: SideState, sync_key: Optional[str]) -> None:
        side = self.sides[name]
        if ln is None:
            side.dead = True
            st.dead = True
            side.transcript.append("! EOF on stdout")
            return
        side.transcript.append("< " + short(ln.rstrip(b"\n"), 4000))
        try:
            obj = json.loads(ln)
        except ValueError:
            obj = None
        if isinstance(obj, dict) and "method" in obj:
            st.outbound.append(ln)
            if "id" in obj:
                if step.answers:
                    ans = step.answers[min(len(st.answers_sent), len(step.answers) - 1)]
                    if name == "ref":
                        self.answer_kinds[ans.kind] += 1
                    data = ans.build(obj["id"])
                else:
                    data = jsonraw.line({"jsonrpc": "2.0", "id": obj["id"], "result": {}}) + b"\n"
                st.answers_sent.append(data)
                side.transcript.append(">> " + short(data.rstrip(b"\n"), 2000))
                side.proc.send(data)
            return
        key = id_key(obj.get("id")) if isinstance(obj, dict) else "<not an object>"
        if key in self.stash_keys:
            side.stash[key].append(ln)
            return
        if sync_key is not None and key == sync_key:
            st.sync_done = True
            st.sync_line = ln
            return
        for i, r in enumerate(step.requests):
            if r.expect and st.slots[i] is None and r.key == key:
                st.slots[i] = ln
                return
        open_slots = [i for i, r in enumerate(step.requests) if r.expect and st.slots[i] is None]
        if not step.batch and len(open_slots) == 1 and key not in side.expired:
            st.slots[open_slots[0]] = ln
            return
        side.unexpected.append((idx, ln))

    def run_step(self, idx: int, step: Step) -> dict[str, SideState]:
        states = {n: SideState(step) for n in SIDES}
        for r in step.requests:
            if r.stash:
                self.stash_keys.add(r.stash)
                self.stash_labels[r.stash] = r.label
        sync_key = None
        payload = b"".join(r.line + r.term for r in step.requests)
        if step.sync:
            sid = f"sync-{idx}"
            sync_key = json.dumps(sid)
            payload += jsonraw.line({"jsonrpc": "2.0", "id": sid, "method": "ping"}) + b"\n"
        for n in SIDES:
            side = self.sides[n]
            side.transcript.append(f"#{idx} {step.label}")
            for r in step.requests:
                side.transcript.append(f"> {short(r.line, 2000)}")
            if side.dead or not side.proc.send(payload):
                side.dead = True
                states[n].dead = True
        deadline = time.monotonic() + (step.timeout or self.timeout)
        while not all(states[n].complete(step) for n in SIDES):
            rem = deadline - time.monotonic()
            if rem <= 0:
                break
            try:
                name, ln = self.q.get(timeout=rem)
            except queue.Empty:
                break
            self._handle(name, ln, idx, step, states[name], sync_key)
        for n in SIDES:
            if not states[n].complete(step):
                self.sides[n].transcript.append(f"! timeout after {step.timeout or self.timeout}s")
                for i, r in enumerate(step.requests):
                    if r.expect and states[n].slots[i] is None and r.key:
                        self.sides[n].expired.add(r.key)
        return states

    def compare_step(self, idx: int, step: Step, states: dict[str, SideState]) -> Obs:
        a, b = states["ref"], states["ours"]
        for j in range(max(len(a.outbound), len(b.outbound))):
            self._record("outbound request", idx, step.label, None,
                         a.outbound[j] if j < len(a.outbound) else None, b.outbound[j] if j < len(b.outbound) else None)
        objs = []
        for i, r in enumerate(step.requests):
            if not r.expect:
                objs.append(None)
                continue
            self._record("response", idx, r.label, r, a.slots[i], b.slots[i])
            objs.append(self._note_ref(r, a.slots[i]))
        if step.sync:
            self._record("response to the sync ping", idx, step.label + " (sync ping)", None, a.sync_line, b.sync_line)
        outs = []
        for ln in a.outbound:
            try:
                outs.append(json.loads(ln))
            except ValueError:
                outs.append(None)
        return Obs(objs, outs)

    # -- phases -----------------------------------------------------------------------
    def start(self) -> bool:
        got: dict[str, Optional[bytes]] = {}
        deadline = time.monotonic() + 60
        while len(got) < 2 and time.monotonic() < deadline:
            try:
                name, ln = self.q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if name not in got:
                got[name] = ln
                if ln is None:
                    self.sides[name].dead = True
        self._record("_ready line", 0, "startup", None, got.get("ref"), got.get("ours"))
        for n in SIDES:
            if got.get(n) is None:
                self.fatal = f"{n} bridge did not start (no _ready line); stderr:\n{short(self.sides[n].proc.stderr_text(), 3000)}"
                return False
        return True

    def finish(self, idx: int) -> None:
        """Last request without a trailing newline, then EOF (BR-FRAME-5, BR-EOF-1)."""
        req = Request(jsonraw.line({"jsonrpc": "2.0", "id": "final-eof", "method": "ping"}), "final line without newline + EOF",
                      json.dumps("final-eof"), term=b"")
        step = Step([req], req.label)
        states = {n: SideState(step) for n in SIDES}
        for n in SIDES:
            s = self.sides[n]
            s.transcript.append(f"#{idx} {step.label}")
            if not s.dead:
                s.proc.send(req.line)
                s.proc.close_stdin()
        deadline = time.monotonic() + 15
        eof = {n: self.sides[n].dead for n in SIDES}
        while not all(eof.values()) and time.monotonic() < deadline:
            try:
                name, ln = self.q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if ln is None:
                eof[name] = True
                continue
            self._handle(name, ln, idx, step, states[name], None)
        self._record("response", idx, req.label, req, states["ref"].slots[0], states["ours"].slots[0])
        for n in SIDES:
            self.sides[n].exit_code = self.sides[n].proc.wait(10)
            if self.sides[n].exit_code is None:
                self.sides[n].proc.kill()
        codes = {n: self.sides[n].exit_code for n in SIDES}
        self.compared += 1
        if codes["ref"] == codes["ours"]:
            self.identical += 1
        else:
            self.mismatches.append({"what": "exit status after EOF", "step": idx, "label": "EOF",
                                    "request": "<stdin closed>", "ref": str(codes["ref"]), "ours": str(codes["ours"])})

    def compare_leftovers(self) -> None:
        ref, ours = self.sides["ref"], self.sides["ours"]
        for key in sorted(self.stash_keys):
            la = [ln for ln in ref.stash.get(key, [])]
            lb = [ln for ln in ours.stash.get(key, [])]
            na = [ref.norm(x.decode("utf-8", "surrogateescape").rstrip("\r\n")) for x in la]
            nb = [ours.norm(x.decode("utf-8", "surrogateescape").rstrip("\r\n")) for x in lb]
            self.compared += 1
            if na == nb:
                self.identical += 1
            elif divergences.accept_br_cls_4(na, nb):
                self.div_counts["BR-CLS-4"] += 1
            else:
                self.mismatches.append({"what": "answer to a response-shaped line", "step": -1,
                                        "label": self.stash_labels.get(key, key), "request": f"id {key}",
                                        "ref": "\n".join(na) or None, "ours": "\n".join(nb) or None})
        ua = [(i, ref.norm(x.decode("utf-8", "surrogateescape").rstrip("\r\n"))) for i, x in ref.unexpected]
        ub = [(i, ours.norm(x.decode("utf-8", "surrogateescape").rstrip("\r\n"))) for i, x in ours.unexpected]
        if ua or ub:
            self.compared += 1
            if [x for _, x in ua] == [x for _, x in ub]:
                self.identical += 1
            else:
                self.mismatches.append({"what": "unattributed lines", "step": -1, "label": "lines matching no request",
                                        "request": "-", "ref": "\n".join(f"[step {i}] {x}" for i, x in ua) or None,
                                        "ours": "\n".join(f"[step {i}] {x}" for i, x in ub) or None})

    def token_checks(self) -> None:
        for n in SIDES:
            norm = self.sides[n].norm
            for p in norm.token_problems:
                self.mismatches.append({"what": "token", "step": -1, "label": f"{n} token", "request": "-",
                                        "ref": None, "ours": p})


def _msg_shape(m: Any) -> str:
    if not isinstance(m, str):
        return repr(m)
    return m.split("\n", 1)[0]


def print_mismatch(m: dict, out=sys.stdout) -> None:
    print(f"--- MISMATCH [{m['what']}] step {m['step']}: {m['label']}", file=out)
    print(f"    request: {m['request']}", file=out)
    a, b = m["ref"], m["ours"]
    print(f"    ref : {short(a, 1500)}", file=out)
    print(f"    ours: {short(b, 1500)}", file=out)
    if isinstance(a, str) and isinstance(b, str):
        i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
        print(f"    first difference at char {i}: ref …{a[max(0, i - 40):i + 60]!r}", file=out)
        print(f"    {' ' * 31}ours …{b[max(0, i - 40):i + 60]!r}", file=out)
        _event_diff(a, b, out)


def _event_diff(a: str, b: str, out) -> None:
    try:
        ea = json.loads(a)["result"]["events"]
        eb = json.loads(b)["result"]["events"]
    except (ValueError, KeyError, TypeError):
        return
    print(f"    drain_events: ref {len(ea)} events, ours {len(eb)} events", file=out)
    for k in range(max(len(ea), len(eb))):
        x = json.dumps(ea[k]) if k < len(ea) else None
        y = json.dumps(eb[k]) if k < len(eb) else None
        if x != y:
            print(f"      event {k}: ref  {short(x, 400)}\n      {' ' * len(str(k))}       ours {short(y, 400)}", file=out)


def ensure_venv(venv: str) -> None:
    py = os.path.join(venv, "bin", "python")
    if os.path.exists(py):
        return
    script = os.path.join(ROOT, "scripts", "setup-venv.sh")
    print(f"reference venv missing ({venv}); running {script}", file=sys.stderr)
    subprocess.run(["bash", script], check=True, cwd=ROOT)


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--requests", type=int, default=2500,
                    help="minimum number of request lines (default 2500); the full coverage set always runs "
                         "unless --partial-coverage")
    ap.add_argument("--partial-coverage", action="store_true",
                    help="stop at --requests even if coverage scenarios remain (quick iterations)")
    ap.add_argument("--ours", default=os.path.join(ROOT, ".build", "release", "anna-bridge"),
                    help="candidate bridge command (path, or a shell-quoted command line); 'ref' = the reference again")
    ap.add_argument("--venv", default=os.path.join(ROOT, ".venv-ref"))
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--dump", metavar="DIR", help="write transcripts, stderr and the mismatch report to DIR")
    ap.add_argument("--ours-only", action="store_true", help="run only the ours-only checks against the candidate")
    ap.add_argument("--no-ours-only", action="store_true", help="skip the ours-only checks")
    ap.add_argument("--no-big", action="store_true", help="skip the 16 MiB frame scenario")
    ap.add_argument("--timeout", type=float, default=10.0, help="per-step timeout in seconds (default 10)")
    ap.add_argument("--max-print", type=int, default=25, help="mismatches printed in full (default 25; all with --verbose)")
    args = ap.parse_args(argv)

    ensure_venv(args.venv)
    ref_py = os.path.join(args.venv, "bin", "python")
    ref_argv = [ref_py, "-m", "anna_app_runtime_local.bridge"]
    if args.ours == "ref":
        ours_argv = list(ref_argv)
    else:
        ours_argv = shlex.split(args.ours)
        # the bridges run in a temp dir: make relative paths absolute
        ours_argv = [os.path.abspath(a) if not os.path.isabs(a) and (os.path.exists(a) or (i == 0 and os.sep in a)) else a
                     for i, a in enumerate(ours_argv)]
        if shutil.which(ours_argv[0]) is None:
            print(f"candidate bridge not found or not executable: {ours_argv[0]} "
                  f"(build it with `swift build -c release`, or use --ours ref)", file=sys.stderr)
            return 2

    tmp = tempfile.mkdtemp(prefix="anna-diff-")
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    key_path = os.path.join(tmp, "dev.key")
    with open(key_path, "wb") as f:
        f.write(KEY_BYTES)
    os.chmod(key_path, 0o600)
    os.environ["ANNA_APP_DEV_KEY"] = key_path  # read by the reference token module at load
    verify = load_ref_verify(args.venv)
    if verify is None:
        print("warning: reference token module not found; tokens are checked by HMAC only", file=sys.stderr)
    env = bridge_env(home, key_path)
    t0 = time.monotonic()
    rc = 0
    try:
        run_ours_only_flag = args.ours_only or (args.ours != "ref" and not args.no_ours_only)
        if not args.ours_only:
            rc = differential(args, ref_argv, ours_argv, env, tmp, verify)
        if run_ours_only_flag:
            from ours_only import run_ours_only
            res = run_ours_only(ours_argv, env, tmp, timeout=args.timeout)
            failed = [r for r in res if not r.ok]
            for r in res:
                if not r.ok or args.verbose:
                    print(f"{'PASS' if r.ok else 'FAIL'} ours-only [{r.cls}] {r.name}: {r.detail}")
            print(f"ours-only: {len(res)} checks, {len(res) - len(failed)} passed, {len(failed)} failed")
            if args.dump:
                with open(os.path.join(args.dump, "ours-only.txt"), "w") as f:
                    for r in res:
                        f.write(f"{'PASS' if r.ok else 'FAIL'} [{r.cls}] {r.name}: {r.detail}\n  got: {r.got}\n")
            if failed:
                rc = 1
        elif args.ours == "ref" and not args.no_ours_only:
            print("ours-only: skipped (candidate is the reference, which crashes on these inputs)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.verbose:
        print(f"elapsed {time.monotonic() - t0:.1f}s")
    return rc


def differential(args, ref_argv, ours_argv, env, cwd, verify) -> int:
    runner = Runner(args, ref_argv, ours_argv, env, cwd, verify)
    gen = Gen(args.seed, args.requests, big=not args.no_big, full_coverage=not args.partial_coverage)
    try:
        if runner.start():
            obs = None
            idx = 0
            while True:
                step = gen.next_step(obs)
                if step is None:
                    break
                idx += 1
                runner.steps += 1
                runner.requests_sent += len(step.requests)
                states = runner.run_step(idx, step)
                obs = runner.compare_step(idx, step, states)
                for n in SIDES:
                    st = states[n]
                    runner.sides[n].timeouts_in_a_row = 0 if st.complete(step) else runner.sides[n].timeouts_in_a_row + 1
                hung = [n for n in SIDES if runner.sides[n].timeouts_in_a_row >= 3]
                if hung:
                    runner.fatal = f"{', '.join(hung)} bridge did not answer 3 steps in a row (last: step {idx}, {step.label}); giving up"
                    break
                dead = [n for n in SIDES if runner.sides[n].dead]
                if dead:
                    runner.fatal = (f"{', '.join(dead)} bridge exited during step {idx} ({step.label}); stderr tail:\n"
                                    + "\n".join(short(runner.sides[n].proc.stderr_text()[-3000:], 3000) for n in dead))
                    break
            if runner.fatal is None:
                runner.finish(idx + 1)
            runner.compare_leftovers()
            runner.token_checks()
    finally:
        for s in runner.sides.values():
            s.proc.kill()

    mm = runner.mismatches
    limit = len(mm) if args.verbose else args.max_print
    for m in mm[:limit]:
        print_mismatch(m)
    if len(mm) > limit:
        print(f"... {len(mm) - limit} more mismatches (use --verbose or --dump)")
    if runner.fatal:
        print(f"FATAL: {runner.fatal}")
    report_coverage(runner, gen, args.verbose)
    ndiv = sum(runner.div_counts.values())
    if runner.div_counts:
        print("documented divergences: " + ", ".join(f"{k}={v}" for k, v in sorted(runner.div_counts.items())))
    if args.dump:
        dump(args.dump, runner)
    fails = len(mm) + (1 if runner.fatal else 0)
    print(f"differential: {runner.compared} lines compared, {runner.identical} identical, "
          f"{ndiv} documented divergences, {fails} mismatches (seed {args.seed})")
    return 1 if fails else 0


def report_coverage(runner: Runner, gen: Gen, verbose: bool) -> None:
    called = [p for p in METHODS if runner.pair_calls[p]]
    both = [p for p in METHODS if runner.pair_ok[p] and runner.pair_err[p]]
    print(f"coverage: {runner.requests_sent} requests in {runner.steps} steps; {len(called)}/87 methods called, "
          f"{len(both)}/87 with both success and error outcomes; {len(runner.messages)} distinct error messages; "
          f"{len(runner.answer_kinds)} outbound answer kinds; "
          f"{gen.coverage_total - gen.coverage_left_at_end}/{gen.coverage_total} coverage scenarios run "
          f"({gen.coverage_requests} requests, the rest random)")
    if gen.coverage_left_at_end:
        print(f"warning: {gen.coverage_left_at_end} coverage scenarios not reached; raise --requests")
    import coverage as doc_cov
    seen, missing_msgs = doc_cov.check({f"{c}: {m}" for c, m in runner.messages})
    print(f"documented error messages reached: {len(seen)}/{len(doc_cov.DOCUMENTED)}"
          + (f"; missing: {', '.join(missing_msgs)}" if missing_msgs else ""))
    missing = [f"{a}.{b}" for a, b in METHODS if not runner.pair_calls[(a, b)]]
    if missing:
        print("methods never called: " + ", ".join(missing))
    if verbose:
        print("error messages seen (code, first line) x count:")
        for (c, msg), k in sorted(runner.messages.items()):
            print(f"  {k:5d}  {c}: {short(msg, 160)}")
        print("outbound answer kinds: " + ", ".join(f"{k}={v}" for k, v in sorted(runner.answer_kinds.items())))


def dump(d: str, runner: Runner) -> None:
    os.makedirs(d, exist_ok=True)
    for n, s in runner.sides.items():
        with open(os.path.join(d, f"{n}.transcript.txt"), "w", encoding="utf-8", errors="backslashreplace") as f:
            f.write("\n".join(s.transcript) + "\n")
        with open(os.path.join(d, f"{n}.stderr.txt"), "w", encoding="utf-8", errors="backslashreplace") as f:
            f.write(s.proc.stderr_text())
    with open(os.path.join(d, "mismatches.txt"), "w", encoding="utf-8", errors="backslashreplace") as f:
        for m in runner.mismatches:
            print_mismatch(m, f)
    with open(os.path.join(d, "coverage.txt"), "w", encoding="utf-8") as f:
        for p in METHODS:
            f.write(f"{p[0]}.{p[1]}: calls={runner.pair_calls[p]} ok={runner.pair_ok[p]} err={runner.pair_err[p]}\n")
        f.write("\nerror messages (code, first line) x count:\n")
        for (c, msg), k in sorted(runner.messages.items()):
            f.write(f"{k:5d}  {c}: {msg}\n")


if __name__ == "__main__":
    sys.exit(main())
