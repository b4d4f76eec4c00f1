import AnnaCore
import AnnaJSON
import Synchronization

/// Registered executa specs by tool id (EX-SPEC-1..3). Registration spawns
/// nothing (EX-POOL-2); the pool reads the spec at first invoke.
public final class ExecutaRegistry: Sendable {
    public struct Spec: Sendable {
        public var toolId: JStr
        public var projectDir: String
        /// nil = the default `uv run --project <dir> <tool_id>` (EX-SPAWN-1).
        public var command: [String]?
    }

    private let specs = RWLock<[JStr: Spec]>([:])

    public init() {}

    public func register(_ spec: Spec) { specs.write { $0[spec.toolId] = spec } }
    public func spec(_ toolId: JStr) -> Spec? { specs.read { $0[toolId] } }
    public func isRegistered(_ toolId: JStr) -> Bool { specs.read { $0[toolId] != nil } }
}
