"""annaruntime — the Anna App local runtime (libannaruntime), in-process.

A drop-in for ``anna_app_runtime_local``: change

    from anna_app_runtime_local import LocalDispatcherSession, mint_dev_token

to

    from annaruntime import LocalDispatcherSession, mint_dev_token

The library is found through ``$ANNARUNTIME_LIBRARY``, else the copy bundled
in this package, else ``.build/release`` of a source checkout.
"""

from __future__ import annotations

from ._lib import DISPATCHER_VERSION, EXPECTED_LIBRARY_VERSION, LIBRARY_PATH, LIBRARY_VERSION, LibraryLoadError
from .errors import (
    AnnaRuntimeError,
    DevTokenError,
    HostCallError,
    InternalError,
    InvalidParamsError,
    JsonRpcError,
    LocalSessionError,
    ManifestValidationError,
    RuntimeConfigError,
    UnknownSessionError,
)
from .executa import ExecutaPool, ExecutaSpec
from .runtime import Runtime, RuntimeClosedError
from .session import LocalDispatcherSession, WindowInfo
from .store import InMemoryWindowStore
from .token import DEFAULT_TTL_SECONDS, mint_dev_token, verify_dev_token

__version__ = "0.1.0"

#: Alias with the reference's name for the window record type.
InMemoryWindowSession = WindowInfo


def library_version() -> str:
    """``anna_runtime_version()`` of the loaded library."""
    return LIBRARY_VERSION


def dispatcher_version() -> str:
    """The wire-protocol version the library implements (``"0.30.0"``)."""
    return DISPATCHER_VERSION


def register_executas(store: InMemoryWindowStore, executas: list) -> list[str]:
    """``store.register_executas(executas)``: ``[{tool_id, project_dir, command}]``."""
    return store.register_executas(executas)


__all__ = [
    "LocalDispatcherSession",
    "LocalSessionError",
    "InMemoryWindowStore",
    "InMemoryWindowSession",
    "WindowInfo",
    "ExecutaPool",
    "ExecutaSpec",
    "mint_dev_token",
    "verify_dev_token",
    "DevTokenError",
    "DEFAULT_TTL_SECONDS",
    "Runtime",
    "RuntimeClosedError",
    "RuntimeConfigError",
    "AnnaRuntimeError",
    "InvalidParamsError",
    "UnknownSessionError",
    "InternalError",
    "ManifestValidationError",
    "HostCallError",
    "JsonRpcError",
    "LibraryLoadError",
    "register_executas",
    "library_version",
    "dispatcher_version",
    "LIBRARY_PATH",
    "EXPECTED_LIBRARY_VERSION",
]
