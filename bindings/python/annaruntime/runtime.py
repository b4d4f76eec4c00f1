"""``Runtime``: one native ``anna_runtime`` — a window store, its sessions,
the dev-token key file, the host-call hook and the executa pool.

It speaks the bridge protocol (09-bridge.md) in-process: ``request()`` sends
one JSON-RPC request through ``anna_runtime_call`` and returns its result or
raises. ``InMemoryWindowStore`` (store.py) adds the reference's store API on
top; most code uses it through ``LocalDispatcherSession``.
"""

from __future__ import annotations

import asyncio
import ctypes
import inspect
import json
import threading
import weakref
from typing import Any, Awaitable, Callable, Iterable, Optional, Union

from . import _lib
from .errors import (
    AnnaRuntimeError,
    DevTokenError,
    RuntimeConfigError,
    from_rpc_error,
)

_lib_call = _lib.lib.anna_runtime_call
_host_reply = _lib.lib.anna_runtime_host_reply
_take = _lib.take_string
_dumps = json.dumps
_loads = json.loads

#: ``fn(method, params) -> dict`` or ``async def fn(method, params) -> dict``.
HostHandler = Callable[[str, dict], Union[dict, Awaitable[dict]]]

_CONFIG_KEYS = ("dev_key_path", "token_ttl_seconds", "host_call_timeout_ms", "storage_mode", "web_mode", "schema_dir")

# Every open runtime (for the exit hook in session.py).
_live_runtimes: "weakref.WeakSet[Runtime]" = weakref.WeakSet()

# The loop of the coroutine that is awaiting the call running on this worker
# thread (set by session._on_worker), so an async host handler can be run
# on a loop that is certainly alive.
_tls = threading.local()


class RuntimeClosedError(RuntimeError):
    """The runtime (store) was closed."""


def _free_runtime(ptr: Any, _keepalive: list) -> None:
    # `_keepalive` holds the C trampoline until the runtime is gone: the
    # library may call it up to the moment anna_runtime_free returns.
    _lib.lib.anna_runtime_free(ptr)


def _decode_error_out(ptr: "_lib.OwnedString") -> RuntimeConfigError:
    if ptr.value is None:
        return RuntimeConfigError("invalid_config", "anna_runtime_new failed")
    obj = _loads(_take(ptr))
    err = obj.get("error", {}) if isinstance(obj, dict) else {}
    return RuntimeConfigError(str(err.get("code", "invalid_config")), str(err.get("message", "")))


def _host_error_object(exc: BaseException) -> dict:
    """A Python exception from a host handler as a JSON-RPC error object.

    * an integer ``code`` (``JsonRpcError`` or any exception carrying
      ``code``/``message``/``data``): passed as is;
    * a string ``code`` (``HostCallError``, ``LocalSessionError``): becomes
      ``data.errorCode``, so the app sees that code and ``details`` = data;
    * anything else: what the reference's dispatcher makes of a crashing
      store hook, code ``internal`` and ``handler crashed: <text>``.
    """
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None)
    if not isinstance(message, str) or not message:
        message = str(exc)
    if isinstance(code, int) and not isinstance(code, bool):
        out: dict[str, Any] = {"code": code, "message": message}
        data = getattr(exc, "data", None)
        if isinstance(data, dict):
            out["data"] = data
        return out
    if isinstance(code, str) and code:
        details = getattr(exc, "details", None)
        if not isinstance(details, dict):
            details = getattr(exc, "data", None)
        data = {"errorCode": code}
        if isinstance(details, dict):
            data.update((k, v) for k, v in details.items() if k != "errorCode")
        return {"code": -32000, "message": message, "data": data}
    return {"code": -32603, "message": f"handler crashed: {exc}", "data": {"errorCode": "internal"}}


class Runtime:
    """A native runtime. Thread-safe; ``close()`` (or ``with``) frees it.

    ``config`` keys (all optional), as ``anna_runtime_new`` takes them:
    ``dev_key_path``, ``token_ttl_seconds``, ``host_call_timeout_ms``
    (0 waits forever), ``storage_mode`` ("legacy" | "aps"), ``web_mode``
    ("local" | "real"), ``schema_dir``. They may also be given as keywords.
    """

    def __init__(self, config: Optional[dict] = None, **kwargs: Any):
        cfg = dict(config or {})
        for k in list(kwargs):
            if k not in _CONFIG_KEYS:
                raise TypeError(f"unexpected keyword argument {k!r}")
            if kwargs[k] is not None:
                cfg[k] = kwargs[k]
        err = _lib.OwnedString()
        ptr = _lib.lib.anna_runtime_new(_dumps(cfg).encode() if cfg else None, ctypes.byref(err))
        if not ptr:
            raise _decode_error_out(err)
        self._ptr: Any = ptr
        self._config = cfg
        self._host_fn: Optional[HostHandler] = None
        self._host_loop: Optional[asyncio.AbstractEventLoop] = None
        self._keepalive: list = []
        self._finalizer = weakref.finalize(self, _free_runtime, ptr, self._keepalive)
        self._trampoline = self._make_trampoline()
        self._keepalive.append(self._trampoline)
        _live_runtimes.add(self)
        self._drain_sid: Optional[str] = None
        self._open_sids: dict[str, None] = {}
        self._ever_opened = False
        self._sid_lock = threading.Lock()

    # ---- lifetime -----------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._ptr is None

    def close(self) -> None:
        """Free the native runtime: fails waiting host calls, stops plugins
        (up to ~2 s), frees every session. No call may be in flight."""
        if self._ptr is None:
            return
        self._ptr = None
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def config(self) -> dict:
        return dict(self._config)

    # ---- the bridge protocol ------------------------------------------------

    def call_raw(self, request: Union[str, bytes]) -> str:
        """One JSON-RPC request line in, the response line out (``""`` for a
        blank request), exactly as the stdio bridge would print it."""
        if isinstance(request, str):
            request = request.encode("utf-8", "surrogatepass")
        return _take(_lib_call(self._ptr, request)).decode("utf-8", "surrogatepass")

    def _call_bytes(self, request: bytes) -> bytes:
        return _take(_lib_call(self._ptr, request))

    def request(self, method: str, params: Any = None) -> Any:
        """Send ``{"method": method, "params": params}``; return ``result``
        or raise the matching ``AnnaRuntimeError`` subclass."""
        req = {"jsonrpc": "2.0", "id": 0, "method": method}
        if params is not None:
            req["params"] = params
        resp = _loads(self._call_bytes(_dumps(req).encode()))
        if "error" in resp:
            self._check_open()
            raise from_rpc_error(resp["error"])
        return resp["result"]

    def _check_open(self) -> None:
        if self._ptr is None:
            raise RuntimeClosedError("the annaruntime store/runtime is closed")

    def ping(self) -> bool:
        return self.request("ping") == {"pong": True}

    # ---- executas -----------------------------------------------------------

    def register_executas(self, executas: Iterable[Any]) -> list[str]:
        """Register plugins for ``tools.invoke``: items are dicts
        ``{tool_id, project_dir, command?}`` or ``ExecutaSpec`` objects.
        Returns the registered tool ids, in order. Spawns nothing."""
        items = []
        for it in executas:
            if not isinstance(it, dict):
                it = {"tool_id": it.tool_id, "project_dir": it.project_dir, "command": getattr(it, "command", None)}
            items.append(it)
        return self.request("executas.register", {"executas": items})["registered"]

    # ---- tokens (with this runtime's key file and TTL) -----------------------

    def mint_token(self, *, window_uuid: str, user_id: int, app_id: int = 0, version_id: int = 0,
                   scopes: Optional[list] = None, ttl_seconds: Optional[int] = None,
                   now: Optional[float] = None) -> tuple[str, int]:
        from .token import _mint
        return _mint(self._ptr, window_uuid=window_uuid, user_id=user_id, app_id=app_id,
                     version_id=version_id, scopes=scopes, ttl_seconds=ttl_seconds, now=now)

    def verify_token(self, token: str, *, now: Optional[float] = None) -> dict:
        from .token import _verify
        return _verify(self._ptr, token, now=now)

    # ---- the host-call hook ---------------------------------------------------

    def set_host_handler(self, fn: Optional[HostHandler], *, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        """Install (or with ``None`` remove) the handler of delegated calls.

        ``fn(method, params)`` gets ``"host.<ns>.<method>"`` and the params
        dict and returns the result dict, or is ``async def``. Raising
        ``HostCallError(code, message, details)`` (or any exception with a
        string ``code``) gives the app that error code; an exception with an
        integer ``code`` and ``data`` is sent as that JSON-RPC error.

        A sync handler runs on the thread that made the call (for ``await
        session.call`` a worker thread). An async one is scheduled,
        thread-safely, on ``loop`` (default: the loop running when this is
        called), else on the loop awaiting the call, else on the package's
        background loop thread, and replies when done; the calling thread
        waits in the library meanwhile (up to ``host_call_timeout_ms``).
        Calls waiting on a replaced handler fail ``host_unavailable``.
        """
        self._check_open()
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
        self._host_fn = fn
        self._host_loop = loop
        cb = self._trampoline if fn is not None else _lib.HOST_CALL_FN()
        if _lib.lib.anna_runtime_set_host_handler(self._ptr, cb, None) != 0:
            raise RuntimeClosedError("anna_runtime_set_host_handler failed")

    @property
    def host_handler(self) -> Optional[HostHandler]:
        return self._host_fn

    def _make_trampoline(self):
        ref = weakref.ref(self)

        def trampoline(_userdata: Any, call_id: int, method: bytes, params: bytes) -> None:
            rt = ref()
            if rt is not None:
                rt._on_host_call(call_id, method, params)

        return _lib.HOST_CALL_FN(trampoline)

    def _on_host_call(self, call_id: int, method_b: bytes, params_b: bytes) -> None:
        # Runs on the native calling thread; must never raise into ctypes.
        try:
            fn = self._host_fn
            if fn is None:
                raise RuntimeError("no host handler installed")
            method = method_b.decode("utf-8", "surrogatepass")
            params = _loads(params_b.decode("utf-8", "surrogatepass"))
            res = fn(method, params)
            if inspect.isawaitable(res):
                self._run_async_handler(call_id, res)
                return
            self._reply(call_id, {"result": res})
        except BaseException as e:  # noqa: BLE001 - every failure becomes a reply
            self._reply(call_id, {"error": _host_error_object(e)})

    def _run_async_handler(self, call_id: int, awaitable: Awaitable) -> None:
        here = asyncio._get_running_loop()  # the loop running on this very thread, if any
        target = None
        for loop in (self._host_loop, getattr(_tls, "caller_loop", None)):
            if loop is not None and loop is not here and loop.is_running() and not loop.is_closed():
                target = loop
                break
        if target is None:
            # No usable loop (none running, or the only one is blocked in this
            # call_sync): use the package's background loop. The calling
            # thread then waits in the library, host_call_timeout_ms applies.
            target = _background_loop()
        fut = asyncio.run_coroutine_threadsafe(_as_coroutine(awaitable), target)
        fut.add_done_callback(lambda f: self._reply_future(call_id, f))

    def _reply_future(self, call_id: int, fut: Any) -> None:
        if fut.cancelled():
            self._reply(call_id, {"error": {"code": -32603, "message": "host handler cancelled",
                                            "data": {"errorCode": "host_cancelled"}}})
            return
        exc = fut.exception()
        if exc is not None:
            self._reply(call_id, {"error": _host_error_object(exc)})
        else:
            self._reply(call_id, {"result": fut.result()})

    def _reply(self, call_id: int, payload: dict) -> None:
        try:
            text = _dumps(payload)
        except (TypeError, ValueError) as e:
            text = _dumps({"error": {"code": -32603, "message": f"host handler result is not JSON: {e}",
                                     "data": {"errorCode": "internal"}}})
        ptr = self._ptr
        if ptr is not None:
            _host_reply(ptr, call_id, text.encode("ascii"))

    # ---- sessions (used by LocalDispatcherSession) -----------------------------

    def _session_opened(self, sid: str) -> None:
        with self._sid_lock:
            self._open_sids[sid] = None
            self._ever_opened = True
            if self._drain_sid is None:
                self._drain_sid = sid

    def _session_closed(self, sid: str) -> None:
        with self._sid_lock:
            self._open_sids.pop(sid, None)
            if self._drain_sid == sid:
                self._drain_sid = next(iter(self._open_sids), None)

    def drain_events(self) -> list[dict[str, Any]]:
        """All queued events of every session of this store, oldest first;
        empties the queue (store-wide, as the reference)."""
        sid = self._drain_sid
        if sid is None:
            if not self._open_sids and not self._ever_opened:
                return []  # no session ever existed: nothing can be queued
            # Every session was closed but events may remain; the bridge
            # protocol drains through a session handle, so open a hidden one.
            res = self.request("session.create", {"manifest": {}, "user_id": 0})
            sid = res["session_id"]
            self._session_opened(sid)
        return self.request("session.drain_events", {"session_id": sid})["events"]


async def _as_coroutine(awaitable: Awaitable) -> Any:
    return await awaitable


_bg_loop: Optional[asyncio.AbstractEventLoop] = None
_bg_lock = threading.Lock()


def _background_loop() -> asyncio.AbstractEventLoop:
    """A daemon thread running an event loop, for async host handlers that
    have no loop of their own (started on first use)."""
    global _bg_loop
    with _bg_lock:
        if _bg_loop is None or _bg_loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="annaruntime-host-loop", daemon=True).start()
            _bg_loop = loop
        return _bg_loop


__all__ = ["Runtime", "RuntimeClosedError", "AnnaRuntimeError", "DevTokenError"]
