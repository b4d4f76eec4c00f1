import AnnaCore
import AnnaJSON

/// The reference's fallback HTML-to-text extraction (WEB-FETCH-6), i.e.
/// its four regular expressions run by Python's `re`, re-done as scans:
///   title   `<title[^>]*>(.*?)</title>`           (IGNORECASE, DOTALL)
///   drop    `<(script|style|noscript|template)[^>]*>.*?</\1>`  → " "
///   tags    `<[^>]+>`                             → " " ("" in the title)
///   spaces  `\s+` → " " (title); `[ \t]+` → " " then `\s*\n\s*` → "\n" (content)
/// Case-insensitive matching follows `re`: a pattern letter matches a
/// character whose simple lowercase is that letter, and `i`/`s` also match
/// `ı`/`ſ`; the `\1` back-reference compares simple lowercases.
enum HTMLText {
    static func extract(_ html: CPs) -> (title: CPs?, content: CPs?) {
        var title: CPs? = nil
        if let inner = firstTitle(html) {
            let t = PyStr.strip(collapseWhitespace(replaceTags(inner, with: [])))
            title = t.isEmpty ? nil : t
        }
        var text = replaceTags(dropElements(html), with: [0x20])
        text = collapseBlanks(text)
        text = PyStr.strip(collapseNewlines(text))
        return (text.isEmpty ? nil : text, title)
    }

    /// Simple (one-to-one) lowercase, enough for the letters of the
    /// patterns: only ASCII letters, U+0130 (→ i) and U+212A (→ k) lower
    /// to an ASCII letter.
    static func simpleLower(_ c: UInt32) -> UInt32 {
        if c >= 0x41 && c <= 0x5A { return c | 0x20 }
        if c == 0x130 { return 0x69 }
        if c == 0x212A { return 0x6B }
        return c
    }

    /// `re` IGNORECASE literal match of pattern letter `p` (lowercase ASCII).
    static func matchesLetter(_ c: UInt32, _ p: UInt32) -> Bool {
        let l = simpleLower(c)
        if l == p { return true }
        if p == 0x69 && l == 0x131 { return true }  // i ~ ı
        if p == 0x73 && l == 0x17F { return true }  // s ~ ſ
        return false
    }

    static func matchesWord(_ s: CPs, at i: Int, _ word: String) -> Bool {
        var j = i
        for u in word.utf8 {
            guard j < s.count, matchesLetter(s[j], UInt32(u)) else { return false }
            j += 1
        }
        return true
    }

    /// First index >= from of `</` + word + `>`, the word compared as the
    /// back-reference does (simple lowercase of both sides) against `cap`.
    static func findClose(_ s: CPs, from: Int, _ cap: CPs) -> Int? {
        var i = from
        while i + cap.count + 3 <= s.count {
            if s[i] == 0x3C && s[i + 1] == 0x2F {
                var ok = true
                for (k, c) in cap.enumerated() where simpleLower(s[i + 2 + k]) != simpleLower(c) { ok = false; break }
                if ok && s[i + 2 + cap.count] == 0x3E { return i }
            }
            i += 1
        }
        return nil
    }

    static func closeAngle(_ s: CPs, from: Int) -> Int? { PyStr.find(0x3E, in: s, from: from) }

    /// Inner text of the first `<title…>…</title>`. If the first opening
    /// tag finds no `>` or no closing tag, no later one can (their search
    /// ranges are suffixes), so the scan stops: `re` would retry at every
    /// position, quadratic on a 5 MiB page.
    static func firstTitle(_ s: CPs) -> CPs? {
        var i = 0
        while i < s.count {
            if s[i] == 0x3C && matchesWord(s, at: i + 1, "title") {
                guard let gt = closeAngle(s, from: i + 6), let end = findCloseTitle(s, from: gt + 1) else { return nil }
                return Array(s[(gt + 1)..<end])
            }
            i += 1
        }
        return nil
    }

    /// `</title>` with the pattern's own case-insensitive letters.
    static func findCloseTitle(_ s: CPs, from: Int) -> Int? {
        var i = from
        while i + 8 <= s.count {
            if s[i] == 0x3C && s[i + 1] == 0x2F && matchesWord(s, at: i + 2, "title") && s[i + 7] == 0x3E { return i }
            i += 1
        }
        return nil
    }

    static let dropped = ["script", "style", "noscript", "template"]

    /// `_TAG_STRIP_RE.sub(" ", s)`.
    static func dropElements(_ s: CPs) -> CPs {
        var out: CPs = []
        out.reserveCapacity(s.count)
        var i = 0
        // A failed search for `</cap>` from p fails from any later p too:
        // remember it so unclosed tags cost O(n) in total, not O(n²).
        var failedFrom: [CPs: Int] = [:]
        var noAngleFrom = Int.max
        var lastGT = -1
        outer: while i < s.count {
            if s[i] == 0x3C {
                for w in dropped where matchesWord(s, at: i + 1, w) {
                    let cap = Array(s[(i + 1)..<(i + 1 + w.utf8.count)])
                    let from = i + 1 + cap.count
                    if from >= noAngleFrom { continue }
                    // Searches start at increasing positions: reuse the last `>`.
                    if lastGT < from { lastGT = closeAngle(s, from: from) ?? -1 }
                    guard lastGT >= from else { noAngleFrom = from; continue }
                    let gt = lastGT
                    if let f = failedFrom[cap], gt + 1 >= f { continue }
                    guard let close = findClose(s, from: gt + 1, cap) else { failedFrom[cap] = gt + 1; continue }
                    out.append(0x20)
                    i = close + 3 + cap.count
                    continue outer
                }
            }
            out.append(s[i])
            i += 1
        }
        return out
    }

    /// `_HTML_TAG_RE.sub(repl, s)`: `<`, at least one non-`>`, then `>`.
    static func replaceTags(_ s: CPs, with repl: CPs) -> CPs {
        var out: CPs = []
        out.reserveCapacity(s.count)
        var i = 0
        // Positions only grow, so the last `>` found answers later
        // searches until it is passed: O(n) overall.
        var gt = -1
        var noneAfter = Int.max
        while i < s.count {
            if s[i] == 0x3C, i + 1 < s.count, s[i + 1] != 0x3E, i + 1 < noneAfter {
                if gt <= i + 1 { gt = PyStr.find(0x3E, in: s, from: i + 2) ?? -1 }
                if gt > i + 1 {
                    out.append(contentsOf: repl)
                    i = gt + 1
                    continue
                }
                noneAfter = i + 1
            }
            out.append(s[i])
            i += 1
        }
        return out
    }

    /// `re.sub(r"\s+", " ", s)`.
    static func collapseWhitespace(_ s: CPs) -> CPs {
        collapseRuns(s) { Py.isStripSpace($0) }
    }

    /// `re.sub(r"[ \t]+", " ", s)`.
    static func collapseBlanks(_ s: CPs) -> CPs {
        collapseRuns(s) { $0 == 0x20 || $0 == 0x09 }
    }

    /// Each maximal run of code points matching `isRun` becomes one space.
    static func collapseRuns(_ s: CPs, _ isRun: (UInt32) -> Bool) -> CPs {
        var out: CPs = []
        out.reserveCapacity(s.count)
        var inRun = false
        for c in s {
            if isRun(c) {
                if !inRun { out.append(0x20) }
                inRun = true
            } else {
                out.append(c)
                inRun = false
            }
        }
        return out
    }

    /// `re.sub(r"\s*\n\s*", "\n", s)`: each maximal whitespace run that
    /// holds a newline becomes one newline.
    static func collapseNewlines(_ s: CPs) -> CPs {
        var out: CPs = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if Py.isStripSpace(s[i]) {
                var j = i
                var hasNL = false
                while j < s.count && Py.isStripSpace(s[j]) {
                    if s[j] == 0x0A { hasNL = true }
                    j += 1
                }
                if hasNL { out.append(0x0A) } else { out.append(contentsOf: s[i..<j]) }
                i = j
                continue
            }
            out.append(s[i])
            i += 1
        }
        return out
    }
}
