#if canImport(Glibc)
import Glibc
#endif
import AnnaCore
import AnnaJSON

/// The client SSL_CTX: what `ssl.create_default_context()` plus
/// http.client's additions configure for every HTTPSConnection of the
/// reference (CPython 3.11): certificates required, host names checked
/// (no partial wildcards), trust store = OpenSSL's default verify paths,
/// TLS 1.2 at least, CPython's cipher string, ALPN `http/1.1`.
///
/// The reference builds a context (and parses the CA bundle) per
/// connection. One shared context is enough, as long as a changed trust
/// store takes effect as it would there: the context is rebuilt when
/// `SSL_CERT_FILE` / `SSL_CERT_DIR` or the bundle file itself change
/// (a CA directory is read lazily by OpenSSL anyway). SSL objects hold
/// their own reference, so replacing the context never frees one in use.
final class TLSContext: @unchecked Sendable {
    static let shared = TLSContext()

    /// CPython's `_DEFAULT_CIPHERS` (Modules/_ssl.c PY_SSL_DEFAULT_CIPHER_STRING);
    /// it only concerns TLS 1.2, TLS 1.3 suites are OpenSSL's defaults.
    static let cipherString = "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM"
    /// ALPN wire format: length-prefixed protocol names.
    static let alpn: [UInt8] = [8] + Array("http/1.1".utf8)

    // OpenSSL constants (ssl.h / x509_vfy.h; identical in 1.1.1 and 3.x).
    static let verifyPeer: Int32 = 1                 // SSL_VERIFY_PEER
    static let ctrlMode: Int32 = 33                  // SSL_CTRL_MODE
    static let ctrlSetMinProtoVersion: Int32 = 123   // SSL_CTRL_SET_MIN_PROTO_VERSION
    static let ctrlSetTLSExtHostname: Int32 = 55     // SSL_CTRL_SET_TLSEXT_HOSTNAME
    static let tls12: Int = 0x0303                   // TLS1_2_VERSION
    /// SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_AUTO_RETRY |
    /// SSL_MODE_RELEASE_BUFFERS, as CPython sets them.
    static let modes: Int = 0x2 | 0x4 | 0x10
    /// The options CPython adds to OpenSSL's defaults: SSL_OP_ALL without
    /// DONT_INSERT_EMPTY_FRAGMENTS (TLSEXT_PADDING 0x10, SAFARI_ECDHE_ECDSA_BUG
    /// 0x40, CRYPTOPRO_TLSEXT_BUG 0x80000000), NO_SSLv3, CIPHER_SERVER_PREFERENCE,
    /// NO_COMPRESSION (observed `create_default_context().options` = 0x82520050).
    static let options: UInt64 = 0x10 | 0x40 | 0x8000_0000 | 0x0200_0000 | 0x0040_0000 | 0x0002_0000
    static let noPartialWildcards: UInt32 = 0x4      // X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS

    private struct TrustKey: Equatable {
        var certFile: String?
        var certDir: String?
        var bundle: Sys.FileStamp?
    }

    private let cache = IOLock<(key: TrustKey, ctx: TLSLibrary.Ctx)?>(nil)

    /// A new client SSL object for `serverHostname` (IDNA-encoded, as
    /// `SSLContext._encode_hostname` leaves it). The caller frees it.
    func newSSL(_ lib: TLSLibrary, serverHostname: [UInt8]) throws(PyException) -> TLSLibrary.SSL {
        // _ssl_configure_hostname: OpenSSL treats a leading dot as "any subdomain".
        if serverHostname.isEmpty || serverHostname.first == 0x2E {
            throw .valueError("server_hostname cannot be an empty string or start with a leading dot.")
        }
        let key = trustKey(lib)
        let made: Result<TLSLibrary.SSL, PyException> = cache.withLock { entry in
            if entry == nil || entry?.key != key {
                guard let ctx = makeContext(lib) else { return .failure(TLSError.library(lib, "SSL_CTX_new")) }
                if let old = entry?.ctx { lib.SSL_CTX_free(old) }
                entry = (key, ctx)
            }
            guard let ctx = entry?.ctx, let ssl = lib.SSL_new(ctx) else {
                return .failure(TLSError.library(lib, "SSL_new"))
            }
            return .success(ssl)
        }
        let ssl = try made.get()
        if !configure(lib, ssl, serverHostname) {
            let e = TLSError.library(lib, "hostname")
            lib.SSL_free(ssl)
            throw e
        }
        return ssl
    }

    private func trustKey(_ lib: TLSLibrary) -> TrustKey {
        let file = Sys.getenv("SSL_CERT_FILE")
        let bundle = file ?? lib.X509_get_default_cert_file().map { String(cString: $0) }
        return TrustKey(certFile: file, certDir: Sys.getenv("SSL_CERT_DIR"), bundle: bundle.flatMap { Sys.stamp($0) })
    }

    private func makeContext(_ lib: TLSLibrary) -> TLSLibrary.Ctx? {
        lib.ERR_clear_error()
        guard let method = lib.TLS_client_method(), let ctx = lib.SSL_CTX_new(method) else { return nil }
        lib.SSL_CTX_set_verify(ctx, TLSContext.verifyPeer, nil)
        _ = lib.SSL_CTX_set_options(ctx, TLSContext.options)
        _ = lib.SSL_CTX_ctrl(ctx, TLSContext.ctrlMode, TLSContext.modes, nil)
        _ = lib.SSL_CTX_ctrl(ctx, TLSContext.ctrlSetMinProtoVersion, TLSContext.tls12, nil)
        _ = TLSContext.cipherString.withCString { lib.SSL_CTX_set_cipher_list(ctx, $0) }
        _ = TLSContext.alpn.withUnsafeBufferPointer { lib.SSL_CTX_set_alpn_protos(ctx, $0.baseAddress, UInt32($0.count)) }
        // Missing default files are not an error (CPython ignores them
        // too); an unreadable store simply verifies nothing.
        _ = lib.SSL_CTX_set_default_verify_paths(ctx)
        lib.ERR_clear_error()
        return ctx
    }

    /// SNI and the expected peer name, the way `_ssl_configure_hostname`
    /// does it: an IP literal (by OpenSSL's own parser) is matched against
    /// the certificate's IP addresses and sent without SNI.
    private func configure(_ lib: TLSLibrary, _ ssl: TLSLibrary.SSL, _ host: [UInt8]) -> Bool {
        lib.SSL_set_post_handshake_auth?(ssl, 1)
        guard let param = lib.SSL_get0_param(ssl) else { return false }
        lib.X509_VERIFY_PARAM_set_hostflags(param, TLSContext.noPartialWildcards)
        let cstr = host.map { CChar(bitPattern: $0) } + [0]
        return cstr.withUnsafeBufferPointer { buf -> Bool in
            guard let name = buf.baseAddress else { return false }
            if lib.X509_VERIFY_PARAM_set1_ip_asc(param, name) == 1 { return true }
            lib.ERR_clear_error()
            let sni = lib.SSL_ctrl(ssl, TLSContext.ctrlSetTLSExtHostname, 0, UnsafeMutableRawPointer(mutating: name))
            return sni == 1 && lib.X509_VERIFY_PARAM_set1_host(param, name, 0) == 1
        }
    }
}
