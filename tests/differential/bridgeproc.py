"""One bridge process (reference or candidate) with background readers."""

from __future__ import annotations

import os
import queue
import subprocess
import threading
import time
from typing import Optional


class BridgeProc:
    """Spawns ``argv``; every stdout line is put on ``events`` as
    ``(name, line_bytes)``; EOF is signalled as ``(name, None)``."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], cwd: str,
                 events: "queue.Queue[tuple[str, Optional[bytes]]]") -> None:
        self.name = name
        self.argv = argv
        self.events = events
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, cwd=cwd, bufsize=0,
        )
        self.stderr_chunks: list[bytes] = []
        self.stderr_size = 0
        self.alive = True
        self.stdin_closed = False
        self._out = threading.Thread(target=self._read_stdout, name=f"{name}-stdout", daemon=True)
        self._err = threading.Thread(target=self._read_stderr, name=f"{name}-stderr", daemon=True)
        self._out.start()
        self._err.start()

    def _read_stdout(self) -> None:
        f = self.proc.stdout
        assert f is not None
        try:
            while True:
                ln = f.readline()
                if not ln:
                    break
                self.events.put((self.name, ln))
        finally:
            self.events.put((self.name, None))

    def _read_stderr(self) -> None:
        f = self.proc.stderr
        assert f is not None
        while True:
            chunk = f.read(65536)
            if not chunk:
                break
            self.stderr_chunks.append(chunk)
            self.stderr_size += len(chunk)
            while self.stderr_size > 4 << 20 and len(self.stderr_chunks) > 1:
                self.stderr_size -= len(self.stderr_chunks.pop(0))

    def send(self, data: bytes) -> bool:
        if self.stdin_closed:
            return False
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            self.alive = False
            return False

    def close_stdin(self) -> None:
        if not self.stdin_closed:
            self.stdin_closed = True
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
            except OSError:
                pass

    def wait(self, timeout: float) -> Optional[int]:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            if self.wait(2.0) is None:
                self.proc.kill()
                self.wait(2.0)

    def stderr_text(self) -> str:
        return b"".join(self.stderr_chunks).decode("utf-8", "replace")


def bridge_env(home: str, key_path: str) -> dict[str, str]:
    """The one environment both bridges get."""
    keep = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update({
        "TZ": "UTC",
        "HOME": home,
        "ANNA_APP_DEV_KEY": key_path,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    })
    return env


def monotonic() -> float:
    return time.monotonic()
