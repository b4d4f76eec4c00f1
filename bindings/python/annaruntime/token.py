"""Local HMAC dev tokens (06-tokens.md), through ``anna_dev_token_mint`` /
``anna_dev_token_verify``. Same names, signatures and errors as the
reference's ``anna_app_runtime_local.token``; the key is
``$ANNA_APP_DEV_KEY`` or ``~/.anna-app/dev.key`` (created on first use).
"""

from __future__ import annotations

import json
from typing import Any, Optional

from . import _lib
from .errors import DevTokenError

DEFAULT_TTL_SECONDS = 30

_mint_fn = _lib.lib.anna_dev_token_mint
_verify_fn = _lib.lib.anna_dev_token_verify


def _raise_api_error(err: Any) -> None:
    code = err.get("code") if isinstance(err, dict) else None
    message = str(err.get("message", "")) if isinstance(err, dict) else str(err)
    if code == "dev_token_error":
        raise DevTokenError(message)
    if code == "key_file_error":
        raise OSError(message)
    raise ValueError(message)


def _mint(rt: Any, *, window_uuid: str, user_id: int, app_id: int = 0, version_id: int = 0,
          scopes: Optional[list] = None, ttl_seconds: Optional[int] = None,
          now: Optional[float] = None) -> tuple[str, int]:
    params: dict[str, Any] = {"window_uuid": window_uuid, "user_id": user_id, "app_id": app_id,
                              "version_id": version_id, "scopes": list(scopes or [])}
    if ttl_seconds is not None:
        params["ttl_seconds"] = ttl_seconds
    if now is not None:
        params["now"] = now
    out = json.loads(_lib.take_string(_mint_fn(rt, json.dumps(params).encode())))
    if "error" in out:
        _raise_api_error(out["error"])
    return out["token"], out["expires_in"]


def _verify(rt: Any, token: Any, *, now: Optional[float] = None) -> dict[str, Any]:
    params: dict[str, Any] = {"token": token}
    if now is not None:
        params["now"] = now
    try:
        text = json.dumps(params)
    except (TypeError, ValueError):
        raise DevTokenError("malformed token") from None
    out = json.loads(_lib.take_string(_verify_fn(rt, text.encode())))
    if "error" in out:
        _raise_api_error(out["error"])
    return out["payload"]


def mint_dev_token(
    *,
    window_uuid: str,
    user_id: int,
    app_id: int = 0,
    version_id: int = 0,
    scopes: Optional[list[str]] = None,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
) -> tuple[str, int]:
    """Return ``(token, expires_in)``."""
    return _mint(None, window_uuid=window_uuid, user_id=user_id, app_id=app_id, version_id=version_id,
                 scopes=scopes, ttl_seconds=ttl_seconds)


def verify_dev_token(token: str) -> dict[str, Any]:
    """The token's payload; raises ``DevTokenError`` (a ``ValueError``) when
    it is malformed, badly signed or expired."""
    return _verify(None, token)


__all__ = ["DEFAULT_TTL_SECONDS", "DevTokenError", "mint_dev_token", "verify_dev_token"]
