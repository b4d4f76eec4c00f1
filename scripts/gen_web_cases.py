#!/usr/bin/env python3
"""Generate the local web.* test vectors (and Unicode tables) from CPython 3.11.

The keyless web.fetch / web.image_fetch of the reference is stdlib urllib,
http.client, ipaddress, re and the idna codec; their exact behaviour is the
contract (05 §12, 13-errata). Everything here runs the real stdlib code:

  python3 scripts/gen_web_cases.py > tests/fixtures/web_cases.json
  python3 scripts/gen_web_cases.py --tables Sources/AnnaRuntime/WebTables.swift

Sections of web_cases.json:
  urlsplit  URL -> SplitResult fields, username/password/hostname, port or its ValueError
  urljoin   (base, url) -> urljoin() or its ValueError
  ip        text -> ipaddress.ip_address() validity and the six properties
  idna      host -> host.encode("idna") (what socket.getaddrinfo sends) or the error
  nfkc      text -> unicodedata.ucd_3_2_0.normalize("NFKC") (nameprep's normalisation)
  validate  URL -> the reference's _validate_url outcome against a fixed fake resolver
  html      html -> _extract_text() (title, content)
  utf8      bytes -> bytes.decode("utf-8", "replace")
  headers   raw header block -> HTTPMessage.get() of a few names
  fetch     scripted fake-socket HTTP exchanges through _fetch_one_sync (fixed
            scenarios plus seeded random URLs and redirect targets)
  image     the same through local_web_image_fetch's sync body and error mapping

The fake network: socket.getaddrinfo answers numeric hosts with the real
resolver (AI_NUMERICHOST never touches DNS) and names from FAKE_DNS; socket
objects are real (so settimeout() validates) but connect/sendall/makefile
are scripted. The Swift tests install the same resolver table and script.
"""
import io, json, os, random, socket, sys, unicodedata, stringprep
import urllib.parse, ipaddress, http.client

assert sys.version_info[:2] == (3, 11), "generate with CPython 3.11 (the reference's interpreter)"

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT + "/.venv-ref/lib/python3.11/site-packages")
from anna_app_runtime_local import web_local  # noqa: E402

rng = random.Random(20261122)

# ---------------------------------------------------------------- tables ----

def ranges(pred, limit=0x110000):
    out, start = [], None
    for cp in range(limit):
        ok = pred(cp)
        if ok and start is None:
            start = cp
        elif not ok and start is not None:
            out.append((start, cp - 1)); start = None
    if start is not None:
        out.append((start, limit - 1))
    return out

def is_surrogate(cp):
    return 0xD800 <= cp <= 0xDFFF

def fmt_table(name, doc, values, per_line=16):
    """A table as a string literal of hex numbers (cheap to compile; parsed
    once at first use) plus its doc comment."""
    lines = [f"    /// {d}" for d in doc]
    body = []
    for i in range(0, len(values), per_line):
        body.append("        " + " ".join("%X" % v for v in values[i:i + per_line]))
    return ("\n".join(lines) + f"\n    static let {name}: [UInt32] = parseHex(\"\"\"\n"
            + "\n".join(body) + "\n        \"\"\")\n")

def gen_tables(path):
    ucd32 = unicodedata.ucd_3_2_0
    nfkc_delim = ranges(lambda cp: not is_surrogate(cp) and chr(cp) not in "/?#@:"
                        and any(c in unicodedata.normalize("NFKC", chr(cp)) for c in "/?#@:"))
    lower_pairs, lower_multi = [], []
    for cp in range(0x110000):
        if is_surrogate(cp):
            continue
        lo = chr(cp).lower()
        if lo != chr(cp):
            if len(lo) == 1:
                lower_pairs += [cp, ord(lo)]
            else:
                lower_multi.append((cp, lo))
    assert lower_multi == [(0x130, "i\u0307")], lower_multi
    b1 = ranges(lambda cp: not is_surrogate(cp) and stringprep.in_table_b1(chr(cp)))
    b2, nfkc = [], []
    for cp in range(0x110000):
        if is_surrogate(cp):
            continue
        m = stringprep.map_table_b2(chr(cp))
        if m != chr(cp):
            b2 += [cp, len(m)] + [ord(c) for c in m]
        if 0xAC00 <= cp <= 0xD7A3:
            continue  # Hangul syllables decompose algorithmically
        k = ucd32.normalize("NFKD", chr(cp))
        if k != chr(cp):
            nfkc += [cp, len(k)] + [ord(c) for c in k]
    ccc = []
    # CPython's ucd_3_2_0.normalize orders and blocks with the current
    # database's combining classes (_getrecord_ex), not 3.2's.
    for lo, hi in ranges(lambda cp: not is_surrogate(cp) and unicodedata.combining(chr(cp)) != 0):
        start = lo
        for cp in range(lo, hi + 2):
            if cp > hi or unicodedata.combining(chr(cp)) != unicodedata.combining(chr(start)):
                ccc += [start, cp - 1, unicodedata.combining(chr(start))]
                start = cp
    pairs = {}
    for cp in range(0x110000):
        if is_surrogate(cp) or 0xAC00 <= cp <= 0xD7A3:
            continue
        for d in (ucd32.decomposition(chr(cp)), unicodedata.decomposition(chr(cp))):
            parts = d.split()
            if len(parts) == 2 and not parts[0].startswith("<"):
                a, b = int(parts[0], 16), int(parts[1], 16)
                r = ucd32.normalize("NFC", chr(a) + chr(b))
                if len(r) == 1:
                    pairs[(a, b)] = ord(r)
    compose = [v for (a, b), c in sorted(pairs.items()) for v in (a, b, c)]
    prohibited_tests = [stringprep.in_table_c12, stringprep.in_table_c22, stringprep.in_table_c3,
                        stringprep.in_table_c4, stringprep.in_table_c5, stringprep.in_table_c6,
                        stringprep.in_table_c7, stringprep.in_table_c8, stringprep.in_table_c9]
    prohibited = ranges(lambda cp: any(t(chr(cp)) for t in prohibited_tests))
    d1 = ranges(lambda cp: not is_surrogate(cp) and stringprep.in_table_d1(chr(cp)))
    d2 = ranges(lambda cp: not is_surrogate(cp) and stringprep.in_table_d2(chr(cp)))
    flat = lambda rs: [v for r in rs for v in r]
    out = ["// Generated by scripts/gen_web_cases.py --tables from CPython %d.%d.%d" % sys.version_info[:3],
           "// (unicodedata %s; stringprep and nameprep's NFKC on Unicode 3.2). Do not edit by hand." % unicodedata.unidata_version,
           "",
           "/// Unicode facts the reference's URL and IDNA code depends on, pinned",
           "/// to CPython 3.11 (Swift's own tables are newer, or absent).",
           "enum WebTables {",
           fmt_table("nfkcDelimiterRanges", ["Inclusive ranges of code points whose NFKC form contains one of `/?#@:` (urlsplit's `_checknetloc`)."], flat(nfkc_delim)),
           fmt_table("lowerPairs", ["`str.lower()` single-code-point mappings as (from, to) pairs, sorted; U+0130 maps to two code points (handled in code)."], lower_pairs),
           fmt_table("b1Ranges", ["stringprep table B.1 (inclusive ranges): mapped to nothing by nameprep."], flat(b1)),
           fmt_table("b2Map", ["stringprep `map_table_b2` where it changes the character: from, count, to..., sorted by from."], b2),
           fmt_table("nfkd32Map", ["Unicode 3.2 NFKD of single code points where it differs (Hangul syllables excluded): from, count, to..."], nfkc),
           fmt_table("ccc32Ranges", ["Canonical combining classes as that normalisation uses them (CPython takes the current database's): (lo, hi, class), class != 0."], ccc),
           fmt_table("compose32Triples", ["Unicode 3.2 canonical compositions as CPython's NFC performs them: (first, second, composite)."], compose),
           fmt_table("prohibitedRanges", ["stringprep tables C.1.2, C.2.2 and C.3-C.9 (inclusive ranges): nameprep rejects these."], flat(prohibited)),
           fmt_table("d1Ranges", ["stringprep table D.1, RandALCat (inclusive ranges)."], flat(d1)),
           fmt_table("d2Ranges", ["stringprep table D.2, LCat (inclusive ranges)."], flat(d2)),
           "}",
           ""]
    with open(path, "w") as f:
        f.write("\n".join(out))

# -------------------------------------------------------------- fake DNS ----

FAKE_DNS = {
    "a.example": ["93.184.216.34"],
    "b.example": ["93.184.216.34", "2606:2800:220:1::1"],
    "localhost": ["127.0.0.1", "::1"],
    "rebind.example": ["8.8.8.8", "10.0.0.7"],
    "v6only.example": ["2001:4860:4860::8888"],
    "mapped.example": ["::ffff:127.0.0.1"],
    "cgnat.example": ["100.64.1.2"],
    "meta.example": ["169.254.169.254"],
    "xn--mnchen-3ya.de": ["93.184.216.35"],
}
_real_getaddrinfo = socket.getaddrinfo

def fake_getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    if isinstance(host, str):
        hb = host.encode("idna")
    else:
        hb = host
    hb = hb.split(b"\0", 1)[0]
    try:
        return _real_getaddrinfo(hb, port, family, type, proto, flags | socket.AI_NUMERICHOST)
    except socket.gaierror:
        pass
    name = hb.decode("ascii", "replace").lower()
    addrs = FAKE_DNS.get(name)
    if not addrs:
        raise socket.gaierror(-2, "Name or service not known")
    out = []
    for a in addrs:
        out += _real_getaddrinfo(a, port, family, type, proto, flags | socket.AI_NUMERICHOST)
    return out

# ---------------------------------------------------------- fake sockets ----

class Script:
    """One connection's behaviour: optional connect error, response bytes
    served in small pieces, then eof / timeout / reset."""
    def __init__(self, spec):
        self.spec = spec
        self.sent = b""

    def data(self):
        s = self.spec
        d = s.get("data", "").encode("latin-1")
        if "repeat" in s:
            ch, n = s["repeat"]
            d += bytes([ch]) * n
        return d

SCRIPTS = []
CONNECTS = []

class FakeRaw(io.RawIOBase):
    def __init__(self, script, piece):
        self.script, self.buf, self.piece = script, script.data(), piece
    def readable(self):
        return True
    def readinto(self, b):
        if not self.buf:
            end = self.script.spec.get("end", "eof")
            if end == "timeout":
                raise socket.timeout("timed out")
            if end == "reset":
                raise ConnectionResetError(104, "Connection reset by peer")
            return 0
        n = min(len(b), self.piece, len(self.buf))
        b[:n] = self.buf[:n]
        self.buf = self.buf[n:]
        return n

class FakeSocket(socket.socket):
    def connect(self, sa):
        if not SCRIPTS:
            raise ConnectionRefusedError(111, "Connection refused")
        self._script = SCRIPTS.pop(0)
        CONNECTS.append({"addr": sa[0], "port": sa[1], "script": self._script})
        err = self._script.spec.get("connect_error")
        if err == "timeout":
            raise socket.timeout("timed out")
        if err:
            raise OSError(err, os.strerror(err))
    def setsockopt(self, *a):
        pass
    def sendall(self, data, *a):
        self._script.sent += bytes(data)
    def makefile(self, mode="r", *a, **k):
        return io.BufferedReader(FakeRaw(self._script, self._script.spec.get("piece", 7)))

def run_scripted(fn, scripts):
    SCRIPTS[:] = [Script(s) for s in scripts]
    CONNECTS.clear()
    real_sock, real_gai = socket.socket, socket.getaddrinfo
    socket.socket, socket.getaddrinfo = FakeSocket, fake_getaddrinfo
    try:
        result = fn()
    finally:
        socket.socket, socket.getaddrinfo = real_sock, real_gai
    conns = [{"addr": c["addr"], "port": c["port"], "sent": c["script"].sent.decode("latin-1")} for c in CONNECTS]
    return result, conns

def image_fetch_outcome(url, max_bytes):
    """local_web_image_fetch's body plus the dispatcher's error mapping."""
    try:
        r = web_local._image_fetch_sync(url, max_bytes, 20.0)
        return {"result": json.dumps(r)}
    except web_local._SsrfBlocked as e:
        return {"error": {"code": "invalid_arg", "message": f"SSRF_BLOCKED: {e}"}}
    except ValueError as e:
        return {"error": {"code": "invalid_arg", "message": str(e)}}
    except Exception as e:  # noqa: BLE001
        return {"error": {"code": "internal", "message": f"handler crashed: {e}"}}

# ----------------------------------------------------------------- cases ----

def exc(e):
    return {"exc": type(e).__name__, "msg": str(e)}

def split_case(url):
    try:
        p = urllib.parse.urlsplit(url)
    except Exception as e:  # noqa: BLE001
        return {"url": url, "error": str(e)}
    out = {"url": url, "scheme": p.scheme, "netloc": p.netloc, "path": p.path, "query": p.query,
           "fragment": p.fragment, "username": p.username, "password": p.password, "hostname": p.hostname}
    try:
        out["port"] = p.port
    except ValueError as e:
        out["port_error"] = str(e)
    return out

URL_BASES = [
    "http://example.com/", "https://1.1.1.1:443/a?b#c", "http://user:pw@host:8080/p", "http://@1.1.1.1/",
    "http://:@1.1.1.1/", "http://user@1.1.1.1/", "http://:pw@1.1.1.1/", "http://a@b@c/", "http://[::1]/",
    "http://[::1]:8080/x", "http://[fe80::1%25eth0]/", "http://[fe80::1%ÉTH0]:80/", "http://[v1.fe]/", "http://[v1.]/",
    "http://[vz.x]/", "http://[1.2.3.4]/", "http://[::ffff:127.0.0.1]/", "http://[::1/", "http://::1]/",
    "http://[::1]]/", "http://[[::1]/", "http://[::1]x:80/", "http://[ ::1]/", "http://[]/", "http://[v]/",
    "HTTP://EXAMPLE.COM:80/", "hTTps://Ex.Com", "http://1.1.1.1:99999/", "http://1.1.1.1:abc/",
    "http://1.1.1.1:0/", "http://1.1.1.1:00080/", "http://1.1.1.1:/", "http://1.1.1.1:+80/", "http://1.1.1.1: 80/",
    "http://1.1.1.1:٨٠/", "http://1.1.1.1:80:80/", "http://1.1.1.1:65535/", "http://1.1.1.1:65536/",
    "http://1.1.1.1:0000000000000000000080/", "http://1.1.1.1:99999999999999999999999/",
    "  \x00\x1fhttp://example.com/", "ht\ttp://exa\nmple.com/pa\rth", "http://example.com/ ", " http://x/",
    "javascript:alert(1)", "ftp://x/", "file:///etc/passwd", "http:///nohost", "http://", "http:", "", "//x/y",
    "x:y", "1http://x/", "h+t-t.p://x/", "http//x/", "http:/x/", "http:\\\\x\\", "mailto:a@b",
    "http://x?y#z", "http://x#y?z", "http://x/#", "http://x/?", "http://x/;p?q#f", "http://ex℀.com/",
    "http://ex％.com/", "http://ex＠evil.com/", "http://exa：80/", "http://münchen.de/", "http://MÜNCHEN.DE/",
    "http://ΑΣ.com/", "http://İx.com/", "http://\u2100/", "http://ex\ufe6b.com/", "http://\ud800/",
    "http://a\ud800b:80/", "http://169.254.169.254/", "http://metadata.google.internal/",
    "https://metadata.goog:443/", "http://1.1.1.1\x00.evil/", "http://a b/", "http://%31.1.1.1/",
    "http://x:80@y/", "http://[::1]@evil/", "http://evil@[::1]/", "http://[::1%2]/", "HTTP://[FE80::1%25ETH]/",
    "http://example.com:080/", "http://example.com:８０/", "http://\u3000example.com/", "\u3000http://x/",
    "http://x.com./", "http://.x.com/", "http://x..com/", "http://" + "a" * 64 + ".com/",
]

def gen_urlsplit():
    urls = list(URL_BASES)
    alphabet = list("htps:/[]@%.:?#;vf0123456789abcdef") + ["::", "1.2.3.4", "ffff", "\t", " ", "é", "\u2100", "\x00"]
    for _ in range(400):
        u = rng.choice(["http://", "https://", "HTTP://", "", "//", "ftp://"])
        for _ in range(rng.randint(0, 14)):
            u += rng.choice(alphabet)
        urls.append(u)
    return [split_case(u) for u in urls]

def gen_urljoin():
    bases = ["http://a/b/c/d;p?q", "http://1.1.1.1/x/y", "https://h:8443/", "http://h", "http://h/a/b/"]
    rels = ["g", "./g", "g/", "/g", "//g", "?y", "g?y", "#s", "g#s", ";x", "g;x", "", ".", "./", "..", "../",
            "../g", "../..", "../../g", "../../../g", "/./g", "/../g", "g.", ".g", "g..", "..g", "./../g",
            "./g/.", "g/./h", "g/../h", "http:g", "https://other/x", "ftp://x/y", "javascript:x", "//[::1]/",
            "http://[::1", "//[bad]/", "http://ex℀.com/", " /g", "\t/g", "https:", "HTTP://UP/", "mailto:x",
            "//user@host:8080", "///x", "g//h", "a/b/../../..", "http:/g", "http:?x"]
    out = []
    for b in bases:
        for r in rels:
            try:
                out.append({"base": b, "url": r, "result": urllib.parse.urljoin(b, r)})
            except Exception as e:  # noqa: BLE001
                out.append({"base": b, "url": r, "error": str(e)})
    return out

def ip_case(s):
    try:
        ip = ipaddress.ip_address(s)
    except ValueError as e:
        return {"s": s, "valid": False, "error": str(e)}
    return {"s": s, "valid": True, "version": ip.version, "int": str(int(ip)),
            "private": ip.is_private, "loopback": ip.is_loopback, "link_local": ip.is_link_local,
            "multicast": ip.is_multicast, "unspecified": ip.is_unspecified, "reserved": ip.is_reserved,
            "blocked": web_local._is_private_ip(s)}

def gen_ip():
    fixed = ["127.0.0.1", "10.1.2.3", "0.0.0.0", "255.255.255.255", "1.1.1.1", "8.8.8.8", "100.64.0.1",
             "100.127.255.255", "172.15.255.255", "172.16.0.0", "172.31.255.255", "172.32.0.0", "192.0.0.7",
             "192.0.0.8", "192.0.0.170", "192.0.0.171", "192.0.0.172", "192.0.2.1", "192.168.1.1", "198.18.0.1",
             "198.20.0.1", "198.51.100.1", "203.0.113.9", "224.0.0.1", "239.255.255.255", "240.0.0.1",
             "169.254.1.1", "01.1.1.1", "1.1.1", "1.1.1.1.1", "256.1.1.1", "1.1.1.1 ", " 1.1.1.1", "1.1.1.+1",
             "1.1.1.١", "0x7f.0.0.1", "", "::", "::1", "::2", "fe80::1", "fe80::1%eth0", "fe80::1%", "fe80::1%a%b",
             "FE80::1", "fec0::1", "fc00::1", "fd12::1", "ff02::1", "2001:db8::1", "2001::1", "2001:1ff::1",
             "2001:200::1", "2001:2::1", "2001:3::1", "2001:10::1", "2001:20::1", "2606:4700::1111",
             "2001:4860:4860::8888", "100::1", "100::1:0:0:0:1", "100:0:0:1::1", "::ffff:127.0.0.1",
             "::ffff:8.8.8.8", "::ffff:100.64.0.1", "::ffff:7f00:1", "::127.0.0.1", "64:ff9b::1.1.1.1",
             "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:",
             "::1:2:3:4:5:6:7", "1:2:3:4:5:6:7::", "1::", "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4",
             "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3", "::01.2.3.4", "12345::", "::g", "::1/128", "1.1.1.1/32",
             "e000::1", "f000::1", "f800::1", "fe00::1", "fe7f::1", "febf::1", "4000::1", "3fff::1", "2000::1",
             "::ffff:0:0", "::ffff:1.1.1.1%x", "0:0:0:0:0:ffff:a00:1", "1:0::", "\ud800", "１.1.1.1"]
    out = [ip_case(s) for s in fixed]
    for _ in range(300):
        if rng.random() < 0.5:
            s = ".".join(str(rng.choice([rng.randint(0, 255), rng.choice([0, 10, 127, 169, 172, 192, 198, 203, 224, 240, 255])]))
                         for _ in range(4))
        else:
            s = str(ipaddress.IPv6Address(rng.getrandbits(128) >> rng.choice([0, 8, 16, 64, 100, 120])))
            if rng.random() < 0.3:
                s = rng.choice(["fe80", "fc00", "ff00", "2001", "2001:db8", "100", "::ffff", "fec0"]) + s[s.find(":"):] if ":" in s else s
        out.append(ip_case(s))
    return out

def idna_case(h):
    try:
        return {"host": h, "bytes": h.encode("idna").hex()}
    except Exception as e:  # noqa: BLE001
        return {"host": h, "exc": type(e).__name__, "msg": str(e)}

def gen_idna():
    hosts = ["example.com", "a..b", ".", "x" * 63, "x" * 64, "a." + "x" * 64, "x" * 64 + ".a", "example.com.",
             "münchen.de", "münchen.de.", "bücher。example", "\ud800", "a\ud800", "xn--abc", "xn--ä",
             "ä" * 60, "\u200b" + "ab", "a\u00adb", "\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "\u0627a\u0627",
             "\u0627" + "1", "\u3000x", "\ue000x", "\x80", "δοκιμή", "испытание", "例え", "테스트", "a\u0301",
             "ǅ", "ßtraße", "İstanbul", "\x00", "a\x00b", "é.", "é..x", "\ufeffx"]
    return [idna_case(h) for h in hosts]

NFKC_POOL = ([chr(c) for c in range(0x61, 0x7B)] + ["A", "Z", "\u00e9", "\u00c5", "\u00df", "\u0130", "\u03a3"]
             + [chr(c) for c in range(0x300, 0x370, 7)] + ["\u0323", "\u0307", "\u0345", "\u05b0", "\u0f71", "\u0f72", "\u1dc0"]
             + ["\uac00", "\ud4db", "\u1100", "\u1161", "\u11a8", "\u3131", "\uff21", "\uff41", "\uff0e", "\u3002"]
             + ["\ufb01", "\ufb03", "\u2460", "\u24b6", "\u2163", "\u00bd", "\u00b2", "\u2122", "\uf900", "\ufa0e"]
             + ["\ufb50", "\ufdfb", "\ufe70", "\u3000", "\u00a0", "\u2000", "\u1e9b", "\u212b", "\u2126", "\u0344"]
             + ["\u0627", "\u0644", "\u05d0", "1", "-", "\u200b", "\u00ad", "\u0301", "\u0308", "\u0627\u0644"])

def gen_nfkc():
    out = []
    for _ in range(400):
        t = "".join(rng.choice(NFKC_POOL) for _ in range(rng.randint(1, 8)))
        out.append({"s": t, "nfkc": unicodedata.ucd_3_2_0.normalize("NFKC", t)})
    return out

def gen_idna_random():
    out = []
    for _ in range(300):
        labels = ["".join(rng.choice(NFKC_POOL) for _ in range(rng.randint(1, 6))) for _ in range(rng.randint(1, 3))]
        out.append(idna_case(".".join(labels)))
    return out

def validate_case(url):
    real = socket.getaddrinfo
    socket.getaddrinfo = fake_getaddrinfo
    try:
        web_local._validate_url(url)
        out = {"ok": True}
    except web_local._SsrfBlocked as e:
        out = {"ssrf": str(e)}
    except Exception as e:  # noqa: BLE001
        out = exc(e)
    finally:
        socket.getaddrinfo = real
    return {"url": url, **out}

def gen_validate():
    urls = ["ftp://x/", "http://127.0.0.1/", "http://10.1.2.3:8080/", "http://[::1]/", "http://169.254.169.254/",
            "http://user:pw@1.2.3.4/", "http:///nohost", "https://1.1.1.1:99999/", "http://1.1.1.1:22/",
            "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://240.0.0.1/",
            "http://224.0.0.1/", "http://192.0.2.1/", "javascript:alert(1)", "", "http://metadata.google.internal/",
            "HTTP://127.0.0.1/", "http://1.1.1.1:abc/", "https://metadata.goog:443/", "http://[::]/",
            "file:///etc/passwd", "http://255.255.255.255/", "http://198.18.0.1:8443/", "https://172.16.5.4/",
            "http://192.168.1.1:8080/x?y#z", "http://1.1.1.1/", "https://8.8.8.8/", "http://1.1.1.1:0/",
            "https://1.1.1.1:0/", "http://@1.1.1.1/", "http://:@1.1.1.1/", "http://100.64.0.1/",
            "http://[2606:4700::1111]:8443/", "http://[fe80::1%25eth0]/", "http://[FE80::1%25ETH0]/",
            "http://1.1.1.1:8080/", "http://1.1.1.1:443/", "https://1.1.1.1:80/", "http://1.1.1.1:00443/",
            "http://a.example/", "http://b.example:8080/", "http://localhost/", "http://LOCALHOST:8080/",
            "http://rebind.example/", "http://v6only.example/", "http://mapped.example/", "http://cgnat.example/",
            "http://meta.example/", "http://nx.example/", "http://a..b/", "http://" + "x" * 64 + "/",
            "http://x.\ud800/", "http://münchen.de/", "http://MÜNCHEN.DE/", "http://1.2.3/", "http://0x7f.1/",
            "http://2130706433/", "http://127.1/", "http://1.1.1.1./", "http://[::1]:8080/", "http://[::1/",
            "http://ex℀.com/", "http://[1.2.3.4]/", "http://[v1.x]/", "wss://x/", "HTTPS://A.EXAMPLE:443/",
            "http://1.1.1.1\x00.evil/", "http://a.example\x00.evil/", " http://a.example/", "http://a b/",
            "http://%31.1.1.1/", "http://[::ffff:8.8.8.8]/", "http://[::ffff:100.64.0.1]/", "http://[64:ff9b::1.1.1.1]/",
            "http://[2001:db8::1]/", "http://[::1]:0/", "http://user@/", "http://@/", "http://:80/", "http://[]/",
            "http://1.1.1.1:65536/", "https://[fe80::1%ÉTH]/"]
    return [validate_case(u) for u in urls]

HTML_CASES = [
    "<html><head><title> My\n  <b>Title</b> </title></head><body><p>Hello   world</p>\n\n  <div>Second</div></body></html>",
    "", "   ", "<p></p>", "plain text", "<title></title>x", "<TITLE>Up</TITLE><SCRIPT>var a='<p>';</script>after",
    "<script>a</script><style>b</style><noscript>c</noscript><template>d</template>keep",
    "<script>never closed <p>x</p>", "<scriptx>a</script>b", "<script >a</SCRIPT >b", "<script>a</script >b</script>c",
    "<ſcript>x</script>b<SCRİPT>y</scrİpt>c<scrıpt>z</script>d", "<tİtle>t</title>x", "<title\n>a\tb</title>",
    "<title>a</title><title>b</title>", "<title>unclosed", "<a<b>c", "<>x<>", "a<br/>b<br>c", "a\t\t b  \n \n c",
    "x \u3000\n\u00a0 y", "\u2028line\u2029para\x85nel", "a\r\nb\rc\x0bd\x0ce", "<p>caf\u00e9 \U0001F600</p>",
    "<title>  \u3000 </title>body", "<!-- comment -->text<!-- x", "<div>a</div><div>b</div>", "\n\n\nx\n\n\n",
    " \t x \t ", "<style>a</style", "<template><p>t</p></template>T", "<noscript>a</noscriptx>b</noscript>c",
    "<title>a<b>c</title>", "<title><</title>", "<p>" + "w " * 50 + "</p>",
]

def gen_html():
    out = []
    for h in HTML_CASES:
        content, title = web_local._extract_text(h)
        out.append({"html": h, "title": title, "content": content})
    return out

def gen_utf8():
    vecs = [b"", b"abc", b"\xc3\xa9", b"\xff", b"\xc3", b"\xe0\x80", b"\xe1\x80", b"\xe1\x80A", b"\xed\xa0\x80",
            b"\xf0\x9f\x98\x80", b"\xf0\x9f\x98", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x80\x80", b"a\xffb\xfe",
            b"\xef\xbb\xbfx", b"\xf8\x88\x80\x80\x80", b"\xe2\x82", b"\xe2\x82\xac"]
    for _ in range(100):
        vecs.append(bytes(rng.randrange(256) for _ in range(rng.randint(1, 12))))
    return [{"hex": v.hex(), "text": v.decode("utf-8", "replace")} for v in vecs]

HEADER_BLOCKS = [
    "Content-Type: text/html\r\nLocation: /x\r\n\r\n",
    "content-type:text/plain; charset=x\r\n\r\n",
    "Content-Type:   \t text/html  \r\n\r\n",
    "Location: /a\r\nLocation: /b\r\n\r\n",
    "Location:\r\n\r\n",
    "X: 1\r\n  continued\r\nLocation: /c\r\n\tcont\r\n\r\n",
    "  leading continuation\r\nLocation: /d\r\n\r\n",
    "Bad Header: v\r\nLocation: /e\r\n\r\n",
    "From me\r\nLocation: /f\r\n\r\n",
    "Location: /g\rContent-Type: text/plain\r\n\r\n",
    ":novalue\r\nLocation: /h\r\n\r\n",
    "Location: /i\n\n",
    "Transfer-Encoding: Chunked\r\nContent-Length: 5\r\n\r\n",
    "Content-Length:  12 \r\n\r\n",
    "Location: caf\xe9\r\n\r\n",
    "LOCATION: /UP\r\n\r\n",
    "Location : /space\r\n\r\n",
    "URI: /u\r\n\r\n",
    "A: b\r\nFrom x\r\nLocation: /j\r\n\r\n",
]

def gen_headers():
    out = []
    for blk in HEADER_BLOCKS:
        msg = http.client.parse_headers(io.BytesIO(blk.encode("latin-1")))
        got = {}
        for name in ["Content-Type", "Location", "URI", "Transfer-Encoding", "Content-Length"]:
            got[name] = msg.get(name)
        out.append({"block": blk, "get": got, "has_location": "location" in msg, "has_uri": "uri" in msg})
    return out

# ---- scripted exchanges ------------------------------------------------------

def resp(status="200 OK", headers=(("Content-Type", "text/html"),), body="", version="HTTP/1.1", **kw):
    head = f"{version} {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    d = {"data": head + body}
    d.update(kw)
    return d

PNG = "\x89PNG\r\n\x1a\n" + "\x00" * 20
FETCH_SCENARIOS = [
    ("basic html", "http://1.1.1.1/", {}, [resp(body="<title> My\n  <b>Title</b> </title><p>Hello   world</p>\n\n  <div>Second</div>")]),
    ("plain", "http://1.1.1.1/p.txt", {}, [resp(headers=(("Content-Type", "text/plain; charset=latin-1"),), body="caf\xc3\xa9 \xff plain")]),
    ("no content type", "http://1.1.1.1/", {}, [resp(headers=(), body="<p>x</p>")]),
    ("xhtml", "http://1.1.1.1/", {}, [resp(headers=(("Content-Type", "Application/XHTML+XML"),), body="<p>x</p>")]),
    ("unsupported", "http://1.1.1.1/", {}, [resp(headers=(("Content-Type", "application/json"),), body="{}")]),
    ("unsupported long", "http://1.1.1.1/", {}, [resp(headers=(("Content-Type", "x/" + "y" * 200),), body="{}")]),
    ("ctype trailing space", "http://1.1.1.1/", {}, [resp(headers=(("Content-Type", "text/html "),), body="x")]),
    ("empty ctype", "http://1.1.1.1/", {}, [resp(headers=(("Content-Type", ""),), body="x")]),
    ("parse failed", "http://1.1.1.1/", {}, [resp(body="<title>T</title><script>x</script>")]),
    ("empty plain", "http://1.1.1.1/", {}, [resp(headers=(("Content-Type", "text/plain"),), body="")]),
    ("truncate", "http://1.1.1.1/", {"max_chars": 5}, [resp(body="abcdefghij")]),
    ("negative max_chars", "http://1.1.1.1/", {"max_chars": -3}, [resp(body="abcdefghij")]),
    ("huge negative max_chars", "http://1.1.1.1/", {"max_chars": -(2**63)}, [resp(body="abcdefghij")]),
    ("exact max_chars", "http://1.1.1.1/", {"max_chars": 10}, [resp(body="abcdefghij")]),
    ("404", "http://1.1.1.1/", {}, [resp(status="404 Not Found", body="nope")]),
    ("500 https-less", "http://1.1.1.1:8080/x", {}, [resp(status="500 Oops")]),
    ("304", "http://1.1.1.1/", {}, [resp(status="304 Not Modified")]),
    ("300", "http://1.1.1.1/", {}, [resp(status="300 Multiple", headers=(("Location", "/y"),))]),
    ("204", "http://1.1.1.1/", {}, [resp(status="204 No Content", body="ignored")]),
    ("redirect chain 5", "http://1.1.1.1/0", {}, [resp(status="302 Found", headers=(("Location", f"/{i}"),)) for i in range(1, 6)] + [resp(body="done")]),
    ("redirect chain 6", "http://1.1.1.1/0", {}, [resp(status="301 Moved", headers=(("Location", f"/{i}"),)) for i in range(1, 7)] + [resp(body="done")]),
    ("redirect no location", "http://1.1.1.1/", {}, [resp(status="307 Temp", headers=())]),
    ("redirect empty location", "http://1.1.1.1/", {}, [resp(status="308 Perm", headers=(("Location", ""),))]),
    ("redirect uri only", "http://1.1.1.1/", {}, [resp(status="303 See", headers=(("URI", "/u"),))]),
    ("redirect relative", "http://1.1.1.1/a/b/c", {}, [resp(status="302 F", headers=(("Location", "../d?q#f"),)), resp(body="ok")]),
    ("redirect to private", "http://1.1.1.1/", {}, [resp(status="302 F", headers=(("Location", "http://127.0.0.1/"),))]),
    ("redirect to ftp", "http://1.1.1.1/", {}, [resp(status="302 F", headers=(("Location", "ftp://1.1.1.1/"),))]),
    ("redirect to javascript", "http://1.1.1.1/", {}, [resp(status="301 F", headers=(("Location", "javascript:alert(1)"),))]),
    ("redirect bad ipv6", "http://1.1.1.1/", {}, [resp(status="302 F", headers=(("Location", "http://[::1/"),))]),
    ("redirect other host", "http://1.1.1.1/", {}, [resp(status="302 F", headers=(("Location", "//8.8.8.8:8080/z"),)), resp(body="z")]),
    ("redirect https", "http://1.1.1.1/", {}, [resp(status="302 F", headers=(("Location", "https://[::1]/"),))]),
    ("redirect latin1 location", "http://1.1.1.1/", {}, [resp(status="302 F", headers=(("Location", "/caf\xe9 x"),)), resp(body="ok")]),
    ("redirect to dns name", "http://1.1.1.1/", {}, [resp(status="302 F", headers=(("Location", "http://a.example/"),)), resp(body="dns")]),
    ("redirect to rebind", "http://1.1.1.1/", {}, [resp(status="302 F", headers=(("Location", "http://rebind.example/"),))]),
    ("chunked", "http://1.1.1.1/", {}, [resp(headers=(("Transfer-Encoding", "chunked"),), body="3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: x\r\n\r\n")]),
    ("chunked bad size", "http://1.1.1.1/", {}, [resp(headers=(("Transfer-Encoding", "chunked"),), body="3\r\nabc\r\nzz\r\n")]),
    ("chunked truncated", "http://1.1.1.1/", {}, [resp(headers=(("Transfer-Encoding", "chunked"),), body="3\r\nabc\r\n9\r\nde")]),
    ("chunked 0x prefix", "http://1.1.1.1/", {}, [resp(headers=(("Transfer-Encoding", "chunked"),), body="0x3\r\nabc\r\n 0 \r\n\r\n")]),
    ("chunked negative", "http://1.1.1.1/", {}, [resp(headers=(("Transfer-Encoding", "chunked"),), body="-3\r\nabc\r\n0\r\n\r\n")]),
    ("chunked no trailer", "http://1.1.1.1/", {}, [resp(headers=(("Transfer-Encoding", "chunked"),), body="2\r\nab\r\n0\r\n")]),
    ("content-length short", "http://1.1.1.1/", {}, [resp(headers=(("Content-Length", "3"),), body="abcdef")]),
    ("content-length long", "http://1.1.1.1/", {}, [resp(headers=(("Content-Length", "30"),), body="abcdef")]),
    ("content-length junk", "http://1.1.1.1/", {}, [resp(headers=(("Content-Length", "x1"),), body="abcdef")]),
    ("content-length underscore", "http://1.1.1.1/", {}, [resp(headers=(("Content-Length", " 1_0 "),), body="abcdefghijklmn")]),
    ("too large", "http://1.1.1.1/", {}, [dict(resp(headers=(("Content-Type", "text/plain"),)), repeat=[97, 5 * 1024 * 1024 + 1], piece=65536)]),
    ("exactly 5MiB", "http://1.1.1.1/", {"max_chars": 3}, [dict(resp(headers=(("Content-Type", "text/plain"),)), repeat=[98, 5 * 1024 * 1024], piece=65536)]),
    ("timeout reading status", "http://1.1.1.1/", {}, [{"data": "", "end": "timeout"}]),
    ("timeout reading body", "http://1.1.1.1/", {}, [dict(resp(), end="timeout")]),
    ("reset reading status", "http://1.1.1.1/", {}, [{"data": "HTTP/1.1 2", "end": "reset"}]),
    ("eof before status", "http://1.1.1.1/", {}, [{"data": ""}]),
    ("bad status line", "http://1.1.1.1/", {}, [{"data": "FOO 200 OK\r\n\r\n"}]),
    ("status out of range", "http://1.1.1.1/", {}, [{"data": "HTTP/1.1 99 x\r\n\r\n"}]),
    ("status word", "http://1.1.1.1/", {}, [{"data": "HTTP/1.1 abc\r\n\r\n"}]),
    ("http2 version", "http://1.1.1.1/", {}, [{"data": "HTTP/2 200 OK\r\n\r\nx"}]),
    ("http10", "http://1.1.1.1/", {}, [{"data": "HTTP/1.0 200 OK\r\n\r\n<p>ten</p>"}]),
    ("status no reason", "http://1.1.1.1/", {}, [{"data": "HTTP/1.1 200\r\n\r\nbody"}]),
    ("100 continue", "http://1.1.1.1/", {}, [{"data": "HTTP/1.1 100 Continue\r\nX: y\r\n\r\nHTTP/1.1 200 OK\r\n\r\nafter"}]),
    ("long status", "http://1.1.1.1/", {}, [{"data": "HTTP/1.1 200 " + "x" * 70000 + "\r\n\r\n"}]),
    ("long header", "http://1.1.1.1/", {}, [{"data": "HTTP/1.1 200 OK\r\nX: " + "x" * 70000 + "\r\n\r\n"}]),
    ("too many headers", "http://1.1.1.1/", {}, [{"data": "HTTP/1.1 200 OK\r\n" + "X: y\r\n" * 100 + "\r\nbody"}]),
    ("99 headers", "http://1.1.1.1/", {}, [{"data": "HTTP/1.1 200 OK\r\n" + "X: y\r\n" * 99 + "\r\nbody"}]),
    ("bare lf", "http://1.1.1.1/", {}, [{"data": "HTTP/1.1 200 OK\nContent-Type: text/plain\n\nlf body"}]),
    ("connect refused", "http://1.1.1.1/", {}, [{"connect_error": 111}]),
    ("connect timeout", "http://1.1.1.1/", {}, [{"connect_error": "timeout"}]),
    ("connect unreachable", "http://1.1.1.1/", {}, [{"connect_error": 101}]),
    ("negative timeout", "http://1.1.1.1/", {"timeout_ms": -5}, [resp(body="x")]),
    ("negative timeout private", "http://127.0.0.1/", {"timeout_ms": -5}, []),
    ("dns name", "http://a.example:8080/q?x=1#frag", {}, [resp(body="named")]),
    ("dns name two addrs", "http://b.example/", {}, [{"connect_error": 111}, resp(body="second")]),
    ("dns fail", "http://nx.example/", {}, []),
    ("dns private", "http://localhost/", {}, []),
    ("empty userinfo", "http://@1.1.1.1/", {}, [resp(body="x")]),
    ("empty user and pw", "http://:@1.1.1.1/", {}, [resp(body="x")]),
    ("non-ascii path", "http://1.1.1.1/caf\u00e9/\u00e9\u00e9", {}, [resp(body="x")]),
    ("control in path", "http://1.1.1.1/a\x01b", {}, [resp(body="x")]),
    ("space in path", "http://1.1.1.1/a b", {}, [resp(body="x")]),
    ("trailing space", "http://1.1.1.1/a ", {}, [resp(body="x")]),
    ("leading c0", "\x01http://1.1.1.1/", {}, [resp(body="x")]),
    ("tab in scheme", "ht\ttp://1.1.1.1/", {}, [resp(body="x")]),
    ("tab after colon", "http:\t//1.1.1.1/", {}, [resp(body="x")]),
    ("tab in host", "http://1.1.1.1\t/", {}, [resp(body="x")]),
    ("no path", "http://1.1.1.1", {}, [resp(body="x")]),
    ("query only", "http://1.1.1.1?a=b", {}, [resp(body="x")]),
    ("fragment", "http://1.1.1.1/p#frag#2", {}, [resp(body="x")]),
    ("explicit port 80", "http://1.1.1.1:80/", {}, [resp(body="x")]),
    ("port 8443 http", "http://1.1.1.1:8443/", {}, [resp(body="x")]),
    ("ipv6 literal", "http://[2606:4700::1111]:8080/v6", {}, [resp(body="six")]),
    ("ipv6 default port", "http://[2606:4700::1111]/v6", {}, [resp(body="six")]),
    ("percent host", "http://%31.1.1.1/", {}, []),
    ("upper scheme", "HTTP://1.1.1.1/", {}, [resp(body="x")]),
    ("non-string int", 5, {}, []),
    ("non-string null", None, {}, []),
    ("non-string zero", 0, {}, []),
    ("non-string false", False, {}, []),
    ("non-string true", True, {}, []),
    ("non-string float", 1.5, {}, []),
    ("non-string list", [1], {}, []),
    ("non-string empty list", [], {}, []),
    ("non-string dict", {"a": 1}, {}, []),
    ("empty string", "", {}, []),
    ("whatwg lstrip", "  http://1.1.1.1/", {}, [resp(body="x")]),
    ("unicode whitespace", "\u3000http://1.1.1.1/", {}, []),
    ("trailing unicode ws", "http://1.1.1.1/x\u3000", {}, [resp(body="x")]),
    ("wrapped", "http://1.1.1.1/<x>", {}, [resp(body="x")]),
    ("nul in host", "http://1.1.1.1\x00.evil/", {}, [resp(body="x")]),
    ("surrogate path", "http://1.1.1.1/\ud800", {}, [resp(body="x")]),
    ("reset after headers", "http://1.1.1.1/", {}, [dict(resp(headers=(("Content-Length", "10"),), body="abc"), end="reset")]),
    ("reset no length", "http://1.1.1.1/", {}, [dict(resp(body="abc"), end="reset")]),
]

IMAGE_SCENARIOS = [
    ("png", "http://1.1.1.1/i.png", None, [resp(headers=(("Content-Type", "text/html"),), body=PNG)]),
    ("jpeg", "http://1.1.1.1/i", None, [resp(body="\xff\xd8\xff\xe0rest")]),
    ("gif87", "http://1.1.1.1/i", None, [resp(body="GIF87a...")]),
    ("gif89", "http://1.1.1.1/i", None, [resp(body="GIF89a")]),
    ("webp", "http://1.1.1.1/i", None, [resp(body="RIFF\x00\x00\x00\x00WEBPVP8 ")]),
    ("webp short", "http://1.1.1.1/i", None, [resp(body="RIFF\x00\x00\x00\x00WEB")]),
    ("unknown", "http://1.1.1.1/i", None, [resp(body="<svg/>")]),
    ("empty", "http://1.1.1.1/i", None, [resp(body="")]),
    ("too large", "http://1.1.1.1/i", 10, [resp(body=PNG)]),
    ("exact max", "http://1.1.1.1/i", 28, [resp(body=PNG)]),
    ("max -1", "http://1.1.1.1/i", -1, [resp(body=PNG)]),
    ("max -2", "http://1.1.1.1/i", -2, [resp(body=PNG)]),
    ("max -3", "http://1.1.1.1/i", -3, [resp(body=PNG)]),
    ("max -3 chunked", "http://1.1.1.1/i", -3, [resp(headers=(("Transfer-Encoding", "chunked"),), body="1c\r\n" + PNG + "\r\n0\r\n\r\n")]),
    ("chunked png", "http://1.1.1.1/i", None, [resp(headers=(("Transfer-Encoding", "chunked"),), body="1c\r\n" + PNG + "\r\n0\r\n\r\n")]),
    ("404", "http://1.1.1.1/i", None, [resp(status="404 NF")]),
    ("redirect", "http://1.1.1.1/i", None, [resp(status="302 F", headers=(("Location", "/j.png"),)), resp(body=PNG)]),
    ("redirect no location", "http://1.1.1.1/i", None, [resp(status="302 F", headers=())]),
    ("too many redirects", "http://1.1.1.1/0", None, [resp(status="302 F", headers=(("Location", f"/{i}"),)) for i in range(1, 7)]),
    ("redirect private", "http://1.1.1.1/i", None, [resp(status="302 F", headers=(("Location", "http://10.0.0.1/"),))]),
    ("redirect bad", "http://1.1.1.1/i", None, [resp(status="302 F", headers=(("Location", "http://[::1/"),))]),
    ("ssrf private", "http://127.0.0.1/x.png", None, []),
    ("ssrf dns", "http://nx.example/x.png", None, []),
    ("ssrf rebind", "http://rebind.example/x.png", None, []),
    ("bad port", "https://1.1.1.1:99999/", None, []),
    ("bad port text", "https://1.1.1.1:abc/", None, []),
    ("idna error", "http://a..b/", None, []),
    ("connect refused", "http://1.1.1.1/i", None, [{"connect_error": 111}]),
    ("connect timeout", "http://1.1.1.1/i", None, [{"connect_error": "timeout"}]),
    ("read timeout", "http://1.1.1.1/i", None, [{"data": "", "end": "timeout"}]),
    ("remote disconnected", "http://1.1.1.1/i", None, [{"data": ""}]),
    ("bad status", "http://1.1.1.1/i", None, [{"data": "FOO\r\n"}]),
    ("unknown protocol", "http://1.1.1.1/i", None, [{"data": "HTTP/2 200 OK\r\n\r\n"}]),
    ("incomplete chunked", "http://1.1.1.1/i", None, [resp(headers=(("Transfer-Encoding", "chunked"),), body="1c\r\n" + PNG[:5])]),
    ("non-ascii path", "http://1.1.1.1/\u00e9\u00e8x", None, [resp(body=PNG)]),
    ("astral path", "http://1.1.1.1/\U0001F600", None, [resp(body=PNG)]),
    ("control path", "http://1.1.1.1/a b", None, [resp(body=PNG)]),
    ("nonnumeric port", "http://:@1.1.1.1/", None, [resp(body=PNG)]),
    ("tab scheme", "ht\ttp://1.1.1.1/", None, [resp(body=PNG)]),
    ("no host given", "http:\t//1.1.1.1/", None, [resp(body=PNG)]),
    ("long header", "http://1.1.1.1/i", None, [{"data": "HTTP/1.1 200 OK\r\nX: " + "x" * 70000 + "\r\n\r\n"}]),
    ("too many headers", "http://1.1.1.1/i", None, [{"data": "HTTP/1.1 200 OK\r\n" + "X: y\r\n" * 100 + "\r\n"}]),
    ("reset", "http://1.1.1.1/i", None, [{"data": "HTTP/1.1 200 OK\r\n\r\n", "end": "reset"}]),
]

URL_PIECES = {
    "scheme": ["http://", "https://", "HTTP://", "http:", "http:/", "ht\ttp://", "\x01http://", " http://", "ftp://", "http:\t//"],
    "userinfo": ["", "", "", "", "@", ":@", "u@", ":p@", "u:p@", "%40@"],
    "host": ["1.1.1.1", "8.8.8.8", "[2606:4700::1111]", "a.example", "A.EXAMPLE", "b.example", "127.0.0.1", "10.0.0.1",
             "localhost", "rebind.example", "nx.example", "[::1]", "[fe80::1%25x]", "1.1.1.1\t", "1.2.3", "0x7f.1",
             "a..b", "m\u00fcnchen.de", "xn--mnchen-3ya.de", "\uff41.example", "ex\u2100.com", "[1.2.3.4]", "[::1", "",
             "%31.1.1.1", "1.1.1.1\x00x", "a\u3002example", "[2606:4700::1111%25eth0]", "cgnat.example", "v6only.example"],
    "port": ["", "", "", ":80", ":8080", ":443", ":8443", ":0", ":22", ":99999", ":abc", ":", ":0080", ":+80", ":\u0668\u0660"],
    "path": ["", "/", "/a/b", "/a b", "/caf\u00e9", "/\x7f", "/a?x=1", "/a#f", "?q", "#f", "/%zz", "/<x>", "/..//./a", "/\ud800", "/a\tb"],
}

CLEAN_PIECES = {
    "scheme": ["http://", "HTTP://", "http://"], "userinfo": ["", "@"],
    "host": ["1.1.1.1", "8.8.8.8", "[2606:4700::1111]", "a.example", "A.EXAMPLE", "b.example", "cgnat.example",
             "v6only.example", "\uff41.example", "xn--mnchen-3ya.de"],
    "port": ["", ":80", ":8080", ":8443", ":0"], "path": ["", "/", "/a/b", "/a?x=1", "/a#f", "?q", "/..//./a", "/%7e"],
}

def random_url():
    p = URL_PIECES if rng.random() < 0.5 else CLEAN_PIECES
    return (rng.choice(p["scheme"]) + rng.choice(p["userinfo"]) + rng.choice(p["host"]) + rng.choice(p["port"])
            + rng.choice(p["path"]))

LOCATIONS = ["/next", "next", "../x", "//8.8.8.8/y", "http://1.1.1.1:8080/z", "https://1.1.1.1/", "http://127.0.0.1/",
             "http://[::1/", "ftp://x/", "http://a.example/\xe9", "?q=1", "#frag", "", "http://@1.1.1.1/",
             "http://1.1.1.1:0/", "HTTP://1.1.1.1/UP", "http://nx.example/", "javascript:alert(1)", "//", "http:/x",
             "http://1.1.1.1/a b", "\t/tab", " /space", "http://\xe9.example/"]

def random_fetch_scenarios(n):
    out = []
    for i in range(n):
        url = random_url()
        scripts = []
        if rng.random() < 0.3:
            scripts.append(resp(status=rng.choice(["301 M", "302 F", "303 S", "307 T", "308 P"]),
                                headers=(("Location", rng.choice(LOCATIONS)),)))
        scripts.append(resp(body="<title>r</title>random %d" % i))
        out.append(("random %d" % i, url, {}, scripts))
    return out

def gen_fetch():
    out = []
    for name, url, opts, scripts in FETCH_SCENARIOS + random_fetch_scenarios(300):
        max_chars = opts.get("max_chars", 20000)
        timeout_ms = opts.get("timeout_ms", 15000)
        page, conns = run_scripted(lambda: web_local._fetch_one_sync(url, max_chars, timeout_ms / 1000.0), scripts)
        out.append({"name": name, "url": url, "max_chars": max_chars, "timeout_ms": timeout_ms, "scripts": scripts,
                    "page": json.dumps(page), "connects": conns})
    return out

def gen_image():
    out = []
    rand = [(name.replace("random", "random image"), url, None, scripts[:-1] + [resp(body=PNG)])
            for name, url, _, scripts in random_fetch_scenarios(200) if url.startswith(("http://", "https://"))]
    for name, url, max_bytes, scripts in IMAGE_SCENARIOS + rand:
        mb = 5242880 if max_bytes is None else max_bytes
        outcome, conns = run_scripted(lambda: image_fetch_outcome(url, mb), scripts)
        out.append({"name": name, "url": url, "max_bytes": mb, "scripts": scripts, "outcome": outcome, "connects": conns})
    return out

def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--tables":
        gen_tables(sys.argv[2])
        return
    cases = {"python": sys.version.split()[0], "fake_dns": FAKE_DNS, "urlsplit": gen_urlsplit(), "urljoin": gen_urljoin(),
             "ip": gen_ip(), "idna": gen_idna() + gen_idna_random(), "nfkc": gen_nfkc(), "validate": gen_validate(), "html": gen_html(), "utf8": gen_utf8(),
             "headers": gen_headers(), "fetch": gen_fetch(), "image": gen_image()}
    json.dump(cases, sys.stdout, ensure_ascii=True, indent=1)
    sys.stdout.write("\n")

if __name__ == "__main__":
    main()
