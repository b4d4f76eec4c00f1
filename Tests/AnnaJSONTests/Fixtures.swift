import AnnaJSON
import AnnaTestSupport

/// Loads a language-neutral fixture from tests/fixtures.
enum Fixtures {
    static func load(_ name: String) -> JSON { RepoFiles.json("tests/fixtures/" + name) }
}
