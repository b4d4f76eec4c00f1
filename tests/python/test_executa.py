"""Executa registration (tools.invoke itself is the plugin issue's work)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from annaruntime import (
    ExecutaPool,
    ExecutaSpec,
    InMemoryWindowStore,
    InvalidParamsError,
    LocalDispatcherSession,
    LocalSessionError,
    register_executas,
)

from .conftest import REPO, TOOLS_MANIFEST

EXAMPLE_TOOL = "tool-anna-example"
EXAMPLE_MANIFEST = {
    "required_executas": [{"tool_id": EXAMPLE_TOOL}],
    "ui": {"bundle": {"entry": "index.html"}, "host_api": {"storage": ["*"]}},
}


def test_register_returns_tool_ids(store: InMemoryWindowStore, tmp_path: Path) -> None:
    items = [
        {"tool_id": "tool-a", "project_dir": str(tmp_path)},
        {"tool_id": "tool-b", "project_dir": str(tmp_path), "command": ["/bin/true"]},
        ExecutaSpec(tool_id="tool-c", project_dir=str(tmp_path), command=None),
        {"tool_id": "tool-a", "project_dir": str(tmp_path), "command": []},
    ]
    assert store.register_executas(items) == ["tool-a", "tool-b", "tool-c", "tool-a"]
    assert register_executas(store, []) == []


def test_register_errors(store: InMemoryWindowStore) -> None:
    with pytest.raises(InvalidParamsError) as ei:
        store.register_executas([{"project_dir": "/tmp"}])
    assert ei.value.message == "missing required param: 'tool_id'"
    with pytest.raises(InvalidParamsError) as ei:
        store.register_executas([{"tool_id": "t"}])
    assert ei.value.message == "missing required param: 'project_dir'"
    with pytest.raises(InvalidParamsError):
        store.register_executas([{"tool_id": "t", "project_dir": "/tmp", "command": "not-a-list"}])


def test_pool_shim_registers_with_its_stores(tmp_path: Path) -> None:
    pool = ExecutaPool()
    pool.register(ExecutaSpec(tool_id="tool-x", project_dir=str(tmp_path)))
    assert pool.is_registered("tool-x") and not pool.is_registered("tool-y")
    with InMemoryWindowStore(executa_pool=pool) as st:
        pool.register(ExecutaSpec(tool_id="tool-y", project_dir=str(tmp_path)))
        assert set(pool.specs) == {"tool-x", "tool-y"}
        # registered natively: an invoke now reaches the pool (and fails to
        # spawn the missing `uv`), instead of answering not_implemented
        s = LocalDispatcherSession.create(user_id=1, manifest_dict={
            "required_executas": [{"tool_id": "tool-y"}], "ui": {"bundle": {"entry": "i.html"}}}, store=st)
        with pytest.raises(LocalSessionError) as ei:
            s.call_sync("tools", "invoke", {"tool_id": "tool-y", "method": "echo", "args": {}, "timeoutMs": 1000})
        assert ei.value.code != "not_implemented"
    assert asyncio.run(pool.shutdown()) is None


async def test_invoke_without_registration_is_not_implemented(store: InMemoryWindowStore) -> None:
    s = LocalDispatcherSession.create(user_id=1, manifest_dict=TOOLS_MANIFEST, store=store)
    with pytest.raises(LocalSessionError) as ei:
        await s.call("tools", "invoke", {"tool_id": "tool-demo-echo", "method": "echo", "args": {}})
    assert ei.value.to_dict() == {"code": "not_implemented",
                                  "message": "tools.invoke is not available in this runtime", "details": {}}


def test_invoke_without_registration_matches_reference() -> None:
    ref = pytest.importorskip("anna_app_runtime_local")

    async def run(mod):
        s = mod.LocalDispatcherSession.create(user_id=1, manifest_dict=TOOLS_MANIFEST)
        try:
            await s.call("tools", "invoke", {"tool_id": "tool-demo-echo", "method": "echo", "args": {}})
        except mod.LocalSessionError as e:
            return e.to_dict()

    assert asyncio.run(run(ref)) == asyncio.run(run(__import__("annaruntime")))


def example_plugin() -> Path:
    return REPO / ".build" / "release" / "anna-example-executa"


async def test_invoke_example_plugin(tmp_path: Path) -> None:
    plugin = example_plugin()
    if not plugin.is_file():
        pytest.fail(f"example plugin not built: {plugin}")
    with InMemoryWindowStore() as st:
        assert st.register_executas([{"tool_id": EXAMPLE_TOOL, "project_dir": str(tmp_path),
                                      "command": [str(plugin)]}]) == [EXAMPLE_TOOL]
        s = LocalDispatcherSession.create(user_id=1, manifest_dict=EXAMPLE_MANIFEST, store=st)

        async def invoke(tool, args):
            return await s.call("tools", "invoke", {"tool_id": EXAMPLE_TOOL, "method": tool, "args": args})

        assert await invoke("echo", {"a": "é", "n": [1, 2]}) == {"a": "é", "n": [1, 2]}
        # reverse RPC lands in this window's storage
        await invoke("storage_roundtrip", {"key": "k1", "value": {"x": 1}})
        assert await s.call("storage", "get", {"key": "k1"}) == {"value": {"x": 1}}
        with pytest.raises(LocalSessionError) as ei:
            await invoke("fail", {"message": "nope"})
        assert ei.value.code == "tool_failed"
        # a slow plugin does not stall the event loop
        loop = asyncio.get_running_loop()
        ticks = []

        def tick():
            ticks.append(time.monotonic())
            loop.call_later(0.01, tick)

        loop.call_later(0.01, tick)
        assert await invoke("sleep", {"ms": 500}) == {"slept_ms": 500}
        assert len(ticks) >= 20
