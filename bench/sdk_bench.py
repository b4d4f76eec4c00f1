#!/usr/bin/env python3
"""CPU cost of a warm `invoke` handled by the AnnaExecuta SDK.

Spawns the example plugin, warms it up, then sends N `invoke echo`
requests over its stdin pipe, (a) pipelined (a writer thread keeps the
pipe full while the main thread reads answers) and (b) one at a time
(send, wait for the answer, repeat), and reports the plugin's CPU time per
invoke. CPU is read from /proc/<pid>/task/*/schedstat (nanoseconds, every
thread) and, as a cross-check, /proc/<pid>/stat utime+stime (clock ticks).

For scale, the same loads are run against a minimal hand-written Python
plugin (one synchronous read/answer loop, the kind the SDK replaces) and
the ratio is printed. Numbers only, no pass/fail: the target is
<= 20 us of plugin CPU per warm invoke (issue 5).

Usage: bench/sdk_bench.py [N] [--binary PATH]
(default binary: $ANNA_EXAMPLE_EXECUTA, else .build/release/anna-example-executa)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")

PY_PLUGIN = r"""
import json, sys
for line in sys.stdin:
    req = json.loads(line)
    p = req.get("params") or {}
    res = {"success": True, "data": p.get("arguments", {})}
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": req.get("id"), "result": res}) + "\n")
    sys.stdout.flush()
"""


def default_binary() -> Path:
    env = os.environ.get("ANNA_EXAMPLE_EXECUTA")
    if env:
        return Path(env)
    for config in ("release", "debug"):
        p = REPO / ".build" / config / "anna-example-executa"
        if p.is_file():
            return p
    return REPO / ".build" / "release" / "anna-example-executa"


def cpu_ns(pid: int) -> tuple[int, int]:
    """(schedstat ns summed over threads, stat utime+stime in ns)."""
    sched = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                sched += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return sched, ticks * 1_000_000_000 // TICK


class Plugin:
    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.out = self.proc.stdout
        self.fd = self.proc.stdin.fileno()

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]

    def readline(self) -> bytes:
        line = self.out.readline()
        if not line:
            raise RuntimeError("plugin closed stdout")
        return line

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def request(i: int) -> bytes:
    return (b'{"jsonrpc": "2.0", "id": %d, "method": "invoke", "params": {"tool": "echo", '
            b'"arguments": {"text": "hello", "n": %d}, "context": {"invoke_id": "0123456789abcdef0123456789abcdef"}}}\n' % (i, i))


def pipelined(p: Plugin, n: int, base: int) -> None:
    payload = b"".join(request(base + i) for i in range(n))
    t = threading.Thread(target=p.write, args=(payload,))
    t.start()
    for _ in range(n):
        p.readline()
    t.join()


def one_at_a_time(p: Plugin, n: int, base: int) -> None:
    for i in range(n):
        p.write(request(base + i))
        p.readline()


def measure(argv: list[str], n: int) -> dict[str, tuple[float, float, float]]:
    p = Plugin(argv)
    try:
        pipelined(p, 2000, 1_000_000)  # warm-up: page faults, allocator, thread pool
        one_at_a_time(p, 500, 2_000_000)
        results = {}
        for name, fn in (("pipelined", pipelined), ("one-at-a-time", one_at_a_time)):
            s0, t0 = cpu_ns(p.proc.pid)
            w0 = time.perf_counter()
            fn(p, n, 10_000_000)
            wall = time.perf_counter() - w0
            s1, t1 = cpu_ns(p.proc.pid)
            results[name] = ((s1 - s0) / n / 1000, (t1 - t0) / n / 1000, n / wall)
        return results
    finally:
        p.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=20000)
    ap.add_argument("--binary", type=Path, default=None)
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()
    binary = (args.binary or default_binary()).resolve()
    if not os.access(binary, os.X_OK):
        print(f"not built: {binary}", file=sys.stderr)
        return 2
    print(f"plugin: {binary}")
    print(f"N = {args.n} warm `invoke echo` per mode; target <= 20 us plugin CPU per invoke")
    swift = measure([str(binary)], args.n)
    base = None if args.no_baseline else measure([sys.executable, "-c", PY_PLUGIN], args.n)
    header = f"{'mode':<15} {'CPU us/invoke':>14} {'(stat ticks)':>13} {'invokes/s':>10}"
    print(header + (f"   {'python loop':>12} {'ratio':>6}" if base else ""))
    for mode, (sched, stat, rate) in swift.items():
        line = f"{mode:<15} {sched:>14.2f} {stat:>13.2f} {rate:>10.0f}"
        if base:
            b = base[mode][0]
            line += f"   {b:>9.2f} us {b / sched:>5.1f}x"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
