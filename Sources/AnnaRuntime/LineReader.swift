#if canImport(Glibc)
import Glibc
#endif

/// Splits a byte stream into `\n`-terminated lines with a length cap. A
/// line over the cap is consumed to its end (framing stays aligned) and
/// reported with its size and first bytes (EX-FRAME-1, BR-FRAME-3). A final
/// unterminated line is returned at EOF.
final class LineReader {
    enum Item {
        case line([UInt8])
        case oversized(head: [UInt8], size: Int)
    }

    static let headBytes = 2048

    private let fd: Int32
    private let maxLine: Int
    private let keepNewline: Bool
    private var buf = [UInt8](repeating: 0, count: 1 << 16)
    private var start = 0
    private var end = 0
    private var eof = false

    init(fd: Int32, maxLine: Int, keepNewline: Bool = false) {
        self.fd = fd
        self.maxLine = maxLine
        self.keepNewline = keepNewline
    }

    /// The next line, or nil at end of input.
    func next() -> Item? {
        var partial: [UInt8] = []
        var oversizedHead: [UInt8]? = nil
        var size = 0
        while true {
            if start < end {
                let nl: Int? = buf.withUnsafeBufferPointer { b in
                    memchr(b.baseAddress! + start, 0x0A, end - start).map { UnsafeRawPointer($0) - UnsafeRawPointer(b.baseAddress!) }
                }
                let stop = nl ?? end
                let count = stop - start
                if oversizedHead == nil && size + count <= maxLine {
                    if nl != nil && partial.isEmpty {
                        let line = Array(buf[start..<(keepNewline ? stop + 1 : stop)])
                        start = stop + 1
                        return .line(line)
                    }
                    partial.append(contentsOf: buf[start..<stop])
                } else if oversizedHead == nil {
                    oversizedHead = Array((partial + buf[start..<stop]).prefix(LineReader.headBytes))
                    partial = []
                }
                size += count
                if let nl {
                    start = nl + 1
                    if let head = oversizedHead { return .oversized(head: head, size: size) }
                    if keepNewline { partial.append(0x0A) }
                    return .line(partial)
                }
                start = end
            }
            if eof { break }
            start = 0
            end = 0
            let n = buf.withUnsafeMutableBytes { Sys.readFD(fd, $0.baseAddress!, $0.count) }
            if n <= 0 { eof = true } else { end = n }
        }
        if let head = oversizedHead { return .oversized(head: head, size: size) }
        return partial.isEmpty ? nil : .line(partial)
    }
}
