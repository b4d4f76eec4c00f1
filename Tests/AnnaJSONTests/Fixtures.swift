import AnnaJSON
#if canImport(Glibc)
import Glibc
#endif

/// Loads a language-neutral fixture from tests/fixtures (shared with the C,
/// Python and Node suites).
enum Fixtures {
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)   // Tests/AnnaJSONTests/Fixtures.swift
        return parts.joined(separator: "/")
    }()

    static func load(_ name: String) -> JSON {
        let path = root + "/tests/fixtures/" + name
        guard let f = fopen(path, "rb") else { return .null }
        defer { fclose(f) }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return (try? JSONParser.parse(bytes)) ?? .null
    }
}
