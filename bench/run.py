#!/usr/bin/env python3
"""annaruntime benchmarks: numbers and ratios against the reference,
measured in the same run on the same machine (issue 2 targets).

  .venv-ref/bin/python bench/run.py [--quick]

Sections:
  1. C ABI, JSON in and out (build/abi_bench) vs the reference's in-process
     LocalDispatcherSession.call / mint_dev_token / verify_dev_token.
  2. The stdio bridge: our anna-bridge vs `python -m anna_app_runtime_local.bridge`:
     CPU per request, throughput with 64 requests in flight, start to _ready,
     memory per open session.
  3. Executa plugin calls through the bridges (warm tools.invoke to the SDK's
     example plugin; a reverse storage/get).
  4. The bindings' own benchmarks, when present (bench/python_bench.py, bench/node_bench.js).
Prints numbers; never fails on a slow machine.
"""
import argparse, asyncio, json, os, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REL = os.path.join(ROOT, ".build", "release")
PY = os.path.join(ROOT, ".venv-ref", "bin", "python")
MANIFEST = {"schema": 1, "required_executas": [{"tool_id": "tool-anna-example"}],
            "ui": {"bundle": {"entry": "index.html"}, "views": [{"name": "main", "title": "Main", "default": True}],
                   "host_api": {"storage": ["*"]}}}


def row(name, ours, ref, unit="µs", target=None, higher_is_better=False):
    if ours and ref:
        ratio = f"{(ours / ref if higher_is_better else ref / ours):7.1f}x"
    else:
        ratio = "      -"
    t = f"  (target {target})" if target else ""
    ref_s = f"{ref:10.2f}" if ref is not None else "         -"
    print(f"  {name:<38} {ours:10.2f} {ref_s} {unit:<6} {ratio}{t}")


def header(title):
    print(f"\n{title}")
    print(f"  {'':<38} {'ours':>10} {'reference':>10} {'unit':<6} {'speedup':>8}")


# -- 1. C ABI vs reference in-process --------------------------------------------------

def reference_inprocess(quick):
    from anna_app_runtime_local import LocalDispatcherSession
    from anna_app_runtime_local.token import mint_dev_token, verify_dev_token
    res = {}
    loop = asyncio.new_event_loop()
    min_t = 0.2 if quick else 0.5

    def per_call(fn, min_time=min_t):
        n, t0 = 0, time.perf_counter()
        while True:
            for _ in range(50):
                fn()
            n += 50
            t = time.perf_counter() - t0
            if t > min_time:
                return t / n * 1e6

    s = LocalDispatcherSession.create(user_id=1, manifest_dict=MANIFEST)
    run = loop.run_until_complete
    run(s.call("storage", "set", {"key": "greeting", "value": "hello"}))
    res["storage.get"] = per_call(lambda: run(s.call("storage", "get", {"key": "greeting"})))
    for n in (10, 100, 1000, 5000):
        s2 = LocalDispatcherSession.create(user_id=1, manifest_dict=MANIFEST)
        for k in range(n):
            run(s2.call("storage", "set", {"key": f"key-{k:05d}", "value": {"n": k, "text": "some value"}}))
        s2.drain_events()
        res[f"storage.set@{n}"] = per_call(
            lambda: (run(s2.call("storage", "set", {"key": "key-00003", "value": {"n": 3, "text": "updated"}})), s2.store._events.clear()),
            min_time=min_t if n < 1000 else min_t * 2)
    s3 = LocalDispatcherSession.create(user_id=1, manifest_dict=MANIFEST)
    for k in range(100):
        run(s3.call("storage", "set", {"key": f"item-{k:03d}", "value": {"n": k, "text": "some value"}}))
    res["storage.list@100"] = per_call(lambda: run(s3.call("storage", "list", {"limit": 100})))
    res["window.hello"] = per_call(lambda: run(s.call("window", "hello", {})))
    res["token.mint"] = per_call(lambda: mint_dev_token(window_uuid="00000000-0000-4000-8000-000000000000", user_id=1, app_id=1, version_id=1))
    tok, _ = mint_dev_token(window_uuid="00000000-0000-4000-8000-000000000000", user_id=1, app_id=1, version_id=1)
    res["token.verify"] = per_call(lambda: verify_dev_token(tok))
    res["token.verify.fresh"] = res["token.verify"]   # the reference does the same work either way
    return res


def abi_section(quick):
    exe = os.path.join(ROOT, "build", "abi_bench")
    src = os.path.join(ROOT, "bench", "abi_bench.c")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        subprocess.run(["cc", "-O2", "-I" + os.path.join(ROOT, "include"), os.path.join(ROOT, "bench", "abi_bench.c"),
                        "-L" + REL, "-lannaruntime", "-Wl,-rpath," + REL, "-o", exe], check=True)
    out = subprocess.run([exe, "100" if quick else "300"], capture_output=True, text=True, check=True,
                         env={**os.environ, "TMPDIR": tempfile.gettempdir()}).stdout
    ours = {l.split()[0]: float(l.split()[1]) / 1000 for l in out.splitlines() if l.strip()}
    ref = reference_inprocess(quick)
    targets = {"storage.get": "≤ 1", "storage.set@10": "≤ 2", "storage.set@5000": "≤ 2, flat",
               "storage.list@100": "≤ 40", "window.hello": "≤ 3", "token.mint": "≤ 3", "token.verify": "≤ 3",
               "token.verify.fresh": "≤ 3"}
    header("1. C ABI, JSON in and out, per call (ours: thread CPU time; reference: in-process Python call)")
    for k, v in ours.items():
        row(k, v, ref.get(k), "µs", targets.get(k))


# -- 2. the bridges ---------------------------------------------------------------------

class Bridge:
    def __init__(self, cmd, env):
        t0 = time.perf_counter()
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        self.p.stdout.readline()
        self.ready_ms = (time.perf_counter() - t0) * 1000
        self.next = 1

    def send(self, method, params):
        i = self.next
        self.next += 1
        self.p.stdin.write((json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params}) + "\n").encode())
        return i

    def call(self, method, params):
        self.send(method, params)
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def cpu_seconds(self):
        with open(f"/proc/{self.p.pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")

    def rss_kb(self):
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


def pipelined(b, n, inflight, req):
    """n requests with `inflight` outstanding; returns (seconds, cpu seconds)."""
    line = (json.dumps(req) + "\n").encode()
    c0, t0 = b.cpu_seconds(), time.perf_counter()
    sent = recv = 0
    while recv < n:
        while sent < n and sent - recv < inflight:
            b.p.stdin.write(line)
            sent += 1
        b.p.stdin.flush()
        while recv < sent and (sent == n or sent - recv >= inflight):
            b.p.stdout.readline()
            recv += 1
    return time.perf_counter() - t0, b.cpu_seconds() - c0


def bridge_section(quick, env):
    ours_cmd = [os.path.join(REL, "anna-bridge")]
    ref_cmd = [PY, "-m", "anna_app_runtime_local.bridge"]
    n = 20000 if quick else 100000
    results = {}
    for name, cmd in (("ours", ours_cmd), ("ref", ref_cmd)):
        starts = []
        for _ in range(5 if quick else 15):
            b = Bridge(cmd, env)
            starts.append(b.ready_ms)
            b.close()
        b = Bridge(cmd, env)
        b.call("session.create", {"user_id": 1, "manifest": MANIFEST})
        b.call("session.call", {"session_id": "sess-1", "ns": "storage", "method": "set", "args": {"key": "greeting", "value": "hello"}})
        req = {"jsonrpc": "2.0", "id": 7, "method": "session.call",
               "params": {"session_id": "sess-1", "ns": "storage", "method": "get", "args": {"key": "greeting"}}}
        count = n if name == "ours" else max(2000, n // 10)
        wall, cpu = pipelined(b, count, 64, req)
        sessions = 2000 if quick else 10000
        rss0 = b.rss_kb()
        create = {"jsonrpc": "2.0", "id": 8, "method": "session.create", "params": {"user_id": 1, "manifest": MANIFEST}}
        pipelined(b, sessions, 64, create)   # windowed, so neither pipe fills up
        per_session = (b.rss_kb() - rss0) * 1024 / sessions
        b.close()
        starts.sort()
        results[name] = {"start": starts[len(starts) // 2], "rps": count / wall, "cpu": cpu / count * 1e6, "session": per_session}
    o, r = results["ours"], results["ref"]
    header("2. stdio bridge (anna-bridge vs python -m anna_app_runtime_local.bridge)")
    row("CPU per storage.get request", o["cpu"], r["cpu"], "µs", "≤ 10")
    row("throughput, 64 in flight", o["rps"] / 1000, r["rps"] / 1000, "k/s", "≥ 100k/s", higher_is_better=True)
    row("start to _ready (median)", o["start"], r["start"], "ms", "≤ 10")
    row("memory per open session", o["session"], r["session"], "bytes", "≤ 1 KB")
    print("  (CPU per request comes from /proc tick counts: 10 ms resolution over the whole run)")


# -- 3. plugins ---------------------------------------------------------------------------

def plugin_section(quick, env):
    example = os.path.join(REL, "anna-example-executa")
    if not os.path.exists(example):
        print("\n3. plugins: build anna-example-executa first")
        return
    header("3. executa calls through the bridge (warm, SDK example plugin)")
    res = {}
    for name, cmd in (("ours", [os.path.join(REL, "anna-bridge")]), ("ref", [PY, "-m", "anna_app_runtime_local.bridge"])):
        b = Bridge(cmd, env)
        b.call("executas.register", {"executas": [{"tool_id": "tool-anna-example", "project_dir": ROOT, "command": [example]}]})
        b.call("session.create", {"user_id": 1, "manifest": MANIFEST})
        echo = {"jsonrpc": "2.0", "id": 9, "method": "session.call", "params": {"session_id": "sess-1", "ns": "tools", "method": "invoke",
                "args": {"tool_id": "tool-anna-example", "method": "echo", "args": {"x": 1}}}}
        b.call("session.call", echo["params"])  # warm up: spawn
        n = 2000 if quick else 10000
        wall1, cpu1 = pipelined(b, n, 1, echo)
        wall16, _ = pipelined(b, n, 16, echo)
        rt = {"jsonrpc": "2.0", "id": 9, "method": "session.call", "params": {"session_id": "sess-1", "ns": "tools", "method": "invoke",
              "args": {"tool_id": "tool-anna-example", "method": "storage_roundtrip", "args": {"key": "k", "value": "v"}}}}
        wall_rt, cpu_rt = pipelined(b, n // 2, 1, rt)
        b.close()
        res[name] = {"cpu": cpu1 / n * 1e6, "rps16": n / wall16, "rt_cpu": cpu_rt / (n // 2) * 1e6, "lat": wall1 / n * 1e6}
    own = direct_cold_ms(example, 10 if quick else 30)
    for name, cmd in (("ours", [os.path.join(REL, "anna-bridge")]), ("ref", [PY, "-m", "anna_app_runtime_local.bridge"])):
        res[name]["cold"] = bridge_cold_ms(cmd, env, example, 10 if quick else 30) - own
    o, r = res["ours"], res["ref"]
    row("runtime CPU per warm tools.invoke", o["cpu"], r["cpu"], "µs", "≤ 30 beyond the plugin")
    row("latency, one at a time", o["lat"], r["lat"], "µs")
    row("throughput, 16 in flight", o["rps16"] / 1000, r["rps16"] / 1000, "k/s", "≥ 3x the reference", higher_is_better=True)
    row("runtime CPU, invoke + reverse set/get", o["rt_cpu"], r["rt_cpu"], "µs")
    row("cold start added to the plugin's own", o["cold"], r["cold"], "ms", "≤ 2")
    print(f"  (plugin's own spawn + first answer, posix_spawn from this process: {own:.2f} ms median;")
    print("   cold = median first tools.invoke on a fresh tool id minus that)")


ECHO_LINE = (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "invoke", "params": {
    "tool": "echo", "arguments": {"x": 1}, "context": {"invoke_id": "0" * 32}}}) + "\n").encode()


def direct_cold_ms(example, n):
    """The plugin's own start-up: posix_spawn it (as the runtime does), send
    one invoke, read the answer; median over n spawns."""
    times = []
    for _ in range(n):
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        t0 = time.perf_counter()
        pid = os.posix_spawn(example, [example], os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, in_r, 0), (os.POSIX_SPAWN_DUP2, out_w, 1),
            (os.POSIX_SPAWN_CLOSE, in_w), (os.POSIX_SPAWN_CLOSE, out_r)])
        os.close(in_r)
        os.close(out_w)
        os.write(in_w, ECHO_LINE)
        with os.fdopen(out_r, "rb") as out:
            out.readline()
            times.append((time.perf_counter() - t0) * 1000)
        os.close(in_w)
        os.waitpid(pid, 0)
    times.sort()
    return times[len(times) // 2]


def bridge_cold_ms(cmd, env, example, n):
    """Median latency of the first tools.invoke on each of n fresh tool ids
    (each one spawns its plugin)."""
    ids = [f"tool-cold-{i}" for i in range(n)]
    manifest = {**MANIFEST, "required_executas": [{"tool_id": t} for t in ids]}
    b = Bridge(cmd, env)
    b.call("executas.register", {"executas": [{"tool_id": t, "project_dir": ROOT, "command": [example]} for t in ids]})
    sid = b.call("session.create", {"user_id": 1, "manifest": manifest})["result"]["session_id"]
    times = []
    for t in ids:
        t0 = time.perf_counter()
        got = b.call("session.call", {"session_id": sid, "ns": "tools", "method": "invoke",
                                      "args": {"tool_id": t, "method": "echo", "args": {"x": 1}}})
        times.append((time.perf_counter() - t0) * 1000)
        assert got.get("result", {}).get("ok") is True, got
    b.close()
    times.sort()
    return times[len(times) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=["abi", "bridge", "plugins", "bindings"])
    a = ap.parse_args()
    key = os.path.join(tempfile.mkdtemp(prefix="anna-bench-"), "dev.key")
    with open(key, "wb") as f:
        f.write(os.urandom(32))
    os.environ["ANNA_APP_DEV_KEY"] = key
    env = {**os.environ, "TZ": "UTC", "ANNA_APP_DEV_KEY": key}
    print(f"annaruntime benchmarks — {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    if a.only in (None, "abi"):
        abi_section(a.quick)
    if a.only in (None, "bridge"):
        bridge_section(a.quick, env)
    if a.only in (None, "plugins"):
        plugin_section(a.quick, env)
    if a.only in (None, "bindings"):
        for script, runner in (("python_bench.py", [PY]), ("node_bench.js", ["node"])):
            path = os.path.join(ROOT, "bench", script)
            if os.path.exists(path):
                print(f"\n4. {script}")
                sys.stdout.flush()
                subprocess.run(runner + [path] + (["--quick"] if a.quick else []), env=env)


if __name__ == "__main__":
    main()
