"""The host-call hook: sync and async handlers, errors, the event loop."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from annaruntime import (
    HostCallError,
    InMemoryWindowStore,
    JsonRpcError,
    LocalDispatcherSession,
    LocalSessionError,
)

from .conftest import MANIFEST


async def test_sync_handler(session: LocalDispatcherSession) -> None:
    calls = []

    def handler(method, params):
        calls.append((method, params, threading.current_thread().name))
        return {"content": [{"type": "text", "text": "hi"}], "echo": params}

    session.store.set_host_handler(handler)
    assert session.store.host_handler is handler
    out = await session.call("llm", "complete", {"messages": [{"role": "user", "content": "é"}], "maxTokens": 5})
    assert out == {"content": [{"type": "text", "text": "hi"}],
                   "echo": {"messages": [{"role": "user", "content": "é"}], "maxTokens": 5}}
    assert calls[0][0] == "host.llm.complete"
    assert calls[0][2].startswith("annaruntime")  # ran on the worker thread of the call


async def test_async_handler(session: LocalDispatcherSession) -> None:
    loop = asyncio.get_running_loop()
    seen = []

    async def handler(method, params):
        seen.append(asyncio.get_running_loop())
        await asyncio.sleep(0.01)
        return {"method": method, "params": params}

    session.store.set_host_handler(handler)
    assert await session.call("image", "generate", {"prompt": "cat"}) == {
        "method": "host.image.generate", "params": {"prompt": "cat"}}
    assert seen == [loop]  # scheduled on the loop that owns the store


@pytest.mark.parametrize("method, expected", [
    (("agent", "session.create"), "host.agent.session.create"),
    (("video", "getJob"), "host.video.getJob"),
    (("music", "generate"), "host.music.generate"),
    (("audio", "speak"), "host.audio.speak"),
    (("upload", "inline"), "host.upload.inline"),
    (("llm", "catalog"), "host.llm.catalog"),
])
def test_delegated_methods(method, expected) -> None:
    m = {"ui": {"bundle": {"entry": "i.html"}, "views": [{"name": "main", "title": "M"}],
                "host_api": {ns: ["*"] for ns in ("llm", "image", "video", "music", "audio", "upload")}
                | {"agent": {"session": {"auto": True}}}}}
    with InMemoryWindowStore() as st:
        s = LocalDispatcherSession.create(user_id=1, manifest_dict=m, store=st)
        st.set_host_handler(lambda name, params: {"name": name})
        assert s.call_sync(*method, {"x": 1}) == {"name": expected}


async def test_error_mapping(session: LocalDispatcherSession) -> None:
    st = session.store

    def raise_(exc):
        def handler(method, params):
            raise exc
        return handler

    st.set_host_handler(raise_(HostCallError("provider_error", "upstream down", {"status": 502})))
    with pytest.raises(LocalSessionError) as ei:
        await session.call("llm", "complete", {})
    assert ei.value.to_dict() == {"code": "provider_error", "message": "upstream down",
                                  "details": {"errorCode": "provider_error", "status": 502}}

    st.set_host_handler(raise_(JsonRpcError(-32004, "nope", {"errorCode": "llm_disabled", "why": "x"})))
    with pytest.raises(LocalSessionError) as ei:
        await session.call("llm", "complete", {})
    assert ei.value.to_dict() == {"code": "llm_disabled", "message": "nope",
                                  "details": {"errorCode": "llm_disabled", "why": "x"}}

    st.set_host_handler(raise_(JsonRpcError(-32000, "bare")))
    with pytest.raises(LocalSessionError) as ei:
        await session.call("llm", "complete", {})
    assert (ei.value.code, ei.value.message, ei.value.details) == ("jsonrpc_-32000", "bare", {})

    st.set_host_handler(raise_(KeyError("k")))
    with pytest.raises(LocalSessionError) as ei:
        await session.call("llm", "complete", {})
    assert (ei.value.code, ei.value.message) == ("internal", "handler crashed: 'k'")

    async def async_fail(method, params):
        await asyncio.sleep(0)
        raise HostCallError("quota", "too many")

    st.set_host_handler(async_fail)
    with pytest.raises(LocalSessionError) as ei:
        await session.call("llm", "complete", {})
    assert ei.value.code == "quota"

    st.set_host_handler(lambda m, p: {"bad": object()})
    with pytest.raises(LocalSessionError) as ei:
        await session.call("llm", "complete", {})
    assert ei.value.code == "internal" and "not JSON" in ei.value.message


async def test_non_dict_result_becomes_empty(session: LocalDispatcherSession) -> None:
    session.store.set_host_handler(lambda m, p: [1, 2])
    assert await session.call("llm", "complete", {}) == {}
    session.store.set_host_handler(lambda m, p: None)
    assert await session.call("llm", "complete", {}) == {}


async def test_removing_the_handler(session: LocalDispatcherSession) -> None:
    session.store.set_host_handler(lambda m, p: {"ok": 1})
    session.store.set_host_handler(None)
    assert session.store.host_handler is None
    with pytest.raises(LocalSessionError) as ei:
        await session.call("llm", "complete", {})
    assert ei.value.message == "llm.complete not wired in this runtime"


async def test_replacing_the_handler_fails_waiting_calls(session: LocalDispatcherSession) -> None:
    st = session.store
    started = asyncio.Event()

    async def slow(method, params):
        started.set()
        await asyncio.sleep(5)
        return {}

    st.set_host_handler(slow)
    task = asyncio.ensure_future(session.call("llm", "complete", {}))
    await started.wait()
    st.set_host_handler(lambda m, p: {"second": True})
    with pytest.raises(LocalSessionError) as ei:
        await task
    assert ei.value.code == "host_unavailable"
    assert await session.call("llm", "complete", {}) == {"second": True}


async def test_loop_stays_responsive_during_slow_async_host_call(session: LocalDispatcherSession) -> None:
    loop = asyncio.get_running_loop()
    ticks: list[float] = []

    def tick():
        ticks.append(time.monotonic())
        loop.call_later(0.01, tick)

    async def slow(method, params):
        await asyncio.sleep(2.0)
        return {"done": True}

    session.store.set_host_handler(slow)
    loop.call_later(0.01, tick)
    t0 = time.monotonic()
    assert await session.call("llm", "complete", {}) == {"done": True}
    elapsed = time.monotonic() - t0
    assert elapsed >= 1.9
    during = [t for t in ticks if t <= t0 + elapsed]
    assert len(during) >= 20, len(during)
    # A blocked loop would show one 2 s gap; a loaded machine shows tens of ms.
    gaps = [b - a for a, b in zip(during, during[1:])]
    assert max(gaps) < 1.0, max(gaps)


async def test_loop_stays_responsive_during_slow_sync_host_call(session: LocalDispatcherSession) -> None:
    loop = asyncio.get_running_loop()
    ticks: list[float] = []

    def tick():
        ticks.append(time.monotonic())
        loop.call_later(0.01, tick)

    session.store.set_host_handler(lambda m, p: time.sleep(0.5) or {"slept": True})
    loop.call_later(0.01, tick)
    t0 = time.monotonic()
    assert await session.call("llm", "complete", {}) == {"slept": True}
    assert len([t for t in ticks if t <= time.monotonic()]) >= 20
    assert time.monotonic() - t0 >= 0.45


async def test_many_slow_calls_in_flight(session: LocalDispatcherSession) -> None:
    in_flight = 0
    peak = 0

    async def slow(method, params):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.2)
        in_flight -= 1
        return {"i": params["i"]}

    session.store.set_host_handler(slow)
    t0 = time.monotonic()
    results = await asyncio.gather(*(session.call("llm", "complete", {"i": i}) for i in range(50)))
    assert [r["i"] for r in results] == list(range(50))
    assert peak >= 20  # they waited together, not one after the other
    assert time.monotonic() - t0 < 5


def test_async_handler_without_a_running_loop(session: LocalDispatcherSession) -> None:
    async def handler(method, params):
        await asyncio.sleep(0.01)
        return {"thread": threading.current_thread().name}

    session.store.set_host_handler(handler)  # no loop running here
    assert session.call_sync("llm", "complete", {}) == {"thread": "annaruntime-host-loop"}


async def test_call_sync_inside_the_loop_with_async_handler(session: LocalDispatcherSession) -> None:
    async def handler(method, params):
        await asyncio.sleep(0.01)
        return {"ok": 1}

    session.store.set_host_handler(handler)
    # The loop is blocked by call_sync: the handler must run elsewhere.
    assert session.call_sync("llm", "complete", {}) == {"ok": 1}


def test_handler_bound_to_a_loop_in_another_thread(session: LocalDispatcherSession) -> None:
    loop = asyncio.new_event_loop()
    t = threading.Thread(target=loop.run_forever, daemon=True)
    t.start()
    try:
        seen = []

        async def handler(method, params):
            seen.append(asyncio.get_running_loop())
            return {"ok": 2}

        session.store.set_host_handler(handler, loop=loop)
        assert session.call_sync("llm", "complete", {}) == {"ok": 2}
        assert seen == [loop]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        t.join()
        loop.close()


def test_handler_from_threads(session: LocalDispatcherSession) -> None:
    session.store.set_host_handler(lambda m, p: {"i": p["i"]})
    out = {}

    def worker(k):
        for i in range(200):
            out[(k, i)] = session.call_sync("llm", "complete", {"i": i})["i"]

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 1600 and all(v == i for (k, i), v in out.items())


def test_host_call_timeout() -> None:
    with InMemoryWindowStore(config={"host_call_timeout_ms": 100}) as st:
        s = LocalDispatcherSession.create(user_id=1, manifest_dict=MANIFEST, store=st)

        async def never(method, params):
            await asyncio.sleep(3)

        st.set_host_handler(never)
        t0 = time.monotonic()
        with pytest.raises(LocalSessionError) as ei:
            s.call_sync("llm", "complete", {})
        assert ei.value.code == "host_timeout"
        assert ei.value.details == {"method": "host.llm.complete", "timeout_ms": 100}
        assert time.monotonic() - t0 < 2


def test_reference_style_host_call() -> None:
    async def host_call(method, params):
        return {"via": method}

    with InMemoryWindowStore(host_call=host_call) as st:
        s = LocalDispatcherSession.create(user_id=1, manifest_dict=MANIFEST, store=st)
        assert s.call_sync("llm", "embed", {"input": "x"}) == {"via": "host.llm.embed"}
        st.set_host_call(None)
        with pytest.raises(LocalSessionError):
            s.call_sync("llm", "embed", {"input": "x"})


def test_exit_is_not_held_by_a_pending_host_call(tmp_path) -> None:
    # The handler's loop lives in a daemon thread and never answers: at exit
    # the package fails the waiting call instead of holding the interpreter
    # for host_call_timeout_ms (300 s by default).
    import subprocess
    import sys

    from .conftest import REPO

    script = tmp_path / "exit.py"
    script.write_text(
        "import asyncio, sys, threading\n"
        f"sys.path.insert(0, {str(REPO / 'bindings' / 'python')!r})\n"
        "import annaruntime as a\n"
        "M = {'ui': {'bundle': {'entry': 'i.html'}, 'views': [{'name': 'main', 'title': 'M'}], 'host_api': {'llm': ['*']}}}\n"
        "s = a.LocalDispatcherSession.create(user_id=1, manifest_dict=M)\n"
        "async def never(m, p):\n"
        "    await asyncio.sleep(1000)\n"
        "async def main():\n"
        "    loop = asyncio.new_event_loop()\n"
        "    threading.Thread(target=loop.run_forever, daemon=True).start()\n"
        "    s.store.set_host_handler(never, loop=loop)\n"
        "    asyncio.ensure_future(s.call('llm', 'complete', {}))\n"
        "    await asyncio.sleep(0.2)\n"
        "asyncio.run(main())\n"
        "print('done')\n")
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "done", r.stderr
    assert time.monotonic() - t0 < 20
