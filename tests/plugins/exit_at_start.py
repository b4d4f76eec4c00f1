#!/usr/bin/env python3
"""Executa plugin that exits (status 5) at start, before reading anything."""
import os
import sys

sys.stderr.write(f"exit_at_start: pid {os.getpid()} exiting\n")
sys.stderr.flush()
os._exit(5)
