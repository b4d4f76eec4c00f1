"""Exceptions raised by the package.

``LocalSessionError`` and ``DevTokenError`` have the reference's names and
fields. The others report JSON-RPC errors of the bridge protocol (09 §7)
that the reference raises as plain Python exceptions: an invalid manifest is
a ``ValueError`` (pydantic's ``ValidationError`` is one) whose ``str()`` is
the validation text; a bad ``user_id`` is a ``ValueError``/``TypeError`` as
``int()`` would raise.
"""

from __future__ import annotations

from typing import Any


class LocalSessionError(Exception):
    """A host error of ``session.call``: ``code``, ``message``, ``details``."""

    def __init__(self, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class DevTokenError(ValueError):
    """Raised on malformed / expired / signature-mismatched tokens."""


class AnnaRuntimeError(Exception):
    """A JSON-RPC error answered by the runtime (``code`` is the integer code)."""

    def __init__(self, code: int, message: str, data: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data or {}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data:
            out["data"] = self.data
        return out


class InvalidParamsError(AnnaRuntimeError, ValueError):
    """-32602: a missing or invalid parameter (``missing required param: 'x'``)."""


class UnknownSessionError(InvalidParamsError):
    """-32602 ``unknown session_id``: the session was closed."""


class InternalError(AnnaRuntimeError):
    """-32603 ``internal: <text>``; ``str()`` is the text without the prefix.

    ``kind`` names the Python exception class the reference would raise.
    """

    kind = "Exception"

    def __init__(self, code: int, message: str, data: dict | None = None, kind: str | None = None):
        super().__init__(code, message, data)
        if kind:
            self.kind = kind

    def __str__(self) -> str:
        m = self.message
        return m[len("internal: "):] if m.startswith("internal: ") else m


class ManifestValidationError(InternalError, ValueError):
    """The manifest does not validate; ``str()`` is the validation text
    (``1 validation error for AppManifest\\n...``), as pydantic's is."""

    kind = "ValidationError"


class InternalValueError(InternalError, ValueError):
    kind = "ValueError"


class InternalTypeError(InternalError, TypeError):
    kind = "TypeError"


class InternalOverflowError(InternalError, OverflowError):
    kind = "OverflowError"


class InternalAttributeError(InternalError, AttributeError):
    kind = "AttributeError"


class RuntimeConfigError(ValueError):
    """``anna_runtime_new`` refused the configuration."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class HostCallError(Exception):
    """Raise from a host handler to answer with a structured host error.

    The app sees ``{"code": code, "message": message, "details": {"errorCode":
    code, **details}}`` — the same shape as the reference bridge produces from
    a Node-side error (09 BR-OUT-3). Mirrors the reference's ``_HostCallError``.
    """

    def __init__(self, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


class JsonRpcError(Exception):
    """Raise from a host handler to answer with an exact JSON-RPC error object
    ``{"code": <int>, "message": ..., "data": {...}}``."""

    def __init__(self, code: int, message: str, data: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


_INTERNAL_BY_KIND: dict[str, type[InternalError]] = {
    "ValidationError": ManifestValidationError,
    "ValueError": InternalValueError,
    "TypeError": InternalTypeError,
    "OverflowError": InternalOverflowError,
    "AttributeError": InternalAttributeError,
}


def _traceback_kind(data: Any) -> str | None:
    """The exception class named on the traceback's last frame line."""
    tb = data.get("traceback") if isinstance(data, dict) else None
    if not isinstance(tb, str):
        return None
    for line in tb.splitlines()[1:]:
        if line and not line.startswith(" "):
            head = line.split(":", 1)[0]
            if head.isidentifier():
                return head
    return None


def from_rpc_error(err: dict) -> AnnaRuntimeError:
    """Turns a JSON-RPC ``error`` object into the matching exception."""
    code = err.get("code")
    message = str(err.get("message", ""))
    data = err.get("data") if isinstance(err.get("data"), dict) else None
    if code == -32602:
        cls = UnknownSessionError if message.startswith("unknown session_id") else InvalidParamsError
        return cls(code, message, data)
    if code == -32603:
        kind = _traceback_kind(data)
        return _INTERNAL_BY_KIND.get(kind or "", InternalError)(code, message, data, kind)
    return AnnaRuntimeError(code if isinstance(code, int) else -32603, message, data)
