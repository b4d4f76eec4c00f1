"""Shared fixtures for the SDK tests: where the example plugin binary is."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def example_binary() -> Path:
    """``$ANNA_EXAMPLE_EXECUTA``, else the release build, else the debug build."""
    env = os.environ.get("ANNA_EXAMPLE_EXECUTA")
    if env:
        return Path(env).resolve()
    for config in ("release", "debug"):
        candidate = REPO / ".build" / config / "anna-example-executa"
        if candidate.is_file():
            return candidate
    return REPO / ".build" / "release" / "anna-example-executa"


def popen_lines(argv: list[str]) -> subprocess.Popen[str]:
    """A child with line-buffered UTF-8 text pipes on stdin, stdout and stderr."""
    return subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        bufsize=1,
    )


@pytest.fixture(scope="session")
def plugin_binary() -> Path:
    path = example_binary()
    if not os.access(path, os.X_OK):
        pytest.fail(
            f"example plugin not built: {path} (swift build -c release --product anna-example-executa, "
            "or set ANNA_EXAMPLE_EXECUTA)"
        )
    return path


@pytest.fixture
def plugin_command(plugin_binary: Path) -> list[str]:
    return [str(plugin_binary)]
