#if canImport(Glibc)
import Glibc
#endif
import AnnaCore
import AnnaJSON

/// A connected byte stream with Python socket-timeout semantics: every
/// operation waits at most the timeout, then raises `TimeoutError('timed
/// out')`; failures raise the errno's OSError.
protocol WebStream: AnyObject {
    /// `sock.sendall(data)` (the timeout bounds the whole call).
    func sendAll(_ bytes: [UInt8]) throws(PyException)
    /// One `recv`: up to `max` bytes, `[]` at end of stream.
    func recv(max: Int, deadline: UInt64?) throws(PyException) -> [UInt8]
    func close()
    /// `context.wrap_socket(sock, server_hostname=...)` with the handshake:
    /// a stream speaking TLS over this one, which it then owns. On failure
    /// this stream is left open for the caller to close. `deadline` caps
    /// the handshake below the stream's own timeout.
    func startTLS(serverHostname: [UInt8], deadline: UInt64?) throws(PyException) -> WebStream
}

extension WebStream {
    /// Streams without a socket (the tests' scripted peers) cannot carry TLS.
    func startTLS(serverHostname: [UInt8], deadline: UInt64?) throws(PyException) -> WebStream {
        throw PyException("SSLError", "TLS needs a socket")
    }
}

/// `socket(af, type, proto)`, `settimeout(t)`, `connect(sa)` for one
/// address: the body of `socket.create_connection`'s loop. Injected so
/// tests can script the peer.
protocol Connector: Sendable {
    /// `deadline` (monotonic ns) caps the connect wait below `timeout`.
    func connect(_ addr: ResolvedAddress, timeout: Double, deadline: UInt64?) throws(PyException) -> WebStream
}

/// Plain TCP over Glibc sockets, non-blocking underneath with poll().
struct TCPConnector: Connector {
    func connect(_ addr: ResolvedAddress, timeout: Double, deadline: UInt64?) throws(PyException) -> WebStream {
        let fd = socket(addr.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), addr.proto)
        if fd < 0 { throw .os(errno) }
        let stream = TCPStream(fd: fd, timeout: timeout)
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var storage = sockaddr_storage()
        let len = min(addr.sockaddr.count, MemoryLayout<sockaddr_storage>.size)
        guard len >= MemoryLayout<sockaddr>.size else { stream.close(); throw .os(EINVAL) }
        withUnsafeMutableBytes(of: &storage) { dst in
            addr.sockaddr.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[0..<len])) }
        }
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(len)) }
        }
        if rc != 0 {
            let e = errno
            guard e == EINPROGRESS || e == EINTR else { stream.close(); throw .os(e) }
            do throws(PyException) {
                try stream.wait(events: Int16(POLLOUT), deadline: stream.deadline(deadline))
            } catch {
                stream.close()
                throw error
            }
            var soErr: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soErr, &len)
            if soErr != 0 { stream.close(); throw .os(soErr) }
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return stream
    }
}

final class TCPStream: WebStream {
    private(set) var fd: Int32
    private let timeoutNanos: UInt64

    init(fd: Int32, timeout: Double) {
        self.fd = fd
        // Python rounds a float timeout up to whole milliseconds for poll().
        let ms = (timeout * 1000).rounded(.up)
        timeoutNanos = ms.isFinite && ms > 0 ? UInt64(min(ms, 86_400_000)) * 1_000_000 : 0
    }

    deinit { close() }

    /// The earlier of "now + timeout" and the caller's overall deadline.
    func deadline(_ outer: UInt64?) -> UInt64 {
        let own = Sys.monotonicNanos() &+ timeoutNanos
        if let o = outer { return min(own, o) }
        return own
    }

    func wait(events: Int16, deadline: UInt64) throws(PyException) {
        while true {
            let now = Sys.monotonicNanos()
            if now >= deadline { throw PyException.socketTimeout }
            let ms = Int32(min((deadline - now + 999_999) / 1_000_000, UInt64(Int32.max)))
            var p = pollfd(fd: fd, events: events, revents: 0)
            let rc = poll(&p, 1, ms)
            if rc > 0 { return }
            if rc == 0 { continue }
            if errno != EINTR { throw .os(errno) }
        }
    }

    func sendAll(_ bytes: [UInt8]) throws(PyException) {
        guard fd >= 0 else { throw .os(EBADF) }
        let dl = deadline(nil)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return send(fd, base + off, raw.count - off, Int32(MSG_NOSIGNAL))
            }
            if n > 0 { off += n; continue }
            let e = errno
            if n < 0 && (e == EAGAIN || e == EINTR) {
                try wait(events: Int16(POLLOUT), deadline: dl)
                continue
            }
            throw .os(n < 0 ? e : EPIPE)
        }
    }

    func recv(max: Int, deadline outer: UInt64?) throws(PyException) -> [UInt8] {
        guard fd >= 0 else { throw .os(EBADF) }
        let dl = deadline(outer)
        var buf = [UInt8](repeating: 0, count: Swift.max(1, max))
        while true {
            let n = buf.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.recv(fd, base, raw.count, 0)
            }
            if n >= 0 { return Array(buf[0..<n]) }
            let e = errno
            if e == EAGAIN || e == EINTR {
                try wait(events: Int16(POLLIN), deadline: dl)
                continue
            }
            throw .os(e)
        }
    }

    func close() {
        if fd >= 0 { _ = Glibc.close(fd); fd = -1 }
    }

    func startTLS(serverHostname: [UInt8], deadline outer: UInt64?) throws(PyException) -> WebStream {
        guard fd >= 0 else { throw .os(EBADF) }
        return try TLSStream.handshake(over: self, serverHostname: serverHostname, deadline: deadline(outer))
    }
}
