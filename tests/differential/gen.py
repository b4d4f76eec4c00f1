"""Seeded request stream for the differential run.

The stream is made of *scenarios* (Python generators).  A scenario yields
``Step``s and receives back what the reference answered (``Obs``), which it
may use to learn session ids.  The coverage scenarios (every one of the 87
methods, every documented validation message, envelopes, the 57 real
manifests, invalid manifests, lifecycle, rendering edge cases) are shuffled
with the seed and interleaved with seeded random scenarios until at least
``--requests`` request lines have been produced.

Nothing here registers a plugin that is later invoked: registered tool ids
live in the ``zzreg-`` namespace which no tools.* call ever uses, so no
plugin process is ever spawned.
"""

from __future__ import annotations

import json
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

import jsonraw
from jsonraw import MISSING, Obj, Raw, Style
from manifests import PROFILES, invalid_manifests, load_real_manifests
from model import Answer, Request, Step
from values import (COMPOSITES, DEEP_OK, INT_4300, KEYS, NUMBERS, SAFE_STRINGS, STRINGS,
                    rand_object, rand_value)

MAX_FRAME = 16777216

# ---------------------------------------------------------------------------
# The 87 (ns, method) pairs of 04 §5, in reference table order.
# ---------------------------------------------------------------------------
METHODS: list[tuple[str, str]] = (
    [("window", m) for m in ["hello", "ready", "set_title", "resize", "focus", "close", "open_view", "report_error"]]
    + [("tools", m) for m in ["list", "invoke", "invokeAsync", "getJob", "cancelJob", "listJobs"]]
    + [("chat", m) for m in ["append_artifact", "write_message", "read_history"]]
    + [("storage", m) for m in ["get", "set", "delete", "list"]]
    + [("files", m) for m in ["upload_init", "upload_finalize", "download_url", "download", "list", "delete"]]
    + [("artifact", m) for m in ["create", "update", "delete"]]
    + [("llm", m) for m in ["complete", "stream", "embed"]]
    + [("agent", "session." + m) for m in ["create", "run", "cancel", "history", "delete", "refresh",
                                           "list", "catalog", "run.status", "frames"]]
    + [("image", m) for m in ["generate", "edit", "resign", "generateAsync", "editAsync", "getJob", "cancelJob", "listJobs"]]
    + [("video", m) for m in ["generate", "getJob", "cancelJob", "listJobs"]]
    + [("music", m) for m in ["generate", "getJob", "cancelJob", "listJobs"]]
    + [("audio", m) for m in ["speak", "transcribe"]]
    + [("llm", "catalog")]
    + [("upload", m) for m in ["inline", "negotiate", "confirm"]]
    + [("web", m) for m in ["search", "fetch", "image_search", "image_fetch"]]
    + [("mobile", m) for m in ["share", "haptics", "camera_capture"]]
    + [("fs", "read"), ("fs", "write"), ("prefs", "get")]
    + [("apps", m) for m in ["list", "search", "get", "launch", "update", "update_status",
                             "deck.list", "deck.add", "deck.remove", "deck.reorder"]]
    + [("credentials", "list_accounts"), ("credentials", "get_token")]
)
assert len(METHODS) == 87 and len(set(METHODS)) == 87
METHOD_SET = set(METHODS)

STUBS = [p for p in METHODS if p[0] in ("files", "artifact", "fs", "prefs", "apps", "credentials")]
# forward to Node (host.<ns>.<method>) when their own validation passes
DELEGATES = [p for p in METHODS if p[0] in ("image", "video", "music", "audio", "upload")
             or p in (("llm", "complete"), ("llm", "embed"), ("llm", "catalog"), ("llm", "stream"))
             or p[0] == "agent"]
# delegates without dispatcher-side validation
PLAIN_DELEGATES = [p for p in DELEGATES if p not in (
    ("llm", "stream"), ("agent", "session.run"), ("agent", "session.refresh"),
    ("agent", "session.run.status"), ("agent", "session.frames"))]
# pairs whose success path has no side effect (events, outbound, state)
SIDE_EFFECT = set(DELEGATES) | {("window", "set_title"), ("window", "resize"), ("window", "focus"),
                                ("window", "close"), ("storage", "set"), ("storage", "delete"),
                                ("chat", "append_artifact"), ("chat", "write_message"),
                                ("web", "search"), ("web", "image_search"), ("web", "fetch"),
                                ("web", "image_fetch")}

ANSWER_KINDS = [
    "result-object", "result-mcp", "result-array", "result-string", "result-number", "result-null",
    "result-true", "no-result", "result-stream-id", "result-stream-null", "result-special",
    "result-crlf", "no-jsonrpc", "err-errorcode", "err-nodata", "err-strdata", "err-empty",
    "err-emptycode", "err-null-result", "err-false", "err-zero", "err-emptystr", "err-emptylist",
    "err-strcode", "err-floatcode-nullmsg", "err-errorcode-int", "err-errorcode-true",
    "err-errorcode-obj", "err-errorcode-zero", "err-data-list", "err-msg-list", "err-msg-unicode",
    "err-bigcode",
]


@dataclass
class Sess:
    sid: str
    profile: str
    slug: Any            # decoded app_slug (None when absent/null)
    user: Any
    view: Any
    base: bool = False
    closed: bool = False


@dataclass
class Obs:
    objs: list = field(default_factory=list)       # parsed ref response per request (None if none)
    outbound: list = field(default_factory=list)   # parsed ref outbound requests of the step


_UNSET = object()


class Gen:
    def __init__(self, seed: int, n_requests: int, big: bool = True, full_coverage: bool = True) -> None:
        self.rng = random.Random(seed)
        self.full_coverage = full_coverage
        self.n = n_requests
        self.big = big
        self.sent = 0
        self._id = 0
        self.sessions: list[Sess] = []
        self.first_slug: Any = _UNSET
        self.last_out_id = 0
        self.used_special_keys: set[str] = set()
        self.real = load_real_manifests()
        self.cur: Optional[Iterator[Step]] = None
        self.cur_started = False
        self.coverage: deque[Callable[[], Iterator[Step]]] = deque()
        self._build_coverage()
        self.coverage_total = len(self.coverage)
        self.coverage_left_at_end = 0
        self.coverage_done_at = -1
        self.coverage_requests = 0
        self.cur_is_coverage = False

    # ------------------------------------------------------------------
    # driving
    # ------------------------------------------------------------------
    def next_step(self, obs: Optional[Obs]) -> Optional[Step]:
        if obs is not None and obs.outbound:
            for o in obs.outbound:
                if isinstance(o, dict) and isinstance(o.get("id"), int):
                    self.last_out_id = max(self.last_out_id, o["id"])
        while True:
            if self.cur is None:
                if self.sent >= self.n and (not self.coverage or not self.full_coverage):
                    self.coverage_left_at_end = len(self.coverage)
                    return None
                n_cov = len(self.coverage)
                self.cur = self._pick()()
                self.cur_is_coverage = len(self.coverage) < n_cov
                self.cur_started = False
            try:
                step = self.cur.send(obs if self.cur_started else None)
                self.cur_started = True
            except StopIteration:
                self.cur = None
                obs = None
                continue
            self.sent += len(step.requests)
            if self.cur_is_coverage:
                self.coverage_requests += len(step.requests)
            return step

    def _pick(self) -> Callable[[], Iterator[Step]]:
        if self.sent == 0 or (self.coverage and self.rng.random() < 0.8):
            sc = self.coverage.popleft()
            if not self.coverage:
                self.coverage_done_at = self.sent
            return sc
        return self._random_scenario()

    # ------------------------------------------------------------------
    # basic builders
    # ------------------------------------------------------------------
    def style(self) -> Style:
        return Style(compact=self.rng.random() < 0.6, ascii=self.rng.random() < 0.3)

    def rid(self) -> tuple[Any, str]:
        self._id += 1
        r = self.rng.random()
        if r < 0.82:
            return self._id, json.dumps(self._id)
        if r < 0.94:
            v = f"id-{self._id}-\u00e9"
            return v, json.dumps(v)
        v = self._id + 0.5
        return v, json.dumps(v)

    def special_id(self, text: str) -> tuple[Any, str]:
        """An id given as raw JSON text; its key must be unique in the run."""
        key = json.dumps(json.loads(text)) if text not in ("NaN", "Infinity", "-Infinity") else text
        if key in self.used_special_keys:
            return self.rid()
        self.used_special_keys.add(key)
        return Raw(text), key

    def envelope(self, method: Any = MISSING, params: Any = MISSING, *, rid: Any = None,
                 jsonrpc: bool = True, extra: list | None = None, shuffle: bool = True) -> tuple[bytes, str]:
        if rid is None:
            rid = self.rid()
        idv, key = rid
        pairs: list = []
        if jsonrpc:
            pairs.append(("jsonrpc", "2.0"))
        if idv is not MISSING:
            pairs.append(("id", idv))
        else:
            key = "null"
        if method is not MISSING:
            pairs.append(("method", method))
        if params is not MISSING:
            pairs.append(("params", params))
        if extra:
            pairs.extend(extra)
        if shuffle and self.rng.random() < 0.2:
            self.rng.shuffle(pairs)
        return jsonraw.line(Obj(pairs), self.style()), key

    def req(self, method: Any, params: Any = MISSING, *, label: str = "", rid: Any = None,
            pair=None, div=(), info=None, jsonrpc: bool = True, term: bytes = b"\n") -> Request:
        ln, key = self.envelope(method, params, rid=rid, jsonrpc=jsonrpc)
        if not label:
            label = f"rpc {method if isinstance(method, str) else getattr(method, 'text', method)}"
        return Request(ln, label, key, pair=pair, div=div, info=info or {}, term=term)

    def call(self, sess: Any, ns: Any, method: Any, args: Any = MISSING, *, label: str = "",
             rid: Any = None, omit: tuple = ()) -> Request:
        sid = sess.sid if isinstance(sess, Sess) else sess
        pairs = [("session_id", sid), ("ns", ns), ("method", method)]
        if args is not MISSING:
            pairs.append(("args", args))
        pairs = [p for p in pairs if p[0] not in omit]
        pair = (ns, method) if isinstance(ns, str) and isinstance(method, str) and (ns, method) in METHOD_SET else None
        div: tuple = ()
        info: dict = {}
        if pair == ("window", "hello") and isinstance(sess, Sess):
            div = ("ST-META-2",)
            info = {"own_slug": sess.slug, "first_slug": None if self.first_slug is _UNSET else self.first_slug}
        if not (isinstance(ns, str) and isinstance(method, str)):
            if isinstance(ns, Raw) and ns.text.lstrip().startswith(("[", "{")) or \
               isinstance(method, Raw) and method.text.lstrip().startswith(("[", "{")):
                div = ("D-DISP-2",)
        if not label:
            label = f"call {_txt(ns)}.{_txt(method)}"
        return self.req("session.call", Obj(pairs), label=label, rid=rid, pair=pair, div=div, info=info)

    def one(self, *reqs: Request, answers: list[Answer] | None = None, label: str = "",
            batch: bool = False, sync: bool = False, timeout: float | None = None) -> Step:
        return Step(list(reqs), label or reqs[0].label, answers or [], batch, sync, timeout)

    def create(self, manifest: Any, *, user: Any = MISSING, slug: Any = MISSING, view: Any = MISSING,
               entry: Any = MISSING, rs: Any = MISSING, label: str = "", extra: list | None = None,
               rid: Any = None) -> Request:
        pairs: list = []
        if user is not MISSING:
            pairs.append(("user_id", user))
        pairs.append(("manifest", manifest))
        for k, v in (("view", view), ("entry_payload", entry), ("runtime_state", rs), ("app_slug", slug)):
            if v is not MISSING:
                pairs.append((k, v))
        if extra:
            pairs.extend(extra)
        if self.rng.random() < 0.3:
            self.rng.shuffle(pairs)
        return self.req("session.create", Obj(pairs), label=label or "rpc session.create", rid=rid)

    def register(self, obs: Obs, profile: str, slug: Any = MISSING, user: Any = 1, view: Any = None,
                 base: bool = False) -> Optional[Sess]:
        o = obs.objs[0] if obs and obs.objs else None
        if not isinstance(o, dict) or not isinstance(o.get("result"), dict):
            return None
        sid = o["result"].get("session_id")
        if not isinstance(sid, str):
            return None
        slug_v = None if slug is MISSING else _decode(slug)
        s = Sess(sid, profile, slug_v, user, o["result"].get("view"), base=base)
        self.sessions.append(s)
        if self.first_slug is _UNSET:
            self.first_slug = slug_v
        return s

    def live(self, profile: str | None = None, base_only: bool = False) -> Sess:
        c = [s for s in self.sessions if not s.closed and (profile is None or s.profile == profile)
             and (s.base or not base_only)]
        if not c:
            c = [s for s in self.sessions if not s.closed] or [Sess("sess-1", "full", None, 1, "main")]
        return self.rng.choice(c)

    def base(self, profile: str) -> Sess:
        c = [s for s in self.sessions if s.base and s.profile == profile and not s.closed]
        return c[0] if c else self.live(profile)

    # ------------------------------------------------------------------
    # answers to outbound host calls (09 BR-OUT-3/4, 05 ST-HC-2)
    # ------------------------------------------------------------------
    def answer(self, kind: str | None = None) -> Answer:
        rng = self.rng
        kind = kind or rng.choice(ANSWER_KINDS)
        st = self.style()
        term = b"\n"
        lead = b""
        members: list = []
        rich = rand_object(rng, n=rng.randint(1, 5))
        if kind == "result-object":
            members = [("result", rich)]
        elif kind == "result-mcp":
            members = [("result", Obj([("role", "assistant"), ("content", {"type": "text", "text": "h\u00e9llo \U0001F600\u2028!"}),
                                       ("model", "mock"), ("stopReason", "endTurn"), ("usage", {"in": 1, "out": 2.0})]))]
        elif kind == "result-array":
            members = [("result", [1, 2])]
        elif kind == "result-string":
            members = [("result", "str")]
        elif kind == "result-number":
            members = [("result", 5)]
        elif kind == "result-null":
            members = [("result", None)]
        elif kind == "result-true":
            members = [("result", True)]
        elif kind == "no-result":
            members = []
        elif kind == "result-stream-id":
            members = [("result", {"run_id": "r1", "stream_id": "node-stream"})]
        elif kind == "result-stream-null":
            members = [("result", {"stream_id": None, "x": 1})]
        elif kind == "result-special":
            members = [("result", Raw('{"n":NaN,"i":Infinity,"m":-Infinity,"f":1E2,"z":-0,"nz":-0.0,'
                                      '"big":123456789012345678901234567890,"d":{"a":1,"a":2},'
                                      '"s":"\\ud800\\u2028\\u00e9","e":1e-5,"g":1e16}'))]
        elif kind == "result-crlf":
            members = [("result", {"crlf": True})]
            term = b"\r\n"
            lead = b"  \t"
        elif kind == "no-jsonrpc":
            members = [("result", {"x": 1})]
        elif kind == "err-errorcode":
            members = [("error", {"code": -32000, "message": "quota", "data": {"errorCode": "QUOTA_EXCEEDED", "limit": 3}})]
        elif kind == "err-nodata":
            members = [("error", {"code": -32001, "message": "nodata"})]
        elif kind == "err-strdata":
            members = [("error", {"code": -32001, "data": "str"})]
        elif kind == "err-empty":
            members = [("error", {})]
        elif kind == "err-emptycode":
            members = [("error", {"code": -32000, "message": "m", "data": {"errorCode": ""}})]
        elif kind == "err-null-result":
            members = [("error", None), ("result", {"a": 1})]
        elif kind == "err-false":
            members = [("error", False)]
        elif kind == "err-zero":
            members = [("error", 0), ("result", {"ignored": True})]
        elif kind == "err-emptystr":
            members = [("error", "")]
        elif kind == "err-emptylist":
            members = [("error", [])]
        elif kind == "err-strcode":
            members = [("error", {"code": "x", "message": 5})]
        elif kind == "err-floatcode-nullmsg":
            members = [("error", {"code": Raw("-32000.5"), "message": None})]
        elif kind == "err-errorcode-int":
            members = [("error", {"code": 1, "message": "m", "data": {"errorCode": 5, "x": [1, Raw("1E2")]}})]
        elif kind == "err-errorcode-true":
            members = [("error", {"code": 2, "message": "t", "data": {"errorCode": True}})]
        elif kind == "err-errorcode-obj":
            members = [("error", {"code": 3, "message": "o", "data": {"errorCode": {"a": 1, "b": [None, 1.5]}}})]
        elif kind == "err-errorcode-zero":
            members = [("error", {"code": -32099, "message": "z", "data": {"errorCode": 0, "retry": 1.5}})]
        elif kind == "err-data-list":
            members = [("error", {"code": -32602, "message": "bad", "data": [1, 2]})]
        elif kind == "err-msg-list":
            members = [("error", {"code": 1, "message": ["a", "\u00e9", None, 1.0]})]
        elif kind == "err-msg-unicode":
            members = [("error", {"code": -1, "message": "\u00f1\u00e9\U0001F600\u2028", "data": {"errorCode": "\u00dcNICODE", "k": "\u00e9"}})]
        elif kind == "err-bigcode":
            members = [("error", {"code": Raw("123456789012345678901234567890"), "message": "big"})]
        else:
            raise ValueError(kind)
        with_jsonrpc = kind != "no-jsonrpc"

        def build(out_id: Any, members=members, st=st, term=term, lead=lead, with_jsonrpc=with_jsonrpc) -> bytes:
            idv = True if out_id == 1 and not isinstance(out_id, bool) else out_id  # BR-CLS-3: true == 1
            pairs = ([("jsonrpc", "2.0")] if with_jsonrpc else []) + [("id", idv)] + members
            return lead + jsonraw.line(Obj(pairs), st) + term

        return Answer(kind, build)

    def oversized_answer(self) -> Answer:
        def build(out_id: Any) -> bytes:
            head = b'{"jsonrpc":"2.0","id":' + str(out_id).encode() + b',"result":{"pad":"'
            tail = b'"}}'
            pad = MAX_FRAME + 1 - len(head) - len(tail) + 100
            return head + b"x" * pad + tail + b"\n"
        return Answer("oversized", build)

    # ------------------------------------------------------------------
    # coverage
    # ------------------------------------------------------------------
    def _build_coverage(self) -> None:
        rng = self.rng
        items: list[Callable[[], Iterator[Step]]] = []
        add = items.append

        # per-area scenario lists
        add(lambda: self.sc_lifecycle())
        add(lambda: self.sc_lifecycle(no_ids=True))
        for fn in (self.cov_envelopes, self.cov_bridge_params, self.cov_create_variants,
                   self.cov_register, self.cov_unknown_methods, self.cov_gates, self.cov_window,
                   self.cov_tools, self.cov_chat, self.cov_storage, self.cov_delegates,
                   self.cov_agent_llm_validation, self.cov_web, self.cov_mobile_stubs,
                   self.cov_nonobject_args, self.cov_clsprobe):
            for sc in fn():
                add(sc)
        for name, m in self.real:
            add(lambda name=name, m=m: self.sc_real(name, m))
        for name, m in invalid_manifests(self.real):
            add(lambda name=name, m=m: self.single(lambda: self.create(m, slug="bad", label=f"session.create invalid manifest {name}")))
        add(lambda: self.sc_storage_paging())
        add(lambda: self.sc_storage_boundary())
        add(lambda: self.sc_storage_oversized_initial())
        add(lambda: self.sc_window_story())
        if self.big:
            add(lambda: self.sc_bigframes())
        rng.shuffle(items)
        self.coverage.append(lambda: self.sc_setup())
        self.coverage.extend(items)

    def single(self, build: Callable[[], Any], **kw) -> Iterator[Step]:
        r = build()
        if isinstance(r, Step):
            yield r
        elif isinstance(r, Request):
            yield self.one(r, **kw)
        else:
            for x in r:
                yield x if isinstance(x, Step) else self.one(x, **kw)

    def batch_of(self, builders: list[Callable[[], Request]], lo: int = 3, hi: int = 8) -> list[Callable[[], Iterator[Step]]]:
        """Group independent side-effect-free requests into concurrent batches."""
        out = []
        i = 0
        while i < len(builders):
            k = self.rng.randint(lo, hi)
            chunk = builders[i:i + k]
            i += k

            def sc(chunk=chunk):
                yield Step([b() for b in chunk], "batch", batch=True)
            out.append(sc)
        return out

    # -- setup -----------------------------------------------------------
    def sc_setup(self) -> Iterator[Step]:
        plan = [
            ("full", "first-app", MISSING, MISSING),
            ("none", "none-app", 1, MISSING),
            ("noui", MISSING, 2, MISSING),
            ("partial", "partial-\u00e9", Raw('"12"'), MISSING),
            ("admin", "", 3, MISSING),
            ("store3", Raw("null"), 1, MISSING),
            ("agentoff", "agentoff", 4, MISSING),
            ("full", "second", 7, "side"),
            ("full", MISSING, Raw("2.9"), Raw('""')),
            ("full", "ghostview", Raw("true"), "ghost"),
        ]
        for prof, slug, user, view in plan:
            obs = yield self.one(self.create(PROFILES[prof], user=user, slug=slug, view=view,
                                             label=f"session.create profile {prof}"))
            self.register(obs, prof, slug, user, view, base=True)

    # -- lifecycle ---------------------------------------------------------
    def sc_lifecycle(self, no_ids: bool = False) -> Iterator[Step]:
        rid = (MISSING, "null") if no_ids else None
        prof = self.rng.choice(["full", "partial", "store3"])
        slug = self.rng.choice([MISSING, "life", "\u00e9t\u00e9", Raw("null")])
        obs = yield self.one(self.create(PROFILES[prof], slug=slug, user=self.rng.choice([1, 5, Raw('"42"')]),
                                         rs={"seed": Raw("1E2"), "s": "\u00e9"}, entry={"from": "lifecycle"},
                                         rid=rid, label="lifecycle create"))
        s = self.register(obs, prof, slug)
        if s is None:
            return
        yield self.one(self.call(s, "window", "hello", rid=rid, label="lifecycle hello"))
        yield self.one(self.call(s, "storage", "set", {"key": "k", "value": Raw(self.rng.choice(NUMBERS))}, rid=rid))
        yield self.one(self.call(s, "window", "set_title", {"title": "life \U0001F600"}, rid=rid))
        yield self.one(self.req("session.refresh_token", {"session_id": s.sid}, rid=rid))
        yield self.one(self.req("session.drain_events", {"session_id": s.sid}, rid=rid))
        yield self.one(self.req("session.close", {"session_id": s.sid}, rid=rid))
        s.closed = True
        yield self.one(self.call(s, "window", "hello", rid=rid, label="call after close"))
        yield self.one(self.req("session.refresh_token", {"session_id": s.sid}, rid=rid))
        yield self.one(self.req("session.drain_events", {"session_id": s.sid}, rid=rid))
        yield self.one(self.req("session.close", {"session_id": s.sid}, rid=rid, label="close twice"))

    # -- envelopes -------------------------------------------------------------
    def cov_envelopes(self) -> list:
        out = []
        raw_lines: list[tuple[str, bytes, bool]] = [
            # (label, bytes, expects a response)
            ("not json", b"not json", True),
            ("open brace", b"{", True),
            ("two values", b'{"jsonrpc":"2.0","id":1,"method":"ping"} {"id":2}', True),
            ("trailing garbage", b'{"id":3,"method":"ping"}x', True),
            ("python dict", b"{'id': 1, 'method': 'ping'}", True),
            ("array", b"[1,2]", True),
            ("empty array", b"[]", True),
            ("string", b'"abc"', True),
            ("number", b"5", True),
            ("null", b"null", True),
            ("true", b"true", True),
            ("NaN literal", b"NaN", True),
            ("-Infinity literal", b"-Infinity", True),
            ("1e400 literal", b"1e400", True),
            ("bom", b"\xef\xbb\xbf" + b'{"id":null,"method":"ping"}', True),
            ("zwsp", "\u200b".encode() + b'{"method":"ping"}', True),
            ("raw control char", b'{"method":"ping","params":{"x":"a\x01b"}}', True),
            ("raw tab in string", b'{"method":"ping","params":{"x":"a\tb"}}', True),
            ("trailing comma", b'{"method":"ping",}', True),
            ("single quote str", b'{"method":\'ping\'}', True),
            ("bad escape", b'{"method":"ping","params":{"x":"\\x41"}}', True),
            ("truncated unicode escape", b'{"method":"ping","params":{"x":"\\u12"}}', True),
            ("leading zero", b'{"method":"ping","params":{"x":01}}', True),
            ("plus number", b'{"method":"ping","params":{"x":+1}}', True),
            ("hex number", b'{"method":"ping","params":{"x":0x10}}', True),
            ("nan lowercase", b'{"method":"ping","params":{"x":nan}}', True),
            ("bare dot", b'{"method":"ping","params":{"x":.5}}', True),
            ("nul byte outside", b'{"method":"ping"}\x00', True),
            ("empty line", b"", False),
            ("spaces line", b"   \t  ", False),
            ("cr line", b"\r", False),
            ("u2028 line", "\u2028".encode(), False),
            ("fs gs line", b"\x1c\x1d\x1e\x1f", False),
            ("ideographic space line", "\u3000\u0085\u00a0".encode(), False),
        ]
        for label, b, exp in raw_lines:
            def sc(label=label, b=b, exp=exp):
                r = Request(b, f"envelope {label}", "null", expect=exp)
                yield Step([r], r.label, sync=not exp)
            out.append(sc)
        # whitespace-wrapped pings (answered)
        for label, pre, post in [("crlf", b"", b"\r"), ("spaces", b"   ", b"  \t"),
                                 ("fs-us", b"\x1c", b"\x1f"), ("u2028", "\u2028".encode(), "\u2028".encode()),
                                 ("nel", "\u0085".encode(), b""), ("vt ff", b"\x0b\x0c", b"\x0b"),
                                 ("nbsp ideographic", "\u00a0\u3000".encode(), "\u202f\u205f".encode())]:
            def sc(label=label, pre=pre, post=post):
                ln, key = self.envelope("ping")
                yield self.one(Request(pre + ln + post, f"envelope ws {label}", key))
            out.append(sc)
        # ids
        for text in ["2.5", "-0", "0", "1e400", "-1e400", "NaN", "123456789012345678901234567890",
                     '"abc"', '"\\u00e9\\ud83d\\ude00"', '""', '{"a":[1,2]}', "[1]", "[]", "{}",
                     "true", "false", "1.0", "1E2", '"\\ud800"', "-7"]:
            def sc(text=text):
                rid = self.special_id(text)
                yield self.one(self.req("ping", {"x": 1}, rid=rid, label=f"ping id {text}"))
            out.append(sc)
        # null / absent ids
        out.append(lambda: self.single(lambda: self.req("ping", rid=(MISSING, "null"), label="ping no id")))
        out.append(lambda: self.single(lambda: self.req("ping", {}, rid=(None, "null"), label="ping id null")))
        out.append(lambda: self.single(lambda: self.req("nope", rid=(MISSING, "null"), label="unknown no id")))
        out.append(lambda: self.single(lambda: self.call(self.base("full"), "storage", "set",
                                                         {"key": "noid", "value": 1}, rid=(MISSING, "null"),
                                                         label="call without id")))
        out.append(lambda: self.single(lambda: self.call("sess-999", "window", "hello", rid=(None, "null"),
                                                         label="unknown session null id")))
        # params variants for ping
        for p in [MISSING, None, [], 0, "", False, [1], "abc", 5, {"x": DEEP_OK}, {"big": INT_4300},
                  Raw('{"a":1,"a":2}'), Raw(COMPOSITES[12])]:
            out.append(lambda p=p: self.single(lambda: self.req("ping", p, label=f"ping params {_txt(p)[:20]}")))
        # jsonrpc member variants
        out.append(lambda: self.single(lambda: self.req("ping", {}, jsonrpc=False, label="ping no jsonrpc")))
        out.append(lambda: self.single(lambda: Request(
            jsonraw.line(Obj([("jsonrpc", "1.0"), ("id", self._next_plain_id()), ("method", "ping")])),
            "ping jsonrpc 1.0", json.dumps(self._id))))
        # unknown top-level methods
        for m in ["nope", "nop\u00e9", Raw("null"), Raw("5"), Raw('["a"]'), Raw('{"a":1}'), "Ping",
                  "ping ", "session.Create", "", "session", "executas.list", Raw("1.5"), Raw("true"),
                  "\U0001F600", "session.call\u0000"]:
            out.append(lambda m=m: self.single(lambda: self.req(m, {}, label=f"unknown method {_txt(m)}")))
        out.append(lambda: self.single(lambda: Request(
            jsonraw.line(Obj([("jsonrpc", "2.0"), ("id", self._next_plain_id())])), "no method no result",
            json.dumps(self._id))))
        out.append(lambda: self.single(lambda: Request(
            jsonraw.line(Obj([("id", self._next_plain_id()), ("params", {"a": 1})])), "no method params only",
            json.dumps(self._id))))
        # duplicate keys in the envelope: last wins
        out.append(lambda: self.single(lambda: Request(
            jsonraw.line(Obj([("id", 1), ("method", "nope"), ("method", "ping"), ("id", self._next_plain_id())])),
            "duplicate envelope keys", json.dumps(self._id))))
        return out

    def _next_plain_id(self) -> int:
        self._id += 1
        return self._id

    # -- bridge-level params -------------------------------------------------
    def cov_bridge_params(self) -> list:
        out = []
        s = lambda: self.base("full")  # noqa: E731
        cases: list[Callable[[], Request]] = [
            lambda: self.req("session.call", {}, label="call missing session_id"),
            lambda: self.req("session.call", {"session_id": "sess-9999"}, label="call unknown session"),
            lambda: self.req("session.call", {"session_id": s().sid}, label="call missing ns"),
            lambda: self.req("session.call", {"session_id": s().sid, "ns": "window"}, label="call missing method"),
            lambda: self.req("session.call", {"session_id": s().sid, "method": "hello"}, label="call missing ns 2"),
            lambda: self.req("session.call", {"ns": "window", "method": "hello"}, label="call no session_id"),
            lambda: self.req("session.call", {"session_id": 5, "ns": "window", "method": "hello"}, label="call session_id int"),
            lambda: self.req("session.call", {"session_id": None, "ns": "window", "method": "hello"}, label="call session_id null"),
            lambda: self.req("session.call", {"session_id": True, "ns": "w", "method": "h"}, label="call session_id true"),
            lambda: self.req("session.call", {"session_id": 1.5}, label="call session_id float"),
            lambda: self.req("session.call", {"session_id": ["x"], "ns": "window", "method": "hello"}, label="call session_id list"),
            lambda: self.req("session.call", {"session_id": {"a": 1}}, label="call session_id object"),
            lambda: self.req("session.call", {"session_id": "sess-\u00e9\U0001F600"}, label="call session_id unicode"),
            lambda: self.req("session.call", {"session_id": "SESS-1", "ns": "window", "method": "hello"}, label="call session_id case"),
            lambda: self.req("session.call", {"session_id": s().sid, "ns": "window", "method": "hello", "args": None}, label="call args null"),
            lambda: self.req("session.call", [1], label="call params list"),
            lambda: self.req("session.call", "abc", label="call params str"),
            lambda: self.req("session.call", 5, label="call params int"),
            lambda: self.req("session.call", True, label="call params true"),
            lambda: self.req("session.call", label="call no params"),
            lambda: self.req("session.drain_events", {}, label="drain missing sid"),
            lambda: self.req("session.drain_events", {"session_id": "sess-0"}, label="drain unknown"),
            lambda: self.req("session.drain_events", {"session_id": ["x"]}, label="drain sid list"),
            lambda: self.req("session.drain_events", [1], label="drain params list"),
            lambda: self.req("session.drain_events", "abc", label="drain params str"),
            lambda: self.req("session.refresh_token", {}, label="refresh missing sid"),
            lambda: self.req("session.refresh_token", {"session_id": "nope"}, label="refresh unknown"),
            lambda: self.req("session.refresh_token", {"session_id": {"a": 1}}, label="refresh sid obj"),
            lambda: self.req("session.refresh_token", {"session_id": s().sid}, label="refresh"),
            lambda: self.req("session.close", {}, label="close missing sid"),
            lambda: self.req("session.close", {"session_id": "zz"}, label="close unknown"),
            lambda: self.req("session.close", {"session_id": 5}, label="close int"),
            lambda: self.req("session.close", {"session_id": ["x"]}, label="close list"),
            lambda: self.req("session.close", {"session_id": None}, label="close null"),
            lambda: self.req("session.close", "abc", label="close params str"),
            lambda: self.req("session.close", 7, label="close params int"),
            lambda: self.req("session.create", {}, label="create missing manifest"),
            lambda: self.req("session.create", {"user_id": 1}, label="create missing manifest 2"),
            lambda: self.req("session.create", [1], label="create params list"),
            lambda: self.req("session.create", "abc", label="create params str"),
            lambda: self.req("session.create", 5, label="create params int"),
            lambda: self.req("session.create", {"user_id": "abc", "manifest": {}}, label="create user_id abc"),
            lambda: self.req("session.create", {"user_id": None, "manifest": {}}, label="create user_id null"),
            lambda: self.req("session.create", {"user_id": Raw("NaN"), "manifest": {}}, label="create user_id NaN"),
            lambda: self.req("session.create", {"user_id": Raw("Infinity"), "manifest": {}}, label="create user_id inf"),
            lambda: self.req("session.create", {"user_id": [1], "manifest": {}}, label="create user_id list"),
            lambda: self.req("session.create", {"user_id": "2.5", "manifest": {}}, label="create user_id 2.5 str"),
            lambda: self.req("session.create", {"user_id": "\u001c5", "manifest": {}}, label="create user_id fs"),
            lambda: self.req("session.create", {"user_id": "abc"}, label="create user_id first then manifest"),
            lambda: self.req("session.create", {"manifest": {}, "entry_payload": "abc"}, label="create entry str"),
            lambda: self.req("session.create", {"manifest": {}, "entry_payload": [1]}, label="create entry list"),
            lambda: self.req("session.create", {"manifest": {}, "entry_payload": 5}, label="create entry int"),
            lambda: self.req("session.create", {"manifest": {}, "runtime_state": [[1, 2, 3]]}, label="create rs triple"),
            lambda: self.req("session.create", {"manifest": {}, "runtime_state": "ab"}, label="create rs str"),
            lambda: self.req("executas.register", [1], label="register params list"),
            lambda: self.req("executas.register", "abc", label="register params str"),
        ]
        for b in cases:
            out.append(lambda b=b: self.single(b))
        return out

    # -- session.create variants ------------------------------------------------
    def cov_create_variants(self) -> list:
        out = []
        full = PROFILES["full"]
        users = [1, 7, Raw('"12"'), Raw("2.9"), Raw("-2.9"), Raw("true"), Raw("false"), Raw('" 42 "'),
                 Raw('"\\u0661\\u0662"'), Raw("123456789012345678901234567890"), Raw("0"), Raw('"1_000"'),
                 Raw("-5"), Raw("1e3")]
        for u in users:
            out.append(lambda u=u: self.sc_create_use(full, "full", user=u))
        views = [Raw('""'), Raw("0"), Raw("false"), Raw("[]"), Raw("{}"), "ghost", Raw("5"), Raw('{"x":1}'),
                 "side", "main", "Main", Raw("null"), "\u00e9"]
        for v in views:
            out.append(lambda v=v: self.sc_create_use(full, "full", view=v))
        out.append(lambda: self.sc_create_use(PROFILES["none"], "none", view=Raw("null")))
        out.append(lambda: self.sc_create_use(PROFILES["admin"], "admin", view="x"))
        out.append(lambda: self.sc_create_use(PROFILES["noui"], "noui", view="x"))
        entries = [{"a": 1}, Raw('[["a",1],["b",[2]]]'), Raw('["ab","cd"]'), Raw("null"), Raw("[]"), Raw("0"),
                   Raw('""'), Raw(COMPOSITES[12]), {"\u00e9": "\U0001F600", "n": Raw("NaN")}]
        for e in entries:
            out.append(lambda e=e: self.sc_create_use(full, "full", entry=e))
        states = [{"k": "v"}, Raw('[["a",1],["b",2]]'), Raw('["xy"]'), Raw("null"), Raw("[]"),
                  Raw(COMPOSITES[12]), Raw('{"b":1,"a":2,"\\ud800":3,"é":4}'),
                  {"deep": DEEP_OK}, {"int4300": INT_4300}]
        for st in states:
            out.append(lambda st=st: self.sc_create_use(full, "full", rs=st))
        slugs = ["s\u00e9cond", "", Raw("5"), Raw("null"), "x" * 300, Raw('{"a":1}')]
        for sl in slugs:
            out.append(lambda sl=sl: self.sc_create_use(full, "full", slug=sl))
        out.append(lambda: self.sc_create_use(full, "full", extra=[("unknown_param", 1), ("app_id", 9)]))
        out.append(lambda: self.sc_create_use(Raw('{"schema":1,"schema":2,"tags":["a","a"]}'), "min"))
        out.append(lambda: self.sc_create_use({}, "empty"))
        out.append(lambda: self.sc_create_use({"schema": 3, "permissions": ["x"]}, "empty"))
        out.append(lambda: self.sc_create_use({"schema": 3, "host_capabilities": ["aps.kv"], "storage": {"kv": True}}, "empty"))
        out.append(lambda: self.sc_create_use({"schema": Raw('"2"'), "ui": {"bundle": {"entry": "i"},
                   "views": [{"name": "a", "title": "A", "default": Raw('"true"'), "min_size": {"w": Raw("120.0"), "h": Raw('"4096"')}}]}}, "coerce"))
        return out

    def sc_create_use(self, manifest: Any, profile: str, **kw) -> Iterator[Step]:
        slug = kw.pop("slug", self.rng.choice([MISSING, "app-" + str(self.rng.randint(1, 99))]))
        obs = yield self.one(self.create(manifest, slug=slug, **kw, label=f"session.create variant {profile} {','.join(kw)}"))
        s = self.register(obs, profile, slug, kw.get("user", 1), kw.get("view"))
        if s is None:
            return
        yield self.one(self.call(s, "window", "hello"))
        if self.rng.random() < 0.5:
            yield self.one(self.call(s, "storage", "list", {}))
        if self.rng.random() < 0.3:
            yield self.one(self.req("session.refresh_token", {"session_id": s.sid}))

    # -- executas.register -------------------------------------------------------
    def cov_register(self) -> list:
        regs = [
            MISSING, None, [], {},
            [{"tool_id": "zzreg-a", "project_dir": "/nonexistent/a"}],
            [{"tool_id": "zzreg-b", "project_dir": "/nonexistent/b", "command": ["/nonexistent/bin", "--x"]},
             {"tool_id": "zzreg-b", "project_dir": "/nonexistent/b", "command": None},
             {"tool_id": "zzreg-c", "project_dir": "/x", "command": []}],
            [{"tool_id": "zzreg-d", "project_dir": "/x"}, {"project_dir": "/y"}],
            [{"tool_id": "zzreg-e"}],
            [{"tool_id": "zzreg-f", "project_dir": "/p", "extra": 1}, {"tool_id": "zzreg-g"}],
            ["zzreg-str"], "abc", [5], [None], 5, {"a": 1}, Raw("true"),
            [{"tool_id": "zzreg-\u00e9\U0001F600", "project_dir": "/\u00e9"}],
        ]
        out = []
        for r in regs:
            params = {} if r is MISSING else {"executas": r}
            out.append(lambda params=params: self.single(lambda: self.req("executas.register", params,
                                                                          label="executas.register")))
        return out

    # -- unknown (ns, method) -------------------------------------------------------
    def cov_unknown_methods(self) -> list:
        pairs = [("window", "nope"), ("nope", "x"), ("apps", "deck.*"), ("Window", "hello"),
                 ("storage", "Get"), (Raw("5"), Raw("6")), ("", ""), (Raw("null"), Raw("null")),
                 (Raw("true"), "x"), (Raw("1.5"), Raw("-0")), ("agent", "run"), ("agent", "session.run.statuses"),
                 ("tools", "invoke "), ("w\u00e9", "\U0001F600"), ("window", "hello\u0000"), ("llm", "completion"),
                 ("apps", "deck"), ("mobile", "vibrate"), ("web", "image-fetch"), ("credentials", "list"),
                 (Raw('["a"]'), "x"), ("window", Raw('{"a":1}')), (Raw("[]"), Raw("[]"))]
        builders = []
        for ns, m in pairs:
            builders.append(lambda ns=ns, m=m: self.call(self.live(), ns, m, {}, label=f"unknown pair {_txt(ns)}.{_txt(m)}"))
        return [lambda b=b: self.single(b) for b in builders]

    # -- gates: every method on sessions with and without grants ---------------------
    def cov_gates(self) -> list:
        out = []
        for prof in ("none", "noui", "partial", "agentoff", "store3", "admin"):
            pure = []
            sample = METHODS if prof in ("none", "noui", "partial") else self.rng.sample(METHODS, 30)
            for ns, m in sample:
                if ns == "window" and m not in ("hello", "ready", "report_error"):
                    out.append(lambda prof=prof, ns=ns, m=m: self.single(
                        lambda: self.call(self.base(prof), ns, m, {}, label=f"gate {prof} {ns}.{m}")))
                elif prof in ("none", "noui") or (ns, m) not in SIDE_EFFECT:
                    pure.append(lambda prof=prof, ns=ns, m=m: self.call(self.base(prof), ns, m, {}, label=f"gate {prof} {ns}.{m}"))
                else:
                    # granted side-effect method: run alone, answer any outbound call
                    out.append(lambda prof=prof, ns=ns, m=m: self.single(
                        lambda: self.call(self.base(prof), ns, m, self._valid_args(ns, m), label=f"gate {prof} {ns}.{m}"),
                        answers=[self.answer()]))
            out.extend(self.batch_of(pure))
        return out

    def _valid_args(self, ns: str, m: str) -> Any:
        if ns == "llm" and m == "stream":
            return {"messages": [{"role": "user", "content": {"type": "text", "text": "hi"}}]}
        if ns == "agent" and m == "session.run":
            return {"app_session_uuid": "aps_1", "content": "go"}
        if ns == "agent" and m in ("session.refresh",):
            return {"app_session_uuid": "aps_1"}
        if ns == "agent" and m == "session.run.status":
            return {"appSessionUuid": "aps_1", "run_id": "r"}
        if ns == "agent" and m == "session.frames":
            return {"stream_id": "s"}
        if ns == "storage":
            return {"key": "gate", "value": 1}
        if ns == "web":
            return {}
        return rand_object(self.rng, safe=True)

    # -- window.* --------------------------------------------------------------
    def cov_window(self) -> list:
        out = []
        titles = [MISSING, Raw("null"), 123, Raw("true"), Raw("1.0"), Raw("1e16"), Raw("1e-5"), Raw("-0.0"),
                  {"a": 1}, [1, "b"], "t" * 250, "a" * 199 + "\U0001F600\U0001F600", Raw("NaN"), Raw("Infinity"),
                  Raw("-Infinity"), Raw("123456789012345678901234567890"), ["it's", 'say "hi"', "both ' \""],
                  Raw('{"k":"\\u00a0\\u200b\\u2028\\ud800\\x"}'.replace("\\x", "x")), Raw('"\\ud800"'),
                  Raw('[null,true,false,1.5e300,5e-324,{"\\u00e9":[]}]'), "", "\u00e9" * 201, Raw('"a\\u0000b\\u001f"'),
                  Raw('{"a":{"b":[1,2.0]}}'), Raw('[1e22,1e15,0.1,12345678901234567.0]'), Raw("[\"\\\\\",\"\\n\\t\\r\\u007f\"]"),
                  Raw('["\\udb40\\udc01","\\u0085\\u00ad\\u0378","\\ue000\\U"]'.replace("\\U", "U")),
                  Raw('[{"a":1},[[]],"\\u3000"]'), INT_4300, Raw("0.30000000000000004"), Raw("-1e-07")]
        for t in titles:
            args = {} if t is MISSING else {"title": t}
            out.append(lambda args=args: self.single(lambda: self.call(self.live("full"), "window", "set_title", args)))
        wh = [1, 0, -5, Raw("true"), Raw("false"), Raw("300.9"), Raw("-2.9"), "12", " 12 ", "\u0661\u0662", "\uff11\uff12",
              "1_000", "1__0", "_1", "2.5", "0x10", "", "\u001c5", " \u3000 5\u3000", None, [], {}, Raw("NaN"),
              Raw("Infinity"), Raw("-Infinity"), Raw("1e20"), Raw("123456789012345678901234567890"), "-5", "+5",
              "007", "\u00a05\u2028", "5\u200b", Raw("1E2"), Raw("-0"), Raw("-0.0"), "\U0001D7D8", INT_4300]
        for i, w in enumerate(wh):
            h = wh[(i * 7 + 3) % len(wh)] if i % 3 == 0 else 200
            out.append(lambda w=w, h=h: self.single(lambda: self.call(self.live("full"), "window", "resize", {"w": w, "h": h})))
        out.append(lambda: self.single(lambda: self.call(self.live("full"), "window", "resize", {"h": 5})))
        out.append(lambda: self.single(lambda: self.call(self.live("full"), "window", "resize", {"w": 5})))
        out.append(lambda: self.single(lambda: self.call(self.live("full"), "window", "resize", {"w": "x", "h": Raw("Infinity")})))
        reasons = [MISSING, None, "", 0, False, 5, {"a": 1}, "r" * 100, "x", Raw("1e16"), [1, "\u00e9"], "\U0001F600" * 81,
                   Raw("NaN"), Raw("-0.0"), Raw('"\\ud800"')]
        for r in reasons:
            args = {} if r is MISSING else {"reason": r}
            out.append(lambda args=args: self.single(lambda: self.call(self.live(), "window", "close", args)))
        for a in [{}, {"x": 1}, [1], "abc"]:
            out.append(lambda a=a: self.single(lambda: self.call(self.live(), "window", "focus", a)))
        for a in [{}, {"view": "side", "payload": {"a": 1}}, {"view": 5, "payload": "x"}, [1], "abc"]:
            out.append(lambda a=a: self.single(lambda: self.call(self.live("full"), "window", "open_view", a)))
        for a in [{}, {"error": {"message": "x", "stack": "s\n\u00e9"}}, {"error": "str"}, {"error": "e" * 600},
                  {"error": None}, {"error": [1, {"a": Raw("NaN")}]}, [1], "abc", {"other": 1}]:
            out.append(lambda a=a: self.single(lambda: self.call(self.live(), "window", "report_error", a)))
        for a in [{}, [1], "abc", {"x": 1}]:
            out.append(lambda a=a: self.single(lambda: self.call(self.live(), "window", "ready", a)))
            out.append(lambda a=a: self.single(lambda: self.call(self.live(), "window", "hello", a)))
        return out

    def sc_window_story(self) -> Iterator[Step]:
        obs = yield self.one(self.create(PROFILES["full"], slug="story", view="side",
                                         rs=Raw('{"b":1,"a":2}'), entry=Raw('[["e",1]]')))
        s = self.register(obs, "full", "story")
        if s is None:
            return
        for args in [{"w": 300, "h": 200}, {"w": "400", "h": Raw("250.7")}]:
            yield self.one(self.call(s, "window", "resize", args))
        yield self.one(self.call(s, "storage", "set", {"key": "c", "value": [1, 2]}))
        yield self.one(self.call(s, "storage", "set", {"key": "b", "value": None}))
        yield self.one(self.call(s, "storage", "delete", {"key": "a"}))
        yield self.one(self.call(s, "storage", "set", {"key": "a", "value": "back"}))
        yield self.one(self.call(s, "window", "focus", {}))
        yield self.one(self.call(s, "window", "close", {"reason": "done"}))
        yield self.one(self.call(s, "window", "hello", {}))
        yield self.one(self.call(s, "window", "set_title", {"title": "after close"}))
        yield self.one(self.req("session.drain_events", {"session_id": s.sid}))

    # -- tools.* -------------------------------------------------------------------
    def cov_tools(self) -> list:
        out = []
        inv = [
            {}, {"tool_id": ""}, {"tool_id": 5}, {"tool_id": None}, {"tool_id": ["a"]},
            {"tool_id": "plug.tool", "method": 5}, {"tool_id": "plug.tool", "method": []},
            {"tool_id": "plug.tool", "method": "   "}, {"tool_id": "plug.tool", "method": "\u3000\u2028"},
            {"tool_id": "plug.tool", "method": ""}, {"tool_id": "plug.tool", "method": None},
            {"tool_id": "plug.tool", "timeoutMs": Raw("5000.0")}, {"tool_id": "plug.tool", "timeoutMs": "5000"},
            {"tool_id": "plug.tool", "timeoutMs": True}, {"tool_id": "plug.tool", "timeoutMs": None},
            {"tool_id": "plug.tool", "timeoutMs": 500}, {"tool_id": "plug.tool", "timeoutMs": 999999},
            {"tool_id": "plug.tool", "timeoutMs": Raw("123456789012345678901234567890")},
            {"tool_id": "not.declared"}, {"tool_id": "x.y"}, {"tool_id": "y"}, {"tool_id": "c"}, {"tool_id": "b:c"},
            {"tool_id": "*"}, {"tool_id": "opt__t"}, {"tool_id": "tool-x-y-z"}, {"tool_id": "a.b__c"},
            {"tool_id": "tool-x-y-z", "method": " run "}, {"tool_id": "plug.tool", "args": "s"},
            {"tool_id": "plug.tool", "args": [1], "extra": 1}, {"tool_id": "plug.tool", "args": None},
            {"tool_id": ".x"}, {"tool_id": "x."}, {"tool_id": "opt__t", "method": "m", "timeoutMs": 0},
            {"tool_id": "solo"}, {"tool_id": "solo", "method": "m"}, {"tool_id": "a.b"}, {"tool_id": "o.p"},
            {"tool_id": "required:x.y"}, {"tool_id": ":x.y"},
        ]
        profs = ["full", "partial", "store3", "agentoff", "admin", "noui", "none"]
        builders = []
        for a in inv:
            for prof in self.rng.sample(profs, 3):
                builders.append(lambda a=a, prof=prof: self.call(self.base(prof), "tools", "invoke", a))
        asy = [
            {}, {"tool_id": ""}, {"tool_id": "plug.tool", "method": 1}, {"tool_id": "plug.tool", "timeoutMs": Raw("1.0")},
            {"tool_id": "plug.tool", "timeoutMs": False}, {"tool_id": "plug.tool", "clientTag": 5},
            {"tool_id": "plug.tool", "clientTag": "c" * 121}, {"tool_id": "plug.tool", "clientTag": "\U0001F600" * 120},
            {"tool_id": "plug.tool", "args": "s"}, {"tool_id": "plug.tool", "args": [1]}, {"tool_id": "plug.tool", "args": 0},
            {"tool_id": "nope.t"}, {"tool_id": "nosep"}, {"tool_id": "plug.tool", "timeoutMs": 1},
            {"tool_id": "plug.tool", "method": "  "}, {"tool_id": "x.y", "clientTag": None, "timeoutMs": None},
            {"tool_id": "opt__t", "clientTag": "t", "args": {"a": 1}},
        ]
        for a in asy:
            for prof in self.rng.sample(profs, 2):
                builders.append(lambda a=a, prof=prof: self.call(self.base(prof), "tools", "invokeAsync", a))
        hexid = "tjob_" + "0123456789abcdef" * 2
        gj = [{}, {"jobId": 5}, {"jobId": "tjob_x"}, {"jobId": hexid}, {"jobId": hexid + "\n"},
              {"jobId": hexid + "\n\n"}, {"jobId": hexid.upper()}, {"jobId": hexid, "sinceSeq": -1},
              {"jobId": hexid, "sinceSeq": Raw("1.0")}, {"jobId": hexid, "sinceSeq": True}, {"jobId": hexid, "sinceSeq": "1"},
              {"jobId": hexid, "limit": 0}, {"jobId": hexid, "limit": 501}, {"jobId": hexid, "limit": None},
              {"jobId": hexid, "limit": 500, "sinceSeq": 3}, {"jobId": hexid, "limit": Raw("2.0")}, {"jobId": hexid, "limit": False}]
        for a in gj:
            builders.append(lambda a=a: self.call(self.base(self.rng.choice(["full", "partial"])), "tools", "getJob", a))
        cj = [{}, {"jobId": hexid}, {"jobId": hexid, "reason": 5}, {"jobId": hexid, "reason": "r" * 201},
              {"jobId": hexid, "reason": "\u00e9" * 200}, {"jobId": hexid, "reason": None}, {"jobId": "tjob_" + "g" * 32}]
        for a in cj:
            builders.append(lambda a=a: self.call(self.base("full"), "tools", "cancelJob", a))
        lj = [{}, {"tool_id": ""}, {"tool_id": 5}, {"tool_id": "plug.tool"}, {"state": "queued"}, {"state": []},
              {"state": ["running", "bogus"]}, {"state": ["queued", "queued", "running"]}, {"state": 5}, {"state": [None]},
              {"clientTag": "c" * 121}, {"clientTag": 3}, {"since": 5}, {"since": "yesterday"}, {"since": ""},
              {"since": "2024-01-01T00:00:00Z"}, {"since": "2024-01-01"}, {"since": "20240101T000000"},
              {"since": "2024-13-01"}, {"since": "2024-01-01T00:00:00+05:00"}, {"since": "2024-W01"},
              {"since": "2024-01-01T00:00:00.123Z"}, {"since": "2024-01-01 00:00"}, {"limit": 0}, {"limit": 101},
              {"limit": 100}, {"limit": True}, {"limit": Raw("5.0")}, {"limit": None},
              {"tool_id": None, "state": None, "clientTag": None, "since": None}]
        for a in lj:
            builders.append(lambda a=a: self.call(self.base(self.rng.choice(["full", "store3"])), "tools", "listJobs", a))
        # validation ORDER: two problems at once, the first check must win
        order = [
            ("invoke", {"tool_id": 5, "method": 5, "timeoutMs": "x"}),
            ("invoke", {"tool_id": "plug.tool", "method": 5, "timeoutMs": "x"}),
            ("invoke", {"tool_id": "not.allowed", "timeoutMs": 1.5}),
            ("invoke", {"tool_id": "nosep-not-allowed"}),
            ("invoke", {"tool_id": "plug.tool", "method": "  ", "timeoutMs": None}),
            ("invokeAsync", {"tool_id": "", "method": 5}),
            ("invokeAsync", {"tool_id": "plug.tool", "method": 5, "timeoutMs": "x", "clientTag": 5, "args": "s"}),
            ("invokeAsync", {"tool_id": "plug.tool", "timeoutMs": "x", "clientTag": 5, "args": "s"}),
            ("invokeAsync", {"tool_id": "plug.tool", "clientTag": 5, "args": "s"}),
            ("invokeAsync", {"tool_id": "not.allowed", "args": "s"}),
            ("invokeAsync", {"tool_id": "not.allowed", "method": "  "}),
            ("invokeAsync", {"tool_id": "nosep"}),
            ("getJob", {"jobId": "bad", "sinceSeq": -1, "limit": 0}),
            ("getJob", {"jobId": hexid, "sinceSeq": -1, "limit": 0}),
            ("cancelJob", {"jobId": "bad", "reason": 5}),
            ("listJobs", {"tool_id": "", "state": "bogus", "clientTag": 5, "since": 5, "limit": 0}),
            ("listJobs", {"state": "bogus", "clientTag": 5, "since": 5, "limit": 0}),
            ("listJobs", {"clientTag": 5, "since": 5, "limit": 0}),
            ("listJobs", {"since": 5, "limit": 0}),
            ("listJobs", {"since": "nope", "limit": 0}),
            ("listJobs", {"since": "nope", "limit": 5}),
        ]
        for m, a in order:
            for prof in ("full", "none"):
                builders.append(lambda m=m, a=a, prof=prof: self.call(self.base(prof), "tools", m, a, label=f"order tools.{m}"))
        for prof in profs:
            builders.append(lambda prof=prof: self.call(self.base(prof), "tools", "list", {}))
            builders.append(lambda prof=prof: self.call(self.base(prof), "tools", "list", [1]))
        self.rng.shuffle(builders)
        out.extend(self.batch_of(builders, 2, 6))
        return out

    # -- chat.* -----------------------------------------------------------------------
    def cov_chat(self) -> list:
        arts = [MISSING, None, [], 0, "s", [1], {}, {"kind": None}, {"kind": 5, "summary": {"a": True}, "app_slug": 5,
                "payload_ref": "r", "data": {"x": [1, 2]}, "extra": 1}, {"kind": "k" * 50, "summary": "s" * 1200},
                {"kind": "\U0001F600" * 41, "summary": Raw("1e16"), "data": Raw(COMPOSITES[12])},
                {"summary": None, "app_slug": None}, {"kind": ["a"], "summary": Raw('"\\ud800"')}, Raw("true")]
        out = []
        for a in arts:
            args = {} if a is MISSING else {"artifact": a}
            out.append(lambda args=args: self.single(lambda: self.call(self.live("full"), "chat", "append_artifact", args)))
        msgs = [{}, {"role": None}, {"role": {"a": 1}, "content": ["a"]}, {"role": "user", "content": "c" * 5000},
                {"content": "a" * 3999 + "\U0001F600\U0001F600"}, {"content": None}, {"content": Raw("-0.0")},
                {"role": Raw("[1,2]"), "content": Raw('{"x":"\\u2028"}')}, {"content": Raw('"\\udfff"')}]
        for a in msgs:
            out.append(lambda a=a: self.single(lambda: self.call(self.live("full"), "chat", "write_message", a)))
        for a in [{}, [1], {"x": 1}]:
            out.append(lambda a=a: self.single(lambda: self.call(self.live("full"), "chat", "read_history", a)))
        return out

    # -- storage.* ------------------------------------------------------------------
    def cov_storage(self) -> list:
        out = []
        scopes = [MISSING, "user", "app", "tool", "USER", 5, ["x"], "bad", "", 0, False, None, {"a": 1},
                  "\u00e9", "it's", Raw('"\\ud800"'), Raw("1.0")]
        owners = [MISSING, None, "", "self", "other", 0, False, "\u00e9"]
        builders = []
        for prof in ("full", "admin", "store3", "partial", "agentoff", "none"):
            for sc in scopes:
                for m in ("get", "set", "delete", "list"):
                    if self.rng.random() < 0.35:
                        ow = self.rng.choice(owners)
                        args = Obj([(k, v) for k, v in (("scope", sc), ("owner", ow)) if v is not MISSING]
                                   + ([("key", "sk")] if m != "list" and self.rng.random() < 0.7 else []))
                        if m in ("get", "list"):
                            builders.append(lambda prof=prof, m=m, args=args: self.call(self.base(prof), "storage", m, args))
                        else:
                            out.append(lambda prof=prof, m=m, args=args: self.single(
                                lambda: self.call(self.base(prof), "storage", m, args)))
        out.extend(self.batch_of(builders, 3, 8))
        keys = [MISSING, "", None, 0, False, Raw("1.5"), {"a": 1}, " ", "\u00e9", "e\u0301", "\U0001F600", "\u2028",
                Raw('"\\ud800"'), Raw('"\\udc00\\ud800"'), "\u0000", "k" * 300, [1, "b"], Raw("NaN"), Raw("1e16"), True]
        for k in keys:
            args = {} if k is MISSING else {"key": k}
            vals = [Raw(self.rng.choice(NUMBERS)), Raw(self.rng.choice(STRINGS)), Raw(self.rng.choice(COMPOSITES))]
            out.append(lambda args=args, v=vals[0]: self.single(lambda: self.call(self.live("full"), "storage", "set", dict(args, value=v))))
            out.append(lambda args=args: self.single(lambda: self.call(self.live("full"), "storage", "get", args)))
            out.append(lambda args=args: self.single(lambda: self.call(self.live("full"), "storage", "delete", args)))
        for v in NUMBERS + STRINGS + COMPOSITES + [MISSING]:
            def sc(v=v):
                s = self.live("full")
                args = {"key": "val"} if v is MISSING else {"key": "val", "value": Raw(v)}
                yield self.one(self.call(s, "storage", "set", args, label="storage.set value"))
                if self.rng.random() < 0.5:
                    yield self.one(self.call(s, "storage", "get", {"key": "val"}, label="storage.get value"))
                else:
                    yield self.one(self.call(s, "storage", "list", {"prefix": "val"}, label="storage.list value"))
            out.append(sc)
        for lim in [MISSING, "3", Raw("3.9"), True, 0, 1001, 1000, -1, None, "x", [], Raw("NaN"), Raw("Infinity"),
                    Raw("-Infinity"), "\u001c5\u001f", " \u3000 5\u3000", "\u0661", Raw("1e3"), Raw("1e20"), "1_0", {}]:
            for pre, cur in [(MISSING, MISSING), ("a", "a"), (5, MISSING), (None, None), ("", 0), (MISSING, Raw("1.5"))]:
                if self.rng.random() < 0.3:
                    args = Obj([(k, v) for k, v in (("limit", lim), ("prefix", pre), ("cursor", cur)) if v is not MISSING])
                    out.append(lambda args=args: self.single(lambda: self.call(self.live("full"), "storage", "list", args)))
        return out

    def sc_storage_paging(self) -> Iterator[Step]:
        obs = yield self.one(self.create(PROFILES["full"], slug="paging"))
        s = self.register(obs, "full", "paging")
        if s is None:
            return
        for k in ["b", "a", "c", "ab", "B", "\u00e9", "z", "\U0001F600", "\uff5e", "e\u0301", "\ud800", "\U0010ffff"]:
            yield self.one(self.call(s, "storage", "set", {"key": k, "value": Raw(self.rng.choice(NUMBERS))}))
        for args in [{}, {"limit": 2}, {"limit": 2, "cursor": "ab"}, {"prefix": "a", "limit": 1}, {"cursor": "z"},
                     {"limit": 8}, {"limit": 9}, {"limit": 12}, {"limit": 11}, {"cursor": "\U0001F600"},
                     {"cursor": "\ud800"}, {"prefix": "\U0001F600"}, {"cursor": 5}, {"cursor": {"a": 1}}]:
            yield self.one(self.call(s, "storage", "list", args))
        yield self.one(self.call(s, "window", "hello", {}))
        yield self.one(self.req("session.drain_events", {"session_id": s.sid}))

    def sc_storage_boundary(self) -> Iterator[Step]:
        obs = yield self.one(self.create(PROFILES["full"], slug="boundary"))
        s = self.register(obs, "full", "boundary")
        if s is None:
            return
        for v in ["x" * 262135, "x" * 262136, "\u00e9" * 43689, "\u00e9" * 43690, "\U0001F600" * 21844, "y"]:
            yield self.one(self.call(s, "storage", "set", {"key": "k", "value": v}, label=f"storage.set size {len(v)}"))
        yield self.one(self.call(s, "storage", "list", {}))
        yield self.one(self.req("session.drain_events", {"session_id": s.sid}))

    def sc_storage_oversized_initial(self) -> Iterator[Step]:
        obs = yield self.one(self.create(PROFILES["full"], slug="oversized", rs={"big": "z" * 300000, "small": 1}))
        s = self.register(obs, "full", "oversized")
        if s is None:
            return
        yield self.one(self.call(s, "storage", "delete", {"key": "small"}, label="delete on oversized state"))
        yield self.one(self.call(s, "storage", "set", {"key": "small", "value": 2}, label="set on oversized state"))
        yield self.one(self.call(s, "storage", "get", {"key": "small"}))
        yield self.one(self.call(s, "storage", "delete", {"key": "big"}, label="delete big key"))
        yield self.one(self.call(s, "storage", "list", {}))
        yield self.one(self.req("session.drain_events", {"session_id": s.sid}))

    # -- delegates (outbound host calls) -------------------------------------------------
    def cov_delegates(self) -> list:
        out = []
        ok_kinds = [k for k in ANSWER_KINDS if not k.startswith("err-")]
        err_kinds = [k for k in ANSWER_KINDS if k.startswith("err-")]
        self.rng.shuffle(ok_kinds)
        self.rng.shuffle(err_kinds)
        for i, (ns, m) in enumerate(DELEGATES):
            for kind in (ok_kinds[i % len(ok_kinds)], err_kinds[i % len(err_kinds)]):
                out.append(lambda ns=ns, m=m, kind=kind: self.single(
                    lambda: self.call(self.live("full"), ns, m, self._delegate_args(ns, m)), answers=[self.answer(kind)]))
        # args edge cases forwarded through dict(args)
        for a in [Raw('[["a",1],["b",{"c":[]}]]'), Raw('["ab","cd"]'), {}, Raw("null"), Raw("0"), Raw('""'),
                  Raw(COMPOSITES[12]), {"s": Raw(SAFE_STRINGS[9])}, {"deep": DEEP_OK}, {"int4300": INT_4300},
                  {"ctl": "\u0000\u001f\u007f\u0080\u2028\u2029"}]:
            ns, m = self.rng.choice(PLAIN_DELEGATES)
            out.append(lambda ns=ns, m=m, a=a: self.single(lambda: self.call(self.live("full"), ns, m, a),
                                                           answers=[self.answer()]))
        # partial profile: granted and denied delegates
        for ns, m in [("llm", "complete"), ("llm", "embed"), ("image", "generate"), ("image", "GET"),
                      ("agent", "session.create"), ("agent", "session.list")]:
            out.append(lambda ns=ns, m=m: self.single(lambda: self.call(self.base("partial"), ns, m, {"x": 1}),
                                                      answers=[self.answer()]))
        return out

    def _delegate_args(self, ns: str, m: str) -> Any:
        rng = self.rng
        if (ns, m) == ("llm", "stream"):
            return {"messages": [{"role": "user", "content": {"type": "text", "text": "h\u00e9llo \U0001F600"}}],
                    "maxTokens": rng.choice([5, Raw("1E2"), Raw("1.0")])}
        if (ns, m) == ("agent", "session.run"):
            return {"app_session_uuid": "aps_" + str(rng.randint(1, 9)), "content": "go \u2028",
                    "extra": rand_value(rng, safe=True)}
        if (ns, m) in (("agent", "session.refresh"),):
            return rng.choice([{"app_session_uuid": "aps_x"}, {"appSessionUuid": "aps_y"},
                               {"app_session_uuid": "", "appSessionUuid": "aps_z"}])
        if (ns, m) == ("agent", "session.run.status"):
            return {"app_session_uuid": "aps_q", "run_id": "r-\u00e9"}
        if (ns, m) == ("agent", "session.frames"):
            return {"stream_id": "strm_x", "since": 3}
        if (ns, m) == ("llm", "complete"):
            return {"messages": [{"role": "user", "content": {"type": "text", "text": "h\u00e9llo"}}], "maxTokens": 5}
        return rand_object(rng, safe=True)

    def cov_agent_llm_validation(self) -> list:
        out = []
        s = lambda: self.base("full")  # noqa: E731
        cases = [
            ("llm", "stream", {}), ("llm", "stream", {"messages": []}), ("llm", "stream", {"messages": "x"}),
            ("llm", "stream", {"messages": {"a": 1}}), ("llm", "stream", {"messages": None}),
            ("agent", "session.run", {}), ("agent", "session.run", {"app_session_uuid": "x", "content": "c"}),
            ("agent", "session.run", {"appSessionUuid": "aps_1", "content": "c"}),
            ("agent", "session.run", {"app_session_uuid": 5, "content": "c"}),
            ("agent", "session.run", {"app_session_uuid": "aps_1"}),
            ("agent", "session.run", {"app_session_uuid": "aps_1", "content": "  \u3000\n"}),
            ("agent", "session.run", {"app_session_uuid": "aps_1", "content": "\u001c\u001d\u001e\u001f"}),
            ("agent", "session.run", {"app_session_uuid": "aps_1", "content": 5}),
            ("agent", "session.run", {"app_session_uuid": "APS_1", "content": "c"}),
            ("agent", "session.refresh", {}), ("agent", "session.refresh", {"app_session_uuid": "x"}),
            ("agent", "session.refresh", {"appSessionUuid": 5}), ("agent", "session.refresh", {"app_session_uuid": 0, "appSessionUuid": "bad"}),
            ("agent", "session.run.status", {}), ("agent", "session.run.status", {"app_session_uuid": "aps_1"}),
            ("agent", "session.run.status", {"app_session_uuid": "aps_1", "run_id": ""}),
            ("agent", "session.run.status", {"app_session_uuid": "aps_1", "run_id": 5}),
            ("agent", "session.run.status", {"run_id": "r"}),
            ("agent", "session.frames", {}), ("agent", "session.frames", {"stream_id": ""}),
            ("agent", "session.frames", {"stream_id": 7}),
        ]
        cases += [  # validation order
            ("agent", "session.run", {"app_session_uuid": "x", "content": ""}),
            ("agent", "session.run.status", {"app_session_uuid": "x", "run_id": ""}),
            ("agent", "session.refresh", {"app_session_uuid": "x", "appSessionUuid": "aps_ok"}),
            ("agent", "session.refresh", {"app_session_uuid": "aps_ok", "appSessionUuid": "x"}),
            ("storage", "get", {"scope": "bad"}), ("storage", "set", {"scope": "user"}),
            ("storage", "list", {"scope": "tool", "limit": 0}), ("storage", "list", {"scope": "app", "owner": "x", "limit": "x"}),
            ("web", "fetch", {"urls": [], "max_chars": "x"}), ("web", "image_search", {"query": "", "safe_search": False}),
            ("web", "image_fetch", {"url": "ftp://x", "max_bytes": "x"}),
            ("chat", "append_artifact", {"artifact": "s", "x": 1}),
            ("window", "resize", {"w": "x", "h": Raw("Infinity")}), ("window", "resize", {"w": Raw("Infinity"), "h": "x"}),
        ]
        builders = [lambda c=c: self.call(s(), c[0], c[1], c[2]) for c in cases]
        out.extend(self.batch_of(builders, 2, 5))
        # agent gate variants
        for prof in ("partial", "agentoff", "store3", "noui", "none"):
            out.append(lambda prof=prof: self.single(
                lambda: self.call(self.base(prof), "agent", "session.run", {"app_session_uuid": "aps_1", "content": "c"}),
                answers=[self.answer()]))
            out.append(lambda prof=prof: self.single(
                lambda: self.call(self.base(prof), "agent", "session.catalog", {}), answers=[self.answer()]))
        return out

    # -- web.* (validation paths only; never touches the network) ----------------------
    def cov_web(self) -> list:
        blocked = ["ftp://x/", "http://127.0.0.1/", "http://10.1.2.3:8080/", "http://[::1]/", "http://169.254.169.254/",
                   "http://user:pw@1.2.3.4/", "http:///nohost", "https://1.1.1.1:99999/", "http://1.1.1.1:22/",
                   "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://240.0.0.1/",
                   "http://224.0.0.1/", "http://192.0.2.1/", "javascript:alert(1)", "", "http://metadata.google.internal/",
                   "HTTP://127.0.0.1/", "http://1.1.1.1:abc/", "https://metadata.goog:443/", "http://[::]/", "file:///etc/passwd",
                   "http://255.255.255.255/", "http://198.18.0.1:8443/", "https://172.16.5.4/", "http://192.168.1.1:8080/x?y#z"]
        cases: list[tuple[str, Any]] = [
            ("search", {}), ("search", {"query": ""}), ("search", {"query": "   "}), ("search", {"query": None}),
            ("search", {"query": 0}), ("search", {"query": "\u3000\u2028"}), ("search", "abc"), ("search", Raw('["ab"]')),
            ("search", [1]), ("search", Raw('[["query",""]]')), ("search", {"query": False, "max_results": 3}),
            ("image_search", {}), ("image_search", {"query": " "}), ("image_search", {"query": "cats", "safe_search": False}),
            ("image_search", {"safe_search": 0}), ("image_search", "abc"), ("image_search", [1]),
            ("image_search", {"query": "dogs", "safe_search": Raw("false"), "max_results": 3}),
            ("fetch", {}), ("fetch", {"urls": []}), ("fetch", {"urls": "http://x"}), ("fetch", {"urls": None}),
            ("fetch", {"urls": ["http://127.0.0.1/"] * 11}), ("fetch", "abc"), ("fetch", [1]),
            ("fetch", Raw('[["urls",[]]]')), ("fetch", {"urls": ["http://127.0.0.1/"], "max_chars": "abc"}),
            ("fetch", {"urls": ["http://127.0.0.1/"], "timeout_ms": "1.5"}), ("fetch", {"urls": ["http://127.0.0.1/"], "max_chars": [1]}),
            ("fetch", {"urls": ["http://127.0.0.1/"], "timeout_ms": {}}), ("fetch", {"urls": ["http://127.0.0.1/"], "max_chars": None}),
            ("fetch", {"urls": ["http://127.0.0.1/"], "max_chars": "\u001c5"}),
            ("fetch", {"urls": [5, None, [1], {"a": 1}, True]}),
            ("image_fetch", {}), ("image_fetch", {"url": 5}), ("image_fetch", {"url": "ftp://x"}), ("image_fetch", {"url": "HTTP://x"}),
            ("image_fetch", {"url": "http://127.0.0.1/x.png"}), ("image_fetch", {"url": "https://[::1]/"}),
            ("image_fetch", {"url": "https://169.254.169.254/"}), ("image_fetch", {"url": "http://1.1.1.1:22/"}),
            ("image_fetch", {"url": "https://1.1.1.1:99999/"}), ("image_fetch", {"url": "https://1.1.1.1:abc/"}),
            ("image_fetch", {"url": "http://user@1.1.1.1/"}), ("image_fetch", {"url": "http:///x"}),
            ("image_fetch", {"url": "http://127.0.0.1/", "max_bytes": "abc"}), ("image_fetch", {"url": "http://127.0.0.1/", "max_bytes": [1]}),
            ("image_fetch", "abc"), ("image_fetch", [1]), ("image_fetch", {"url": "https://10.0.0.1/", "max_bytes": 0}),
        ]
        for i in range(0, len(blocked), 4):
            cases.append(("fetch", {"urls": blocked[i:i + 4], "max_chars": self.rng.choice([MISSING, 10, 0, "7"]),
                                    "timeout_ms": self.rng.choice([MISSING, 1000, 0])}))
        for u in blocked:  # every one of them is rejected before any connection
            if u.startswith(("http://", "https://")):
                cases.append(("image_fetch", {"url": u}))
        out = []
        for m, a in cases:
            a = {k: v for k, v in a.items() if v is not MISSING} if isinstance(a, dict) else a
            out.append(lambda m=m, a=a: self.single(lambda: self.call(self.base("full"), "web", m, a)))
        for prof in ("partial", "none"):
            out.append(lambda prof=prof: self.single(lambda: self.call(self.base(prof), "web", "fetch", {"urls": ["http://127.0.0.1/"]})))
            out.append(lambda prof=prof: self.single(lambda: self.call(self.base(prof), "web", "search", {"query": ""})))
        return out

    # -- mobile + stubs -----------------------------------------------------------
    def cov_mobile_stubs(self) -> list:
        builders = []
        for prof in ("full", "partial", "agentoff", "none", "store3"):
            for m in ("share", "haptics", "camera_capture"):
                builders.append(lambda prof=prof, m=m: self.call(self.base(prof), "mobile", m, {"x": 1}))
        for ns, m in STUBS:
            for prof in ("full", "partial"):
                builders.append(lambda prof=prof, ns=ns, m=m: self.call(self.base(prof), ns, m, rand_object(self.rng)))
        builders.append(lambda: self.call(self.base("full"), "chat", "read_history", {}))
        builders.append(lambda: self.call(self.base("partial"), "chat", "read_history", {}))
        self.rng.shuffle(builders)
        return self.batch_of(builders, 3, 8)

    # -- non-object args for every method ---------------------------------------------
    def cov_nonobject_args(self) -> list:
        out = []
        for ns, m in METHODS:
            for a in ([1], "abc"):
                out.append(lambda ns=ns, m=m, a=a: self.single(
                    lambda: self.call(self.base("full"), ns, m, a, label=f"nonobject {ns}.{m} {_txt(a)}"),
                    answers=[self.answer()]))
            if self.rng.random() < 0.3:
                falsy = self.rng.choice([None, 0, "", [], False, {}])
                out.append(lambda ns=ns, m=m, falsy=falsy: self.single(
                    lambda: self.call(self.base("full"), ns, m, falsy, label=f"falsy args {ns}.{m}"),
                    answers=[self.answer()]))
        return out

    # -- BR-CLS-4 probes: response-shaped lines that answer nothing ------------------------
    def cov_clsprobe(self) -> list:
        out = []

        def probe(members: list, label: str, idv: Any = None):
            def sc():
                if idv is None:
                    v: Any = f"probe-{self._next_plain_id()}"
                elif idv == "last-out":
                    # a late/duplicate answer to an already resolved outbound call
                    v = self.last_out_id if self.last_out_id > 0 else 424242
                    if json.dumps(v) in self.used_special_keys:
                        v = 424243 + self._next_plain_id()
                else:
                    v = idv
                key = json.dumps(v)
                self.used_special_keys.add(key)
                ln = jsonraw.line(Obj([("jsonrpc", "2.0"), ("id", v)] + members), self.style())
                r = Request(ln, f"BR-CLS-4 probe {label}", None, expect=False, stash=key)
                yield Step([r], r.label, sync=True)
            return sc

        out.append(probe([("result", {})], "result string id"))
        out.append(probe([("error", {"code": 1, "message": "x"})], "error string id"))
        out.append(probe([("result", None)], "result null"))
        out.append(probe([("result", {"late": True})], "duplicate answer to resolved call", "last-out"))
        out.append(probe([("result", {"a": 1}), ("error", None)], "unknown int id", 987654321))
        out.append(probe([("error", {"code": -32000})], "unknown big int id", 98765432123456789))
        return out

    # -- real manifests ---------------------------------------------------------------
    def sc_real(self, name: str, manifest: Any) -> Iterator[Step]:
        rng = self.rng
        slug = rng.choice([name.split("__")[1][:40] if "__" in name else name, MISSING, Raw("null")])
        obs = yield self.one(self.create(manifest, slug=slug, user=rng.choice([1, 1, 2, 7, Raw('"3"')]),
                                         view=rng.choice([MISSING, MISSING, "main", "ghost"]),
                                         label=f"session.create real {name}"))
        s = self.register(obs, "real", slug)
        if s is None:
            return
        yield self.one(self.call(s, "window", "hello", {}))
        builders = [lambda: self.call(s, "tools", "list", {}),
                    lambda: self.call(s, "storage", "get", {"key": "k"}),
                    lambda: self.call(s, "storage", "list", {}),
                    lambda: self.call(s, "window", "ready", {}),
                    lambda: self.call(s, "tools", "invoke", {"tool_id": "bundled:x", "method": "m"})]
        yield Step([b() for b in rng.sample(builders, 3)], "real batch", batch=True)
        for _ in range(1):
            ns, m = rng.choice(METHODS)
            yield self.one(self.call(s, ns, m, self._generic_args(ns, m)), answers=[self.answer()])
        yield self.one(self.call(s, "storage", "set", {"key": "k", "value": rand_value(rng)}))
        if rng.random() < 0.5:
            yield self.one(self.req("session.close", {"session_id": s.sid}))
            s.closed = True

    # -- big frames (BR-FRAME-3, BR-OUT-6) -------------------------------------------------
    def sc_bigframes(self) -> Iterator[Step]:
        # exactly 16777216 bytes of content: accepted
        idv = self._next_plain_id()
        head = ('{"jsonrpc":"2.0","id":%d,"method":"ping","params":{"pad":"' % idv).encode()
        tail = b'"}}'
        body = head + b"p" * (MAX_FRAME - len(head) - len(tail)) + tail
        assert len(body) == MAX_FRAME
        yield self.one(Request(body, "frame exactly 16 MiB", json.dumps(idv)), timeout=120)
        # one byte more: -32600 with the id found in the first 2048 bytes
        idv = self._next_plain_id()
        head = ('{"id":%d,"jsonrpc":"2.0","method":"ping","params":{"pad":"' % idv).encode()
        body = head + b"p" * (MAX_FRAME + 1 - len(head) - len(tail)) + tail
        yield self.one(Request(body, "frame 16 MiB + 1", json.dumps(idv)), timeout=120)
        # string id: id null
        head = b'{"id":"big-string-id","method":"ping","params":{"pad":"'
        body = head + b"p" * (MAX_FRAME + 10 - len(head) - len(tail)) + tail
        yield self.one(Request(body, "frame too large string id", "null"), timeout=120)
        # oversized answer to an outbound call -> frame_too_large host error
        r = self.call(self.base("full"), "llm", "complete", {"messages": []})
        yield Step([r], "oversized outbound answer", answers=[self.oversized_answer()], timeout=120)

    # ------------------------------------------------------------------
    # random scenarios
    # ------------------------------------------------------------------
    def _generic_args(self, ns: str, m: str) -> Any:
        rng = self.rng
        if (ns, m) in DELEGATES:
            return self._delegate_args(ns, m) if rng.random() < 0.7 else rng.choice([{}, rand_object(rng, safe=True)])
        if ns == "storage":
            a = Obj([("key", rng.choice(KEYS)), ("value", rand_value(rng))])
            if rng.random() < 0.2:
                a.pairs.append(("scope", rng.choice(["user", "app", "tool", "bad"])))
            if m == "list":
                a = Obj([(k, v) for k, v in (("prefix", rng.choice(["", "a", "k"])), ("limit", rng.choice([1, 2, 5, 100])))])
            return a
        if ns == "window":
            return rng.choice([{}, {"title": rand_value(rng)}, {"w": rand_value(rng), "h": 100},
                               {"reason": rand_value(rng)}, {"error": rand_value(rng)}])
        if ns == "chat":
            return rng.choice([{"artifact": rand_object(rng)}, {"role": "user", "content": rand_value(rng)}, {}])
        if ns == "tools":
            return rng.choice([{}, {"tool_id": rng.choice(["plug.tool", "x.y", "nosep", "a.b"]), "method": rng.choice([MISSING, "m"])},
                               {"jobId": "tjob_" + "%032x" % rng.getrandbits(128)}, {"state": "queued"}])
        if ns == "web":
            return rng.choice([{"query": ""}, {"urls": []}, {"url": "ftp://x"}, {"urls": ["http://127.0.0.1/"]}])
        return rng.choice([{}, rand_object(rng)])

    def _random_scenario(self) -> Callable[[], Iterator[Step]]:
        rng = self.rng
        r = rng.random()
        if r < 0.45:
            return lambda: self.rs_call()
        if r < 0.60:
            return lambda: self.rs_storage()
        if r < 0.70:
            return lambda: self.rs_batch()
        if r < 0.78:
            return lambda: self.single(lambda: self.req("session.drain_events", {"session_id": self.live().sid}))
        if r < 0.84:
            return lambda: self.rs_create()
        if r < 0.88:
            return lambda: self.rs_close()
        if r < 0.94:
            return lambda: self.single(lambda: self.req("ping", rand_value(rng) if rng.random() < 0.5 else MISSING))
        return lambda: self.single(lambda: self.req("session.refresh_token", {"session_id": self.live().sid}))

    def rs_call(self) -> Iterator[Step]:
        rng = self.rng
        ns, m = rng.choice(METHODS)
        s = self.live() if rng.random() < 0.93 else rng.choice([s for s in self.sessions if s.closed] or self.sessions)
        args = self._generic_args(ns, m) if rng.random() < 0.85 else rng.choice([[1], "abc", None, Raw("[[\"k\",1]]")])
        yield self.one(self.call(s, ns, m, args), answers=[self.answer()])

    def rs_storage(self) -> Iterator[Step]:
        rng = self.rng
        s = self.live(rng.choice(["full", "admin", "store3", "real"]))
        m = rng.choice(["get", "set", "set", "delete", "list"])
        yield self.one(self.call(s, "storage", m, self._generic_args("storage", m)))

    def rs_batch(self) -> Iterator[Step]:
        rng = self.rng
        reqs = []
        for _ in range(rng.randint(2, 8)):
            r = rng.random()
            if r < 0.25:
                reqs.append(self.req("ping", rand_value(rng) if rng.random() < 0.5 else MISSING))
            elif r < 0.45:
                ns, m = rng.choice(STUBS + [("window", "hello"), ("window", "ready"), ("tools", "list"),
                                            ("chat", "read_history"), ("mobile", "share")])
                reqs.append(self.call(self.live(), ns, m, rand_object(rng)))
            elif r < 0.65:
                reqs.append(self.call(self.live(), "storage", rng.choice(["get", "list"]), self._generic_args("storage", "get")))
            elif r < 0.8:
                ns, m = rng.choice(METHODS)
                reqs.append(self.call(self.base(rng.choice(["none", "noui"])), ns, m, {}) if ns != "window"
                            else self.call(self.live(), "window", "ready", {}))
            else:
                reqs.append(self.req(rng.choice(["nope", "session.nope", "Ping"]), {}))
        yield Step(reqs, "random batch", batch=True)

    def rs_create(self) -> Iterator[Step]:
        rng = self.rng
        if rng.random() < 0.5 and self.real:
            name, m = rng.choice(self.real)
            prof = "real"
        else:
            prof = rng.choice(list(PROFILES))
            m = PROFILES[prof]
        slug = rng.choice([MISSING, "rnd-" + str(rng.randint(1, 999)), Raw("null")])
        obs = yield self.one(self.create(m, slug=slug, user=rng.choice([1, 2, 3, Raw('"9"')]),
                                         rs=rng.choice([MISSING, rand_object(rng)]),
                                         entry=rng.choice([MISSING, rand_object(rng)])))
        self.register(obs, prof, slug)

    def rs_close(self) -> Iterator[Step]:
        c = [s for s in self.sessions if not s.closed and not s.base]
        if not c:
            yield self.one(self.req("session.close", {"session_id": "sess-none"}))
            return
        s = self.rng.choice(c)
        yield self.one(self.req("session.close", {"session_id": s.sid}))
        s.closed = True


def _txt(v: Any) -> str:
    if isinstance(v, Raw):
        return v.text
    if isinstance(v, str):
        return v
    if v is MISSING:
        return "<absent>"
    return jsonraw.enc(v)


def _decode(v: Any) -> Any:
    if isinstance(v, Raw):
        return json.loads(v.text)
    return json.loads(jsonraw.enc(v))
