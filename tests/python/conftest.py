"""Shared set-up of the annaruntime binding tests.

The package is imported from the checkout (bindings/python), so the tests
exercise the source tree, not whatever copy is installed. Both the reference
and our runtime sign dev tokens with a key file of this test run
($ANNA_APP_DEV_KEY, set before either is imported: the reference reads it at
import time), so tokens minted by one verify with the other.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bindings" / "python"))

_KEY_DIR = tempfile.mkdtemp(prefix="annaruntime-test-key-")
os.environ["ANNA_APP_DEV_KEY"] = os.path.join(_KEY_DIR, "dev.key")
if "anna_app_runtime_local.token" in sys.modules:  # imported before us: repoint it too
    sys.modules["anna_app_runtime_local.token"]._DEV_KEY_PATH = Path(os.environ["ANNA_APP_DEV_KEY"])

import pytest  # noqa: E402

import annaruntime  # noqa: E402

#: A manifest with one default view and grants for storage, window, llm.
MANIFEST = {
    "ui": {
        "bundle": {"entry": "index.html"},
        "views": [
            {"name": "main", "title": "Main", "default": True, "entry": "index.html",
             "default_size": {"w": 800, "h": 600}},
            {"name": "side", "title": "Side"},
        ],
        "host_api": {"storage": ["*"], "llm": ["*"], "chat": ["*"], "image": ["*"], "web": ["*"]},
    },
}

#: Grants tools (for tools.invoke / executa tests).
TOOLS_MANIFEST = {
    "required_executas": [{"tool_id": "tool-demo-echo"}],
    "ui": {
        "bundle": {"entry": "index.html"},
        "views": [{"name": "main", "title": "Main"}],
        "host_api": {"tools": ["required:*", "*"], "storage": ["*"]},
    },
}


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Runs ``async def`` tests with asyncio.run (no plugin needed)."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(pyfuncitem.obj(**kwargs))
        return True
    return None


@pytest.fixture
def manifest() -> dict:
    return MANIFEST


@pytest.fixture
def store():
    st = annaruntime.InMemoryWindowStore()
    yield st
    st.close()


@pytest.fixture
def session(store):
    return annaruntime.LocalDispatcherSession.create(user_id=1, manifest_dict=MANIFEST, store=store,
                                                     app_slug="demo")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
