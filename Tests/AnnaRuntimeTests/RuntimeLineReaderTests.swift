#if canImport(Glibc)
import Glibc
#endif
import Testing
import AnnaCore
import CAnnaSys
@testable import AnnaRuntime

/// The runtime's LineReader (plugin stdout/stderr, bridge stdin) over real
/// pipes: framing on `\n` (EX-READ-1), the length cap (EX-FRAME-1) and the
/// EOF hook that runs before a final unterminated line.
@Suite struct RuntimeLineReaderTests {
    enum Event: Equatable, Sendable, CustomStringConvertible {
        case line(String)
        case oversized(size: Int, head: [UInt8])
        case eof

        var description: String {
            switch self {
            case .line(let s): return "line(\(s.count > 40 ? "\(s.prefix(20))…[\(s.count)]" : s.debugDescription))"
            case .oversized(let size, let head): return "oversized(\(size), head \(head.count))"
            case .eof: return "eof"
            }
        }
    }

    /// Writes `pieces` into a pipe from one thread (closing it after) and
    /// runs the reader on another (never on a cooperative thread); the
    /// events in order and the number of `drained` calls after the last event.
    static func read(_ pieces: [[UInt8]], maxLine: Int, keepNewline: Bool = false) async -> (events: [Event], drainedAfterEnd: Int) {
        await offThread { readSync(pieces, maxLine: maxLine, keepNewline: keepNewline) }
    }

    static func readSync(_ pieces: [[UInt8]], maxLine: Int, keepNewline: Bool = false) -> (events: [Event], drainedAfterEnd: Int) {
        // Close-on-exec: a plugin spawned meanwhile by a parallel test must
        // not inherit the write end (EOF would wait for that plugin to exit).
        var fds: [Int32] = [0, 0]
        precondition(csys_pipe_cloexec(&fds) == 0)
        let (r, w) = (fds[0], fds[1])
        let started = Sys.startThread {
            for piece in pieces {
                piece.withUnsafeBufferPointer { _ = Sys.writeAll(w, $0) }
            }
            close(w)
        }
        precondition(started)
        var events: [Event] = []
        var drainedAfter = 0
        LineReader(fd: r, maxLine: maxLine, keepNewline: keepNewline).run(
            line: { events.append(.line(String(decoding: $0, as: UTF8.self))); drainedAfter = 0 },
            oversized: { head, size in events.append(.oversized(size: size, head: head)); drainedAfter = 0 },
            drained: { drainedAfter += 1 },
            atEOF: { events.append(.eof); drainedAfter = 0 })
        close(r)
        return (events, drainedAfter)
    }

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func eofHookRunsBeforeTheFinalUnterminatedLine() async {
        let (events, drained) = await Self.read([Self.bytes("a\nb\ntail")], maxLine: 100)
        #expect(events == [.line("a"), .line("b"), .eof, .line("tail")])
        #expect(drained >= 1, "drained runs after the last line")
    }

    @Test func terminatedInputEndsWithTheHook() async {
        #expect(await Self.read([Self.bytes("a\n\nb\r\n")], maxLine: 100).events == [.line("a"), .line(""), .line("b\r"), .eof])
        #expect(await Self.read([], maxLine: 100).events == [.eof])
    }

    @Test func linesSplitAcrossWritesAndReads() async {
        // Pieces cut everywhere, and more than one 64 KiB read chunk in total.
        var all: [UInt8] = []
        var want: [Event] = []
        for i in 0..<3000 {
            let text = String(repeating: Character(UnicodeScalar(UInt8(97 + i % 26))), count: i % 97) + "é\(i)"
            all += Self.bytes(text + "\n")
            want.append(.line(text))
        }
        let long = String(repeating: "L", count: 150_000)   // a line over two read chunks, under the cap
        all += Self.bytes(long + "\nend")
        want += [.line(long), .eof, .line("end")]
        var pieces: [[UInt8]] = []
        var i = 0, step = 1
        while i < all.count {
            let n = min(step, all.count - i)
            pieces.append(Array(all[i..<i + n]))
            i += n
            step = step % 7919 + 13
        }
        let events = await Self.read(pieces, maxLine: 200_000).events
        #expect(events.count == want.count)
        #expect(events == want)
    }

    @Test func capIsInclusiveAndOversizedLinesKeepFramingAligned() async {
        let ten = String(repeating: "x", count: 10)
        let eleven = String(repeating: "y", count: 11)
        let events = await Self.read([Self.bytes("\(ten)\n\(eleven)\nnext\n")], maxLine: 10).events
        #expect(events == [.line(ten), .oversized(size: 11, head: Array(eleven.utf8)), .line("next"), .eof])
    }

    @Test func oversizedHeadIsTheFirst2048Bytes() async {
        // 300 000 bytes over several reads with a 100 000 cap: one oversized event, then the next line.
        var big = Self.bytes("{\"id\": 5, \"result\": \"")
        big += [UInt8](repeating: UInt8(ascii: "z"), count: 300_000 - big.count)
        let events = await Self.read([big + [10], Self.bytes("after\n")], maxLine: 100_000).events
        #expect(events == [.oversized(size: 300_000, head: Array(big.prefix(2048))), .line("after"), .eof])
    }

    @Test func oversizedFinalLineIsReportedAfterTheHook() async {
        let events = await Self.read([Self.bytes("ok\n" + String(repeating: "q", count: 50))], maxLine: 20).events
        #expect(events == [.line("ok"), .eof, .oversized(size: 50, head: Array(repeating: UInt8(ascii: "q"), count: 50))])
    }

    @Test func keepNewlineForStderr() async {
        let events = await Self.read([Self.bytes("one\ntwo\nfrag")], maxLine: 100, keepNewline: true).events
        #expect(events == [.line("one\n"), .line("two\n"), .eof, .line("frag")])
    }
}
