"""``InMemoryWindowStore``: the reference's store, backed by one native runtime.

Every ``LocalDispatcherSession`` created with the same store shares its
window list, event queue, users, jobs, host handler and executas, as with the
reference; ``LocalDispatcherSession.create()`` without ``store=`` makes a fresh
one, as the reference does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional

from .runtime import Runtime

HostCall = Callable[[str, dict], Awaitable[dict]]


@dataclass
class _FakeUser:
    id: int
    default_agent_client_id: Optional[str] = None


class InMemoryWindowStore(Runtime):
    """A native runtime with the reference store's constructor and helpers.

    ``aps_forward_storage=True`` is ``storage_mode="aps"``,
    ``web_forward_real=True`` is ``web_mode="real"``; ``host_call`` is the
    reference's ``async host_call(method, params) -> dict`` (any host handler
    works, see ``set_host_handler``); ``executa_pool`` an ``ExecutaPool``.
    Other runtime settings go in ``config`` (``dev_key_path``,
    ``token_ttl_seconds``, ``host_call_timeout_ms``, ``schema_dir``).
    """

    def __init__(
        self,
        *,
        users: Optional[dict[int, Any]] = None,
        executa_pool: Any = None,
        host_call: Optional[HostCall] = None,
        aps_forward_storage: bool = False,
        web_forward_real: bool = False,
        config: Optional[dict] = None,
    ):
        cfg = dict(config or {})
        if aps_forward_storage:
            cfg["storage_mode"] = "aps"
        if web_forward_real:
            cfg["web_mode"] = "real"
        super().__init__(cfg)
        self.aps_forward_storage = cfg.get("storage_mode") == "aps"
        self.web_forward_real = cfg.get("web_mode") == "real"
        # Users are registered by the native store when a session is created;
        # this table is kept for harness code that reads it.
        self._users: dict[int, Any] = dict(users or {})
        self._executa_pool = None
        if executa_pool is not None:
            self.set_executa_pool(executa_pool)
        if host_call is not None:
            self.set_host_call(host_call)

    def set_executa_pool(self, pool: Any) -> None:
        self._executa_pool = pool
        if pool is not None:
            pool._attach(self)

    def set_host_call(self, host_call: Optional[HostCall]) -> None:
        """The reference's name for ``set_host_handler``."""
        self.set_host_handler(host_call)

    def register_user(self, user_id: int, *, default_agent_client_id: Optional[str] = None) -> _FakeUser:
        u = _FakeUser(id=user_id, default_agent_client_id=default_agent_client_id)
        self._users[user_id] = u
        return u


__all__ = ["InMemoryWindowStore"]
