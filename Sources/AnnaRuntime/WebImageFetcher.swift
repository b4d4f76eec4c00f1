import AnnaCore
import AnnaJSON
import Crypto

/// web.image_fetch (WEB-IMGF-1..5): the same hop loop as web.fetch with a
/// fixed 20 s timeout, magic-byte sniffing, and a `data:` URL instead of a
/// stored artifact. Errors follow the reference's mapping: its ValueErrors
/// (HTTP status, size, type, redirects, URL parsing) are `invalid_arg`,
/// an SSRF rejection is `invalid_arg` `SSRF_BLOCKED: <reason>`, anything
/// else `internal` `handler crashed: <str(e)>` (WEB-IMGF-3).
struct WebImageFetcher: Sendable {
    var guardian: SSRFGuard
    var client: HTTPClient
    var timeout: Double = 20

    func fetch(url: JStr, maxBytes: Int) -> HandlerResult {
        do throws(PyException) {
            return .success(try hops(url, maxBytes: maxBytes))
        } catch {
            if error.isSSRF { return .failure(.invalidArg("SSRF_BLOCKED: \(error.message)")) }
            if error.isValueError { return .failure(.invalidArg(error.message)) }
            return .failure(.crashed(error.message))
        }
    }

    private func hops(_ url: JStr, maxBytes: Int) throws(PyException) -> JObject {
        var current = PyStr.cps(url)
        let deadline = client.deadline()
        for _ in 0...WebFetcher.maxRedirects {
            try guardian.validate(current)
            switch try client.open(current, timeout: timeout, deadline: deadline) {
            case .httpError(let code, let headers):
                if WebFetcher.redirectCodes.contains(code), let loc = headers.get("Location"), !loc.isEmpty {
                    current = try PyURLParse.join(current, loc)
                    continue
                }
                throw .valueError("HTTP_\(code)")
            case .success(let resp):
                // read(max_bytes + 1); the dispatcher caps max_bytes at 20 MiB.
                let data: [UInt8]
                do throws(PyException) {
                    data = try resp.read(maxBytes < Int.max ? maxBytes + 1 : maxBytes)
                } catch {
                    resp.close()
                    throw error
                }
                resp.close()
                if data.count > maxBytes { throw .valueError("TOO_LARGE") }
                guard let mime = WebImageFetcher.sniff(data) else {
                    throw .valueError("UNSUPPORTED_IMAGE_TYPE (magic bytes)")
                }
                let digest = SHA256.hash(data: data).map { WebImageFetcher.hex2($0) }.joined()
                let sha = JStr(digest)
                return JObject(uniqueEntries: [
                    ("path", .string(JStr("web-images/dev/" + String(digest.prefix(16))))),
                    ("get_url", .string(JStr("data:\(mime);base64,\(Base64.encode(data))"))),
                    ("mime_type", .string(JStr(mime))),
                    ("bytes_size", .int(data.count)),
                    ("sha256", .string(sha)),
                    ("source_url", .string(url)),
                    ("final_url", .string(PyStr.jstr(current))),
                    ("quota_consumed", .int(0)),
                    ("_meta", .object(JObject(uniqueEntries: [("provider", "native"), ("dev", .bool(true))]))),
                ])
            }
        }
        throw .valueError("TOO_MANY_REDIRECTS")
    }

    static func hex2(_ b: UInt8) -> String {
        let h = String(b, radix: 16)
        return h.count < 2 ? "0" + h : h
    }

    /// WEB-IMGF-4: Content-Type is ignored, only the first bytes count.
    static func sniff(_ d: [UInt8]) -> String? {
        func starts(_ p: [UInt8]) -> Bool { d.count >= p.count && Array(d[0..<p.count]) == p }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return "image/gif" }
        if d.count >= 12 && starts(Array("RIFF".utf8)) && Array(d[8..<12]) == Array("WEBP".utf8) { return "image/webp" }
        return nil
    }
}

/// Standard base64 with padding (`base64.b64encode`).
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ data: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((data.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= data.count {
            let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2])
            out += [alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)], alphabet[Int(v & 63)]]
            i += 3
        }
        let rest = data.count - i
        if rest == 1 {
            let v = UInt32(data[i]) << 16
            out += [alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], 0x3D, 0x3D]
        } else if rest == 2 {
            let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8
            out += [alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)], 0x3D]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
