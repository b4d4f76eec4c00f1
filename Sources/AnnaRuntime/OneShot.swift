#if canImport(Glibc)
import Glibc
#endif

/// A value delivered once from one thread to another, with a deadline.
/// Each waiter is resumed exactly once: by `fulfill`, or by its timeout.
public final class OneShot<T>: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var cond = pthread_cond_t()
    private var value: T?

    public init() {
        pthread_mutex_init(&mutex, nil)
        Sys.initMonotonicCondition(&cond)
    }

    deinit {
        pthread_cond_destroy(&cond)
        pthread_mutex_destroy(&mutex)
    }

    /// Stores the value if none was stored yet; false if it came too late.
    @discardableResult
    public func fulfill(_ v: T) -> Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        if value != nil { return false }
        value = v
        pthread_cond_broadcast(&cond)
        return true
    }

    /// Waits for the value; nil when `timeoutNanos` elapses first
    /// (a nil timeout waits forever).
    public func wait(timeoutNanos: UInt64?) -> T? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        if let timeoutNanos {
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            let total = UInt64(ts.tv_nsec) + timeoutNanos % 1_000_000_000
            ts.tv_sec += Int(timeoutNanos / 1_000_000_000) + Int(total / 1_000_000_000)
            ts.tv_nsec = Int(total % 1_000_000_000)
            while value == nil {
                if pthread_cond_timedwait(&cond, &mutex, &ts) == ETIMEDOUT { break }
            }
        } else {
            while value == nil { pthread_cond_wait(&cond, &mutex) }
        }
        return value
    }

    public var peek: T? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return value
    }
}
