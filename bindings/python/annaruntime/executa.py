"""Executa (plugin) registration with the reference's names.

The plugins themselves are run by the native runtime; ``ExecutaPool`` here is
a list of ``ExecutaSpec`` that registers itself with every store it is given
to (``InMemoryWindowStore(executa_pool=pool)`` or
``store.set_executa_pool(pool)``), now and on later ``register()`` calls, so
harness code written against the reference keeps working. The direct way is
``store.register_executas([{tool_id, project_dir, command}])``.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any, Optional


@dataclass
class ExecutaSpec:
    """How to launch one Executa plugin from the harness."""

    tool_id: str
    project_dir: str
    # Optional override; default = ["uv","run","--project",project_dir,tool_id]
    command: Optional[list[str]] = None

    def to_dict(self) -> dict[str, Any]:
        return {"tool_id": self.tool_id, "project_dir": self.project_dir, "command": self.command}


class ExecutaPool:
    """Specs keyed by ``tool_id``, mirrored into the stores it is attached to."""

    def __init__(self, specs: Optional[dict[str, ExecutaSpec]] = None, *, server_request_handler: Any = None):
        self._specs: dict[str, ExecutaSpec] = dict(specs or {})
        self._stores: "weakref.WeakSet[Any]" = weakref.WeakSet()
        self._lock = threading.Lock()
        # Reverse RPC from plugins is routed by the native runtime through the
        # originating session's dispatcher; a Python handler is not used.
        self._server_request_handler = server_request_handler

    def register(self, spec: ExecutaSpec) -> None:
        with self._lock:
            self._specs[spec.tool_id] = spec
            stores = list(self._stores)
        for store in stores:
            if not store.closed:
                store.register_executas([spec])

    def is_registered(self, tool_id: str) -> bool:
        return tool_id in self._specs

    def set_server_request_handler(self, handler: Any) -> None:
        self._server_request_handler = handler

    @property
    def specs(self) -> dict[str, ExecutaSpec]:
        return dict(self._specs)

    def _attach(self, store: Any) -> None:
        with self._lock:
            self._stores.add(store)
            specs = list(self._specs.values())
        if specs:
            store.register_executas(specs)

    async def shutdown(self) -> None:
        """Plugins belong to the native runtime; they stop when the store is closed."""


__all__ = ["ExecutaSpec", "ExecutaPool"]
