import AnnaJSON
import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// Local dev window tokens (06-tokens.md): `b64url(body).b64url(HMAC-SHA256(key, body))`
/// where body is the compact, key-sorted, ASCII-escaped JSON payload.
/// Pure: the key bytes and the clock are passed in (the key file lives in
/// AnnaRuntime).
public enum DevToken {
    public static let defaultTTL = 30

    public struct Claims: Sendable {
        public var windowUuid: JStr
        public var userId: JSON
        public var appId: JSON = .int(0)
        public var versionId: JSON = .int(0)
        public var scopes: [JSON] = []
        public var ttlSeconds: Int = DevToken.defaultTTL
        public init(windowUuid: JStr, userId: JSON) { self.windowUuid = windowUuid; self.userId = userId }
    }

    /// An HMAC-SHA256 keyed once: the key's inner and outer pads are hashed
    /// at creation, so each token costs only the body's own blocks.
    public struct Signer: @unchecked Sendable {
        let base: HMAC<SHA256>
        public init(key: [UInt8]) { base = HMAC<SHA256>(key: SymmetricKey(data: key)) }
        func mac(_ body: [UInt8]) -> [UInt8] {
            code(body).withUnsafeBytes { Array($0) }
        }

        func code(_ body: [UInt8]) -> HashedAuthenticationCode<SHA256> {
            var h = base
            // As a raw buffer: the [UInt8] overload goes through DataProtocol's
            // regions, which costs a generic metadata lookup per call.
            body.withUnsafeBytes { h.update(data: $0) }
            return h.finalize()
        }

        /// Whether `sig` is the MAC of `body` (constant time in the bytes).
        func isValid(_ sig: [UInt8], for body: [UInt8]) -> Bool {
            code(body).withUnsafeBytes { mac in
                guard mac.count == sig.count else { return false }
                var diff: UInt8 = 0
                for i in 0..<mac.count { diff |= mac[i] ^ sig[i] }
                return diff == 0
            }
        }
    }

    /// TOK-FMT-*: returns the token; `expires_in` is `claims.ttlSeconds`.
    public static func mint(_ c: Claims, key: [UInt8], nowSeconds: Int64) -> String {
        mint(c, signer: Signer(key: key), nowSeconds: nowSeconds)
    }

    public static func mint(_ c: Claims, signer: Signer, nowSeconds: Int64) -> String {
        let iat = Int(nowSeconds)
        // PY-COMPACT-SORTED by hand: keys already in sorted order
        // (aid, aud, exp, iat, iss, scopes, sub, uid, vid, wid).
        var body = ByteBuffer(capacity: 256)
        let compact = JSONStyle(asciiOnly: true, compact: true, sortKeys: true)
        body.append("{\"aid\":")
        JSONWriter.write(c.appId, style: compact, into: &body)
        body.append(",\"aud\":\"anna-app-window\",\"exp\":")
        body.appendDecimal(iat &+ c.ttlSeconds)
        body.append(",\"iat\":")
        body.appendDecimal(iat)
        body.append(",\"iss\":\"anna-app-runtime-local\",\"scopes\":")
        JSONWriter.write(.array(c.scopes), style: compact, into: &body)
        body.append(",\"sub\":")
        JSONWriter.writeString(Py.str(c.userId), asciiOnly: true, into: &body)
        body.append(",\"uid\":")
        JSONWriter.write(c.userId, style: compact, into: &body)
        body.append(",\"vid\":")
        JSONWriter.write(c.versionId, style: compact, into: &body)
        body.append(",\"wid\":")
        JSONWriter.writeString(c.windowUuid, asciiOnly: true, into: &body)
        body.append(UInt8(ascii: "}"))
        let bytes = body.bytes
        var token = [UInt8]()
        token.reserveCapacity(bytes.count * 4 / 3 + 48)
        Base64URL.encode(bytes, into: &token)
        token.append(UInt8(ascii: "."))
        Base64URL.encode(signer.mac(bytes), into: &token)
        return String(decoding: token, as: UTF8.self)
    }

    public struct VerifyError: Error, Sendable, Equatable {
        public var message: String
    }

    /// TOK-VER-1..9. `token` is the decoded JSON value the caller passed
    /// (a non-string is `malformed token`).
    public static func verify(_ token: JSON, key: [UInt8], nowSeconds: Int64) -> Result<JObject, VerifyError> {
        verify(token, signer: Signer(key: key), nowSeconds: nowSeconds)
    }

    public static func verify(_ token: JSON, signer: Signer, nowSeconds: Int64) -> Result<JObject, VerifyError> {
        verified(token, signer: signer, nowSeconds: nowSeconds).map { $0.payload }
    }

    /// `verify` answering the verified token itself (its payload text ready to send).
    public static func verified(_ token: JSON, signer: Signer, nowSeconds: Int64) -> Result<Verified, VerifyError> {
        guard case .string(let s) = token else { return .failure(VerifyError(message: "malformed token")) }
        return check(s, signer: signer).flatMap { $0.unexpired(at: nowSeconds) }
    }

    /// A token whose signature and payload checked out; only its expiry
    /// depends on the clock.
    public struct Verified: Sendable {
        /// The payload as `json.dumps` writes it by default: the text the
        /// verify answer carries.
        public let text: [UInt8]
        /// `int(payload["exp"])` (TOK-VER-7), an int or a big int.
        let exp: JSON

        /// The payload as an object (parsed from `text`, which is valid JSON).
        public var payload: JObject {
            (try? text.withUnsafeBufferPointer { try JSONParser.parse($0) })?.object ?? JObject()
        }

        /// TOK-VER-7: itself, or `token expired` once `exp < now`.
        public func unexpired(at nowSeconds: Int64) -> Result<Verified, VerifyError> {
            if let c = exp.compareInt(Int(nowSeconds)), c < 0 { return .failure(VerifyError(message: "token expired")) }
            return .success(self)
        }
    }

    /// TOK-VER-1..8: everything but the expiry, in the reference's order.
    public static func check(_ s: JStr, signer: Signer) -> Result<Verified, VerifyError> {
        // One pass over the token's bytes: split at the first '.', decode both halves.
        // A struct, not a tuple: a tuple payload in a generic Result costs a
        // runtime metadata lookup on every call.
        struct Halves { var body: [UInt8]; var sig: [UInt8] }
        let decoded: Result<Halves, VerifyError> = s.withBytes { b in
            guard let base = b.baseAddress, let dotPtr = memchr(base, 0x2E, b.count) else {
                return .failure(VerifyError(message: "malformed token"))
            }
            if s.hasLoneSurrogate || b.contains(where: { $0 >= 0x80 }) {
                return .failure(VerifyError(message: "base64 decode failed: string argument should contain only ASCII characters"))
            }
            let dot = UnsafeRawPointer(dotPtr) - UnsafeRawPointer(base)
            switch (Base64URL.decodeLenient(UnsafeBufferPointer(rebasing: b[0..<dot])),
                    Base64URL.decodeLenient(UnsafeBufferPointer(rebasing: b[(dot + 1)...]))) {
            case (.success(let body), .success(let sig)): return .success(Halves(body: body, sig: sig))
            case (.failure(let e), _), (_, .failure(let e)):
                return .failure(VerifyError(message: "base64 decode failed: \(e.message)"))
            }
        }
        let body: [UInt8], sig: [UInt8]
        switch decoded {
        case .success(let h): body = h.body; sig = h.sig
        case .failure(let e): return .failure(e)
        }
        guard signer.isValid(sig, for: body) else { return .failure(VerifyError(message: "bad signature")) }
        // Bodies as minters write them skip building the object (see CompactPayload).
        if let fast = body.withUnsafeBufferPointer({ CompactPayload.render($0) }) {
            return .success(Verified(text: fast.text, exp: fast.exp))
        }
        let payload: JSON
        do {
            payload = try JSONParser.parse(body)
        } catch {
            return .failure(VerifyError(message: "payload not json: Expecting value: line 1 column 1 (char 0)"))
        }
        // TOK-VER-8: the reference raises raw Python errors for a signed
        // non-object body or an unusable `exp`; we answer DevToken errors.
        guard case .object(let obj) = payload else { return .failure(VerifyError(message: "malformed token")) }
        let expValue = obj["exp"] ?? .int(0)
        guard case .success(let exp) = Py.int(expValue) else { return .failure(VerifyError(message: "malformed token")) }
        var text = ByteBuffer(capacity: body.count + 32)
        JSONWriter.writeObject(obj, style: .pyDefault, into: &text)
        return .success(Verified(text: text.bytes, exp: exp))
    }

}

/// RFC 4648 §5 base64url without padding, plus a decoder with Python's
/// lenient `urlsafe_b64decode(s + padding)` semantics (TOK-VER-3).
public enum Base64URL {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode(_ data: [UInt8]) -> String {
        var out = [UInt8]()
        encode(data, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func encode(_ data: [UInt8], into out: inout [UInt8]) {
        out.reserveCapacity(out.count + (data.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= data.count {
            let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2])
            out.append(alphabet[Int(v >> 18 & 63)]); out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)]); out.append(alphabet[Int(v & 63)])
            i += 3
        }
        let rem = data.count - i
        if rem == 1 {
            let v = UInt32(data[i]) << 16
            out.append(alphabet[Int(v >> 18 & 63)]); out.append(alphabet[Int(v >> 12 & 63)])
        } else if rem == 2 {
            let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8
            out.append(alphabet[Int(v >> 18 & 63)]); out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)])
        }
    }

    public struct DecodeError: Error { public var message: String }

    /// Python: pad with `=` to a multiple of 4 (by character count), map
    /// `-_` to `+/`, then binascii's non-strict decoder: skip characters
    /// outside the alphabet, stop at a complete pad sequence.
    public static func decodeLenient(_ input: [UInt8]) -> Result<[UInt8], DecodeError> {
        input.withUnsafeBufferPointer { decodeLenient($0) }
    }

    /// Value of each byte in the url-safe and standard alphabets; 255 = skip.
    static let decodeTable: [UInt8] = {
        var t = [UInt8](repeating: 255, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        t[Int(UInt8(ascii: "+"))] = 62
        t[Int(UInt8(ascii: "/"))] = 63
        return t
    }()

    /// `fastPath: false` runs the character loop alone (tests compare the two).
    public static func decodeLenient(_ input: UnsafeBufferPointer<UInt8>, fastPath: Bool = true) -> Result<[UInt8], DecodeError> {
        var quadPos = 0
        var left: UInt32 = 0
        var pads = 0
        var written = 0
        var stopped = false
        let out = [UInt8](unsafeUninitializedCapacity: input.count / 4 * 3 + 3) { buf, count in
            decodeTable.withUnsafeBufferPointer { table in
                // Fast path: whole groups of four alphabet characters (every
                // well-formed token) decode without per-character state; the
                // first group holding anything else ends it and the lenient
                // loop below takes over from that group.
                var start = 0
                while fastPath && start + 4 <= input.count {
                    let a = table[Int(input[start])], b = table[Int(input[start + 1])]
                    let c = table[Int(input[start + 2])], d = table[Int(input[start + 3])]
                    if (a | b | c | d) & 0x80 != 0 { break }
                    let v = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    buf[written] = UInt8(truncatingIfNeeded: v >> 16)
                    buf[written + 1] = UInt8(truncatingIfNeeded: v >> 8)
                    buf[written + 2] = UInt8(truncatingIfNeeded: v)
                    written += 3
                    start += 4
                }
                for c in UnsafeBufferPointer(rebasing: input[start...]) {
                    if c == UInt8(ascii: "=") {
                        if quadPos >= 2 {
                            pads += 1
                            if quadPos + pads >= 4 { stopped = true; break }
                        }
                        continue
                    }
                    let v = UInt32(table[Int(c)])
                    if v == 255 { continue }   // outside the alphabet: skipped, as binascii does
                    pads = 0
                    switch quadPos {
                    case 0: quadPos = 1; left = v
                    case 1: quadPos = 2; buf[written] = UInt8((left << 2 | v >> 4) & 0xFF); written += 1; left = v & 0x0F
                    case 2: quadPos = 3; buf[written] = UInt8((left << 4 | v >> 2) & 0xFF); written += 1; left = v & 0x03
                    default: quadPos = 0; buf[written] = UInt8((left << 6 | v) & 0xFF); written += 1; left = 0
                    }
                }
            }
            count = written
        }
        if stopped { return .success(out) }
        // The caller's `=` padding to a multiple of 4 (by character count):
        // it completes a 2- or 3-character final group, as in Python.
        let padCount = (4 - input.count % 4) % 4
        if quadPos >= 2 && quadPos + pads + padCount >= 4 { return .success(out) }
        if quadPos == 1 {
            return .failure(DecodeError(message: "Invalid base64-encoded string: number of data characters (\(written / 3 * 4 + 1)) cannot be 1 more than a multiple of 4"))
        }
        if quadPos != 0 { return .failure(DecodeError(message: "Incorrect padding")) }
        return .success(out)
    }
}
