#!/usr/bin/env python3
"""Generates tests/fixtures/manifest_cases.json from the reference validator.

Run from the repository root with the oracle's interpreter:

    .venv-ref/bin/python scripts/gen_manifest_cases.py

Every case is an input JSON text plus what the reference (pydantic 2.14,
anna_app_core.AppManifest) does with it:

* valid:   "dump" = model_dump(mode="python", by_alias=True). The python mode
  is used instead of mode="json" because the json mode turns NaN/Infinity in
  the free-form `dev` values into null, hiding what the model really holds;
  every other value is identical in both modes. by_alias gives the JSON key
  `schema` instead of the attribute name `schema_`.
* invalid: "errors" = e.errors() reduced to type/loc/msg/input/ctx (a ctx
  exception is kept as its str()), and "rendered" = str(e).

The case list is deterministic (fixed seeds), so re-running the script only
changes the file when the reference or this script changes.
"""

import copy
import glob
import json
import os
import random
import re
import sys

from anna_app_core import AppManifest
from pydantic import ValidationError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REAL_APPS = os.environ.get("ANNA_REAL_APPS", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "conformance", "real-apps"))
OUT = os.path.join(ROOT, "tests", "fixtures", "manifest_cases.json")

NAN = float("nan")
INF = float("inf")
SUR = "\ud800"

cases = []
seen = set()


def to_text(obj, ascii_only=False):
    try:
        return json.dumps(obj, ensure_ascii=ascii_only, allow_nan=True)
    except UnicodeEncodeError:
        return json.dumps(obj, ensure_ascii=True, allow_nan=True)


def has_surrogate(text):
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def plain_ctx(ctx):
    if ctx is None:
        return None
    return {k: (str(v) if isinstance(v, Exception) else v) for k, v in ctx.items()}


def add(name, obj=None, text=None):
    if text is None:
        text = to_text(obj)
    if has_surrogate(text):
        # The input text must be valid UTF-8 on its own: escape lone surrogates.
        text = json.dumps(json.loads(text), ensure_ascii=True, allow_nan=True)
    if text in seen:
        return
    seen.add(text)
    data = json.loads(text)
    rec = {"name": name, "input": text}
    try:
        m = AppManifest.model_validate(data)
        rec["valid"] = True
        rec["dump"] = m.model_dump(mode="python", by_alias=True)
    except ValidationError as e:
        rec["valid"] = False
        rec["errors"] = [
            {
                "type": x["type"],
                "loc": list(x["loc"]),
                "msg": x["msg"],
                "input": x["input"],
                "ctx": plain_ctx(x.get("ctx")),
            }
            for x in e.errors()
        ]
        rec["rendered"] = str(e)
    cases.append(rec)


def set_path(obj, path, value):
    """Returns a deep copy of obj with value stored at path (dict keys / list
    indexes); a value of DELETE removes the key."""
    obj = copy.deepcopy(obj)
    cur = obj
    for p in path[:-1]:
        cur = cur[p]
    if value is DELETE:
        del cur[path[-1]]
    else:
        cur[path[-1]] = value
    return obj


DELETE = object()

# --------------------------------------------------------------------------
# Base manifests

FULL_VIEW = {
    "name": "main", "title": "Main", "default": True, "entry": "index.html",
    "mobile_entry": "m.html", "min_size": {"w": 200, "h": 300},
    "default_size": {"w": 800, "h": 600}, "max_size": {"w": 4096, "h": 4096},
    "resizable": False, "movable": True, "single_instance": True,
    "summary_template": "{count} items", "icon": "icon.png", "chrome": "vibrancy",
    "transparent": True,
}
HOST_API_LISTS = ["tools", "chat", "artifact", "llm", "fs", "storage", "prefs", "window",
                  "files", "image", "video", "music", "audio", "upload", "apps",
                  "credentials", "web", "mobile"]
FULL = {
    "schema": 2,
    "permissions": ["storage"],
    "host_capabilities": ["aps.kv"],
    "storage": {"kv": True, "files": False, "scopes": {"user": "r", "app": "rw"}},
    "required_executas": [{"tool_id": "t1", "min_version": "1.0", "version": "latest"}],
    "optional_executas": [{"tool_id": "t2"}],
    "system_prompt_addendum": "Be nice.",
    "user_message_prefix_template": "[{app}]",
    "tags": ["x"],
    "ui": {
        "bundle": {"format": "static-spa", "entry": "index.html", "external_origins": ["https://a"]},
        "views": [FULL_VIEW, {"name": "side", "title": "Side"}],
        "host_api": {
            "tools": ["required:*"], "chat": ["write_message"], "window": ["close", "*"],
            "agent": {"session": {"auto": True, "fixed": {"client_ids": ["c1"]}}, "tools": ["t"]},
            "storage": ["get", "set"], "web": ["*"],
        },
        "csp_overrides": {"connect-src": ["https://a", "https://b"]},
        "state_merge": "last_writer_wins",
        "form_factors": ["desktop", "mobile"],
    },
    "dev": {"fixtures": ["f/*.jsonl"], "mocks": {"llm.complete": {"text": "hi"}},
            "seed_storage": {"k": [1, 2.5, None]}, "user_id": 7, "extra_key": {"z": 1}},
}

# Minimal skeletons that make a given path reachable.
SKEL_UI = {"ui": {"bundle": {"entry": "e"}}}
SKEL_VIEW = {"ui": {"bundle": {"entry": "e"}, "views": [{"name": "n", "title": "t"}]}}
SKEL_SIZE = {"ui": {"bundle": {"entry": "e"}, "views": [{"name": "n", "title": "t", "min_size": {"w": 200, "h": 200}}]}}
SKEL_HOST = {"ui": {"bundle": {"entry": "e"}, "host_api": {}}}
SKEL_AGENT = {"ui": {"bundle": {"entry": "e"}, "host_api": {"agent": {}}}}
SKEL_SESSION = {"ui": {"bundle": {"entry": "e"}, "host_api": {"agent": {"session": {}}}}}
SKEL_FIXED = {"ui": {"bundle": {"entry": "e"}, "host_api": {"agent": {"session": {"fixed": {}}}}}}
SKEL_STORAGE = {"storage": {}}
SKEL_REQ = {"required_executas": [{"tool_id": "t"}]}
SKEL_OPT = {"optional_executas": [{"tool_id": "t"}]}
SKEL_DEV = {"dev": {}}

# (skeleton, path, kind, extra) for every declared field.
FIELDS = [
    ({}, ("schema",), "int", (1, 3)),
    ({}, ("permissions",), "strlist", None),
    ({}, ("host_capabilities",), "strlist", None),
    ({}, ("storage",), "model?", "StorageManifestSection"),
    ({}, ("required_executas",), "modellist", "ManifestExecutaRef"),
    ({}, ("optional_executas",), "modellist", "ManifestExecutaRef"),
    ({}, ("system_prompt_addendum",), "str?", (0, 4000)),
    ({}, ("user_message_prefix_template",), "str?", (0, 500)),
    ({}, ("tags",), "strlist", None),
    ({}, ("ui",), "model?", "UiManifestSection"),
    ({}, ("dev",), "model?", "AppDevConfig"),
    (SKEL_REQ, ("required_executas", 0, "tool_id"), "str", (1, 200)),
    (SKEL_REQ, ("required_executas", 0, "min_version"), "str?", (0, 40)),
    (SKEL_OPT, ("optional_executas", 0, "version"), "str?", (0, 40)),
    (SKEL_UI, ("ui", "bundle"), "model", "UiBundleSection"),
    (SKEL_UI, ("ui", "views"), "modellist", "UiViewSpec"),
    (SKEL_UI, ("ui", "host_api"), "model", "UiHostApiSpec"),
    (SKEL_UI, ("ui", "csp_overrides"), "dictlist", None),
    (SKEL_UI, ("ui", "state_merge"), "str", (0, 20)),
    (SKEL_UI, ("ui", "form_factors"), "litlist", None),
    (SKEL_UI, ("ui", "bundle", "format"), "str", (0, 20)),
    (SKEL_UI, ("ui", "bundle", "entry"), "str", (1, 200)),
    (SKEL_UI, ("ui", "bundle", "external_origins"), "strlist", None),
    (SKEL_VIEW, ("ui", "views", 0, "name"), "str", (1, 40)),
    (SKEL_VIEW, ("ui", "views", 0, "title"), "str", (1, 120)),
    (SKEL_VIEW, ("ui", "views", 0, "default"), "bool", None),
    (SKEL_VIEW, ("ui", "views", 0, "entry"), "str?", (0, 300)),
    (SKEL_VIEW, ("ui", "views", 0, "mobile_entry"), "str?", (0, 300)),
    (SKEL_VIEW, ("ui", "views", 0, "min_size"), "model?", "UiSize"),
    (SKEL_VIEW, ("ui", "views", 0, "default_size"), "model?", "UiSize"),
    (SKEL_VIEW, ("ui", "views", 0, "max_size"), "model?", "UiSize"),
    (SKEL_VIEW, ("ui", "views", 0, "resizable"), "bool", None),
    (SKEL_VIEW, ("ui", "views", 0, "movable"), "bool", None),
    (SKEL_VIEW, ("ui", "views", 0, "single_instance"), "bool", None),
    (SKEL_VIEW, ("ui", "views", 0, "summary_template"), "str?", (0, 400)),
    (SKEL_VIEW, ("ui", "views", 0, "icon"), "str?", (0, 200)),
    (SKEL_VIEW, ("ui", "views", 0, "chrome"), "lit", None),
    (SKEL_VIEW, ("ui", "views", 0, "transparent"), "bool", None),
    (SKEL_SIZE, ("ui", "views", 0, "min_size", "w"), "int", (120, 4096)),
    (SKEL_SIZE, ("ui", "views", 0, "min_size", "h"), "int", (120, 4096)),
    (SKEL_HOST, ("ui", "host_api", "agent"), "model", "AgentHostApiSpec"),
    (SKEL_AGENT, ("ui", "host_api", "agent", "session"), "model", "AgentSessionSubmodeSpec"),
    (SKEL_AGENT, ("ui", "host_api", "agent", "tools"), "strlist", None),
    (SKEL_SESSION, ("ui", "host_api", "agent", "session", "auto"), "bool", None),
    (SKEL_SESSION, ("ui", "host_api", "agent", "session", "fixed"), "model?", "AgentFixedSubmodeSpec"),
    (SKEL_FIXED, ("ui", "host_api", "agent", "session", "fixed", "client_ids"), "strlist", None),
    (SKEL_STORAGE, ("storage", "kv"), "bool", None),
    (SKEL_STORAGE, ("storage", "files"), "bool", None),
    (SKEL_STORAGE, ("storage", "scopes"), "dictstr", None),
    (SKEL_DEV, ("dev", "fixtures"), "strlist?", None),
    (SKEL_DEV, ("dev", "mocks"), "dictany?", None),
    (SKEL_DEV, ("dev", "seed_storage"), "dictany?", None),
    (SKEL_DEV, ("dev", "user_id"), "int?", None),
] + [(SKEL_HOST, ("ui", "host_api", ns), "strlist", None) for ns in HOST_API_LISTS]

GENERIC_VALUES = [
    None, True, False, 0, 1, 2, -1, 1.5, 2.0, -0.0, NAN, INF, -INF, 10 ** 30, 2 ** 63,
    "", "x", "2", "true", "desktop", [], ["x"], [1], [None, "a"], {}, {"a": 1},
    {"w": 200, "h": 200}, "x" * 60,
]


def pathname(path):
    return ".".join(str(p) for p in path)


def field_cases():
    for skel, path, kind, extra in FIELDS:
        base = skel
        for v in GENERIC_VALUES:
            add(f"field {pathname(path)} = {to_text(v)[:30]}", set_path(base, path, v))
        if path[-1] in (base_keys(base, path)):
            add(f"field {pathname(path)} deleted", set_path(base, path, DELETE))


def base_keys(base, path):
    cur = base
    for p in path[:-1]:
        cur = cur[p]
    return list(cur.keys()) if isinstance(cur, dict) else []


# --------------------------------------------------------------------------
# Coercion tables

INT_STRINGS = [
    "1", "+1", "-1", " 1 ", "\u30001\u3000", "\x1c1", "1\x1f", "\x0b1", "\x851", "\u200b1",
    "\ufeff1", "1_0", "1__0", "_1", "1_", "1.0", "1.00", "1.", "1.0_0", "1_0.0", "1.0e0",
    "+", "-", "", " ", "0x1", "\u0662", "\uff13", "1e0", "1.5", "+-1", "--1", "-+1", "-0",
    "-0.0", "00", "0_0", "1 0", "1\t0", " +1", "+ 1", ".0", "0.", "1.0.0", "1._0", "1,0",
    "1\n", "\n1\n", "1\x00", "0-1", "00-1", "0__09", "0_-1", "0-_1", "-_1", "+_1", "0_",
    "0__", "0_.0", "00.00", "+0-1", "-0-1", "0-01", "+00", "-00", "2.000", "120.000",
    "02", "NaN", "Infinity", "inf", "1E2", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "-9223372036854775809", "123456789012345678901234567890",
    "1_2_3_4_5_6_7_8_9_0_1_2_3_4_5_6_7_8_9_0", "0" * 30 + "7", "-" + "0" * 30 + "7.00",
    "4_096", "4096.0", "119.000", " 3 ", "3\u2028", "\u00a03", "\u20053", "\u180e3", "3\u205f",
]


def random_int_strings(n, seed):
    rnd = random.Random(seed)
    alpha = list("0019_.+- e") + ["\u3000", "\x1c", "\x85", "x", "\t"]
    out = []
    while len(out) < n:
        s = "".join(rnd.choice(alpha) for _ in range(rnd.randint(1, 7)))
        out.append(s)
    return out


def big_int_strings():
    n = "1" * 4300
    out = []
    for pre in ["", "-", " ", "0_"]:
        for mid in [n, n + "1", "0" * 4301]:
            for suf in ["", "x", ".0", "_1"]:
                out.append(pre + mid + suf)
    out.append("1_" * 2150 + "1")
    out.append("1_" * 2149 + "1")
    out.append("\u00e9" * 2151)
    return out


BOOL_VALUES = [
    True, False, 0, 1, 2, -1, 10 ** 30, 2 ** 63, -(2 ** 63) - 1, 0.0, -0.0, 1.0, 2.0, -1.0, 1.5,
    1e300, 9.2e18, NAN, INF, -INF, "true", "TRUE", "True", "tRuE", "yes", "YES", "Y", "y",
    "on", "ON", "oFf", "off", "f", "F", "t", "T", "n", "N", "no", "No", "false", "FALSE",
    "1", "0", " 1", "1 ", "", "00", "01", "1.0", "yes\n", "truee", "\uff54rue", "\u212a",
    "\u0131", None, [], [True], {}, {"a": 1},
]

INT_VALUES = [
    True, False, 0, 1, 2, 3, 4, -1, 119, 120, 4096, 4097, 1.0, 2.0, 3.0, 0.5, 2.5, -0.0,
    120.0, 4096.0, 4097.0, 119.0, 120.5, 1e-300, NAN, INF, -INF, 9.2e18, 9.223372036854775e18,
    9.223372036854776e18, -9.223372036854776e18, -9.223372036854775e18, 1e300, -1e300, 1e16,
    2 ** 63 - 1, -(2 ** 63), 2 ** 63, -(2 ** 63) - 1, 2 ** 64, 10 ** 30, -(10 ** 30), 10 ** 4299,
    -(10 ** 4299), None, [], [1], {}, {"a": 1},
]


def coercion_cases():
    for s in INT_STRINGS + random_int_strings(140, 7):
        add(f"int str dev.user_id {s!r}"[:80], {"dev": {"user_id": s}})
    for s in INT_STRINGS[:60]:
        add(f"int str schema {s!r}"[:80], {"schema": s})
    for s in ["120", "4096", "119", "4097", " 200 ", "200.0", "2_00", "0200", "1e3", "4_0_9_6"]:
        add(f"int str w {s!r}", set_path(SKEL_SIZE, ("ui", "views", 0, "min_size", "w"), s))
    for s in big_int_strings():
        add(f"big int str len {len(s)}", {"dev": {"user_id": s}})
    for s in big_int_strings()[:4]:
        add(f"big int str schema len {len(s)}", {"schema": s})
    for v in INT_VALUES:
        add(f"int schema {to_text(v)[:30]}", {"schema": v})
        add(f"int user_id {to_text(v)[:30]}", {"dev": {"user_id": v}})
        add(f"int w {to_text(v)[:30]}", set_path(SKEL_SIZE, ("ui", "views", 0, "min_size", "w"), v))
    for v in BOOL_VALUES:
        add(f"bool default {to_text(v)[:30]}", set_path(SKEL_VIEW, ("ui", "views", 0, "default"), v))
        add(f"bool kv {to_text(v)[:30]}", {"storage": {"kv": v}})
    for v in ["solid", "vibrancy", "Solid", "VIBRANCY", " solid", "solid ", "", "x", SUR, None, 1, True, ["solid"]]:
        add(f"chrome {to_text(v)}", set_path(SKEL_VIEW, ("ui", "views", 0, "chrome"), v))
    for v in [[], ["mobile", "mobile"], ["desktop", "mobile"], ["Desktop"], ["desktop", 1, None, "x"],
              "desktop", None, [SUR], [["desktop"]], ["mobile", "desktop", "tablet"]]:
        add(f"form_factors {to_text(v)}", set_path(SKEL_UI, ("ui", "form_factors"), v))


# --------------------------------------------------------------------------
# String lengths in code points

STR_FIELDS = [(s, p, e) for (s, p, k, e) in FIELDS if k in ("str", "str?")]
UNITS = [("ascii", "a"), ("emoji", "\U0001f600"), ("e-acute", "\u00e9"), ("combining", "e\u0301"),
         ("cjk", "\u65e5"), ("zwj", "\u200d")]


def length_cases():
    for skel, path, (lo, hi) in STR_FIELDS:
        for uname, unit in (UNITS if hi <= 500 else UNITS[:2]):
            width = len(unit)
            for n in sorted({max(lo - 1, 0), lo, hi, hi + 1}):
                if n == 0 and unit != "a":
                    continue
                count = -(-n // width)
                s = (unit * count)[:n] if width == 1 else unit * count
                add(f"len {pathname(path)} {uname} {len(s)}", set_path(skel, path, s))
        add(f"len {pathname(path)} surrogate", set_path(skel, path, SUR))
        add(f"len {pathname(path)} nul", set_path(skel, path, "\x00"))
    add("name whitespace", set_path(SKEL_VIEW, ("ui", "views", 0, "name"), " "))
    add("name nul", set_path(SKEL_VIEW, ("ui", "views", 0, "name"), "\u0000"))
    add("name 40 emoji", set_path(SKEL_VIEW, ("ui", "views", 0, "name"), "\U0001f600" * 40))
    add("name 21 combining pairs", set_path(SKEL_VIEW, ("ui", "views", 0, "name"), "e\u0301" * 21))
    add("name 20 combining pairs", set_path(SKEL_VIEW, ("ui", "views", 0, "name"), "e\u0301" * 20))
    add("prompt 4001 emoji", {"system_prompt_addendum": "\U0001f600" * 4001})
    add("prompt 4000 emoji", {"system_prompt_addendum": "\U0001f600" * 4000})
    add("unconstrained surrogates", {"tags": [SUR, "a" + SUR], "permissions": ["\udfff"],
                                     "host_capabilities": [SUR]})


# --------------------------------------------------------------------------
# Extra keys, surrogate keys, loc rendering

MODEL_LEVELS = [
    ({}, ()),
    (SKEL_STORAGE, ("storage",)),
    (SKEL_UI, ("ui",)),
    (SKEL_UI, ("ui", "bundle")),
    (SKEL_VIEW, ("ui", "views", 0)),
    (SKEL_SIZE, ("ui", "views", 0, "min_size")),
    (SKEL_HOST, ("ui", "host_api")),
    (SKEL_AGENT, ("ui", "host_api", "agent")),
    (SKEL_SESSION, ("ui", "host_api", "agent", "session")),
    (SKEL_FIXED, ("ui", "host_api", "agent", "session", "fixed")),
    (SKEL_REQ, ("required_executas", 0)),
    (SKEL_OPT, ("optional_executas", 0)),
    (SKEL_DEV, ("dev",)),
]


def get_path(obj, path):
    for p in path:
        obj = obj[p]
    return obj


def with_keys(skel, path, extra, front=False):
    obj = copy.deepcopy(skel)
    target = get_path(obj, path)
    if front:
        items = list(target.items())
        target.clear()
        target.update(extra)
        target.update(items)
    else:
        target.update(extra)
    return obj


def extra_cases():
    for skel, path in MODEL_LEVELS:
        p = pathname(path) or "root"
        add(f"extra {p} one", with_keys(skel, path, {"zz_extra": 1}))
        add(f"extra {p} several", with_keys(skel, path, {"zz": [1, 2], "aa": None, "mm": {"k": "v"}}, front=True))
        add(f"extra {p} surrogate key", with_keys(skel, path, {SUR: 1}))
        add(f"extra {p} surrogate key + extras", with_keys(skel, path, {"b": 1, "a" + SUR: 2, "\udc00": 3}, front=True))
        add(f"extra {p} dotted key", with_keys(skel, path, {"a.b": 1, "": 2, "`": 3}))
        add(f"extra {p} long value", with_keys(skel, path, {"long": "y" * 80}))
    add("root schema_", {"schema_": 2})
    add("root schema_ and schema", {"schema": 2, "schema_": 2})
    add("executa ref extras ignored", {"required_executas": [{"tool_id": "x", "foo": 1, "bar": [None]}]})
    add("dev extras kept", {"dev": {"zzz": 1, "user_id": "5", "aaa": [NAN, INF], "fixtures": None}})
    add("dev extras names", {"dev": {"_x": 1, "__y": 2, "model_config": 3, "schema": 4}})
    add("dev nan mocks", {"dev": {"mocks": {"a": NAN, "b": -INF, "c": 1e16, "d": 10 ** 30}, "seed_storage": {}}})
    add("dev surrogate values", {"dev": {"fixtures": [SUR], "mocks": {SUR: SUR}, "seed_storage": {"a": SUR}}})
    add("surrogate key in list item model", {"ui": {"bundle": {"entry": "x"}, "views": [{SUR: 1}, {"name": ""}]}})
    add("surrogate key hides field errors", {"ui": {"bundle": {"entry": ""}, "zz": 1, SUR: 2, "views": [{"name": ""}]}, "schema": 0})
    for k in [".", "a.b", "`", "a`.b", "", "a\nb", "1", "0", "\u00e9.\U0001f600", "a" + SUR + "b", SUR, "\udfff.", "x" * 70 + ".y",
              "[key]", " ", "a'b", "\\"]:
        add(f"loc key {k!r}", set_path(SKEL_UI, ("ui", "csp_overrides"), {k: 1, "ok": [1]}))
        add(f"scopes key {k!r}", {"storage": {"scopes": {k: 1}}})


# --------------------------------------------------------------------------
# storage.scopes validator

def storage_cases():
    vals = [
        {}, {"user": "r"}, {"user": "w", "app": "rw", "tool": "r"}, {"admin": "rw"},
        {"user": "wr"}, {"user": "R"}, {"user": ""}, {"user": " r"}, {"User": "r"},
        {"user": "rw", "admin": "x"}, {"user": "x", "admin": "rw"}, {"it's": "r"}, {"user": "it's"},
        {"user": "it's \"x\""}, {"say \"hi\"": "r"}, {"both ' \"": "r"}, {"\u00e9": "r"},
        {"user": "\u2028"}, {"\x00": "r"}, {SUR: "r"}, {"user": SUR}, {"user": 1}, {"user": None},
        {"user": ["r"]}, {"user": "r", "app": 1}, {"admin": "rw", "user": 1},
        {"x" * 100: "r"}, {"user": "y" * 100}, {"a.b": "r"}, {"user": "r", "app": "w", "x": "r"},
    ]
    for v in vals:
        add(f"scopes {to_text(v)[:40]}", {"storage": {"scopes": v}})
    add("scopes with kv error", {"storage": {"kv": "x", "scopes": {"admin": "rw"}, "zz": 1}})
    add("scopes null", {"storage": {"scopes": None}})
    add("storage empty", {"storage": {}})
    add("storage null", {"storage": None})
    add("schema 3 legacy", {"schema": 3, "permissions": ["x"]})
    add("schema 3 both", {"schema": 3, "host_capabilities": ["aps.kv"], "storage": {"kv": True}})


# --------------------------------------------------------------------------
# Spec examples (02-manifest.md §10 and inline examples)

def spec_cases():
    add("spec {}", {})
    for s in ["2", " 2 ", "2.00"]:
        add(f"spec schema {s!r}", {"schema": s})
    add("spec schema 2.0", {"schema": 2.0})
    add("spec schema true", {"schema": True})
    add("spec schema false", {"schema": False})
    add("spec schema 0", {"schema": 0})
    add("spec schema 4", {"schema": 4})
    add("spec schema 2.5", {"schema": 2.5})
    add("spec schema 1_0", {"schema": "1_0"})
    add("spec schema_", {"schema_": 2})
    add("spec permissions x", {"permissions": "x"})
    add("spec permissions null", {"permissions": None})
    add("spec tags null item", {"tags": ["a", None]})
    add("spec executa {}", {"required_executas": [{}]})
    add("spec executa str", {"required_executas": ["x"]})
    add("spec executa extra", {"required_executas": [{"tool_id": "x", "foo": 1}]})
    add("spec ui {}", {"ui": {}})
    add("spec ui bundle {}", {"ui": {"bundle": {}}})
    add("spec ui host_api null", {"ui": {"bundle": {"entry": "a"}, "host_api": None}})
    add("spec format null", {"ui": {"bundle": {"entry": "a", "format": None}}})
    add("spec min_size 100", set_path(SKEL_VIEW, ("ui", "views", 0, "min_size"), {"w": 100, "h": 200}))
    add("spec min_size strings", set_path(SKEL_VIEW, ("ui", "views", 0, "min_size"), {"w": "200", "h": "300"}))
    add("spec default yes", set_path(SKEL_VIEW, ("ui", "views", 0, "default"), "yes"))
    add("spec default 2", set_path(SKEL_VIEW, ("ui", "views", 0, "default"), 2))
    add("spec host_api foo", set_path(SKEL_UI, ("ui", "host_api"), {"foo": ["x"]}))
    add("spec scopes admin", {"storage": {"scopes": {"admin": "rw"}}})
    add("spec dev foo", {"dev": {"foo": 1, "user_id": "5"}})
    add("spec csp a:b", set_path(SKEL_UI, ("ui", "csp_overrides"), {"a": "b"}))
    add("spec agent list", set_path(SKEL_HOST, ("ui", "host_api", "agent"), ["x"]))
    add("spec fixed {}", set_path(SKEL_SESSION, ("ui", "host_api", "agent", "session", "fixed"), {}))
    add("spec fixed null", set_path(SKEL_SESSION, ("ui", "host_api", "agent", "session", "fixed"), None))
    add("spec host_capabilities bogus", {"host_capabilities": ["bogus"]})
    add("spec form_factors dup", set_path(SKEL_UI, ("ui", "form_factors"), ["mobile", "mobile"]))
    add("spec user_id 2**70", {"dev": {"user_id": 2 ** 70}})
    add("spec order 1", {"zzz": 1, "aaa": 2, "tags": [1], "schema": 0})
    add("spec order 2", {"ui": {"zz": 1, "bundle": {"entry": ""}, "views": [{"name": "", "title": "", "x": 1}]}})
    add("spec views dup names", {"ui": {"bundle": {"entry": "a"}, "views": [
        {"name": "a", "title": "A", "default": True}, {"name": "a", "title": "B", "default": True}]}})
    add("spec views sizes unordered", {"ui": {"bundle": {"entry": "a"}, "views": [
        {"name": "a", "title": "A", "min_size": {"w": 4000, "h": 4000}, "max_size": {"w": 120, "h": 120}}]}})
    for v in [[], "x", 1, 1.5, None, True, NAN, [1, 2], "z" * 80, [{"schema": 1}], -INF]:
        add(f"root non-object {to_text(v)[:20]}", v)
    add("full base", FULL)
    # Objects above 12 keys take the hashed lookup path of our JSON objects.
    all_host = {ns: [ns + ".m"] for ns in HOST_API_LISTS}
    all_host["agent"] = {"session": {"auto": False, "fixed": None}, "tools": []}
    add("host_api all keys", set_path(SKEL_UI, ("ui", "host_api"), all_host))
    add("host_api all keys + extras", set_path(SKEL_UI, ("ui", "host_api"), dict(all_host, zz=1, aa=[2])))
    add("host_api all keys bad", set_path(SKEL_UI, ("ui", "host_api"), {ns: 1 for ns in reversed(HOST_API_LISTS + ["agent"])}))
    many = dict(FULL)
    for i in range(15):
        many["extra%02d" % (14 - i)] = i
    add("root many extras", many)
    add("view all keys + extras", set_path(SKEL_UI, ("ui", "views"), [dict(FULL_VIEW, q=1, p=2)]))


# --------------------------------------------------------------------------
# Text-level inputs (duplicate keys, number spellings)

def text_cases():
    texts = [
        '{"schema": 0, "schema": 2}', '{"schema": 2, "schema": 0}', '{"schema": 1E0}', '{"schema": -0}',
        '{"schema": 3.0e0}', '{"schema": 0.3e1}', '{"schema": 30e-1}', '{"schema": 1.0000000000000002}',
        '{"schema": 2.9999999999999999}', '{"dev": {"user_id": 1e2}}', '{"dev": {"user_id": -1e2}}',
        '{"dev": {"user_id": 123456789012345678901234567890.0}}', '{"dev": {"user_id": 1e19}}',
        '{"dev": {"user_id": -0.0}}', '{"dev": {"user_id": 5e-324}}',
        '{"tags": ["a", "a"], "tags": ["b"]}', '{"ui": {"bundle": {"entry": "a"}, "bundle": {}}}',
        ' { "schema" : 2 } ', '{"dev": {"mocks": {"a": 1, "a": 2}}}', '{"dev": {"b": 1, "a": 2, "b": 3}}',
        '{"schema": NaN}', '{"schema": Infinity}', '{"schema": -Infinity}', '{"tags": [NaN]}',
        '{"dev": {"x": NaN, "user_id": Infinity}}', '{"ui": {"bundle": {"entry": "a"}, "views": [{"name": "a", "title": "b", "default": NaN}]}}',
        '{"schema": "\\ud83d\\ude00"}', '{"schema": "\\udc00\\ud800"}', '{"tags": ["\\ud83d"]}',
        '{"storage": {"scopes": {"user": "\\ud83d\\ude00"}}}',
    ]
    for t in texts:
        add(f"text {t[:40]}", text=t)


# --------------------------------------------------------------------------
# Truncation of long input reprs (found by experiment: > 50 UTF-8 bytes)

def truncation_cases():
    units = ["a", "\u00e9", "\U0001f600", "\u65e5", "\\", "\n", "\x00", "'", "\u200b", SUR]
    for u in units:
        for n in range(20, 60, 3):
            for pre in ["", "a"]:
                s = pre + u * n
                add(f"trunc {u!r}*{n} pre {len(pre)}", {"dev": {"user_id": s}})
        add(f"trunc tail {u!r}", {"dev": {"user_id": u * 30 + "b"}})
        add(f"trunc tail2 {u!r}", {"dev": {"user_id": u * 30 + "bb"}})
        add(f"trunc tail3 {u!r}", {"dev": {"user_id": u * 30 + "bbb"}})
    for n in range(40, 56):
        add(f"trunc ascii {n}", {"schema": "x" * n})
    add("trunc dict", {"schema": {"a": [1, 2, 3, {"b": "c" * 30}], "d": 1.5e300, "e": None, "f": True}})
    add("trunc list", {"schema": list(range(30))})
    add("trunc missing input", {"ui": {"bundle": {"entry": "x"}, "views": [{"title": "t" * 60, "icon": "i"}]}})
    add("trunc float list", {"schema": [1e16, 1e-5, 0.1, -0.0, NAN, INF, 123456789.123456789, 5e-324, 1e22]})


# --------------------------------------------------------------------------
# Real manifests and their mutations

def real_manifests():
    out = []
    for path in sorted(glob.glob(os.path.join(REAL_APPS, "*__manifest.json"))):
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
        out.append((os.path.basename(path), text))
    return out


LEAF_BAD = [None, 1, 1.5, "", "x" * 50, [], {}, True, NAN, "\U0001f600" * 41, -1, [1], {"zz": 1}]


def leaf_paths(obj, prefix=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield prefix + (k,)
            yield from leaf_paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield prefix + (i,)
            yield from leaf_paths(v, prefix + (i,))


def real_cases():
    reals = real_manifests()
    for name, text in reals:
        add(f"real {name}", text=text)
    rnd = random.Random(20261121)
    # Multi-error mutations of real manifests and of FULL: ordering across levels.
    pool = [json.loads(t) for _, t in reals] + [FULL] * 10
    for i in range(260):
        obj = copy.deepcopy(rnd.choice(pool))
        for _ in range(rnd.randint(1, 6)):
            paths = list(leaf_paths(obj))
            if not paths:
                break
            p = rnd.choice(paths)
            r = rnd.random()
            try:
                if r < 0.6:
                    obj = set_path(obj, p, rnd.choice(LEAF_BAD + GENERIC_VALUES))
                elif r < 0.8:
                    parent = get_path(obj, p[:-1])
                    if isinstance(parent, dict):
                        items = list(parent.items())
                        pos = rnd.randint(0, len(items))
                        items.insert(pos, (rnd.choice(["zz", "aa", "extra", "schema_", "x.y"]) + str(i), rnd.choice([1, None, "v"])))
                        parent.clear()
                        parent.update(items)
                else:
                    parent = get_path(obj, p[:-1])
                    if isinstance(parent, dict):
                        del parent[p[-1]]
            except (KeyError, IndexError, TypeError):
                pass
        add(f"mutation {i}", obj)


def main():
    spec_cases()
    real_cases()
    field_cases()
    coercion_cases()
    length_cases()
    extra_cases()
    storage_cases()
    text_cases()
    truncation_cases()
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    doc = {
        "generator": "scripts/gen_manifest_cases.py",
        "reference": "anna_app_core 0.26.1 / pydantic 2.14",
        "cases": cases,
    }
    text = json.dumps(doc, ensure_ascii=False, allow_nan=True, indent=None, separators=(",", ":"))
    # UTF-8 keeps the file small; lone surrogates (only possible inside
    # strings) cannot be UTF-8, so they alone are written as \uXXXX escapes.
    text = re.sub("[\ud800-\udfff]", lambda m: "\\u%04x" % ord(m.group()), text)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
        f.write("\n")
    valid = sum(1 for c in cases if c["valid"])
    print(f"{len(cases)} cases ({valid} valid, {len(cases) - valid} invalid) -> {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
