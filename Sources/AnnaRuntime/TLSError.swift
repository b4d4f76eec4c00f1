import AnnaCore
import AnnaJSON

/// OpenSSL failures as the exceptions CPython's `_ssl` module raises for
/// them (`PySSL_SetError` / `fill_and_set_sslerror`), because web.fetch
/// reports the class and web.image_fetch the text:
///
///     [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)
///     [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)
///     EOF occurred in violation of protocol (_ssl.c:1006)
///
/// The `_ssl.c:NNNN` suffix is the line of the raising call in the
/// interpreter's own build; the numbers here are those of the reference
/// venv's CPython 3.11.7, observed: handshake 1006, read 2580, write 2427,
/// handshake timeout 989. The bracketed reason mnemonic comes from a table
/// compiled into CPython; it is derived here from OpenSSL's reason text
/// (upper-cased, spaces to underscores), which gives the same name for
/// every reason a TLS client meets in practice.
enum TLSError {
    /// Call sites, by the CPython 3.11.7 line number they report.
    enum Site: Int {
        case handshake = 1006
        case read = 2580
        case write = 2427
    }

    // SSL_get_error results.
    static let errorSSL: Int32 = 1, wantRead: Int32 = 2, wantWrite: Int32 = 3, wantX509Lookup: Int32 = 4
    static let syscall: Int32 = 5, zeroReturn: Int32 = 6, wantConnect: Int32 = 7

    static let reasonCertificateVerifyFailed = 134     // SSL_R_CERTIFICATE_VERIFY_FAILED
    static let reasonUnexpectedEOF = 294               // SSL_R_UNEXPECTED_EOF_WHILE_READING (3.x)
    static let hostnameMismatch = 62                   // X509_V_ERR_HOSTNAME_MISMATCH
    static let ipAddressMismatch = 64                  // X509_V_ERR_IP_ADDRESS_MISMATCH

    static let handshakeTimeout = PyException("TimeoutError", "_ssl.c:989: The handshake operation timed out", isTimeout: true)
    static let readTimeout = PyException("TimeoutError", "The read operation timed out", isTimeout: true)
    static let writeTimeout = PyException("TimeoutError", "The write operation timed out", isTimeout: true)

    /// CPython's `lib_codes_to_names`: ERR_LIB_* numbers to mnemonics.
    static let libraryNames: [Int: String] = [
        2: "SYS", 3: "BN", 4: "RSA", 5: "DH", 6: "EVP", 7: "BUF", 8: "OBJ", 9: "PEM", 10: "DSA", 11: "X509",
        13: "ASN1", 14: "CONF", 15: "CRYPTO", 16: "EC", 20: "SSL", 32: "BIO", 33: "PKCS7", 34: "X509V3",
        35: "PKCS12", 36: "RAND", 37: "DSO", 38: "ENGINE", 39: "OCSP", 40: "UI", 41: "COMP", 42: "ECDSA",
        43: "ECDH", 44: "OSSL_STORE", 45: "FIPS", 46: "CMS", 47: "TS", 48: "HMAC", 50: "CT", 51: "ASYNC",
        52: "KDF", 53: "SM2", 54: "ESS", 55: "PROP", 56: "CRMF", 57: "PROV", 58: "CMP", 59: "OSSL_ENCODER",
        60: "OSSL_DECODER", 61: "HTTP",
    ]

    /// What a failed SSL_connect / SSL_read / SSL_write (`ret` <= 0,
    /// `SSL_get_error` = `code`, `errno` right after = `savedErrno`) raises.
    /// Reads the thread's OpenSSL error queue and clears it.
    static func exception(_ lib: TLSLibrary, ssl: TLSLibrary.SSL, ret: Int32, code: Int32, savedErrno: Int32,
                          site: Site, serverHostname: [UInt8]) -> PyException {
        let e = lib.ERR_peek_last_error()
        defer { lib.ERR_clear_error() }
        var className = "SSLError"
        var errstr: String?
        switch code {
        case zeroReturn:
            className = "SSLZeroReturnError"
            errstr = "TLS/SSL connection has been closed (EOF)"
        case wantRead:
            className = "SSLWantReadError"
            errstr = "The operation did not complete (read)"
        case wantWrite:
            className = "SSLWantWriteError"
            errstr = "The operation did not complete (write)"
        case wantX509Lookup:
            errstr = "The operation did not complete (X509 lookup)"
        case wantConnect:
            errstr = "The operation did not complete (connect)"
        case syscall:
            if e == 0 {
                if ret == -1 && savedErrno != 0 {
                    // The socket reported an I/O error: a plain OSError.
                    return .os(savedErrno)
                }
                if ret == 0 || ret == -1 {
                    className = "SSLEOFError"
                    errstr = "EOF occurred in violation of protocol"
                } else {
                    className = "SSLSyscallError"
                    errstr = "Some I/O error occurred"
                }
            }
        case errorSSL:
            if e == 0 { errstr = "A failure in the SSL library occurred" }
            if lib.errorLib(e) == TLSLibrary.libSSL {
                let reason = lib.errorReason(e)
                if reason == reasonCertificateVerifyFailed {
                    className = "SSLCertVerificationError"
                } else if reason == reasonUnexpectedEOF && lib.version >= 0x3000_0000 {
                    // CPython >= 3.10 reports OpenSSL 3's "unexpected eof" as SSLEOFError.
                    className = "SSLEOFError"
                    errstr = "EOF occurred in violation of protocol"
                }
            }
        default:
            errstr = "Invalid error code"
        }
        var libName: String?
        var reasonName: String?
        if e != 0 {
            libName = libraryNames[lib.errorLib(e)]
            if let r = lib.ERR_reason_error_string(e) {
                let text = String(cString: r)
                reasonName = mnemonic(text)
                if errstr == nil { errstr = text }
            }
        }
        let what = errstr ?? "unknown error"
        var verify: String?
        if className == "SSLCertVerificationError" {
            let v = lib.SSL_get_verify_result(ssl)
            let host = String(decoding: serverHostname, as: UTF8.self)
            switch v {
            case hostnameMismatch: verify = "Hostname mismatch, certificate is not valid for '\(host)'."
            case ipAddressMismatch: verify = "IP address mismatch, certificate is not valid for '\(host)'."
            default: verify = lib.X509_verify_cert_error_string(v).map { String(cString: $0) } ?? "None"
            }
        }
        let line = site.rawValue
        let message: String
        if let verify, let libName, let reasonName {
            message = "[\(libName): \(reasonName)] \(what): \(verify) (_ssl.c:\(line))"
        } else if let libName, let reasonName {
            message = "[\(libName): \(reasonName)] \(what) (_ssl.c:\(line))"
        } else if let libName {
            message = "[\(libName)] \(what) (_ssl.c:\(line))"
        } else {
            message = "\(what) (_ssl.c:\(line))"
        }
        // SSLCertVerificationError also derives from ValueError.
        return PyException(className, JStr(message), isValueError: className == "SSLCertVerificationError")
    }

    /// True for the exceptions `SSLSocket.read` turns into b'' (its
    /// `suppress_ragged_eofs`): a peer that closed without close_notify.
    static func isRaggedEOF(_ e: PyException) -> Bool { e.className == "SSLEOFError" }

    /// A failure while setting up a connection (`_setSSLError`): the
    /// queued OpenSSL error, else what was being done.
    static func library(_ lib: TLSLibrary, _ what: String) -> PyException {
        let e = lib.ERR_peek_last_error()
        defer { lib.ERR_clear_error() }
        guard e != 0, let r = lib.ERR_reason_error_string(e) else {
            return PyException("SSLError", JStr("\(what) failed"))
        }
        let text = String(cString: r)
        let prefix = libraryNames[lib.errorLib(e)].map { "[\($0): \(mnemonic(text))] " } ?? ""
        return PyException("SSLError", JStr(prefix + text))
    }

    /// OpenSSL's reason text as CPython's reason mnemonic:
    /// "wrong version number" -> "WRONG_VERSION_NUMBER".
    static func mnemonic(_ text: String) -> String {
        String(decoding: text.utf8.map { c -> UInt8 in
            if c == 0x20 { return 0x5F }
            if c >= 0x61 && c <= 0x7A { return c - 0x20 }
            return c
        }, as: UTF8.self)
    }
}
