#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Every system call the SDK makes, in one place so it can be read and
/// audited at a glance (swift-system's `Syscalls.swift` habit).
enum Sys {
    /// `read(2)`, retried on EINTR and waited out with `poll(2)` when a
    /// host handed us a non-blocking descriptor. 0 = EOF, -1 = error.
    static func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        while true {
            let n = Glibc.read(fd, buffer, count)
            if n >= 0 { return n }
            switch errno {
            case EINTR: continue
            case EAGAIN: waitReady(fd, events: Int16(POLLIN))
            default: return -1
            }
        }
    }

    /// Writes every byte (a frame is never half-written unless the peer
    /// is gone). Returns false once the descriptor is unusable (EPIPE...).
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard var p = bytes.baseAddress else { return true }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(fd, p, left)
            if n > 0 {
                p += n
                left -= n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN { waitReady(fd, events: Int16(POLLOUT)); continue }
            return false
        }
        return true
    }

    private static func waitReady(_ fd: Int32, events: Int16) {
        var p = pollfd(fd: fd, events: events, revents: 0)
        _ = poll(&p, 1, -1)
    }

    static func dup(_ fd: Int32) -> Int32 { Glibc.dup(fd) }
    static func dup2(_ from: Int32, _ to: Int32) -> Bool { Glibc.dup2(from, to) >= 0 }
    @discardableResult static func close(_ fd: Int32) -> Int32 { Glibc.close(fd) }

    /// Keeps a descriptor out of processes the plugin itself spawns, so a
    /// grandchild cannot hold the protocol pipe open.
    static func setCloseOnExec(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFD)
        if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
    }

    /// A writer to a closed pipe must get EPIPE, not die.
    static func ignoreSIGPIPE() { _ = signal(SIGPIPE, SIG_IGN) }

    /// `pipe(2)` with close-on-exec on both ends: (read end, write end).
    static func pipe() -> (read: Int32, write: Int32)? {
        var fds: [Int32] = [-1, -1]
        guard Glibc.pipe(&fds) == 0 else { return nil }
        setCloseOnExec(fds[0])
        setCloseOnExec(fds[1])
        return (fds[0], fds[1])
    }

    static func lineBufferStdout() { setvbuf(stdout, nil, _IOLBF, 0) }
    static func flushStdout() { fflush(stdout) }

    static func writeStderr(_ text: String) {
        var s = text
        s.withUTF8 { _ = writeAll(2, UnsafeRawBufferPointer($0)) }
    }

    /// Runs `body` on a new detached thread; false if none could be made.
    static func startThread(_ body: @escaping () -> Void) -> Bool {
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            guard let arg else { return nil }
            Unmanaged<ThreadBody>.fromOpaque(arg).takeRetainedValue().body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            return false
        }
        pthread_detach(tid)
        return true
    }

    static func memchr(_ p: UnsafePointer<UInt8>, _ byte: UInt8, _ count: Int) -> Int? {
        guard count > 0, let hit = Glibc.memchr(p, Int32(byte), count) else { return nil }
        return UnsafeRawPointer(hit) - UnsafeRawPointer(p)
    }
}

private final class ThreadBody {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
