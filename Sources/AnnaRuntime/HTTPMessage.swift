import AnnaCore
import AnnaJSON

/// Response headers as `http.client.parse_headers` gives them: the raw
/// header lines, decoded as ISO-8859-1, run through the `email` package's
/// compat32 feed parser. What the reference reads (`Content-Type`,
/// `Location`, `Transfer-Encoding`, `Content-Length`) comes out with that
/// parser's quirks: lines also break at a lone CR, a line that is not a
/// header ends the block, continuation lines are kept verbatim, `get`
/// answers the first field of that name.
struct HTTPMessage {
    private(set) var fields: [(name: CPs, value: CPs)] = []

    /// `email.parser.Parser().parsestr(block)` for a header block.
    init(block: CPs) {
        let lines = HTTPMessage.crackLines(block)
        var headerLines: [CPs] = []
        for line in lines {
            if !HTTPMessage.isHeaderLine(line) { break }
            headerLines.append(line)
        }
        var lastName: CPs? = nil
        var lastValue: [CPs] = []
        func flush() {
            if let n = lastName, let first = lastValue.first {
                // compat32 header_source_parse: value after the first ':',
                // leading blanks dropped, continuations appended, CR/LF
                // stripped from the end.
                var value = Array(PyStr.partition(first, 0x3A).2.drop(while: { $0 == 0x20 || $0 == 0x09 }))
                for more in lastValue.dropFirst() { value.append(contentsOf: more) }
                while let l = value.last, l == 0x0D || l == 0x0A { value.removeLast() }
                fields.append((n, value))
            }
            lastName = nil
            lastValue = []
        }
        for line in headerLines {
            guard let c0 = line.first else { continue }
            if c0 == 0x20 || c0 == 0x09 {
                // A continuation; before any field it is a defect, dropped.
                if lastName != nil { lastValue.append(line) }
                continue
            }
            flush()
            if PyStr.hasPrefix(line, PyStr.cps("From ")) {
                // A unix-from line (or a misplaced one) is not a field.
                continue
            }
            guard let i = PyStr.find(0x3A, in: line), i > 0 else { continue }
            lastName = Array(line[0..<i])
            lastValue = [line]
        }
        flush()
    }

    /// Split keeping line ends, at `\r\n`, `\r` or `\n`.
    static func crackLines(_ s: CPs) -> [CPs] {
        var out: [CPs] = []
        var cur: CPs = []
        var i = 0
        while i < s.count {
            let c = s[i]
            cur.append(c)
            if c == 0x0A {
                out.append(cur); cur = []
            } else if c == 0x0D {
                if i + 1 < s.count && s[i + 1] == 0x0A { cur.append(0x0A); i += 1 }
                out.append(cur); cur = []
            }
            i += 1
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    /// feedparser's `headerRE`: `^(From |[\041-\071\073-\176]*:|[\t ])`.
    static func isHeaderLine(_ line: CPs) -> Bool {
        guard let c0 = line.first else { return false }
        if c0 == 0x20 || c0 == 0x09 { return true }
        if PyStr.hasPrefix(line, PyStr.cps("From ")) { return true }
        for c in line {
            if c == 0x3A { return true }
            if !(c >= 0x21 && c <= 0x7E) { return false }
        }
        return false
    }

    static func key(_ s: CPs) -> CPs { PyStr.lower(s) }

    /// `msg.get(name)`.
    func get(_ name: String) -> CPs? {
        let k = HTTPMessage.key(PyStr.cps(name))
        return fields.first { HTTPMessage.key($0.name) == k }?.value
    }

    /// `name in msg`.
    func contains(_ name: String) -> Bool { get(name) != nil }
}
