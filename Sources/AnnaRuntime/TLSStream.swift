#if canImport(Glibc)
import Glibc
#endif
import AnnaCore
import AnnaJSON

/// A TLS client connection over a connected TCPStream: `ssl.SSLSocket` as
/// http.client uses it (`context.wrap_socket(sock, server_hostname=host)`,
/// then `sendall`, `recv`). The socket stays non-blocking; every OpenSSL
/// call that wants more input or output waits with poll() until the same
/// deadlines as plain TCP: the handshake as a whole gets one socket timeout
/// (CPython's do_handshake), each read or write one timeout, and reads are
/// also capped by the exchange's absolute deadline.
///
/// One stream is used by one thread at a time; OpenSSL's per-thread error
/// queue is emptied before every I/O call and read right after it.
final class TLSStream: WebStream {
    private let lib: TLSLibrary
    private let tcp: TCPStream
    private var ssl: TLSLibrary.SSL?
    private let serverHostname: [UInt8]

    private init(lib: TLSLibrary, tcp: TCPStream, ssl: TLSLibrary.SSL, serverHostname: [UInt8]) {
        self.lib = lib
        self.tcp = tcp
        self.ssl = ssl
        self.serverHostname = serverHostname
    }

    deinit { close() }

    /// Wraps `tcp` and completes the handshake, verifying the peer's
    /// certificate chain and name. On failure nothing is left allocated
    /// and `tcp` is still the caller's to close.
    static func handshake(over tcp: TCPStream, serverHostname: [UInt8], deadline: UInt64) throws(PyException) -> TLSStream {
        let lib = try TLSLibrary.shared.get()
        let ssl = try TLSContext.shared.newSSL(lib, serverHostname: serverHostname)
        guard lib.SSL_set_fd(ssl, tcp.fd) == 1 else {
            let e = TLSError.library(lib, "SSL_set_fd")
            lib.SSL_free(ssl)
            throw e
        }
        // Until the handshake succeeds `ssl` is freed here on every exit;
        // afterwards the stream owns it (and the socket).
        while true {
            let (rc, err) = Self.call(lib) { lib.SSL_connect(ssl) }
            if rc == 1 { return TLSStream(lib: lib, tcp: tcp, ssl: ssl, serverHostname: serverHostname) }
            let code = lib.SSL_get_error(ssl, rc)
            let events: Int16
            switch code {
            case TLSError.wantRead: events = Int16(POLLIN)
            case TLSError.wantWrite: events = Int16(POLLOUT)
            default:
                let e = TLSError.exception(lib, ssl: ssl, ret: rc, code: code, savedErrno: err,
                                           site: .handshake, serverHostname: serverHostname)
                lib.SSL_free(ssl)
                throw e
            }
            do throws(PyException) {
                try tcp.wait(events: events, deadline: deadline)
            } catch {
                lib.SSL_free(ssl)
                throw error.isTimeout ? TLSError.handshakeTimeout : error
            }
        }
    }

    func sendAll(_ bytes: [UInt8]) throws(PyException) {
        guard let ssl else { throw .os(EBADF) }
        let deadline = tcp.deadline(nil)
        var off = 0
        while off < bytes.count {
            // A retry after WANT_* must repeat the same length (OpenSSL's
            // rule); the buffer may move (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
            let chunk = Int32(clamping: bytes.count - off)
            let (n, err) = bytes.withUnsafeBytes { raw in
                Self.call(lib) { lib.SSL_write(ssl, raw.baseAddress.map { $0 + off }, chunk) }
            }
            if n > 0 { off += Int(n); continue }
            let code = lib.SSL_get_error(ssl, n)
            try waitOrThrow(code, ret: n, errno: err, site: .write, deadline: deadline, timeout: TLSError.writeTimeout)
        }
    }

    func recv(max: Int, deadline outer: UInt64?) throws(PyException) -> [UInt8] {
        guard let ssl else { throw .os(EBADF) }
        let deadline = tcp.deadline(outer)
        var buf = [UInt8](repeating: 0, count: Swift.max(1, Swift.min(max, Int(Int32.max))))
        while true {
            let (n, err) = buf.withUnsafeMutableBytes { raw in
                Self.call(lib) { lib.SSL_read(ssl, raw.baseAddress, Int32(clamping: raw.count)) }
            }
            if n > 0 { return Array(buf[0..<Swift.min(Int(n), buf.count)]) }
            let code = lib.SSL_get_error(ssl, n)
            // close_notify: a clean end of stream.
            if code == TLSError.zeroReturn { lib.ERR_clear_error(); return [] }
            do throws(PyException) {
                try waitOrThrow(code, ret: n, errno: err, site: .read, deadline: deadline, timeout: TLSError.readTimeout)
            } catch {
                // CPython's SSLSocket suppresses ragged EOFs on read: a
                // server closing without close_notify ends the body.
                if TLSError.isRaggedEOF(error) { return [] }
                throw error
            }
        }
    }

    /// Waits for the socket readiness OpenSSL asked for, or raises what
    /// the failed call means.
    private func waitOrThrow(_ code: Int32, ret: Int32, errno err: Int32, site: TLSError.Site,
                             deadline: UInt64, timeout: PyException) throws(PyException) {
        guard let ssl else { throw .os(EBADF) }
        let events: Int16
        switch code {
        case TLSError.wantRead: events = Int16(POLLIN)
        case TLSError.wantWrite: events = Int16(POLLOUT)
        default:
            throw TLSError.exception(lib, ssl: ssl, ret: ret, code: code, savedErrno: err, site: site,
                                     serverHostname: serverHostname)
        }
        do throws(PyException) {
            try tcp.wait(events: events, deadline: deadline)
        } catch {
            throw error.isTimeout ? timeout : error
        }
    }

    /// Frees the connection without a close_notify, as CPython's
    /// `SSLSocket.close()` does (http.client never unwraps): the request
    /// said `Connection: close`, and a shutdown write to a peer that has
    /// already gone would only add a failure to ignore.
    func close() {
        if let s = ssl {
            lib.SSL_free(s)
            ssl = nil
        }
        tcp.close()
    }

    /// Runs one OpenSSL I/O call with SIGPIPE blocked for this thread and
    /// returns its result with the errno it left. OpenSSL writes to the
    /// socket with write(2), which raises SIGPIPE on a reset connection;
    /// Python ignores that signal, but a C host of this library may keep
    /// its default action (terminate). A SIGPIPE the call raised is
    /// consumed before the old mask comes back. The thread's error queue
    /// is emptied first, so SSL_get_error and the texts describe this call.
    private static func call(_ lib: TLSLibrary, _ body: () -> Int32) -> (Int32, Int32) {
        lib.ERR_clear_error()
        return Sys.withoutSIGPIPE(body)
    }
}
