"""Threads and coroutines on one store; memory across 100k calls."""

from __future__ import annotations

import asyncio
import gc
import threading

import annaruntime
from annaruntime import InMemoryWindowStore, LocalDispatcherSession, LocalSessionError

from .conftest import MANIFEST, rss_bytes


def test_threads_on_one_window_lose_no_update(session: LocalDispatcherSession) -> None:
    errors = []

    def worker(k: int) -> None:
        try:
            for i in range(400):
                session.call_sync("storage", "set", {"key": f"t{k}-{i}", "value": i})
                assert session.call_sync("storage", "get", {"key": f"t{k}-{i}"}) == {"value": i}
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    state = session.window.runtime_state
    assert len(state) == 8 * 400 and state["t3-399"] == 399
    assert len(session.drain_events()) == 8 * 400


def test_threads_on_many_sessions(store: InMemoryWindowStore) -> None:
    sessions = [LocalDispatcherSession.create(user_id=i, manifest_dict=MANIFEST, store=store) for i in range(8)]
    barrier = threading.Barrier(len(sessions))

    def worker(s: LocalDispatcherSession) -> None:
        barrier.wait()
        for i in range(300):
            s.call_sync("storage", "set", {"key": "n", "value": i})
            s.call_sync("window", "hello")

    threads = [threading.Thread(target=worker, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(s.call_sync("storage", "get", {"key": "n"}) == {"value": 299} for s in sessions)
    events = store.drain_events()
    assert len(events) == 8 * 300
    assert {e["user_id"] for e in events} == set(range(8))


def test_sessions_created_concurrently_get_distinct_ids(store: InMemoryWindowStore) -> None:
    out: list[LocalDispatcherSession] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            s = LocalDispatcherSession.create(user_id=1, manifest_dict=MANIFEST, store=store)
            with lock:
                out.append(s)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({s.session_id for s in out}) == 200 and len({s.window_uuid for s in out}) == 200


async def test_many_coroutines_in_flight(session: LocalDispatcherSession) -> None:
    async def one(i: int):
        await session.call("storage", "set", {"key": f"k{i}", "value": i})
        await asyncio.sleep(0)
        return (await session.call("storage", "get", {"key": f"k{i}"}))["value"]

    assert await asyncio.gather(*(one(i) for i in range(1000))) == list(range(1000))


async def test_mixed_slow_and_fast_calls(session: LocalDispatcherSession) -> None:
    async def slow(method, params):
        await asyncio.sleep(0.3)
        return {"slow": True}

    session.store.set_host_handler(slow)
    slow_calls = [asyncio.ensure_future(session.call("llm", "complete", {})) for _ in range(10)]
    fast = 0
    while not all(t.done() for t in slow_calls):
        await session.call("storage", "get", {"key": "x"})
        fast += 1
        await asyncio.sleep(0.001)
    assert [t.result() for t in slow_calls] == [{"slow": True}] * 10
    assert fast >= 20  # fast calls kept being answered while the slow ones waited


def _rss_growth(fn, n: int, warm: int) -> int:
    for i in range(warm):
        fn(i)
    gc.collect()
    before = rss_bytes()
    for i in range(n):
        fn(i)
    gc.collect()
    return rss_bytes() - before


def test_no_leak_across_100k_calls(session: LocalDispatcherSession) -> None:
    big = {"text": "x" * 2000, "list": list(range(50))}

    def step(i: int) -> None:
        session.call_sync("storage", "set", {"key": f"k{i % 50}", "value": big})
        session.call_sync("storage", "get", {"key": f"k{i % 50}"})
        if i % 7 == 0:
            try:
                session.call_sync("nope", "x", {})
            except LocalSessionError:
                pass
        if i % 500 == 0:
            session.drain_events()  # the queue is unbounded by design

    growth = _rss_growth(step, 100_000, 20_000)
    assert growth < 4 * 1024 * 1024, f"RSS grew by {growth / 1e6:.1f} MB over 100k calls"


def test_no_leak_host_calls_and_tokens(session: LocalDispatcherSession) -> None:
    session.store.set_host_handler(lambda m, p: {"echo": p})

    def step(i: int) -> None:
        session.call_sync("llm", "complete", {"i": i, "pad": "y" * 500})
        token, _ = annaruntime.mint_dev_token(window_uuid=session.window_uuid, user_id=1)
        annaruntime.verify_dev_token(token)

    growth = _rss_growth(step, 20_000, 5_000)
    assert growth < 4 * 1024 * 1024, f"RSS grew by {growth / 1e6:.1f} MB over 20k host calls"


def test_no_leak_creating_and_closing_stores() -> None:
    def step(i: int) -> None:
        with InMemoryWindowStore() as st:
            s = LocalDispatcherSession.create(user_id=1, manifest_dict=MANIFEST, store=st)
            s.call_sync("storage", "set", {"key": "k", "value": i})
            s.close()

    growth = _rss_growth(step, 2_000, 500)
    assert growth < 4 * 1024 * 1024, f"RSS grew by {growth / 1e6:.1f} MB over 2000 stores"
