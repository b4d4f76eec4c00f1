import AnnaCore
import AnnaJSON
import AnnaRuntime
import CAnnaRuntime
#if canImport(Glibc)
import Glibc
#endif

// The C ABI (include/annaruntime.h). `@c @implementation` makes the compiler
// check every signature against the hand-written header. Each function is a
// few lines: decode pointers (NULL is an error, never a trap), call the
// runtime, hand back a malloc'd string.

@c @implementation
public func anna_runtime_version() -> UnsafePointer<CChar>? {
    CStrings.version
}

@c @implementation
public func anna_dispatcher_version() -> UnsafePointer<CChar>? {
    CStrings.dispatcherVersion
}

@c @implementation
public func anna_runtime_new(_ config_json: UnsafePointer<CChar>?,
                             _ error_out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> OpaquePointer? {
    error_out?.pointee = nil
    let text: String?
    if let config_json {
        guard let s = CBridge.string(config_json) else {
            error_out?.pointee = CBridge.errorObject("invalid_config", "config is not valid UTF-8")
            return nil
        }
        text = s
    } else {
        text = nil
    }
    switch RuntimeConfig.parse(text) {
    case .failure(let e):
        error_out?.pointee = CBridge.errorObject("invalid_config", e.message)
        return nil
    case .success(let config):
        do {
            let handle = RuntimeHandle(runtime: try Runtime(config: config))
            return OpaquePointer(Unmanaged.passRetained(handle).toOpaque())
        } catch {
            error_out?.pointee = CBridge.errorObject("invalid_config", error.message)
            return nil
        }
    }
}

@c @implementation
public func anna_runtime_free(_ rt: OpaquePointer?) {
    guard let rt else { return }
    let handle = Unmanaged<RuntimeHandle>.fromOpaque(UnsafeRawPointer(rt)).takeRetainedValue()
    handle.runtime.setHostSink(nil)
    handle.runtime.shutdown()
}

@c @implementation
public func anna_runtime_call(_ rt: OpaquePointer?, _ request_json: UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>? {
    guard let handle = RuntimeHandle.from(rt) else {
        return CBridge.rpcError(-32603, "internal: runtime handle is NULL")
    }
    guard let request_json else { return CBridge.rpcError(-32600, "request must be an object") }
    let len = strlen(request_json)
    var out = ByteBuffer(capacity: 256)
    request_json.withMemoryRebound(to: UInt8.self, capacity: len) { p in
        handle.runtime.handleLine(UnsafeBufferPointer(start: p, count: len), into: &out)
    }
    return out.takeCString()
}

@c @implementation
public func anna_dev_token_mint(_ rt: OpaquePointer?, _ params_json: UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>? {
    let result = TokenAPI.mint(runtime: RuntimeHandle.from(rt)?.runtime, params: params_json)
    return CBridge.encode(result)
}

@c @implementation
public func anna_dev_token_verify(_ rt: OpaquePointer?, _ params_json: UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>? {
    TokenAPI.verify(runtime: RuntimeHandle.from(rt)?.runtime, params: params_json)
}

@c @implementation
public func anna_runtime_set_host_handler(_ rt: OpaquePointer?, _ fn: anna_host_call_fn?,
                                          _ userdata: UnsafeMutableRawPointer?) -> Int32 {
    guard let handle = RuntimeHandle.from(rt) else { return -1 }
    guard let fn else {
        handle.runtime.setHostSink(nil)
        return 0
    }
    let context = CallbackContext(fn: fn, userdata: userdata)
    handle.runtime.setHostSink { id, method, params in
        var p = params
        p.append(0)
        method.withCString { m in
            p.withUnsafeBufferPointer { buf in
                buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { cp in
                    context.fn(context.userdata, id, m, cp)
                }
            }
        }
    }
    return 0
}

@c @implementation
public func anna_runtime_host_reply(_ rt: OpaquePointer?, _ call_id: UInt64, _ reply_json: UnsafePointer<CChar>?) -> Int32 {
    guard let handle = RuntimeHandle.from(rt), let reply_json else { return -1 }
    let registry = handle.runtime.hostCallRegistry
    let len = strlen(reply_json)
    let parsed: JSON? = reply_json.withMemoryRebound(to: UInt8.self, capacity: len) { p in
        try? JSONParser.parse(UnsafeBufferPointer(start: p, count: len))
    }
    guard case .object(let o)? = parsed else { return -1 }
    return registry.reply(call_id, response: o) ? 0 : -1
}

@c @implementation
public func anna_string_free(_ s: UnsafeMutablePointer<CChar>?) {
    free(s)
}
