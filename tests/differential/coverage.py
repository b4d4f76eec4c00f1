"""Checklist of the documented error messages (spec 04/05/09/13) that the
differential stream is meant to reach.  Each entry is a regex matched against
``"<code>: <first line of message>"`` of every error the REFERENCE produced
during the run (JSON-RPC errors use their numeric code, host errors inside
``{"ok": false}`` their string code).  Messages that need plugins, jobs or
the network are not listed (see README, "not covered")."""

from __future__ import annotations

import re

DOCUMENTED = [
    # bridge (09)
    ("BR-CLS-1", r"-32700: parse error"),
    ("BR-CLS-2", r"-32600: request must be an object"),
    ("BR-ERR-7", r"-32600: request frame too large: \d+ bytes exceeds the 16777216-byte stdio frame limit; move large payloads to host/uploadFile or APS files"),
    ("BR-REQ-3", r"-32601: method not found: .*"),
    ("BR-CLS-4", r"-32601: method not found: None"),
    ("BR-REQ-4", r"-32602: missing required param: '(manifest|session_id|ns|method|tool_id|project_dir)'"),
    ("BR-M-CALL-1", r"-32602: unknown session_id: .*"),
    ("BR-REQ-5 manifest", r"-32603: internal: \d+ validation errors? for AppManifest"),
    ("BR-REQ-5 user_id", r"-32603: internal: invalid literal for int\(\) with base 10: .*"),
    ("BR-REQ-5 user_id null", r"-32603: internal: int\(\) argument must be a string, a bytes-like object or a real number, not 'NoneType'"),
    ("U-7 user_id NaN", r"-32603: internal: cannot convert float NaN to integer"),
    ("BR-REQ-5 params list", r"-32603: internal: 'list' object has no attribute 'get'"),
    ("BR-M-REG-4", r"-32603: internal: string indices must be integers, not 'str'"),
    ("ST-WIN-2 dict()", r"-32603: internal: dictionary update sequence element #0 has length \d; 2 is required"),
    ("BR-M-CALL-1 errata", r"-32603: internal: unhashable type: '(list|dict)'"),
    # dispatcher (04)
    ("D-DISP-2", r"unknown_method: .* is not defined"),
    ("D-DISP-3", r"permission_denied: manifest does not grant '.*'"),
    ("D-DISP-1", r"internal: handler crashed: '(list|str)' object has no attribute 'get'"),
    ("D-DISP-7 inf", r"internal: handler crashed: cannot convert float infinity to integer"),
    ("13 D-DISP-1 dict()", r"internal: handler crashed: cannot convert dictionary update sequence element #0 to a sequence"),
    ("13 D-DISP-1 dict() str", r"internal: handler crashed: dictionary update sequence element #0 has length 1; 2 is required"),
    ("D-WIN-HELLO-1 no views", r"invalid_arg: app has no UI views"),
    ("D-WIN-HELLO-1 unknown", r"invalid_arg: unknown view '.*'"),
    ("D-WIN-RESIZE-2", r"invalid_arg: w/h must be integers"),
    ("D-WIN-OPEN-2", r"not_implemented: window\.open_view is not available in this runtime"),
    ("D-INVOKE-1", r"invalid_arg: tool_id is required"),
    ("D-INVOKE-2", r"invalid_arg: method must be a string when provided"),
    ("D-INVOKE-3", r"invalid_arg: timeoutMs must be an integer \(milliseconds\)"),
    ("D-INVOKE-4", r"permission_denied: tool '.*' not whitelisted by host_api\.tools"),
    ("ACL-SPLIT-1", r"invalid_arg: method must be a non-empty string"),
    ("ACL-SPLIT-3", r"invalid_arg: tool_id '.*' has no plugin\.tool separator and no `method` arg was provided"),
    ("D-INVOKE-9", r"not_implemented: tools\.invoke is not available in this runtime"),
    ("D-JOB-4", r"invalid_arg: clientTag must be a string <= 120 chars"),
    ("D-JOB-5", r"invalid_arg: args must be an object"),
    ("D-JOB-7", r"not_implemented: tools\.invokeAsync is not available in this runtime"),
    ("D-JOB-9", r"invalid_arg: jobId must match \^tjob_\[0-9a-f\]\{32\}\$"),
    ("D-JOB-10", r"invalid_arg: sinceSeq must be a non-negative integer"),
    ("D-JOB-11", r"invalid_arg: limit must be an integer in \[1, 500\]"),
    ("D-JOBSTORE-3", r"job_not_found: job tjob_.* not found"),
    ("D-JOB-9 newline", r"job_not_found: job tjob_[0-9a-f]{32}"),
    ("D-JOB-13", r"invalid_arg: reason must be a string <= 200 chars"),
    ("D-JOB-15", r"invalid_arg: tool_id must be a non-empty string"),
    ("D-JOB-16", r"invalid_arg: state values must be one of \['cancelled', 'expired', 'failed', 'queued', 'running', 'succeeded'\]"),
    ("D-JOB-18", r"invalid_arg: since must be an RFC3339 string"),
    ("D-JOBSTORE-7", r"invalid_arg: since must be RFC3339"),
    ("D-JOB-19", r"invalid_arg: limit must be an integer in \[1, 100\]"),
    ("D-CHAT-ART-1", r"invalid_arg: artifact must be an object"),
    ("D-CHAT-HIST-1", r"not_implemented: chat\.read_history is Phase 3"),
    ("ACL-STORE-2", r"invalid_arg: scope must be user\|app\|tool, got .*"),
    ("ACL-STORE-6", r"permission_denied: manifest does not declare 'aps\.scope\.(user|app|tool)\.(read|write)'"),
    ("ACL-STORE-6 cross", r"permission_denied: manifest does not declare 'aps\.scope\.app\.(read|write)' \(cross-owner\)"),
    ("D-STORAGE-2", r"invalid_arg: key required"),
    ("D-STORAGE-5", r"too_large: runtime_state exceeds 262144 bytes \(got \d+\)"),
    ("D-STORAGE-13", r"invalid_arg: runtime_state exceeds 262144 bytes \(got \d+\)"),
    ("D-STORAGE-9 int", r"invalid_arg: limit must be int"),
    ("D-STORAGE-9 range", r"invalid_arg: limit must be in \(0, 1000\]"),
    ("D-STUB-1", r"not_implemented: endpoint not yet available"),
    ("D-LLM-STREAM-1", r"invalid_arg: messages required"),
    ("D-AGENT-RUN-1", r"invalid_arg: app_session_uuid must be an aps_-prefixed string"),
    ("D-AGENT-RUN-2", r"invalid_arg: content required"),
    ("D-AGENT-STAT-1", r"invalid_arg: run_id required"),
    ("D-AGENT-FR-1", r"invalid_arg: stream_id required"),
    ("D-MOBILE-1", r"unsupported_container: mobile\.(share|haptics|camera_capture) is only available inside the anna-mobile shell"),
    ("WEB-SEARCH-1", r"invalid_arg: query required"),
    ("WEB-IMGS-1", r"invalid_arg: safe_search cannot be disabled \(platform policy\)"),
    ("WEB-FETCH-1 list", r"invalid_arg: urls must be a non-empty list"),
    ("WEB-FETCH-1 max", r"invalid_arg: too many urls \(max 10\)"),
    ("WEB-ERR-1 int()", r"invalid_arg: invalid literal for int\(\) with base 10: .*"),
    ("D-WEB-FETCH-1 type", r"internal: handler crashed: int\(\) argument must be a string, a bytes-like object or a real number, not '(list|dict)'"),
    ("13 D-DISP-1 web str", r"invalid_arg: dictionary update sequence element #0 has length 1; 2 is required"),
    ("WEB-IMGF-1", r"invalid_arg: url must be an http\(s\) URL"),
    ("WEB-IMGF-3 ssrf", r"invalid_arg: SSRF_BLOCKED: .*"),
    ("WEB-IMGF-3 port", r"invalid_arg: Port out of range 0-65535"),
    ("13 WEB-IMGF-3", r"invalid_arg: Port could not be cast to integer value as '.*'"),
    # host-call errors (09 BR-OUT-3/6, 05 ST-HC-2)
    ("ST-HC-2 errorCode", r"QUOTA_EXCEEDED: quota"),
    ("ST-HC-2 jsonrpc_code", r"jsonrpc_-32001: nodata"),
    ("ST-HC-2 unknown error", r"jsonrpc_-?\d+: unknown error"),
    ("ST-HC-2 jsonrpc_None", r"jsonrpc_None: unknown error"),
    ("BR-OUT-3 string code", r"jsonrpc_x: 5"),
    ("BR-OUT-6", r"frame_too_large: host response frame is \d+ bytes, exceeds the 16777216-byte stdio frame limit"),
]


def check(messages: set[str]) -> tuple[list[str], list[str]]:
    """Return (seen rule ids, missing rule ids)."""
    seen, missing = [], []
    for rule, pat in DOCUMENTED:
        rx = re.compile(pat)
        (seen if any(rx.fullmatch(m) for m in messages) else missing).append(rule)
    return seen, missing
