#!/usr/bin/env python3
"""Executa plugin that is slow to exit: on stdin EOF or SIGTERM it "cleans
up" for 0.5 s, writes ``exited-<pid>`` into its working directory (the
project dir) and exits 0. A runtime that waits the 2 s grace period lets it
finish; one that SIGKILLs at once leaves no marker.

Every ``invoke`` is answered ``{success, data: {pid}}``."""
import json
import os
import signal
import sys
import threading
import time

_lock = threading.Lock()


def finish(*_):
    with _lock:
        time.sleep(0.5)
        with open(f"exited-{os.getpid()}", "w") as f:
            f.write("clean\n")
        os._exit(0)


signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=finish).start())
for line in sys.stdin.buffer:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if isinstance(msg, dict) and "method" in msg:
        out = {"jsonrpc": "2.0", "id": msg.get("id"), "result": {"success": True, "data": {"pid": os.getpid()}}}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()
finish()
