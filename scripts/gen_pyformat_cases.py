#!/usr/bin/env python3
"""Generate tests/fixtures/pyformat_cases.json from CPython 3.11 itself.

Language-neutral vectors for the places where Python formatting leaks
onto the wire (11-json-compat.md): float repr, json.dumps in its four
configurations, str()/repr() of decoded JSON, int() of JSON values,
str.strip(), and the storage etag (BLAKE2b-8 over sorted JSON).
Run: python3 scripts/gen_pyformat_cases.py > tests/fixtures/pyformat_cases.json
"""
import hashlib, json, random, struct, sys

assert sys.version_info[:2] == (3, 11)
rng = random.Random(20261121)

def dumps(v, **kw):
    return json.dumps(v, **kw)

# -- floats: special values, decades, random bit patterns, random decimals
floats = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1e16, 1e15, 1e-4, 1e-5, 9.999999999999999e15,
          1e22, 1e21, 5e-324, 1.7976931348623157e308, 2.2250738585072014e-308,
          0.30000000000000004, 123456789.123456789, 100.0, 12345678901234567890.0,
          1.5e300, -1e-7, 3.14159, float(2**53), float(2**53 + 2), float(2**63), float(2**64), 0.1 + 0.2, 1/3]
for e in range(-330, 310):
    floats.append(float(f"1e{e}"))
    floats.append(float(f"9.87654321e{e}"))
for _ in range(20000):
    bits = rng.getrandbits(64)
    f = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if f == f and f not in (float("inf"), float("-inf")):
        floats.append(f)
for _ in range(5000):
    floats.append(round(rng.uniform(-1e6, 1e6), rng.randint(0, 12)))
float_cases = [{"bits": struct.unpack("<Q", struct.pack("<d", f))[0], "repr": repr(f)} for f in floats]

# -- values for str()/repr()/json encodings/etag/size
strings = ["", "a", "é", "😀", "日本語", "\u2028", "it's", 'say "hi"', "both ' \"", "tab\tnl\ncr\r",
           "\x00\x01\x1f\x7f", "\xa0\u200b\ufeff", "\U000e0001", "back\\slash", "\x08\x0c",
           "e\u0301", "\ud800", "a\udfffb", "\uffff", "\u0085\u00ad", "ascii only", "/<>&"]
values = [None, True, False, 0, 1, -1, 2**70, -(2**70), 123456789012345678901234567890,
          1.0, 0.5, 1e16, 1e-5, -0.0, float("nan"), float("inf"), float("-inf"), 100.0,
          [], {}, [1, 2, 3], [1, 2.5, None], {"b": 1, "a": 2}, {"k": "é"},
          {"z": 1, "a": [True, False]}, {"a": {"d": 1, "c": [1, {"z": 0, "y": 1}]}},
          {"é": 1, "e": 2, "z": 3, "Z": 4, "😀": 5, "～": 6},
          [[[]]], {"nested": {"list": [1, "x", {"y": None}]}}] + strings
value_cases = []
for v in values:
    text = dumps(v)  # our parser reads Python's own output (NaN, lone surrogates)
    sorted_text = dumps(v, sort_keys=True)
    value_cases.append({
        "json": text,
        "py_default": text,
        "py_sorted": sorted_text,
        "py_compact_sorted": dumps(v, sort_keys=True, separators=(",", ":")),
        "str": str(v) if not isinstance(v, str) else v,
        "repr": repr(v),
        "etag": 'W/"1-' + hashlib.blake2b(sorted_text.encode("utf-8"), digest_size=8).hexdigest() + '"',
        "size_bytes": len(text.encode("utf-8")),
    })
    unescaped = dumps(v, ensure_ascii=False)
    try:
        unescaped.encode("utf-8")   # lone surrogates cannot be written (errata U-1/U-2)
        value_cases[-1]["py_unescaped"] = unescaped
    except UnicodeEncodeError:
        pass

# -- int()
int_inputs = [0, 5, -5, 2**70, True, False, 2.9, -2.9, 1e20, 1.5e300, float("nan"), float("inf"),
              float("-inf"), "12", " 12 ", "+3", "-0", "007", "1_000", "1__0", "_1", "1_", "",
              "  ", "12.0", "0x10", "١٢", "１２", "\u3000 5\u3000", "\x1c5", "5\x1f", "1e3", "abc",
              "- 5", "+_1", None, [1], {"a": 1}, "9" * 30]
int_cases = []
for v in int_inputs:
    try:
        r = int(v)
        int_cases.append({"json": dumps(v), "ok": str(r)})
    except ValueError as e:
        int_cases.append({"json": dumps(v), "error": "ValueError", "message": str(e)})
    except OverflowError as e:
        int_cases.append({"json": dumps(v), "error": "OverflowError", "message": str(e)})
    except TypeError as e:
        int_cases.append({"json": dumps(v), "error": "TypeError", "message": str(e)})

strip_cases = [{"json": dumps(s), "strip": dumps(s.strip())} for s in
               ["  a  ", "\u3000x\u2028", "\x1c\x1dy\x1e\x1f", "\u200bz\u200b", "\ufeffw", "\u0085v\u00a0",
                "\t\n\r\x0b\x0c u", "", "   "]]

# -- tools.listJobs `since`: datetime.fromisoformat(s.replace("Z", "+00:00"))
from datetime import datetime
since_inputs = ["2026-11-21", "20261121", "2026-W47", "2026W47", "2026-W47-6", "2026W476",
                "2026-11-21T22:40:58", "2026-11-21T22:40:58Z", "2026-11-21T22:40:58.276530Z",
                "2026-11-21 22:40", "2026-11-21T2240", "2026-11-21T22", "2026-11-21T22:40:58,5",
                "2026-11-21T22:40:58.1234567", "2026-11-21T22:40:58+05:00", "2026-11-21T22:40:58-0130",
                "2026-02-29", "2024-02-29", "2026-13-01", "2026-11-21T24:00", "2026-11-21x", "2026-1121",
                "202611-21", "2026-11-21T22:40:5", "2026-11-21T22:40:58.", "2026-11-21T22:40:58Z+01",
                "2026-11-21é22:40", "2020-W53", "2021-W53", "0000-01-01", "2026-W00", "2026-11-21T22:40:58.12a",
                "2026", "2026-11", "2026-11-21T", "2026-11-21T22:40:58+24:00", "2026-11-21T22:40:58+1",
                "2026-11-21TZ", "2026-11-21T22:40:58.000001+00:00:30", "2026-11-21T22:61", "2026-11-21T22:40:60"]
chars = "0123456789-:T.,+ZW "
for _ in range(3000):
    base = rng.choice(since_inputs)
    s = list(base)
    for _ in range(rng.randint(1, 3)):
        op = rng.randint(0, 2)
        i = rng.randint(0, max(0, len(s) - 1))
        if op == 0 and s: s[i] = rng.choice(chars)
        elif op == 1: s.insert(i, rng.choice(chars))
        elif s: del s[i]
    since_inputs.append("".join(s))
since_cases = []
for v in since_inputs:
    try:
        d = datetime.fromisoformat(v.replace("Z", "+00:00")).replace(tzinfo=None)
        since_cases.append({"since": v, "parsed": d.isoformat()})
    except ValueError:
        since_cases.append({"since": v, "parsed": None})

json.dump({"floats": float_cases, "since": since_cases, "values": value_cases, "ints": int_cases, "strip": strip_cases},
          sys.stdout, ensure_ascii=True, indent=0)
sys.stdout.write("\n")
