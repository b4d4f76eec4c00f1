#!/usr/bin/env python3
"""Executa plugin that ignores SIGTERM and does not exit on stdin EOF: only
SIGKILL stops it (checks the runtime's SIGTERM → 2 s → SIGKILL path).

Every ``invoke`` is answered ``{success, data: {pid}}``."""
import json
import os
import signal
import sys
import threading

signal.signal(signal.SIGTERM, signal.SIG_IGN)
for line in sys.stdin.buffer:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if isinstance(msg, dict) and "method" in msg:
        out = {"jsonrpc": "2.0", "id": msg.get("id"), "result": {"success": True, "data": {"pid": os.getpid()}}}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()
threading.Event().wait()
