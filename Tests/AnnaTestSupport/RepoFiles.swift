import AnnaJSON
#if canImport(Glibc)
import Glibc
#endif

/// Files of this repository for the tests: the language-neutral fixtures in
/// tests/fixtures (shared with the C, Python and Node suites) and the
/// vendored schema bundle.
public enum RepoFiles {
    public static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)   // Tests/AnnaTestSupport/RepoFiles.swift
        return parts.joined(separator: "/")
    }()

    public static func bytes(_ relativePath: String) -> [UInt8]? {
        guard let f = fopen(root + "/" + relativePath, "rb") else { return nil }
        defer { fclose(f) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    public static func text(_ relativePath: String) -> String? {
        bytes(relativePath).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The parsed JSON of a file, or null when missing or unparsable.
    public static func json(_ relativePath: String) -> JSON {
        bytes(relativePath).flatMap { try? JSONParser.parse($0) } ?? .null
    }
}
