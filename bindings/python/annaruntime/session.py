"""``LocalDispatcherSession``: the reference's session API over the native runtime.

One session = one window (one iframe instance) of a store. ``await
session.call(ns, method, args)`` returns the handler's result dict or raises
``LocalSessionError``; ``session.call_sync`` is the same without ``await``.

Cheap methods (window.*, storage.*, chat.*, tools.list, jobs, ...) answer in
microseconds and run inline. Methods that may wait on a plugin or on the host
handler (tools.invoke, llm.*, agent.*, image.*, video.*, music.*, audio.*,
upload.*, web.*) run on a worker thread so the event loop keeps running.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import json
import os
import threading
from json.encoder import c_make_encoder, encode_basestring_ascii
from json.scanner import c_make_scanner, py_make_scanner
from typing import Any, Optional

from . import _lib
from .errors import LocalSessionError, from_rpc_error
from .runtime import RuntimeClosedError, _tls
from .store import InMemoryWindowStore

_lib_call = _lib.lib.anna_runtime_call
_free = _lib._free
_dumps = json.dumps
_loads = json.loads


def _default(o: Any) -> Any:
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


# json.dumps(obj, separators=(",", ":")) and the scanner behind json.loads,
# built once: json.dumps/loads set these up on every call, and this path is
# most of the binding's own cost. No circular-reference markers: a cycle ends
# in RecursionError.
if c_make_encoder is not None:
    _enc = c_make_encoder(None, _default, encode_basestring_ascii, None, ":", ",", False, False, True)
else:  # pragma: no cover - interpreters without the _json accelerator
    def _enc(o: Any, _level: int) -> tuple:
        return (json.dumps(o, separators=(",", ":")),)
_scan = (c_make_scanner or py_make_scanner)(json.JSONDecoder())


def _encode(o: Any) -> str:
    return "".join(_enc(o, 0))


# Namespaces whose methods may block (include/annaruntime.h, anna_runtime_call).
_BLOCKING_NS = frozenset({"llm", "agent", "image", "video", "music", "audio", "upload", "web"})

# Responses to our requests (id 0) start with one of these (BR-M-CALL-2/3);
# the result object starts right after.
_OK = b'{"jsonrpc": "2.0", "id": 0, "result": {"ok": true, "result": '
_ERR = b'{"jsonrpc": "2.0", "id": 0, "result": {"ok": false, "error": '
_OK_LEN = len(_OK)
_ERR_LEN = len(_ERR)

_executor: Optional[concurrent.futures.ThreadPoolExecutor] = None
_executor_lock = threading.Lock()


def _get_executor() -> concurrent.futures.ThreadPoolExecutor:
    """The worker threads of blocking calls (``$ANNARUNTIME_MAX_THREADS``,
    default 64: each in-flight slow call holds one thread)."""
    global _executor
    if _executor is None:
        with _executor_lock:
            if _executor is None:
                n = int(os.environ.get("ANNARUNTIME_MAX_THREADS", "64"))
                _executor = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, n),
                                                                  thread_name_prefix="annaruntime")
                # At interpreter exit the executor's threads are joined before
                # atexit runs; a call still waiting for a host reply (whose
                # loop is gone) would hold the exit for host_call_timeout_ms.
                # Registered after the executor's own hook, so it runs first.
                register = getattr(threading, "_register_atexit", None)
                if register is not None:
                    register(_fail_host_calls_at_exit)
    return _executor


def _fail_host_calls_at_exit() -> None:
    from .runtime import _live_runtimes
    for rt in list(_live_runtimes):
        try:
            if not rt.closed and rt.host_handler is not None:
                rt.set_host_handler(None)  # waiting calls fail with host_unavailable
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


def _on_worker(loop: asyncio.AbstractEventLoop, fn: Any, *args: Any) -> Any:
    _tls.caller_loop = loop
    try:
        return fn(*args)
    finally:
        _tls.caller_loop = None


def may_block(ns: Any, method: Any) -> bool:
    """True for the methods ``await session.call`` runs on a worker thread."""
    try:
        return ns in _BLOCKING_NS or (ns == "tools" and method == "invoke")
    except TypeError:  # unhashable ns
        return False


class WindowInfo:
    """The window record of a session (the reference's ``InMemoryWindowSession``
    fields). Identity fields are fixed at creation; ``runtime_state`` and
    ``geometry`` are read live from the native store (``window.hello``);
    ``title``, ``status`` and ``closed_reason`` follow the window.* calls made
    through this session."""

    def __init__(self, session: "LocalDispatcherSession", *, window_uuid: str, user_id: int, app_id: int,
                 version_id: int, bundle_id: int, view: Any, entry_payload: dict, runtime_state: dict,
                 app_slug: Optional[str]):
        self._session = session
        self.window_uuid = window_uuid
        self.user_id = user_id
        self.app_id = app_id
        self.version_id = version_id
        self.bundle_id = bundle_id
        self.view = view
        self.entry_payload = entry_payload
        self._initial_state = runtime_state
        self.app_slug = app_slug
        self.title: Optional[str] = None
        self.status = "active"
        self.source = "harness"
        self.closed_reason: Optional[str] = None
        self.conversation_session_uuid: Optional[str] = None

    def _hello(self) -> Optional[dict]:
        try:
            return self._session.call_sync("window", "hello", {})
        except LocalSessionError:
            return None  # e.g. an unknown view: hello refuses, no live state

    @property
    def runtime_state(self) -> dict:
        h = self._hello()
        return h["runtime_state"] if h is not None else dict(self._initial_state)

    @property
    def geometry(self) -> dict:
        h = self._hello()
        return h["geometry"] if h is not None else {}

    def __repr__(self) -> str:
        return (f"WindowInfo(window_uuid={self.window_uuid!r}, user_id={self.user_id!r}, app_id={self.app_id!r}, "
                f"view={self.view!r}, app_slug={self.app_slug!r})")


class LocalDispatcherSession:
    """One harness window. Construct via ``LocalDispatcherSession.create(...)``."""

    def __init__(self, *, store: InMemoryWindowStore, session_id: str, created: dict, window_kwargs: dict,
                 manifest: dict):
        self.store = store
        self.session_id = session_id
        self.manifest = manifest
        self.token: str = created["token"]
        self.expires_in: int = created["expires_in"]
        self.view_meta: Optional[dict] = created.get("view_meta")
        self.window = WindowInfo(self, window_uuid=created["window_uuid"], view=created["view"], **window_kwargs)
        self._closed = False
        # Request prefixes per (ns, method): the request is this + args + "}}".
        self._heads: dict[Any, str] = {}
        self._sid_json = _dumps(session_id)

    @property
    def window_uuid(self) -> str:
        return self.window.window_uuid

    @classmethod
    def create(
        cls,
        *,
        user_id: int,
        manifest_dict: dict,
        view: Optional[str] = None,
        entry_payload: Optional[dict] = None,
        runtime_state: Optional[dict] = None,
        app_id: int = 1,
        version_id: int = 1,
        bundle_id: int = 1,
        app_slug: Optional[str] = None,
        store: Optional[InMemoryWindowStore] = None,
    ) -> "LocalDispatcherSession":
        """Validate the manifest, register the user, pick the view, attach a
        new window to ``store`` (a fresh store when omitted).

        Raises ``ManifestValidationError`` (a ``ValueError`` whose ``str()`` is
        the validation text) for an invalid manifest.

        Note: the native runtime gives every window app_id = version_id =
        bundle_id = 1 (the bridge's values); other values are kept on
        ``session.window`` but do not reach ``window.hello``, jobs or the
        session token.
        """
        if store is None:
            store = InMemoryWindowStore()
        entry = dict(entry_payload or {})
        state = dict(runtime_state or {})
        params: dict[str, Any] = {"user_id": user_id, "manifest": manifest_dict, "view": view,
                                  "entry_payload": entry, "runtime_state": state, "app_slug": app_slug}
        created = store.request("session.create", params)
        sid = created["session_id"]
        store._session_opened(sid)
        if user_id not in store._users:
            store.register_user(user_id)
        window_kwargs = dict(user_id=user_id, app_id=app_id, version_id=version_id, bundle_id=bundle_id,
                             entry_payload=entry, runtime_state=state, app_slug=app_slug)
        return cls(store=store, session_id=sid, created=created, window_kwargs=window_kwargs,
                   manifest=manifest_dict)

    # ---- calls ------------------------------------------------------------------

    def _head(self, ns: Any, method: Any) -> str:
        head = ('{"id":0,"method":"session.call","params":{"session_id":' + self._sid_json
                + ',"ns":' + _encode(ns) + ',"method":' + _encode(method) + ',"args":')
        try:
            if len(self._heads) < 1024:
                self._heads[(ns, method)] = head
        except TypeError:
            pass  # unhashable ns/method: not cached
        return head

    def call_sync(self, ns: str, method: str, args: Optional[dict] = None) -> dict:
        """Dispatch one envelope on this thread. Raises ``LocalSessionError``
        on host errors. Blocks while a plugin or the host handler works."""
        try:
            head = self._heads[(ns, method)]
        except (KeyError, TypeError):
            head = self._head(ns, method)
        req = head + "".join(_enc(args, 0)) + "}}" if args else head + "{}}}"
        ptr = _lib_call(self.store._ptr, req.encode())
        resp = ptr.value
        if resp is None:
            raise MemoryError("libannaruntime returned NULL")
        _free(ptr)
        if resp.startswith(_OK):
            # Responses are ASCII (non-ASCII is \u-escaped, BR-JSON-1).
            out = _scan(resp.decode("latin-1"), _OK_LEN)[0]
            if ns == "window":
                self._track_window(method, args, out)
            return out
        return self._failure(resp)

    def _failure(self, resp: bytes) -> Any:
        if resp.startswith(_ERR):
            e = _loads(resp[_ERR_LEN:-2])
            raise LocalSessionError(e["code"], e["message"], e.get("details"))
        obj = _loads(resp)
        if "error" in obj:
            if self.store._ptr is None:
                raise RuntimeClosedError("the session's store is closed")
            raise from_rpc_error(obj["error"])
        raise RuntimeError(f"unexpected runtime response: {resp[:200]!r}")

    def _track_window(self, method: str, args: Any, out: dict) -> None:
        # Mirror what window.set_title / window.close changed on the record
        # (D-WIN-TITLE-2, D-WIN-CLOSE-1/2).
        w = self.window
        if method == "set_title":
            w.title = out.get("title")
        elif method == "close":
            w.status = "closed"
            reason = args.get("reason") if isinstance(args, dict) else None
            w.closed_reason = str(reason)[:80] if reason else "iframe_close"

    async def call(self, ns: str, method: str, args: Optional[dict] = None) -> dict:
        """Dispatch one envelope. Raises ``LocalSessionError`` on host errors.

        Methods that may wait (plugins, host calls) run on a worker thread;
        the others are answered inline in microseconds."""
        if isinstance(ns, str) and (ns in _BLOCKING_NS or (ns == "tools" and method == "invoke")):
            loop = asyncio.get_running_loop()
            ctx = contextvars.copy_context()
            return await loop.run_in_executor(_get_executor(), ctx.run, _on_worker, loop,
                                              self.call_sync, ns, method, args)
        return self.call_sync(ns, method, args)

    def drain_events(self) -> list[dict[str, Any]]:
        """Every queued event of the store (all sessions), oldest first."""
        return self.store.request("session.drain_events", {"session_id": self.session_id})["events"]

    def refresh_token(self) -> tuple[str, int]:
        """A fresh dev token for this window (the bridge's session.refresh_token)."""
        res = self.store.request("session.refresh_token", {"session_id": self.session_id})
        self.token, self.expires_in = res["token"], res["expires_in"]
        return self.token, self.expires_in

    def close(self) -> None:
        """Forget this session in the native runtime (frees its window).

        The reference has no session close (its windows live as long as the
        store); closing is optional and only releases memory early."""
        if self._closed or self.store.closed:
            self._closed = True
            return
        self._closed = True
        self.store.request("session.close", {"session_id": self.session_id})
        self.store._session_closed(self.session_id)

    def __enter__(self) -> "LocalDispatcherSession":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"LocalDispatcherSession(session_id={self.session_id!r}, window_uuid={self.window_uuid!r})"


__all__ = ["LocalDispatcherSession", "LocalSessionError", "WindowInfo", "may_block"]
