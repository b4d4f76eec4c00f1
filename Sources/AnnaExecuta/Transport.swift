/// Where the plugin reads host frames from. `read` blocks (it runs on the
/// SDK's dedicated reader thread, never on the Swift concurrency pool) and
/// returns the number of bytes read, 0 at end of input, -1 on error.
public protocol ExecutaInput: Sendable {
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int
}

/// Where the plugin writes its frames. Called with one complete frame
/// (newline included) under the SDK's writer lock; returns false when the
/// peer is gone, after which the SDK stops writing.
public protocol ExecutaOutput: Sendable {
    func write(_ frame: UnsafeRawBufferPointer) -> Bool
}

/// Reads a file descriptor (stdin, or one end of a pipe in tests).
public struct FileDescriptorInput: ExecutaInput {
    public let fd: Int32
    public init(_ fd: Int32) { self.fd = fd }

    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        return Sys.read(fd, base, buffer.count)
    }
}

/// Writes a file descriptor (the private copy of stdout, or a pipe).
public struct FileDescriptorOutput: ExecutaOutput {
    public let fd: Int32
    public init(_ fd: Int32) { self.fd = fd }

    public func write(_ frame: UnsafeRawBufferPointer) -> Bool {
        Sys.writeAll(fd, frame)
    }
}
