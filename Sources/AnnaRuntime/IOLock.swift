#if canImport(Glibc)
import Glibc
#endif

/// A lock that sleeps instead of spinning, for the plugin path: sections
/// that contain a system call (a pipe write) and state shared by many worker
/// threads and a reader thread. `Synchronization.Mutex` spins before
/// sleeping, which is right for the uncontended nanosecond sections of the
/// dispatcher but burnt a fifth of the bridge's CPU with 16 plugin calls in
/// flight on two cores (a preempted holder leaves the others spinning).
final class IOLock<Value>: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var value: Value

    init(_ value: Value) {
        self.value = value
        pthread_mutex_init(&mutex, nil)
    }

    deinit { pthread_mutex_destroy(&mutex) }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body(&value)
    }

    /// Runs `body` only if the lock is free right now; nil if it is held.
    func withLockIfAvailable<R>(_ body: (inout Value) throws -> R) rethrows -> R? {
        guard pthread_mutex_trylock(&mutex) == 0 else { return nil }
        defer { pthread_mutex_unlock(&mutex) }
        return try body(&value)
    }
}

/// A reader-writer lock for tables read on every call and written rarely
/// (registered executas, live plugin processes): concurrent invokes read
/// them without excluding each other.
final class RWLock<Value>: @unchecked Sendable {
    private var lock = pthread_rwlock_t()
    private var value: Value

    init(_ value: Value) {
        self.value = value
        pthread_rwlock_init(&lock, nil)
    }

    deinit { pthread_rwlock_destroy(&lock) }

    func read<R>(_ body: (Value) throws -> R) rethrows -> R {
        pthread_rwlock_rdlock(&lock)
        defer { pthread_rwlock_unlock(&lock) }
        return try body(value)
    }

    func write<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_rwlock_wrlock(&lock)
        defer { pthread_rwlock_unlock(&lock) }
        return try body(&value)
    }
}
