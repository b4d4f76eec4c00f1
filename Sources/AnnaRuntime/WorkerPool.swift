#if canImport(Glibc)
import Glibc
#endif

/// Threads for work that may block (plugin calls, host calls): created on
/// demand up to `maxThreads`, reused while idle, so a slow call never
/// holds up the caller's thread and a burst does not spawn unboundedly.
public final class WorkerPool: @unchecked Sendable {
    public typealias Work = @Sendable () -> Void

    private var mutex = pthread_mutex_t()
    private var cond = pthread_cond_t()
    private var idleCond = pthread_cond_t()
    private var queue: [Work] = []
    private var head = 0
    private var threads = 0
    private var idle = 0
    private var busy = 0
    private var stopping = false
    private let maxThreads: Int
    private let name: String

    public init(maxThreads: Int = 256, name: String = "anna-worker") {
        self.maxThreads = maxThreads
        self.name = name
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&cond, nil)
        pthread_cond_init(&idleCond, nil)
    }

    public func submit(_ work: @escaping Work) {
        pthread_mutex_lock(&mutex)
        queue.append(work)
        busy += 1
        let spawn = (queue.count - head) > idle && threads < maxThreads
        if spawn { threads += 1 }
        let wake = idle > 0
        pthread_mutex_unlock(&mutex)
        // Signalled after unlocking, so the woken worker does not wake
        // straight into a mutex we still hold.
        if wake { pthread_cond_signal(&cond) }
        if spawn { startThread() }
    }

    /// Work running elsewhere (a call answered from a plugin's reader
    /// thread) that `waitIdle` must also wait for: `begin` before starting
    /// it, `end` exactly once when it is done.
    public func begin() {
        pthread_mutex_lock(&mutex)
        busy += 1
        pthread_mutex_unlock(&mutex)
    }

    public func end() { finished() }

    /// Waits until every submitted job (and begun work) has finished, or the timeout elapses.
    @discardableResult
    public func waitIdle(timeoutNanos: UInt64) -> Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        let deadline = Sys.monotonicNanos() &+ timeoutNanos
        while busy > 0 {
            let now = Sys.monotonicNanos()
            if now >= deadline { return false }
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            let wait = min(deadline - now, 50_000_000)
            let total = UInt64(ts.tv_nsec) + wait
            ts.tv_sec += Int(total / 1_000_000_000)
            ts.tv_nsec = Int(total % 1_000_000_000)
            pthread_cond_timedwait(&idleCond, &mutex, &ts)
        }
        return true
    }

    private func startThread() {
        // Deeply nested JSON is recursed over; give workers the main thread's room.
        let started = Sys.startThread(stackSize: 8 << 20) { [self] in loop() }
        if !started {
            pthread_mutex_lock(&mutex)
            threads -= 1
            pthread_mutex_unlock(&mutex)
            // Could not start a thread: run inline rather than lose the work.
            runOne()
        }
    }

    private func runOne() {
        pthread_mutex_lock(&mutex)
        guard head < queue.count else { pthread_mutex_unlock(&mutex); return }
        let w = take()
        pthread_mutex_unlock(&mutex)
        w()
        finished()
    }

    private func take() -> Work {
        let w = queue[head]
        head += 1
        if head > 64 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return w
    }

    private func finished() {
        pthread_mutex_lock(&mutex)
        busy -= 1
        if busy == 0 { pthread_cond_broadcast(&idleCond) }
        pthread_mutex_unlock(&mutex)
    }

    /// Lets idle threads exit once the queue is empty (queued work still runs).
    public func shutdown() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_broadcast(&cond)
        pthread_mutex_unlock(&mutex)
    }

    private func loop() {
        pthread_mutex_lock(&mutex)
        while true {
            while head >= queue.count {
                if stopping {
                    threads -= 1
                    pthread_mutex_unlock(&mutex)
                    return
                }
                idle += 1
                pthread_cond_wait(&cond, &mutex)
                idle -= 1
            }
            let w = take()
            pthread_mutex_unlock(&mutex)
            w()
            // One lock both retires this job and looks for the next.
            pthread_mutex_lock(&mutex)
            busy -= 1
            if busy == 0 { pthread_cond_broadcast(&idleCond) }
        }
    }
}
