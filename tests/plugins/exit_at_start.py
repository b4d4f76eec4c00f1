#!/usr/bin/env python3
"""Executa plugin that exits (status 5) at start, before reading anything.

``exit_at_start.py [delay]`` waits ``delay`` seconds first (default 0). With
no delay the runtime's first write may hit a closed pipe; the reference then
reports either ``executa process exited`` or ``Connection lost`` depending on
timing, so the differential uses a delay (the invoke line is then written
into the pipe before the plugin exits, and only EOF is seen)."""
import os
import sys
import time

delay = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
if delay:
    time.sleep(delay)
sys.stderr.write("exit_at_start: exiting without reading\n")
sys.stderr.flush()
os._exit(5)
