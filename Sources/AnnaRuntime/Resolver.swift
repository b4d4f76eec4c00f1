#if canImport(Glibc)
import Glibc
#endif
import AnnaCore
import AnnaJSON

/// One `getaddrinfo` result: the socket address to connect to and its
/// numeric text as Python's `sockaddr[0]` shows it (inet_ntop).
struct ResolvedAddress: Sendable, Equatable {
    var family: Int32
    var socktype: Int32
    var proto: Int32
    /// Raw `sockaddr_in` / `sockaddr_in6` bytes.
    var sockaddr: [UInt8]
    var text: String
}

/// Name resolution as `socket.getaddrinfo(host, port, family, type, proto)`
/// does it, after the host has been IDNA-encoded. Injected so tests can
/// answer names without DNS.
protocol Resolver: Sendable {
    /// `host` is the encoded C string (Python stops at an embedded NUL).
    func getaddrinfo(host: [UInt8], port: Int, socktype: Int32, proto: Int32) throws(PyException) -> [ResolvedAddress]
}

/// The C library resolver.
struct SystemResolver: Resolver {
    func getaddrinfo(host: [UInt8], port: Int, socktype: Int32, proto: Int32) throws(PyException) -> [ResolvedAddress] {
        try SystemResolver.lookup(host: host, port: port, socktype: socktype, proto: proto, flags: 0)
    }

    static func lookup(host: [UInt8], port: Int, socktype: Int32, proto: Int32, flags: Int32) throws(PyException) -> [ResolvedAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = socktype
        hints.ai_protocol = proto
        hints.ai_flags = flags
        // Python hands the C library a NUL-terminated copy: an embedded NUL ends the name.
        let cHost: [CChar] = host.prefix(while: { $0 != 0 }).map { CChar(bitPattern: $0) } + [0]
        let service: [CChar] = String(port).utf8.map { CChar(bitPattern: $0) } + [0]
        var res: UnsafeMutablePointer<addrinfo>? = nil
        let rc = Glibc.getaddrinfo(cHost, service, &hints, &res)
        if rc != 0 {
            // CPython raises OSError from errno for EAI_SYSTEM, gaierror otherwise.
            if rc == EAI_SYSTEM { throw .os(errno) }
            let text = gai_strerror(rc).map { String(cString: $0) } ?? "Unknown error"
            throw PyException("gaierror", "[Errno \(Int(rc))] \(text)")
        }
        defer { freeaddrinfo(res) }
        var out: [ResolvedAddress] = []
        var p = res
        while let ai = p {
            if let sa = ai.pointee.ai_addr, let a = describe(sa, Int(ai.pointee.ai_addrlen)) {
                out.append(ResolvedAddress(family: ai.pointee.ai_family, socktype: ai.pointee.ai_socktype,
                                           proto: ai.pointee.ai_protocol, sockaddr: a.0, text: a.1))
            }
            p = ai.pointee.ai_next
        }
        return out
    }

    /// The raw bytes and inet_ntop text of an IPv4/IPv6 socket address.
    static func describe(_ sa: UnsafePointer<sockaddr>, _ len: Int) -> ([UInt8], String)? {
        let raw = Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(sa), count: len))
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(sa.pointee.sa_family) {
        case AF_INET:
            guard len >= MemoryLayout<sockaddr_in>.size else { return nil }
            var sin = sockaddr_in()
            withUnsafeMutableBytes(of: &sin) { $0.copyBytes(from: raw.prefix(MemoryLayout<sockaddr_in>.size)) }
            guard inet_ntop(AF_INET, &sin.sin_addr, &buf, socklen_t(buf.count)) != nil else { return nil }
        case AF_INET6:
            guard len >= MemoryLayout<sockaddr_in6>.size else { return nil }
            var sin6 = sockaddr_in6()
            withUnsafeMutableBytes(of: &sin6) { $0.copyBytes(from: raw.prefix(MemoryLayout<sockaddr_in6>.size)) }
            guard inet_ntop(AF_INET6, &sin6.sin6_addr, &buf, socklen_t(buf.count)) != nil else { return nil }
        default:
            return nil
        }
        return (raw, String(cString: buf))
    }
}
