#if canImport(Glibc)
import Glibc
#endif

/// Every system call the runtime makes goes through here, so they can be
/// read, audited and (in tests) reasoned about in one place.
public enum Sys {
    public static func getenv(_ name: String) -> String? {
        guard let p = Glibc.getenv(name) else { return nil }
        return String(cString: p)
    }

    /// Wall clock in microseconds since the epoch (UTC).
    public static func nowMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    /// Monotonic clock in nanoseconds (deadlines).
    public static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public struct FileStamp: Equatable, Sendable {
        var dev: UInt64, ino: UInt64, size: Int64, mtimeSec: Int, mtimeNsec: Int, ctimeSec: Int, ctimeNsec: Int
    }

    /// `stat(2)`; nil when the path does not exist or cannot be read.
    public static func stamp(_ path: String) -> FileStamp? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileStamp(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino), size: Int64(st.st_size),
                         mtimeSec: Int(st.st_mtim.tv_sec), mtimeNsec: Int(st.st_mtim.tv_nsec),
                         ctimeSec: Int(st.st_ctim.tv_sec), ctimeNsec: Int(st.st_ctim.tv_nsec))
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public struct OSError: Error, Sendable {
        public var errno: Int32
        public var message: String
    }

    static func error(_ what: String, _ path: String) -> OSError {
        let e = Glibc.errno
        return OSError(errno: e, message: "[Errno \(e)] \(String(cString: strerror(e))): '\(path)'")
    }

    public static func readFile(_ path: String) -> Result<[UInt8], OSError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return .failure(error("open", path)) }
        defer { close(fd) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                return .failure(error("read", path))
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return .success(out)
    }

    /// Creates `path` exclusively with `mode` and writes `bytes`; fails with
    /// EEXIST when another writer won the race.
    public static func createExclusive(_ path: String, _ bytes: [UInt8], mode: mode_t) -> Result<Void, OSError> {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if fd < 0 { return .failure(error("open", path)) }
        defer { close(fd) }
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, bytes.count - off) }
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                return .failure(error("write", path))
            }
            off += n
        }
        return .success(())
    }

    /// `mkdir -p` with the process umask applied (TOK-KEY-3).
    public static func makeDirectories(_ path: String) {
        var prefix = ""
        for comp in path.split(separator: "/", omittingEmptySubsequences: false) {
            prefix += (prefix.isEmpty && path.hasPrefix("/") ? "" : "/") + comp
            if prefix == "/" || comp.isEmpty { continue }
            if !exists(prefix) { _ = mkdir(prefix, 0o777) }
        }
    }

    public static func randomBytes(_ n: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    /// Writes all bytes to a file descriptor; false on EPIPE or another error.
    /// Callers that write to pipes run with SIGPIPE ignored (see `ignoreSIGPIPE`).
    @discardableResult
    public static func writeAll(_ fd: Int32, _ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = buf.baseAddress else { return true }
        var off = 0
        while off < buf.count {
            let n = write(fd, base + off, buf.count - off)
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                return false
            }
            off += n
        }
        return true
    }

    /// A write to a pipe whose reader died must fail with EPIPE, not kill
    /// the host process (C hosts keep SIGPIPE's default action).
    public static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }
}
