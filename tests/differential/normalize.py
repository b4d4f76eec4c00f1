"""Normalisation of bridge output lines before comparison.

One ``Normalizer`` per bridge process.  Every line is rewritten *textually*
(everything that is not a run-dependent value stays byte-exact):

* ``"traceback": "<anything>"``       -> ``"traceback": "<traceback>"``
* dev tokens ``eyJ….<sig>``            -> ``<token …>`` summary: decoded payload with
  ``wid`` mapped like any uuid and ``iat``/``exp`` replaced by the ttl; flags for
  canonical body encoding, a valid HMAC under the shared key, verification by
  the REFERENCE's ``verify_dev_token``, and ``iat`` close to the harness clock
* uuids                                -> ``<uuid-N>`` in order of first appearance
  (so identity relations survive: the token's wid, event payloads, …); a uuid
  that is not canonical v4 gets a ``!not-v4`` mark
* ``strm_<16 hex>``                    -> ``strm_<N>``; ``tjob_<32 hex>`` -> ``tjob_<N>``
* ``msg-<epoch ms>``                   -> ``msg-<ms>``; ``app-<uuid[:8]>-<epoch s>`` ->
  ``app-<uuid-N:8>-<s>`` (the prefix must belong to a known window uuid)
* timestamps ``YYYY-MM-DDTHH:MM:SS[.ffffff][Z]`` -> ``<dt>`` / ``<dtZ>``

Time-derived values are checked for freshness (within ``FRESH_S`` seconds of
the harness clock, TZ=UTC); a stale value is rendered with a ``!stale`` mark,
so a bridge that uses local time or a wrong epoch shows up as a mismatch.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import hashlib
import hmac
import json
import re
import time
from typing import Any, Callable, Optional

FRESH_S = 600

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

MASTER = re.compile(
    r'(?P<tb>"traceback": "(?:[^"\\]|\\.)*")'
    r"|(?P<tok>eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+)"
    r"|(?P<uuid>" + _UUID + r")(?![0-9a-f])"
    r"|(?P<strm>strm_[0-9a-f]{16})(?![0-9a-zA-Z])"
    r"|(?P<tjob>tjob_[0-9a-f]{32})(?![0-9a-zA-Z])"
    r"|(?P<msg>msg-(?P<ms>\d{13}))(?!\d)"
    r"|(?P<art>app-(?P<artp>[0-9a-f]{8})-(?P<arts>\d{10}))(?!\d)"
    r"|(?P<dt>(?P<dtv>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{6})?)(?P<dtz>Z?))"
)


def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _flat(v: Any) -> str:
    """Render a JSON value inside a placeholder without quotes/backslashes."""
    return json.dumps(v, ensure_ascii=True, separators=(",", ":")).replace('"', "'").replace("\\", "/")


class Normalizer:
    def __init__(self, key: bytes, verify: Optional[Callable[[str], Any]] = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.key = key
        self.verify = verify
        self.clock = clock
        self.uuids: dict[str, str] = {}
        self.strms: dict[str, str] = {}
        self.tjobs: dict[str, str] = {}
        self.tokens_seen = 0
        self.token_problems: list[str] = []

    # -- helpers ---------------------------------------------------------
    def _uuid(self, u: str) -> str:
        ph = self.uuids.get(u)
        if ph is None:
            ph = f"<uuid-{len(self.uuids) + 1}{'' if _V4.match(u) else '!not-v4'}>"
            self.uuids[u] = ph
        return ph

    def _fresh(self, epoch_s: float) -> bool:
        return abs(epoch_s - self.clock()) <= FRESH_S

    def _token(self, tok: str) -> str:
        self.tokens_seen += 1
        body_b64, _, sig_b64 = tok.partition(".")
        flags: list[str] = []
        try:
            body = b64url_decode(body_b64)
            sig = b64url_decode(sig_b64)
            payload = json.loads(body)
        except (ValueError, binascii.Error) as e:
            self.token_problems.append(f"undecodable token: {e}")
            return f"<token!undecodable {_flat(tok[:40])}>"
        if not isinstance(payload, dict):
            return "<token!payload-not-object>"
        canon = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        flags.append("body=canonical" if canon == body else "body!NOT-canonical")
        good = hmac.compare_digest(hmac.new(self.key, body, hashlib.sha256).digest(), sig)
        flags.append("sig=ok" if good else "sig!BAD")
        if self.verify is not None:
            try:
                self.verify(tok)
                flags.append("ref-verify=ok")
            except Exception as e:  # noqa: BLE001 - report any failure
                flags.append(f"ref-verify!{_flat(str(e))}")
        parts = []
        iat = payload.get("iat")
        exp = payload.get("exp")
        for k, v in payload.items():
            if k == "wid" and isinstance(v, str):
                parts.append(f"wid={self._uuid(v) if re.fullmatch(_UUID, v) else _flat(v)}")
            elif k == "iat":
                if isinstance(v, int) and not isinstance(v, bool):
                    parts.append("iat=<now>" if self._fresh(v) else f"iat!stale({v})")
                else:
                    parts.append(f"iat!type({_flat(v)})")
            elif k == "exp":
                if isinstance(v, int) and isinstance(iat, int):
                    parts.append(f"exp=iat+{v - iat}")
                else:
                    parts.append(f"exp!{_flat(v)}")
            else:
                parts.append(f"{k}={_flat(v)}")
        return "<token " + " ".join(parts + flags) + ">"

    # -- main entry --------------------------------------------------------
    def __call__(self, text: str) -> str:
        return MASTER.sub(self._sub, text)

    def _sub(self, m: re.Match) -> str:
        g = m.lastgroup
        if g == "tb":
            return '"traceback": "<traceback>"'
        if g == "tok":
            return self._token(m.group("tok"))
        if g == "uuid":
            return self._uuid(m.group("uuid"))
        if g == "strm":
            s = m.group("strm")
            if s not in self.strms:
                self.strms[s] = f"strm_<{len(self.strms) + 1}>"
            return self.strms[s]
        if g == "tjob":
            s = m.group("tjob")
            if s not in self.tjobs:
                self.tjobs[s] = f"tjob_<{len(self.tjobs) + 1}>"
            return self.tjobs[s]
        if g == "msg":
            ms = int(m.group("ms"))
            return "msg-<ms>" if self._fresh(ms / 1000.0) else f"msg-<ms!stale:{ms}>"
        if g == "art":
            prefix = m.group("artp")
            owner = next((ph for u, ph in self.uuids.items() if u.startswith(prefix)), None)
            s = int(m.group("arts"))
            tail = "<s>" if self._fresh(s) else f"<s!stale:{s}>"
            return f"app-{owner + ':8' if owner else '<unknown-prefix>'}-{tail}"
        if g == "dt":
            txt = m.group("dtv")
            try:
                d = _dt.datetime.fromisoformat(txt).replace(tzinfo=_dt.timezone.utc)
                fresh = self._fresh(d.timestamp())
            except ValueError:
                fresh = False
            name = "dtZ" if m.group("dtz") else "dt"
            return f"<{name}>" if fresh else f"<{name}!stale:{txt}>"
        return m.group(0)  # pragma: no cover


def id_key(v: Any) -> str:
    """Stable key for a JSON-RPC id value (as decoded by Python's json)."""
    try:
        return json.dumps(v, sort_keys=False)
    except (TypeError, ValueError):  # pragma: no cover
        return repr(v)
