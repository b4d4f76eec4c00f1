"""Pools of tricky JSON values (as input text) and a seeded random value maker."""

from __future__ import annotations

import random
from typing import Any

from jsonraw import Obj, Raw, big_int, nested_array

# Numbers exactly as written on the wire (the spelling matters).
NUMBERS = [
    "0", "-0", "1", "-1", "7", "1.0", "1.50", "0.1e1", "1e2", "1E2", "1e16", "1e-5", "0.00001",
    "1E-7", "-0.0", "0.0", "1e400", "-1e400", "NaN", "Infinity", "-Infinity",
    "123456789012345678901234567890", "-123456789012345678901234567890", "9007199254740993",
    "0.30000000000000004", "123456789.123456789", "5e-324", "1.7976931348623157e308", "1e22",
    "1e15", "1000000000000000.0", "1.5e300", "2.9", "-2.9", "100.0", "3.14", "0.0001",
    "1.2345678901234568e+17", "18446744073709551616", "-9223372036854775809", "4.35",
    "2.675", "1e-07", "12345678901234567.0",
]

# Strings as JSON text (escapes included on purpose).
STRINGS = [
    '""', '" "', '"h\\u00e9llo"', '"héllo"', '"\\ud83d\\ude00"', '"😀"', '"日本語"',
    '"\\u2028"', '"\\u2029"', '"\\u0000\\u001f\\u007f"', '"a\\"b\\\\c\\n\\t\\r\\b\\f"',
    '"\\ud800"', '"\\udc00x"', '"x\\ud83d"', '"\\ude00"', '"it\'s"', '"say \\"hi\\""',
    '"both \' \\""', '"\\u00a0\\u200b\\ufeff"', '"\\udb40\\udc01"', '"</script>&<>"',
    '"\\u0661\\u0662"', '"\\uff11\\uff12"', '"\\u001c5\\u001f"', '" \\u3000 5\\u3000"',
    '"e\\u0301"', '"\\u00e9"', '"\\u0085"', '"\\/slash"', '"tab\\there"', '"\\u00ff\\uffff"',
    '"x"', '"None"', '"True"', '"null"', '"1_000"', '"0x10"', '"  12  "', '"-5"', '"+5"',
    '"\\u0080\\u009f"', '"\\ufffd"', '"\\ud7ff\\ue000"', '"\\u1680\\u180e"',
]

# Strings safe for outbound host calls (no lone surrogates: see 13 U-1).
SAFE_STRINGS = [s for s in STRINGS if not any(t in s for t in ("\\ud800", "\\udc00x", "x\\ud83d", '"\\ude00"'))]

KEYS = ["a", "b", "k", "key", "B", "ab", "é", "z", "😀", "～", "e\u0301", " ", "\u2028",
        "dup", "n", "s", "\u0000", "a.b", "a/b", "KEY", "k" * 50]

COMPOSITES = [
    '[]', '{}', '[1,2,3]', '[1,2.5,null]', '{"b":1,"a":2}', '{"k":"\\u00e9"}',
    '{"z":1,"a":[true,false]}', '{"a":{"d":1,"c":[1,{"z":0,"y":1}]}}',
    '{"a":1,"b":2,"a":3}', '{"dup":1,"dup":2}', '[[[[["deep"]]]]]', '{"":""}',
    '{"s":"é😀","f":1E2,"g":1e16,"h":0.00001,"n":NaN,"i":-Infinity,"z":-0,'
    '"big":123456789012345678901234567890,"dup":1,"dup":2}',
    '{"\\ud800":1}', '{"a":{"a":{"a":{"a":{}}}}}', '[{},[],"",0,false,null]',
    '{"é":1,"e":2,"z":3,"Z":4,"😀":5,"～":6}', '[NaN,Infinity,-Infinity,-0.0,1e16,1e-05]',
    '{"nested":{"list":[{"x":[1,{"y":"\\u2028"}]}]}}',
]


def rand_scalar(rng: random.Random, safe: bool = False) -> Raw:
    r = rng.random()
    if r < 0.4:
        return Raw(rng.choice(NUMBERS))
    if r < 0.85:
        return Raw(rng.choice(SAFE_STRINGS if safe else STRINGS))
    return Raw(rng.choice(["true", "false", "null"]))


def rand_value(rng: random.Random, depth: int = 0, safe: bool = False) -> Any:
    r = rng.random()
    if depth >= 3 or r < 0.5:
        return rand_scalar(rng, safe)
    if r < 0.6:
        c = rng.choice(COMPOSITES)
        if safe and "\\ud800" in c:
            c = "{}"
        return Raw(c)
    if r < 0.8:
        return [rand_value(rng, depth + 1, safe) for _ in range(rng.randint(0, 4))]
    pairs = []
    for _ in range(rng.randint(0, 4)):
        pairs.append((rng.choice(KEYS), rand_value(rng, depth + 1, safe)))
    return Obj(pairs)


def rand_object(rng: random.Random, safe: bool = False, n: int | None = None) -> Obj:
    n = rng.randint(0, 5) if n is None else n
    return Obj([(rng.choice(KEYS), rand_value(rng, 1, safe)) for _ in range(n)])


# boundary values
INT_4300 = big_int(4300)          # accepted by the reference (limit is > 4300 digits)
INT_4301 = big_int(4301)          # reference crashes -> ours-only
DEEP_OK = nested_array(900)       # well below the reference's ~980 limit
DEEP_BAD = nested_array(981)      # reference crashes -> ours-only
