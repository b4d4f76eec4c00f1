import AnnaRuntime
import CAnnaRuntime

/// What an `anna_runtime *` points at (a retained Swift object).
final class RuntimeHandle {
    let runtime: Runtime
    init(runtime: Runtime) { self.runtime = runtime }

    static func from(_ p: OpaquePointer?) -> RuntimeHandle? {
        guard let p else { return nil }
        return Unmanaged<RuntimeHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
    }
}

/// The host's callback and its userdata; the host promises they stay
/// valid while installed, which is what makes this Sendable.
struct CallbackContext: @unchecked Sendable {
    let fn: anna_host_call_fn
    let userdata: UnsafeMutableRawPointer?
}
