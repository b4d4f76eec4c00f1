import AnnaJSON
import Synchronization

/// A line-atomic writer to a file descriptor (BR-CONC-2): responses,
/// outbound requests and the `_ready` line never interleave.
public final class OutputChannel: Sendable {
    private let fd: Int32
    private let lock = IOLock<Bool>(true)   // false once the reader end is gone

    public init(fd: Int32) { self.fd = fd }

    /// Writes complete lines (each already ending in `\n`) in one go.
    @discardableResult
    public func write(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        lock.withLock { open in
            guard open else { return false }
            if !Sys.writeAll(fd, bytes) { open = false }
            return open
        }
    }

    @discardableResult
    public func writeLine(_ buf: borrowing ByteBuffer) -> Bool {
        buf.withBytes { write($0) }
    }
}
