"""Manifests used by the differential run: grant profiles, the 57 real
manifests of /work/shared/conformance/real-apps, and invalid mutations."""

from __future__ import annotations

import copy
import glob
import json
import os
from typing import Any

from jsonraw import Raw

REAL_APPS_DIR = os.environ.get("ANNA_DIFF_REAL_APPS", os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "..", "shared", "conformance", "real-apps"))

LIST_NS = ["chat", "artifact", "llm", "fs", "storage", "prefs", "files", "image", "video",
           "music", "audio", "upload", "apps", "web", "mobile"]

_VIEWS = [
    {"name": "main", "title": "Main", "default": True, "entry": "index.html",
     "default_size": {"w": 800, "h": 600}, "min_size": {"w": 320, "h": 240},
     "summary_template": "s", "icon": "i.png"},
    {"name": "side", "title": "Side \u00e9\U0001F600", "chrome": "vibrancy", "transparent": True,
     "max_size": {"w": 4096, "h": 4096}, "resizable": False, "single_instance": True},
]

PROFILES: dict[str, dict[str, Any]] = {
    # everything granted
    "full": {
        "schema": 2,
        "host_capabilities": ["aps.scope.user.read", "aps.scope.tool.write", "llm.sample"],
        "required_executas": [{"tool_id": "plug.tool"}, {"tool_id": "tool-x-y-z"}],
        "optional_executas": [{"tool_id": "opt__t"}, {"tool_id": "plug.tool"}],
        "ui": {
            "bundle": {"entry": "index.html"},
            "views": _VIEWS,
            "host_api": dict(
                {ns: ["*"] for ns in LIST_NS},
                tools=["required:*", "optional:*", "x.y", "a:b:c", "*"],
                credentials=["google"],
                agent={"session": {"auto": True}},
            ),
        },
    },
    # ui but nothing granted
    "none": {"ui": {"bundle": {"entry": "index.html"},
                    "views": [{"name": "solo", "title": "Solo"}]}},
    # no ui at all
    "noui": {"schema": 1, "required_executas": [{"tool_id": "a.b"}]},
    # a few specific grants (exact method names, patterns that do not match)
    "partial": {
        "schema": 2,
        "required_executas": [{"tool_id": "a.b"}, {"tool_id": "solo"}],
        "ui": {
            "bundle": {"entry": "index.html"},
            "views": [{"name": "v1", "title": "V1"}, {"name": "v2", "title": "V2", "default": True}],
            "host_api": {
                "storage": ["get", "list"], "llm": ["complete"], "apps": ["deck.list", "deck.*"],
                "mobile": ["share"], "agent": {"session": {"fixed": {}}},
                "image": ["generate", "GET"], "web": ["fetch"], "chat": ["write_message"],
                "files": ["storage.set"], "credentials": [],
            },
        },
    },
    # storage admin + wildcard storage
    "admin": {
        "host_capabilities": ["aps.scope.admin"],
        "ui": {"bundle": {"entry": "a.html"}, "views": [],
               "host_api": {"storage": ["*"], "tools": ["required:x.y"]}},
    },
    # schema 3 structured storage declaration
    "store3": {
        "schema": 3,
        "storage": {"kv": True, "scopes": {"tool": "w", "app": "r"}},
        "optional_executas": [{"tool_id": "o.p"}],
        "ui": {"bundle": {"entry": "index.html"}, "views": [{"name": "main", "title": "M"}],
               "host_api": {"storage": ["get", "set", "delete", "list"], "tools": ["optional:*"],
                            "agent": {"tools": ["x"]}}},
    },
    # agent gate closed, tools allowed by ref only
    "agentoff": {
        "ui": {"bundle": {"entry": "index.html"}, "views": [{"name": "main", "title": "M"}],
               "host_api": {"agent": {"session": {"auto": False}, "tools": ["x"]},
                            "tools": ["foo:x.y", "required:x.y"], "storage": ["set"],
                            "mobile": ["haptics", "camera_capture"]}},
    },
}


def load_real_manifests() -> list[tuple[str, Any]]:
    out = []
    for path in sorted(glob.glob(os.path.join(REAL_APPS_DIR, "*__manifest.json"))):
        with open(path, "rb") as f:
            out.append((os.path.basename(path)[: -len("__manifest.json")], json.loads(f.read())))
    return out


def invalid_manifests(real: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Invalid manifests: the -32603 message (pydantic text) must match in full."""
    base = copy.deepcopy(PROFILES["full"])
    cases: list[tuple[str, Any]] = [
        ("not-object-str", "manifest"),
        ("not-object-list", [1, 2]),
        ("not-object-int", 5),
        ("null", None),
        ("extra-root", {"bogus": 1}),
        ("extra-many", {"zzz": 1, "aaa": 2, "tags": [1], "schema": 0}),
        ("schema-4", {"schema": 4}),
        ("schema-str", {"schema": "x"}),
        ("schema-float", {"schema": 2.5}),
        ("schema-bool", {"schema": True}),
        ("schema-numstr", {"schema": "2"}),
        ("schema_", {"schema_": 1}),
        ("ui-bad-nested", {"ui": {"zz": 1, "bundle": {"entry": ""},
                                  "views": [{"name": "", "title": "", "x": 1}]}}),
        ("ui-no-bundle", {"ui": {}}),
        ("ui-not-object", {"ui": "x"}),
        ("view-chrome", {"ui": {"bundle": {"entry": "i"}, "views": [{"name": "a", "title": "A", "chrome": "neon"}]}}),
        ("view-size", {"ui": {"bundle": {"entry": "i"}, "views": [{"name": "a", "title": "A",
                                                                    "default_size": {"w": 50, "h": 5000}}]}}),
        ("view-size-extra", {"ui": {"bundle": {"entry": "i"}, "views": [{"name": "a", "title": "A",
                                                                          "min_size": {"w": 200, "h": 200, "d": 1}}]}}),
        ("view-long-name", {"ui": {"bundle": {"entry": "i"}, "views": [{"name": "n" * 41, "title": "t" * 121}]}}),
        ("view-combining", {"ui": {"bundle": {"entry": "i"}, "views": [{"name": "e\u0301" * 21, "title": "T"}]}}),
        ("form-factors", {"ui": {"bundle": {"entry": "i"}, "form_factors": ["tv", "mobile"]}}),
        ("csp", {"ui": {"bundle": {"entry": "i"}, "csp_overrides": {"a": "b"}}}),
        ("host-api-extra", {"ui": {"bundle": {"entry": "i"}, "host_api": {"nope": ["*"]}}}),
        ("host-api-type", {"ui": {"bundle": {"entry": "i"}, "host_api": {"storage": "get"}}}),
        ("agent-extra", {"ui": {"bundle": {"entry": "i"}, "host_api": {"agent": {"session": {"auto": "yes please"}, "x": 1}}}}),
        ("storage-scopes", {"schema": 3, "storage": {"scopes": {"bad": "r"}}}),
        ("storage-mode", {"schema": 3, "storage": {"scopes": {"user": "x"}}}),
        ("tags-type", {"tags": [1, None, "ok"]}),
        ("executa-empty", {"required_executas": [{"tool_id": ""}, {"tool_id": "x" * 201}, "str"]}),
        ("prompt-long", {"system_prompt_addendum": "p" * 4001}),
        ("long-input-elided", {"user_message_prefix_template": "\u00e9" * 600}),
        ("dev-type", {"dev": {"user_id": "abc", "mocks": []}}),
        ("bundle-long", {"ui": {"bundle": {"entry": "e" * 201, "format": "f" * 21}}}),
        ("nested-mess", {"ui": {"bundle": {"entry": 5}, "views": "x", "host_api": None},
                         "permissions": "p", "optional_executas": {}}),
        ("full-plus-extra", dict(base, extra_root=Raw("[1,{\"a\":NaN}]"))),
    ]
    # mutations of real manifests: one extra key, one bad type
    for i, (name, m) in enumerate(real[:12]):
        if not isinstance(m, dict):
            continue
        mm = dict(m)
        if i % 3 == 0:
            mm["unexpected_key"] = {"x": i}
        elif i % 3 == 1:
            mm["schema"] = 9
        else:
            ui = copy.deepcopy(mm.get("ui") or {"bundle": {"entry": "i"}})
            ui["views"] = [{"name": "", "title": "x", "chrome": "glass"}]
            mm["ui"] = ui
        cases.append((f"real-mutated:{name}", mm))
    return cases
