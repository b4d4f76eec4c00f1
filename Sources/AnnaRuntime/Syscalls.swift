import CAnnaSys
import Synchronization
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
        let bytes = Array(path.utf8)
        var i = 1
        while i <= bytes.count {
            if i == bytes.count || bytes[i] == UInt8(ascii: "/") {
                let prefix = String(decoding: bytes[0..<i], as: UTF8.self)
                if !exists(prefix) { _ = mkdir(prefix, 0o777) }
            }
            i += 1
        }
    }

    public static func randomBytes(_ n: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    /// Writes all bytes to a file descriptor; false on EPIPE or another error.
    /// Callers that write to pipes run with SIGPIPE ignored (see `ignoreSIGPIPE`).
    /// On a non-blocking pipe (a plugin's stdin) it waits for room while the
    /// reader is behind, checking `giveUp` every 100 ms so a reader that
    /// never reads cannot hold the writer (and its lock) forever.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ buf: UnsafeBufferPointer<UInt8>, giveUp: (() -> Bool)? = nil) -> Bool {
        guard let base = buf.baseAddress else { return true }
        var off = 0
        while off < buf.count {
            let n = write(fd, base + off, buf.count - off)
            if n < 0 {
                let e = Glibc.errno
                if e == EINTR { continue }
                if e == EAGAIN && waitWritable(fd, giveUp: giveUp) { continue }
                return false
            }
            off += n
        }
        return true
    }

    /// Blocks until `fd` accepts writes; false when it never will or `giveUp` says so.
    static func waitWritable(_ fd: Int32, giveUp: (() -> Bool)?) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        while true {
            if giveUp?() == true { return false }
            let r = poll(&p, 1, giveUp == nil ? -1 : 100)
            if r > 0 { return p.revents & Int16(POLLOUT) != 0 }
            if r < 0 && Glibc.errno != EINTR { return false }
        }
    }

    /// A condition variable whose timed waits use CLOCK_MONOTONIC, so a
    /// wall-clock change neither fires nor postpones a deadline.
    static func initMonotonicCondition(_ cond: UnsafeMutablePointer<pthread_cond_t>) {
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
    }

    public static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    /// One write of at most PIPE_BUF bytes to a non-blocking pipe, which
    /// POSIX makes all-or-nothing: `.written`, `.full` (nothing written, the
    /// reader is behind) or `.failed` (the reader is gone).
    public enum AtomicWrite { case written, full, failed }

    public static func writeAtomic(_ fd: Int32, _ buf: UnsafeBufferPointer<UInt8>) -> AtomicWrite {
        guard buf.count <= Int(PIPE_BUF) else { return .full }   // not atomic: a blocking writer's job
        guard let base = buf.baseAddress else { return .written }
        while true {
            let n = write(fd, base, buf.count)
            if n == buf.count { return .written }
            if n < 0 && Glibc.errno == EINTR { continue }
            if n < 0 && Glibc.errno == EAGAIN { return .full }
            return .failed
        }
    }

    /// A write to a pipe whose reader died must fail with EPIPE, not kill
    /// the host process (C hosts keep SIGPIPE's default action). Only for
    /// programs that own their process (`anna-bridge`) and never restore
    /// SIGPIPE: from this call on, pipe writes skip the per-write signal
    /// masking. The library itself never calls it.
    public static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
        sigpipeIgnored.store(true, ordering: .releasing)
    }

    static let sigpipeIgnored = Atomic<Bool>(false)
}

// MARK: - Child processes (executa plugins)

extension Sys {
    public struct Child: Sendable {
        public let pid: pid_t
        public let stdin: Int32
        public let stdout: Int32
        public let stderr: Int32
    }

    /// Spawns `argv` (PATH-searched, no shell) in `cwd` with three pipes.
    /// Errors read like Python's OSError text (`[Errno 2] No such file or
    /// directory: 'uv'`), which the reference puts on the wire (EX-SPAWN-4).
    public static func spawn(_ argv: [String], cwd: String) -> Result<Child, OSError> {
        guard let exe = argv.first else { return .failure(OSError(errno: EINVAL, message: "[Errno 22] Invalid argument: ''")) }
        // The working directory is checked first, as Python does before exec.
        var st = stat()
        if stat(cwd, &st) != 0 { return .failure(error("chdir", cwd)) }
        if (st.st_mode & S_IFMT) != S_IFDIR {
            return .failure(OSError(errno: ENOTDIR, message: "[Errno 20] Not a directory: '\(cwd)'"))
        }
        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard csys_pipe_cloexec(&inPipe) == 0 else { return .failure(error("pipe", exe)) }
        guard csys_pipe_cloexec(&outPipe) == 0 else { close(inPipe[0]); close(inPipe[1]); return .failure(error("pipe", exe)) }
        guard csys_pipe_cloexec(&errPipe) == 0 else {
            for fd in inPipe + outPipe { close(fd) }
            return .failure(error("pipe", exe))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        csys_spawn_addchdir(&actions, cwd)
        csys_spawn_addclosefrom(&actions, 3)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // The child starts with default signal handling and an empty mask,
        // whatever the host process did to SIGPIPE/SIGINT.
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var pid = pid_t()
        let cargs = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        let rc = posix_spawnp(&pid, exe, &actions, &attr, cargs, environ)
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        if rc != 0 {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            return .failure(OSError(errno: rc, message: "[Errno \(rc)] \(String(cString: strerror(rc))): '\(exe)'"))
        }
        return .success(Child(pid: pid, stdin: inPipe[1], stdout: outPipe[0], stderr: errPipe[0]))
    }

    /// Runs `body` (a write to a pipe or socket) so that it can never raise
    /// SIGPIPE in this process: SIGPIPE is blocked for the calling thread
    /// meanwhile, and one the body caused is consumed before the old mask
    /// comes back. A plain C host keeps SIGPIPE's default action
    /// (terminate), so a crashed plugin or a reset peer must not reach it.
    /// `errno` as the body left it is returned alongside its result.
    public static func withoutSIGPIPE<T>(_ body: () -> T) -> (T, Int32) {
        if sigpipeIgnored.load(ordering: .acquiring) {
            errno = 0
            let result = body()
            return (result, errno)
        }
        var block = sigset_t(), old = sigset_t(), pending = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &block, &old)
        sigpending(&pending)
        let wasPending = sigismember(&pending, SIGPIPE) == 1
        errno = 0
        let result = body()
        let err = errno
        if !wasPending {
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1 {
                var zero = timespec(tv_sec: 0, tv_nsec: 0)
                _ = sigtimedwait(&block, nil, &zero)
            }
        }
        pthread_sigmask(SIG_SETMASK, &old, nil)
        return (result, err)
    }

    /// Writes all bytes to a pipe; never raises SIGPIPE (see withoutSIGPIPE).
    @discardableResult
    public static func writeAllNoSigpipe(_ fd: Int32, _ buf: UnsafeBufferPointer<UInt8>,
                                         giveUp: (() -> Bool)? = nil) -> Bool {
        withoutSIGPIPE { writeAll(fd, buf, giveUp: giveUp) }.0
    }

    public static func closeFD(_ fd: Int32) { _ = close(fd) }

    public static func kill(_ pid: pid_t, _ sig: Int32) { _ = Glibc.kill(pid, sig) }

    /// Non-blocking reap; true once the child has been collected.
    public static func reapNoHang(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        return r == pid || (r < 0 && errno == ECHILD)
    }

    /// Reads up to `count` bytes; 0 at EOF, -1 on error (EINTR retried).
    public static func readFD(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ count: Int) -> Int {
        while true {
            let n = Glibc.read(fd, p, count)
            if n < 0 && errno == EINTR { continue }
            return n
        }
    }

    public static func sleepNanos(_ ns: UInt64) {
        var ts = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
        var rem = timespec()
        while nanosleep(&ts, &rem) != 0 && errno == EINTR { ts = rem }
    }

    /// Starts a detached thread running `body`; false if the OS refused
    /// (then `body` did not run and never will).
    @discardableResult
    public static func startThread(stackSize: Int = 1 << 20, _ body: @escaping @Sendable () -> Void) -> Bool {
        final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
        let box = Unmanaged.passRetained(Box(body))
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attr, stackSize)
        var tid = pthread_t()
        let rc = pthread_create(&tid, &attr, { raw in
            let b = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            b.body()
            return nil
        }, box.toOpaque())
        pthread_attr_destroy(&attr)
        if rc != 0 { box.release() }
        return rc == 0
    }

    public static func writeStderr(_ bytes: UnsafeBufferPointer<UInt8>) {
        _ = writeAllNoSigpipe(2, bytes)
    }
}
