"""Raw JSON text builder for the differential harness.

Requests are built as *text*, not as Python values, because the exact input
spelling matters to the bridge (``1E2`` vs ``100.0``, ``-0``, ``NaN``, duplicate
keys, lone surrogate escapes, huge integers, raw vs escaped non-ASCII ...).

* ``Raw(text)``   -- inserted verbatim.
* ``Obj(pairs)``  -- an object given as ordered (key, value) pairs; keys may
  repeat (duplicate keys are legal input, the last one wins in the reference).
* plain ``dict``/``list``/``str``/``int``/``float``/``bool``/``None`` -- encoded
  normally.

``Style`` decides separators (compact or Python-like) and whether non-ASCII is
written raw (UTF-8) or escaped.  Strings holding lone surrogates are always
escaped (they cannot be written as UTF-8).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any


class Raw:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Raw({self.text[:60]!r})"


class Obj:
    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[Any, Any]]) -> None:
        self.pairs = list(pairs)


MISSING = object()  # "leave this member out"


@dataclass(frozen=True)
class Style:
    compact: bool = True
    ascii: bool = False

    @property
    def item_sep(self) -> str:
        return "," if self.compact else ", "

    @property
    def key_sep(self) -> str:
        return ":" if self.compact else ": "


COMPACT = Style(True, False)


def _has_surrogate(s: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in s)


def enc_str(s: str, style: Style = COMPACT) -> str:
    return json.dumps(s, ensure_ascii=style.ascii or _has_surrogate(s))


def enc(v: Any, style: Style = COMPACT) -> str:
    if isinstance(v, Raw):
        return v.text
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return int.__repr__(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return float.__repr__(v)
    if isinstance(v, str):
        return enc_str(v, style)
    if isinstance(v, Obj):
        return "{" + style.item_sep.join(
            _enc_key(k, style) + style.key_sep + enc(x, style)
            for k, x in v.pairs if x is not MISSING
        ) + "}"
    if isinstance(v, dict):
        return "{" + style.item_sep.join(
            _enc_key(k, style) + style.key_sep + enc(x, style)
            for k, x in v.items() if x is not MISSING
        ) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + style.item_sep.join(enc(x, style) for x in v) + "]"
    raise TypeError(f"cannot encode {type(v).__name__}")


def _enc_key(k: Any, style: Style) -> str:
    if isinstance(k, Raw):
        return k.text
    if not isinstance(k, str):
        raise TypeError("object keys must be str or Raw")
    return enc_str(k, style)


def line(v: Any, style: Style = COMPACT) -> bytes:
    """Encode one request/answer as a UTF-8 line (no trailing newline)."""
    return enc(v, style).encode("utf-8")


def nested_array(depth: int, inner: str = "1") -> Raw:
    return Raw("[" * depth + inner + "]" * depth)


def big_int(digits: int, lead: str = "9") -> Raw:
    return Raw(lead + "7" * (digits - 1))
