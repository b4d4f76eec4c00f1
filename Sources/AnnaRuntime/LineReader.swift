#if canImport(Glibc)
import Glibc
#endif

/// Splits a byte stream into `\n`-terminated lines with a length cap. A
/// line over the cap is consumed to its end (framing stays aligned) and
/// reported with its size and first bytes (EX-FRAME-1, BR-FRAME-3). A final
/// unterminated line is delivered at EOF (BR-FRAME-5, EX-READ-1).
/// Used for the bridge's stdin and every plugin's stdout and stderr.
struct LineReader {
    static let headBytes = 2048

    let fd: Int32
    let maxLine: Int
    /// Deliver lines with their `\n` (stderr forwarding keeps it).
    var keepNewline = false

    /// Reads until EOF. `line` gets each line (valid only during the call;
    /// lines inside one read chunk are not copied), `oversized` each capped
    /// line, and `drained` runs whenever no complete line is buffered, just
    /// before the reader would block (the bridge flushes batched output then).
    /// `atEOF` runs as soon as end of input is seen, before a final
    /// unterminated line is delivered.
    func run(line: (UnsafeBufferPointer<UInt8>) -> Void,
             oversized: (_ head: [UInt8], _ size: Int) -> Void,
             drained: () -> Void = {},
             atEOF: () -> Void = {}) {
        let chunkSize = 1 << 16
        let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
        defer { buf.deallocate() }
        var partial: [UInt8] = []
        var head: [UInt8]? = nil   // set while draining an oversized line
        var size = 0
        while true {
            drained()
            let n = Sys.readFD(fd, buf, chunkSize)
            if n <= 0 { break }
            var start = 0
            while start < n {
                let nlPtr = memchr(buf + start, 0x0A, n - start)
                let stop = nlPtr.map { UnsafeMutablePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - buf } ?? n
                let count = stop - start
                let withNewline = keepNewline && nlPtr != nil ? 1 : 0
                if head == nil && size + count > maxLine {
                    head = Array((partial + Array(UnsafeBufferPointer(start: buf + start, count: count))).prefix(LineReader.headBytes))
                    partial = []
                } else if head == nil {
                    if nlPtr != nil && partial.isEmpty {
                        line(UnsafeBufferPointer(start: buf + start, count: count + withNewline))
                        start = stop + 1
                        continue
                    }
                    partial.append(contentsOf: UnsafeBufferPointer(start: buf + start, count: count + withNewline))
                }
                size += count
                guard nlPtr != nil else { break }
                if let h = head { oversized(h, size) } else { partial.withUnsafeBufferPointer { line($0) } }
                partial.removeAll(keepingCapacity: true)
                head = nil
                size = 0
                start = stop + 1
            }
        }
        atEOF()
        if let h = head { oversized(h, size) } else if !partial.isEmpty { partial.withUnsafeBufferPointer { line($0) } }
        drained()
    }
}
