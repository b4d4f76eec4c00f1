#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Splits an input into `\n`-terminated lines without copying complete
/// lines out of its buffer. A line longer than `maxLine` bytes is consumed
/// to its end (so framing stays aligned) and reported with its size and
/// first bytes instead of being buffered whole (07 EX-FRAME-1).
struct LineReader {
    enum Event {
        case line(UnsafeBufferPointer<UInt8>)
        case oversized(size: Int, head: UnsafeBufferPointer<UInt8>)
    }

    enum Outcome: Equatable {
        case endOfInput
        case stopped
        case readError
    }

    static let defaultMaxLine = 16 * 1024 * 1024
    static let headBytes = 2048

    let maxLine: Int
    let initialCapacity: Int

    init(maxLine: Int = LineReader.defaultMaxLine, initialCapacity: Int = 64 * 1024) {
        self.maxLine = Swift.max(maxLine, 1)
        self.initialCapacity = Swift.max(initialCapacity, 64)
    }

    /// Reads until end of input, a read error, or `body` returns false.
    func run(_ input: some ExecutaInput, _ body: (Event) -> Bool) -> Outcome {
        var cap = initialCapacity
        guard var buf = malloc(cap)?.assumingMemoryBound(to: UInt8.self) else { return .readError }
        defer { free(buf) }
        var start = 0, end = 0, scan = 0
        var discarding = false
        var discarded = 0
        var head = [UInt8]()

        while true {
            // Hand out every complete line already buffered.
            while start < end {
                if discarding {
                    if let nl = Sys.memchr(buf + start, 0x0A, end - start) {
                        discarded += nl
                        start += nl + 1
                        scan = start
                        discarding = false
                        let go = head.withUnsafeBufferPointer { body(.oversized(size: discarded, head: $0)) }
                        if !go { return .stopped }
                        continue
                    }
                    discarded += end - start
                    start = end
                    break
                }
                guard let off = Sys.memchr(buf + scan, 0x0A, end - scan) else {
                    scan = end
                    break
                }
                let nl = scan + off
                let line = UnsafeBufferPointer(start: buf + start, count: nl - start)
                start = nl + 1
                scan = start
                let event: Event = line.count > maxLine
                    ? .oversized(size: line.count, head: UnsafeBufferPointer(rebasing: line.prefix(LineReader.headBytes)))
                    : .line(line)
                if !body(event) { return .stopped }
            }
            if start == end {
                start = 0; end = 0; scan = 0
            } else if start > 0 {
                memmove(buf, buf + start, end - start)
                end -= start; scan -= start; start = 0
            }
            if !discarding && end > maxLine {
                discarding = true
                head = Array(UnsafeBufferPointer(start: buf, count: Swift.min(end, LineReader.headBytes)))
                discarded = end
                start = 0; end = 0; scan = 0
            }
            if end == cap {
                let newCap = Swift.min(cap * 2, maxLine + initialCapacity)
                guard let grown = realloc(buf, newCap) else { return .readError }
                buf = grown.assumingMemoryBound(to: UInt8.self)
                cap = newCap
            }
            let n = input.read(into: UnsafeMutableRawBufferPointer(start: buf + end, count: cap - end))
            if n == 0 {
                // A final line without its newline still counts (07 EX-READ-1).
                if discarding {
                    _ = head.withUnsafeBufferPointer { body(.oversized(size: discarded, head: $0)) }
                } else if end > start {
                    let line = UnsafeBufferPointer(start: buf + start, count: end - start)
                    _ = body(line.count > maxLine
                        ? .oversized(size: line.count, head: UnsafeBufferPointer(rebasing: line.prefix(LineReader.headBytes)))
                        : .line(line))
                }
                return .endOfInput
            }
            if n < 0 { return .readError }
            end += n
        }
    }
}
