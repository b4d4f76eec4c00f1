import AnnaJSON
import Synchronization

/// Tokens already verified under one key, so verifying the same token again
/// (a host checks a window's token on every request it relays) costs a
/// lookup instead of base64, HMAC and a JSON parse. Only successes are
/// kept, keyed by the exact token text; the expiry is still checked against
/// the clock on every call. One instance belongs to one key: a new key
/// starts empty.
public final class VerifiedTokens: Sendable {
    struct Entry: Sendable {
        let token: [UInt8]
        let verified: DevToken.Verified
    }

    /// Bounded: when full it starts over (tokens live 30 s by default, so
    /// the working set is the windows open right now).
    static let capacity = 1024
    private struct Table {
        var entries: [UInt64: Entry] = [:]
        /// Slots of tokens verified once, direct-mapped (a newer token
        /// overwrites an older one in its cell): a token is remembered the
        /// second time it verifies, so a stream of never-repeated tokens
        /// pays one store here, not copies it would never use.
        var seenOnce = [UInt64](repeating: 0, count: VerifiedTokens.seenCells)
    }
    static let seenCells = 4096
    private let table = Mutex(Table())

    public init() {}

    /// Same answer as `DevToken.verified` with the same signer.
    public func verify(_ token: JSON, signer: DevToken.Signer, nowSeconds: Int64) -> Result<DevToken.Verified, DevToken.VerifyError> {
        guard case .string(let s) = token, !s.hasLoneSurrogate else {
            return DevToken.verified(token, signer: signer, nowSeconds: nowSeconds)
        }
        let hit: DevToken.Verified? = s.withBytes { b in
            guard let slot = VerifiedTokens.slot(b) else { return nil }
            guard let e = table.withLock({ $0.entries[slot] }), e.token.elementsEqual(b) else { return nil }
            return e.verified
        }
        if let hit { return hit.unexpired(at: nowSeconds) }
        switch DevToken.check(s, signer: signer) {
        case .failure(let e):
            return .failure(e)
        case .success(let v):
            s.withBytes { b in
                guard let slot = VerifiedTokens.slot(b) else { return }
                let cell = Int(truncatingIfNeeded: slot >> 52) & (VerifiedTokens.seenCells - 1)
                let second = table.withLock { t in
                    if t.seenOnce[cell] == slot { return true }
                    t.seenOnce[cell] = slot
                    return false
                }
                guard second else { return }
                let entry = Entry(token: Array(b), verified: v)
                table.withLock { t in
                    if t.entries.count >= VerifiedTokens.capacity { t.entries.removeAll(keepingCapacity: true) }
                    t.entries[slot] = entry
                }
            }
            return v.unexpired(at: nowSeconds)
        }
    }

    /// The token's last 8 bytes (the tail of its base64 MAC: effectively
    /// random) mixed with its length; nil for tokens too short to be real.
    static func slot(_ b: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard b.count >= 16, let base = b.baseAddress else { return nil }
        let tail = UnsafeRawPointer(base).loadUnaligned(fromByteOffset: b.count - 8, as: UInt64.self)
        return tail ^ UInt64(truncatingIfNeeded: b.count) &* 0x9E37_79B9_7F4A_7C15
    }
}
