#if canImport(Glibc)
import Glibc
#endif
import AnnaCore
import AnnaJSON

/// The per-hop URL check of the local web.* (WEB-SSRF-1/2, errata
/// WEB-SSRF-1): the reference's `_validate_url`, in its order and with its
/// reason texts. A rejection is `PyException.ssrf(reason)`; the parsing
/// errors it lets through (`urlsplit`/`.port` ValueErrors, the idna
/// codec's UnicodeError, EAI_SYSTEM) are thrown as those exceptions.
struct SSRFGuard: Sendable {
    var resolver: Resolver

    static let allowedPorts: Set<Int> = [80, 443, 8080, 8443]
    static let blockedHosts: Set<[UInt32]> = [
        PyStr.cps("169.254.169.254"), PyStr.cps("metadata.google.internal"), PyStr.cps("metadata.goog"),
    ]

    func validate(_ url: CPs) throws(PyException) {
        let parts = try PyURLSplit.split(url)
        let scheme = PyStr.lower(parts.scheme)
        if scheme != PyStr.cps("http") && scheme != PyStr.cps("https") {
            throw .ssrf("scheme \(PyStr.repr(scheme)) not allowed")
        }
        // `parts.username or parts.password`: empty userinfo passes.
        if !(parts.username ?? []).isEmpty || !(parts.password ?? []).isEmpty {
            throw .ssrf("userinfo not allowed")
        }
        let host = PyStr.lower(PyStr.strip(parts.hostname ?? []))
        if host.isEmpty { throw .ssrf("missing host") }
        if SSRFGuard.blockedHosts.contains(host) { throw .ssrf("blocked host: \(PyStr.jstr(host))") }
        // `parts.port or default`: an explicit :0 passes as the default port
        // here (errata WEB-SSRF-1); HTTPClient refuses to dial it.
        let explicit = try parts.port()
        let port = (explicit ?? 0) != 0 ? (explicit ?? 0) : (scheme == PyStr.cps("https") ? 443 : 80)
        if !SSRFGuard.allowedPorts.contains(port) { throw .ssrf("port \(port) not allowed") }
        if let ip = PyIPAddress.parse(host) {
            if ip.isBlocked { throw .ssrf("private IP \(PyStr.jstr(host)) not allowed") }
            return
        }
        let addrs: [ResolvedAddress]
        do throws(PyException) {
            addrs = try resolver.getaddrinfo(host: try PyIDNA.encode(host), port: port, socktype: 0, proto: Int32(IPPROTO_TCP))
        } catch {
            if error.className == "gaierror" { throw .ssrf("DNS resolution failed: \(error.message)") }
            throw error
        }
        for a in addrs where PyIPAddress.isBlockedText(PyStr.cps(a.text)) {
            throw .ssrf("\(PyStr.jstr(host)) resolves to private IP \(a.text)")
        }
    }
}
