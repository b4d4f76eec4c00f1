import AnnaCore
import AnnaJSON
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The dev-token HMAC key file (06 §3). The reference re-reads it on every
/// mint/verify (TOK-MINT-3); we re-read only when its stat stamp changes,
/// which keeps "replace the file, next mint uses it" while costing one
/// `stat` instead of open/read/close.
public final class KeyFile: Sendable {
    public let path: String
    /// The last key read, with the stamp it was read under. A class: one
    /// retain to take it out of the lock instead of copying a tuple.
    private final class Cached: Sendable {
        let stamp: Sys.FileStamp
        let key: [UInt8]
        let signer: DevToken.Signer
        let verified = VerifiedTokens()
        init(stamp: Sys.FileStamp, key: [UInt8]) { self.stamp = stamp; self.key = key; signer = DevToken.Signer(key: key) }
    }
    private let cache = Mutex<Cached?>(nil)

    public init(path: String) { self.path = path }

    /// TOK-KEY-1/2: configured path, else `$ANNA_APP_DEV_KEY` (empty = unset),
    /// else `~/.anna-app/dev.key`; a leading `~` expands like Python's expanduser.
    public static func resolvePath(configured: String?, environment: (String) -> String? = Sys.getenv) -> String {
        var p = configured ?? ""
        if p.isEmpty { p = environment("ANNA_APP_DEV_KEY") ?? "" }
        if p.isEmpty { p = "~/.anna-app/dev.key" }
        return expandUser(p, environment: environment)
    }

    static func expandUser(_ p: String, environment: (String) -> String?) -> String {
        guard p.hasPrefix("~") else { return p }
        let rest = p.dropFirst()
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let user = String(rest[..<slash])
        var home: String?
        if user.isEmpty {
            home = environment("HOME")
            if home == nil, let pw = getpwuid(getuid()), let dir = pw.pointee.pw_dir { home = String(cString: dir) }
        } else if let pw = getpwnam(user), let dir = pw.pointee.pw_dir {
            home = String(cString: dir)
        }
        guard var h = home else { return p }
        if h.count > 1 && h.hasSuffix("/") { h.removeLast() }
        return h + rest[slash...]
    }

    /// The key bytes, creating the file (32 random bytes, mode 0600,
    /// exclusive create: TOK-KEY-3) when it does not exist.
    public func key() -> Result<[UInt8], Sys.OSError> {
        if let stamp = Sys.stamp(path) {
            if let c = cache.withLock({ $0 }), c.stamp == stamp { return .success(c.key) }
            return read(stamp)
        }
        let parent = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if !parent.isEmpty { Sys.makeDirectories(parent) }
        switch Sys.createExclusive(path, Sys.randomBytes(32), mode: 0o600) {
        case .success:
            _ = chmod(path, 0o600)
        case .failure(let e) where e.errno == EEXIST:
            break   // another writer created it first: use theirs
        case .failure(let e):
            return .failure(e)
        }
        guard let stamp = Sys.stamp(path) else { return .failure(Sys.OSError(errno: ENOENT, message: "[Errno 2] No such file or directory: '\(path)'")) }
        return read(stamp)
    }

    /// A signer for the current key (re-keyed when the file changes).
    public func signer() -> Result<DevToken.Signer, Sys.OSError> {
        current().map { $0.signer }
    }

    public enum VerifyFailure: Error {
        case keyFile(Sys.OSError)
        case token(DevToken.VerifyError)
    }

    /// TOK-VER-*: `DevToken.verify` under the current key, remembering
    /// tokens that verified (see VerifiedTokens).
    public func verify(_ token: JSON, nowSeconds: Int64) -> Result<DevToken.Verified, VerifyFailure> {
        switch current() {
        case .failure(let e): return .failure(.keyFile(e))
        case .success(let c): return c.verified.verify(token, signer: c.signer, nowSeconds: nowSeconds).mapError { .token($0) }
        }
    }

    private func current() -> Result<Cached, Sys.OSError> {
        if let stamp = Sys.stamp(path), let c = cache.withLock({ $0 }), c.stamp == stamp {
            return .success(c)
        }
        return key().flatMap { _ in
            guard let c = cache.withLock({ $0 }) else { return .failure(Sys.OSError(errno: 0, message: "key file vanished: '\(path)'")) }
            return .success(c)
        }
    }

    private func read(_ stamp: Sys.FileStamp) -> Result<[UInt8], Sys.OSError> {
        switch Sys.readFile(path) {
        case .success(let bytes):
            let fresh = Cached(stamp: stamp, key: bytes)
            cache.withLock { $0 = fresh }
            return .success(bytes)
        case .failure(let e):
            return .failure(e)
        }
    }
}
