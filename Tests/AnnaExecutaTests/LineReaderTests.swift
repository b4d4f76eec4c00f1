import Testing
@testable import AnnaExecuta

/// Framing: lines split on `\n` across reads of any size, oversized lines
/// skipped without losing alignment (07 EX-READ-1, EX-FRAME-1).
@Suite struct LineReaderTests {
    /// Hands out its bytes `chunk` at a time.
    final class ChunkedInput: ExecutaInput, @unchecked Sendable {
        let bytes: [UInt8]
        let chunk: Int
        var offset = 0
        init(_ s: String, chunk: Int) { bytes = Array(s.utf8); self.chunk = chunk }
        func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
            let n = min(chunk, buffer.count, bytes.count - offset)
            guard n > 0 else { return 0 }
            for i in 0..<n { buffer[i] = bytes[offset + i] }
            offset += n
            return n
        }
    }

    func collect(_ s: String, chunk: Int, maxLine: Int = 64) -> [String] {
        var out: [String] = []
        let reader = LineReader(maxLine: maxLine, initialCapacity: 64)
        _ = reader.run(ChunkedInput(s, chunk: chunk)) { event in
            switch event {
            case .line(let b): out.append(String(decoding: b, as: UTF8.self))
            case .oversized(let size, let head):
                // The head is what was buffered when the line crossed the limit.
                out.append("<\(size):\(String(decoding: head.prefix(3), as: UTF8.self))>")
            }
            return true
        }
        return out
    }

    @Test(arguments: [1, 3, 7, 64, 1000])
    func splitsAcrossReads(chunk: Int) {
        let long = String(repeating: "y", count: 100)
        let input = "a\n\nbb\n\(long)\nccc\n\(String(repeating: "z", count: 64))\ntail"
        #expect(collect(input, chunk: chunk) == ["a", "", "bb", "<100:yyy>", "ccc", String(repeating: "z", count: 64), "tail"])
    }

    @Test func oversizedFinalLine() {
        #expect(collect("ok\n" + String(repeating: "x", count: 500), chunk: 50) == ["ok", "<500:xxx>"])
    }

    @Test func stopsWhenAsked() {
        var seen = 0
        let outcome = LineReader().run(ChunkedInput("1\n2\n3\n", chunk: 100)) { _ in
            seen += 1
            return seen < 2
        }
        #expect(outcome == .stopped)
        #expect(seen == 2)
    }
}
