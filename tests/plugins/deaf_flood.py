#!/usr/bin/env python3
"""Executa plugin that stops reading its stdin while it floods the host.

``invoke`` with ``{n, pad}``: sets ``deaf`` to a ``pad``-character string,
then writes ``n`` ``storage/get`` requests for it (each padded with ``pad``
more characters) *without reading a single answer*, and only then reads the
``n`` answers and replies ``{sent, answered, ok}``. Requests and answers are
both larger than the pipes hold: a host that blocks its plugin-reading
thread on writing an answer to this plugin deadlocks with it."""
import json
import os
import sys

stdin = sys.stdin.buffer


def send(obj):
    data = (json.dumps(obj) + "\n").encode()
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]


def read_msg():
    line = stdin.readline()
    return json.loads(line) if line else None


while True:
    msg = read_msg()
    if msg is None:
        break
    if msg.get("method") == "describe":
        send({"jsonrpc": "2.0", "id": msg["id"], "result": {"name": "tool-test-deaf", "tools": []}})
        continue
    if msg.get("method") != "invoke":
        continue
    rid = msg["id"]
    args = msg["params"].get("arguments") or {}
    ctx = {"invoke_id": msg["params"]["context"]["invoke_id"]}
    n, pad = int(args.get("n", 200)), int(args.get("pad", 3000))
    send({"jsonrpc": "2.0", "id": "set", "method": "storage/set",
          "params": {"key": "deaf", "value": "v" * pad, "context": ctx}})
    assert read_msg().get("result") == {"ok": True}
    for i in range(n):
        send({"jsonrpc": "2.0", "id": f"g{i}", "method": "storage/get",
              "params": {"key": "deaf", "pad": "p" * pad, "context": ctx}})
    answers = [read_msg() for _ in range(n)]
    good = sum(1 for a in answers if a and a.get("result") == {"value": "v" * pad})
    send({"jsonrpc": "2.0", "id": rid, "result": {"success": True, "data": {
        "sent": n, "answered": len({a.get("id") for a in answers if a}), "ok": good}}})
