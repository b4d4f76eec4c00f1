"""Documented divergences: where our bridge deliberately differs from the
reference, with the spec rule that allows it.

Two kinds:

* ``shared``   -- inputs that are in the shared differential stream.  A
  difference between the two output lines is counted as a *documented
  divergence* (not a mismatch) only if the candidate's line is exactly the
  documented better behaviour (``accept``); any other difference is still a
  mismatch.  If the candidate behaves like the reference the line is simply
  identical.
* ``ours-only`` -- inputs that crash the reference, so they are never sent to
  it; ``ours_only.py`` checks the candidate against the expected answer below.

``python3 tests/differential/divergences.py`` prints the table (Markdown).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Optional

PARSE_ERROR = '{"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "parse error"}}'


def _loads(text: Optional[str]) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _canonical(text: str) -> bool:
    try:
        return json.dumps(json.loads(text)) == text
    except ValueError:
        return False


def _app(slug: Any) -> dict:
    return {"id": 1} if slug is None else {"id": 1, "slug": slug, "name": slug}


def _accept_st_meta_2(req: Any, ref: Optional[str], ours: Optional[str]) -> bool:
    """window.hello: reference reports the FIRST window's slug, ours the window's own."""
    a, b = _loads(ref), _loads(ours)
    if ours is None or not _canonical(ours):
        return False
    try:
        ra, rb = a["result"]["result"], b["result"]["result"]
        if a["result"]["ok"] is not True or b["result"]["ok"] is not True:
            return False
        if json.dumps(ra["app"]) != json.dumps(_app(req.info.get("first_slug"))):
            return False
        if json.dumps(rb["app"]) != json.dumps(_app(req.info.get("own_slug"))):
            return False
        rb["app"] = ra["app"]
        return json.dumps(a) == json.dumps(b)
    except (KeyError, TypeError):
        return False


def _accept_d_disp_2(req: Any, ref: Optional[str], ours: Optional[str]) -> bool:
    """Unhashable ns/method: reference -32603 ``unhashable type``, ours unknown_method."""
    a, b = _loads(ref), _loads(ours)
    if ours is None or not _canonical(ours) or not isinstance(a, dict) or not isinstance(b, dict):
        return False
    try:
        if a["error"]["code"] != -32603 or not a["error"]["message"].startswith("internal: unhashable type: "):
            return False
        if json.dumps(a["id"]) != json.dumps(b["id"]) or list(b) != ["jsonrpc", "id", "result"]:
            return False
        r = b["result"]
        return (list(r) == ["ok", "error"] and r["ok"] is False
                and list(r["error"]) == ["code", "message", "details"]
                and r["error"]["code"] == "unknown_method"
                and r["error"]["message"].endswith(" is not defined")
                and r["error"]["details"] == {})
    except (KeyError, TypeError, AttributeError):
        return False


def accept_br_cls_4(ref_lines: list[str], ours_lines: list[str]) -> bool:
    """Response-shaped line answering nothing: reference -32601, ours silent."""
    if ours_lines or len(ref_lines) != 1:
        return False
    a = _loads(ref_lines[0])
    return (isinstance(a, dict) and isinstance(a.get("error"), dict)
            and a["error"].get("code") == -32601 and a["error"].get("message") == "method not found: None")


@dataclass(frozen=True)
class Divergence:
    cls: str
    rule: str
    where: str          # "shared" | "ours-only"
    title: str
    reference: str
    ours: str
    accept: Optional[Callable[[Any, Optional[str], Optional[str]], bool]] = None


DIVERGENCES: dict[str, Divergence] = {d.cls: d for d in [
    Divergence(
        "BR-CLS-4", "09 BR-CLS-4", "shared",
        "response-shaped line (no `method`, has `result`/`error`) that answers no pending outbound call",
        "answers `-32601 method not found: None` with the echoed id",
        "drops the line silently (no output)"),
    Divergence(
        "ST-META-2", "05 ST-META-2 / 04 D-WIN-HELLO-4", "shared",
        "`window.hello` `app` slug",
        "reports the slug of the FIRST window ever created in the process to every window",
        "reports each window's own `app_slug` (`{\"id\": 1}` when it has none)",
        _accept_st_meta_2),
    Divergence(
        "D-DISP-2", "13 errata D-DISP-2", "shared",
        "`session.call` with an array/object `ns` or `method` (unhashable)",
        "`-32603 internal: unhashable type: '<list|dict>'` JSON-RPC error",
        "`{\"ok\": false, \"error\": {\"code\": \"unknown_method\", \"message\": \"<ns>.<method> is not defined\", \"details\": {}}}` (optional: identical output also passes)",
        _accept_d_disp_2),
    Divergence(
        "BR-FRAME-4", "09 BR-FRAME-4 / 11 J-DEC-6", "ours-only",
        "input line with invalid UTF-8",
        "crashes (UnicodeDecodeError, exit 1, all sessions lost)",
        PARSE_ERROR + " and keeps serving"),
    Divergence(
        "J-DEC-2", "11 J-DEC-2 / J-BUG-1", "ours-only",
        "integer literal with more than 4300 digits",
        "crashes (ValueError: Exceeds the limit (4300 digits), exit 1)",
        PARSE_ERROR + " and keeps serving (4300 digits are accepted, as in the reference)"),
    Divergence(
        "J-BUG-1", "13 errata J-BUG-1", "ours-only",
        "JSON nesting deeper than the reference's ~980 levels",
        "crashes (RecursionError, exit 1)",
        PARSE_ERROR + " above our documented depth limit (981 levels: parse error or a normal answer; 100000 levels: parse error) and keeps serving"),
    Divergence(
        "BR-OUT-5", "09 BR-OUT-5", "ours-only",
        "Node answers an outbound host call with a truthy non-object `error` (`\"boom\"`, `[1]`, `5`, `true`)",
        "crashes (AttributeError: 'str' object has no attribute 'get')",
        "the call fails `{\"code\": \"jsonrpc_None\", \"message\": <str(error) or \"unknown error\">, \"details\": {}}` and the bridge keeps serving"),
]}


def classify(req: Any, ref: Optional[str], ours: Optional[str]) -> Optional[str]:
    """Name of the documented divergence that explains ref != ours, if any."""
    for cls in getattr(req, "div", ()):
        d = DIVERGENCES.get(cls)
        if d is not None and d.accept is not None and d.accept(req, ref, ours):
            return cls
    return None


def markdown_table() -> str:
    rows = ["| class | rule | checked | input | reference | ours |", "|---|---|---|---|---|---|"]
    for d in DIVERGENCES.values():
        cells = [d.cls, d.rule, d.where, d.title, d.reference, d.ours.replace(PARSE_ERROR, f"`{PARSE_ERROR}`")]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
