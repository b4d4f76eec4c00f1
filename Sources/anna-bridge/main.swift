import AnnaRuntime
#if canImport(Glibc)
import Glibc
#endif

// Drop-in replacement for `python -m anna_app_runtime_local.bridge` (09).
Sys.ignoreSIGPIPE()
var config = RuntimeConfig()
config.applyBridgeEnvironment()
// The reference bridge waits for the host forever (BR-OUT-2); keep parity
// unless told otherwise.
config.hostCallTimeoutMs = Int(Sys.getenv("ANNA_BRIDGE_HOST_CALL_TIMEOUT_MS") ?? "") ?? 0
do {
    let runtime = try Runtime(config: config)
    exit(StdioBridge(runtime: runtime).run())
} catch {
    let msg = "anna-bridge: \(error.message)\n"
    _ = msg.withCString { fputs($0, stderr) }
    exit(2)
}
