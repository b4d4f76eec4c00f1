import AnnaCore
import AnnaJSON

/// `http.client.HTTPResponse` for a GET: status line, headers, then a body
/// framed by chunked encoding, Content-Length or the end of the stream.
/// The exception classes and texts are http.client's, because web.fetch
/// reports the class and web.image_fetch the text.
final class HTTPResponse {
    static let maxLine = 65536
    static let maxHeaders = 100

    private let fp: BufferedReader
    private let stream: WebStream
    private(set) var status = 0
    private(set) var headers = HTTPMessage(block: [])
    private var chunked = false
    private var chunkLeft: Int? = nil
    private var length: Int? = nil
    private var closed = false

    init(stream: WebStream, deadline: UInt64?) {
        self.stream = stream
        fp = BufferedReader(stream, deadline: deadline)
    }

    func close() {
        closed = true
        stream.close()
    }

    // MARK: head

    /// `begin()`.
    func begin() throws(PyException) {
        var version: CPs
        while true {
            let s = try readStatus()
            version = s.0
            status = s.1
            if status != 100 { break }
            _ = try readHeaderLines()
        }
        if version == PyStr.cps("HTTP/1.0") || version == PyStr.cps("HTTP/0.9") {
        } else if !PyStr.hasPrefix(version, PyStr.cps("HTTP/1.")) {
            throw PyException("UnknownProtocol", PyStr.jstr(version))
        }
        var block: [UInt8] = []
        for l in try readHeaderLines() { block.append(contentsOf: l) }
        headers = HTTPMessage(block: PyStr.latin1(block))

        if let te = headers.get("transfer-encoding"), PyStr.lower(te) == PyStr.cps("chunked") {
            chunked = true
        }
        if !chunked, let cl = headers.get("content-length"), !cl.isEmpty {
            // int(length); a failure or a negative value means "unknown".
            switch Py.int(.string(PyStr.jstr(cl))) {
            case .success(.int(let v)) where v >= 0: length = v
            case .success(.bigInt(let b)) where !b.isNegative: length = Int.max
            default: length = nil
            }
        }
        if status == 204 || status == 304 || (100..<200).contains(status) { length = 0 }
    }

    /// `_read_status()`.
    private func readStatus() throws(PyException) -> (CPs, Int) {
        let raw = try fp.readline(limit: HTTPResponse.maxLine + 1)
        if raw.count > HTTPResponse.maxLine { throw lineTooLong("status line") }
        if raw.isEmpty {
            throw PyException("RemoteDisconnected", "Remote end closed connection without response")
        }
        let line = PyStr.latin1(raw)
        // `version, status, reason = line.split(None, 2)`, falling back to
        // `version, status = line.split(None, 1)`, else an empty version.
        var version: CPs = []
        var statusText: CPs = []
        let three = PyStr.splitWhitespace(line, maxsplit: 2)
        if three.count == 3 {
            version = three[0]
            statusText = three[1]
        } else {
            let two = PyStr.splitWhitespace(line, maxsplit: 1)
            if two.count == 2 {
                version = two[0]
                statusText = two[1]
            }
        }
        let bad = PyException("BadStatusLine", PyStr.jstr(line))
        if !PyStr.hasPrefix(version, PyStr.cps("HTTP/")) {
            close()
            throw bad
        }
        guard case .success(.int(let code)) = Py.int(.string(PyStr.jstr(statusText))), code >= 100, code <= 999 else {
            throw bad
        }
        return (version, code)
    }

    /// `_read_headers()`: raw lines up to and including the blank one.
    private func readHeaderLines() throws(PyException) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        while true {
            let line = try fp.readline(limit: HTTPResponse.maxLine + 1)
            if line.count > HTTPResponse.maxLine { throw lineTooLong("header line") }
            lines.append(line)
            if lines.count > HTTPResponse.maxHeaders {
                throw PyException("HTTPException", "got more than \(HTTPResponse.maxHeaders) headers")
            }
            if line == [0x0D, 0x0A] || line == [0x0A] || line.isEmpty { break }
        }
        return lines
    }

    private func lineTooLong(_ what: String) -> PyException {
        PyException("LineTooLong", "got more than \(HTTPResponse.maxLine) bytes when reading \(what)")
    }

    // MARK: body

    /// `read(amt)` with an explicit amount (the only form the reference uses).
    func read(_ amt: Int) throws(PyException) -> [UInt8] {
        if closed { return [] }
        if chunked { return try readChunked(amt) }
        var n = amt
        if let l = length, n > l { n = l }
        let s = try fp.read(n)
        if s.isEmpty && n != 0 {
            close()
        } else if let l = length {
            length = l - s.count
            if length == 0 { close() }
        }
        return s
    }

    private func incomplete(_ partial: Int, _ expected: Int? = nil) -> PyException {
        let more = expected.map { ", \($0) more expected" } ?? ""
        return PyException("IncompleteRead", "IncompleteRead(\(partial) bytes read\(more))")
    }

    /// `_safe_read(n)`.
    private func safeRead(_ n: Int) throws(PyException) -> [UInt8] {
        let data = try fp.read(n)
        if data.count < n { throw incomplete(data.count, n - data.count) }
        return data
    }

    /// `_read_next_chunk_size()`: nil where CPython's `int(line, 16)` fails.
    private func nextChunkSize() throws(PyException) -> Int? {
        var line = try fp.readline(limit: HTTPResponse.maxLine + 1)
        if line.count > HTTPResponse.maxLine { throw lineTooLong("chunk size") }
        if let i = line.firstIndex(of: 0x3B) { line = Array(line[0..<i]) }
        guard let v = HTTPResponse.parseHexInt(line) else { close(); return nil }
        return v
    }

    /// `_get_chunk_left()`.
    private func getChunkLeft() throws(PyException) -> Int? {
        var left = chunkLeft
        if left == nil || left == 0 {
            if left != nil { _ = try safeRead(2) }
            guard let size = try nextChunkSize() else { throw incomplete(0) }
            left = size
            if size == 0 {
                try discardTrailer()
                close()
                left = nil
            }
            chunkLeft = left
        }
        return left
    }

    private func discardTrailer() throws(PyException) {
        while true {
            let line = try fp.readline(limit: HTTPResponse.maxLine + 1)
            if line.count > HTTPResponse.maxLine { throw lineTooLong("trailer line") }
            if line.isEmpty || line == [0x0D, 0x0A] || line == [0x0A] { break }
        }
    }

    /// `_read_chunked(amt)`; an IncompleteRead reports what was gathered.
    private func readChunked(_ amtIn: Int) throws(PyException) -> [UInt8] {
        var value: [UInt8] = []
        var amt = amtIn
        do throws(PyException) {
            while true {
                guard let left = try getChunkLeft() else { break }
                if amt <= left {
                    value.append(contentsOf: try safeRead(amt))
                    chunkLeft = left - amt
                    break
                }
                value.append(contentsOf: try safeRead(left))
                // left >= -1 here (a lower size fails in read), so no overflow.
                amt = amt.subtractingReportingOverflow(left).partialValue
                chunkLeft = 0
            }
        } catch {
            if error.className == "IncompleteRead" { throw incomplete(value.count) }
            throw error
        }
        return value
    }

    /// Python `int(bytes, 16)`: ASCII whitespace around, an optional sign,
    /// an optional `0x`, single underscores between digits. Values beyond
    /// 64 bits saturate (they can only ever mean "more than we read").
    static func parseHexInt(_ b: [UInt8]) -> Int? {
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0D) }
        var s = b[...]
        while let f = s.first, isSpace(f) { s = s.dropFirst() }
        while let l = s.last, isSpace(l) { s = s.dropLast() }
        var neg = false
        if let f = s.first, f == 0x2B || f == 0x2D { neg = f == 0x2D; s = s.dropFirst() }
        var prefixed = false
        if s.count >= 2, s.first == 0x30, let x = s.dropFirst().first, x | 0x20 == 0x78 {
            s = s.dropFirst(2)
            prefixed = true
        }
        var v = 0
        var digits = 0
        var lastUnderscore = !prefixed   // "0x_1" is fine, "_1" is not
        for c in s {
            if c == 0x5F {
                if lastUnderscore { return nil }
                lastUnderscore = true
                continue
            }
            let d: Int
            switch c {
            case 0x30...0x39: d = Int(c - 0x30)
            case 0x41...0x46: d = Int(c - 0x41 + 10)
            case 0x61...0x66: d = Int(c - 0x61 + 10)
            default: return nil
            }
            lastUnderscore = false
            digits += 1
            let (m, o1) = v.multipliedReportingOverflow(by: 16)
            let (a, o2) = m.addingReportingOverflow(d)
            v = (o1 || o2) ? Int.max : a
        }
        if digits == 0 || lastUnderscore { return nil }
        return neg ? -v : v
    }
}
