import AnnaCore
import AnnaJSON

/// `sock.makefile("rb")`: the buffered reader http.client parses from.
/// A failing `recv` propagates its exception; bytes already buffered are
/// not returned with it (as in CPython's BufferedReader).
final class BufferedReader {
    private let stream: WebStream
    private var buf: [UInt8] = []
    private var pos = 0
    private var eof = false
    /// Absolute monotonic deadline for the whole exchange (never-block guard).
    let deadline: UInt64?
    static let chunk = 8192

    init(_ stream: WebStream, deadline: UInt64?) {
        self.stream = stream
        self.deadline = deadline
    }

    private var available: Int { buf.count - pos }

    /// Reads more into the buffer; false at end of stream.
    private func fill() throws(PyException) -> Bool {
        if eof { return false }
        if pos > 0 && pos == buf.count { buf.removeAll(keepingCapacity: true); pos = 0 }
        let data = try stream.recv(max: BufferedReader.chunk, deadline: deadline)
        if data.isEmpty { eof = true; return false }
        buf.append(contentsOf: data)
        return true
    }

    private func take(_ n: Int) -> [UInt8] {
        let out = Array(buf[pos..<(pos + n)])
        pos += n
        if pos == buf.count { buf.removeAll(keepingCapacity: true); pos = 0 }
        return out
    }

    /// `readline(limit)`: through the next `\n`, at most `limit` bytes.
    func readline(limit: Int) throws(PyException) -> [UInt8] {
        var scanned = 0
        while true {
            let n = min(available, limit)
            var i = scanned
            while i < n {
                if buf[pos + i] == 0x0A { return take(i + 1) }
                i += 1
            }
            scanned = n
            if n >= limit { return take(limit) }
            if try !fill() { return take(available) }
        }
    }

    /// `read(n)`: n >= 0 reads until n bytes or end of stream; -1 reads to
    /// the end; anything lower is CPython's ValueError.
    func read(_ n: Int) throws(PyException) -> [UInt8] {
        if n < -1 { throw .valueError("read length must be non-negative or -1") }
        if n == -1 {
            while try fill() {}
            return take(available)
        }
        while available < n {
            if try !fill() { break }
        }
        return take(min(n, available))
    }
}
