#if canImport(Glibc)
import Glibc
#endif
import AnnaCore
import AnnaJSON

/// The system OpenSSL, loaded at run time.
///
/// libannaruntime.so must load into any host without new link-time
/// dependencies (scripts/check-exports.sh, BUILD-NOTES), so libssl is
/// opened with `dlopen` on the first https request and the few functions
/// the client needs are looked up by name. Every OpenSSL 1.1.1 and 3.x
/// exports them all as real functions (the macros among the documented
/// API, SNI and the mode/version setters, go through `SSL_ctrl` /
/// `SSL_CTX_ctrl`). A host without libssl keeps the old behaviour: https
/// connects, then fails with `unavailable`.
///
/// The handle is never closed: OpenSSL registers exit handlers and keeps
/// per-thread state, and SSL objects may outlive any caller.
final class TLSLibrary: @unchecked Sendable {
    typealias Ctx = OpaquePointer
    typealias SSL = OpaquePointer

    // SSL_CTX set-up (TLSContext).
    let TLS_client_method: @convention(c) () -> OpaquePointer?
    let SSL_CTX_new: @convention(c) (OpaquePointer?) -> Ctx?
    let SSL_CTX_free: @convention(c) (Ctx?) -> Void
    let SSL_CTX_set_default_verify_paths: @convention(c) (Ctx?) -> Int32
    let SSL_CTX_set_verify: @convention(c) (Ctx?, Int32, OpaquePointer?) -> Void
    let SSL_CTX_ctrl: @convention(c) (Ctx?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let SSL_CTX_set_cipher_list: @convention(c) (Ctx?, UnsafePointer<CChar>?) -> Int32
    let SSL_CTX_set_options: @convention(c) (Ctx?, UInt64) -> UInt64
    let SSL_CTX_set_alpn_protos: @convention(c) (Ctx?, UnsafePointer<UInt8>?, UInt32) -> Int32
    let X509_get_default_cert_file: @convention(c) () -> UnsafePointer<CChar>?

    // One connection (TLSStream).
    let SSL_new: @convention(c) (Ctx?) -> SSL?
    let SSL_free: @convention(c) (SSL?) -> Void
    let SSL_set_fd: @convention(c) (SSL?, Int32) -> Int32
    let SSL_ctrl: @convention(c) (SSL?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let SSL_get0_param: @convention(c) (SSL?) -> OpaquePointer?
    let X509_VERIFY_PARAM_set1_host: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int) -> Int32
    let X509_VERIFY_PARAM_set1_ip_asc: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32
    let X509_VERIFY_PARAM_set_hostflags: @convention(c) (OpaquePointer?, UInt32) -> Void
    let SSL_connect: @convention(c) (SSL?) -> Int32
    let SSL_read: @convention(c) (SSL?, UnsafeMutableRawPointer?, Int32) -> Int32
    let SSL_write: @convention(c) (SSL?, UnsafeRawPointer?, Int32) -> Int32
    let SSL_get_error: @convention(c) (SSL?, Int32) -> Int32
    let SSL_get_verify_result: @convention(c) (SSL?) -> Int

    // Error texts (TLSError).
    let ERR_peek_last_error: @convention(c) () -> UInt
    let ERR_clear_error: @convention(c) () -> Void
    let ERR_reason_error_string: @convention(c) (UInt) -> UnsafePointer<CChar>?
    let X509_verify_cert_error_string: @convention(c) (Int) -> UnsafePointer<CChar>?

    /// Optional: CPython turns on post-handshake authentication for
    /// clients; its absence changes nothing a server can rely on.
    let SSL_set_post_handshake_auth: (@convention(c) (SSL?, Int32) -> Void)?

    /// `OpenSSL_version_num()`: the packed error codes changed layout in 3.0.
    let version: UInt

    /// The loaded library, or the reason https is unavailable (URLError text).
    static let shared: Result<TLSLibrary, PyException> = load()

    static let unavailablePrefix = "[TLS] https is not available in this runtime"

    private static func load() -> Result<TLSLibrary, PyException> {
        // libssl.so.3 is the runtime package's name on every current
        // distribution; the unversioned name exists only with -dev packages.
        var handle: UnsafeMutableRawPointer?
        var name = ""
        for candidate in ["libssl.so.3", "libssl.so"] {
            if let h = dlopen(candidate, RTLD_NOW | RTLD_LOCAL) {
                handle = h
                name = candidate
                break
            }
        }
        guard let h = handle else {
            return .failure(unavailable("libssl.so.3 not found"))
        }
        do throws(PyException) {
            return .success(try TLSLibrary(h, name))
        } catch {
            return .failure(error)
        }
    }

    static func unavailable(_ why: String) -> PyException {
        PyException("OSError", JStr("\(unavailablePrefix) (\(why))"))
    }

    private init(_ h: UnsafeMutableRawPointer, _ name: String) throws(PyException) {
        // dlsym on a handle also searches its dependencies, so libcrypto's
        // functions (ERR_*, X509_*) are found through libssl's handle.
        func sym<T>(_ symbol: String, _: T.Type) throws(PyException) -> T {
            guard let p = dlsym(h, symbol) else { throw TLSLibrary.unavailable("\(name) lacks \(symbol)") }
            return unsafeBitCast(p, to: T.self)
        }
        TLS_client_method = try sym("TLS_client_method", (@convention(c) () -> OpaquePointer?).self)
        SSL_CTX_new = try sym("SSL_CTX_new", (@convention(c) (OpaquePointer?) -> Ctx?).self)
        SSL_CTX_free = try sym("SSL_CTX_free", (@convention(c) (Ctx?) -> Void).self)
        SSL_CTX_set_default_verify_paths = try sym("SSL_CTX_set_default_verify_paths", (@convention(c) (Ctx?) -> Int32).self)
        SSL_CTX_set_verify = try sym("SSL_CTX_set_verify", (@convention(c) (Ctx?, Int32, OpaquePointer?) -> Void).self)
        SSL_CTX_ctrl = try sym("SSL_CTX_ctrl", (@convention(c) (Ctx?, Int32, Int, UnsafeMutableRawPointer?) -> Int).self)
        SSL_CTX_set_cipher_list = try sym("SSL_CTX_set_cipher_list", (@convention(c) (Ctx?, UnsafePointer<CChar>?) -> Int32).self)
        SSL_CTX_set_options = try sym("SSL_CTX_set_options", (@convention(c) (Ctx?, UInt64) -> UInt64).self)
        SSL_CTX_set_alpn_protos = try sym("SSL_CTX_set_alpn_protos", (@convention(c) (Ctx?, UnsafePointer<UInt8>?, UInt32) -> Int32).self)
        X509_get_default_cert_file = try sym("X509_get_default_cert_file", (@convention(c) () -> UnsafePointer<CChar>?).self)
        SSL_new = try sym("SSL_new", (@convention(c) (Ctx?) -> SSL?).self)
        SSL_free = try sym("SSL_free", (@convention(c) (SSL?) -> Void).self)
        SSL_set_fd = try sym("SSL_set_fd", (@convention(c) (SSL?, Int32) -> Int32).self)
        SSL_ctrl = try sym("SSL_ctrl", (@convention(c) (SSL?, Int32, Int, UnsafeMutableRawPointer?) -> Int).self)
        SSL_get0_param = try sym("SSL_get0_param", (@convention(c) (SSL?) -> OpaquePointer?).self)
        X509_VERIFY_PARAM_set1_host = try sym("X509_VERIFY_PARAM_set1_host", (@convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int) -> Int32).self)
        X509_VERIFY_PARAM_set1_ip_asc = try sym("X509_VERIFY_PARAM_set1_ip_asc", (@convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32).self)
        X509_VERIFY_PARAM_set_hostflags = try sym("X509_VERIFY_PARAM_set_hostflags", (@convention(c) (OpaquePointer?, UInt32) -> Void).self)
        SSL_connect = try sym("SSL_connect", (@convention(c) (SSL?) -> Int32).self)
        SSL_read = try sym("SSL_read", (@convention(c) (SSL?, UnsafeMutableRawPointer?, Int32) -> Int32).self)
        SSL_write = try sym("SSL_write", (@convention(c) (SSL?, UnsafeRawPointer?, Int32) -> Int32).self)
        SSL_get_error = try sym("SSL_get_error", (@convention(c) (SSL?, Int32) -> Int32).self)
        SSL_get_verify_result = try sym("SSL_get_verify_result", (@convention(c) (SSL?) -> Int).self)
        ERR_peek_last_error = try sym("ERR_peek_last_error", (@convention(c) () -> UInt).self)
        ERR_clear_error = try sym("ERR_clear_error", (@convention(c) () -> Void).self)
        ERR_reason_error_string = try sym("ERR_reason_error_string", (@convention(c) (UInt) -> UnsafePointer<CChar>?).self)
        X509_verify_cert_error_string = try sym("X509_verify_cert_error_string", (@convention(c) (Int) -> UnsafePointer<CChar>?).self)
        SSL_set_post_handshake_auth = try? sym("SSL_set_post_handshake_auth", (@convention(c) (SSL?, Int32) -> Void).self)
        let versionNum = try? sym("OpenSSL_version_num", (@convention(c) () -> UInt).self)
        version = versionNum?() ?? 0x3000_0000
    }

    // MARK: packed error codes (the ERR_GET_LIB / ERR_GET_REASON macros)

    static let libSSL = 20
    static let libSYS = 2

    /// The library number of a packed error code.
    func errorLib(_ e: UInt) -> Int {
        if version >= 0x3000_0000 {
            // 3.x: bit 31 marks a system error (errno in the low bits).
            if e & 0x8000_0000 != 0 { return TLSLibrary.libSYS }
            return Int((e >> 23) & 0xFF)
        }
        return Int((e >> 24) & 0xFF)
    }

    /// The reason number of a packed error code.
    func errorReason(_ e: UInt) -> Int {
        if version >= 0x3000_0000 {
            if e & 0x8000_0000 != 0 { return Int(e & 0x7FFF_FFFF) }
            return Int(e & 0x7F_FFFF)
        }
        return Int(e & 0xFFF)
    }
}
