#if canImport(Glibc)
import Glibc
#endif

/// Runs an action at a deadline unless it is cancelled first: the
/// tool_timeout of invokes that no thread waits for (EX-TMO-1/2). One
/// thread per timer, started on first use, sleeping until the earliest
/// deadline. Entries live in a binary heap that knows each entry's slot, so
/// the common case (the answer comes first) removes its entry in
/// O(log n) and the heap only ever holds calls still in flight.
final class DeadlineTimer: @unchecked Sendable {
    final class Entry: @unchecked Sendable {
        fileprivate let deadline: UInt64
        fileprivate let action: @Sendable () -> Void
        fileprivate let timer: DeadlineTimer
        /// Position in the heap; -1 once fired or cancelled. Guarded by the timer's mutex.
        fileprivate var slot = -1

        fileprivate init(deadline: UInt64, timer: DeadlineTimer, action: @escaping @Sendable () -> Void) {
            self.deadline = deadline
            self.timer = timer
            self.action = action
        }

        /// Removes the entry; true if it had not fired yet (its action will not run).
        @discardableResult
        func cancel() -> Bool { timer.cancel(self) }
    }

    private var mutex = pthread_mutex_t()
    private var cond = pthread_cond_t()
    private var heap: [Entry] = []
    private var started = false
    private var stopping = false
    /// When the thread will next wake by itself; a new entry due earlier
    /// must wake it, a later one need not (the usual case: equal budgets).
    private var wakeAt = UInt64.max

    init() {
        pthread_mutex_init(&mutex, nil)
        Sys.initMonotonicCondition(&cond)
    }

    /// Schedules `action` after `nanos`; nil when no timer thread could be
    /// started (the caller then must not rely on the deadline).
    func schedule(afterNanos nanos: UInt64, _ action: @escaping @Sendable () -> Void) -> Entry? {
        let e = Entry(deadline: Sys.monotonicNanos() &+ nanos, timer: self, action: action)
        pthread_mutex_lock(&mutex)
        if stopping { pthread_mutex_unlock(&mutex); return nil }
        if !started {
            started = true
            if !Sys.startThread(stackSize: 256 << 10, { [self] in loop() }) {
                started = false
                pthread_mutex_unlock(&mutex)
                return nil
            }
        }
        e.slot = heap.count
        heap.append(e)
        siftUp(e.slot)
        let wake = e.deadline < wakeAt
        pthread_mutex_unlock(&mutex)
        if wake { pthread_cond_signal(&cond) }
        return e
    }

    fileprivate func cancel(_ e: Entry) -> Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        guard e.slot >= 0 else { return false }
        remove(at: e.slot)
        return true
    }

    /// Stops the thread; pending actions are dropped (their owners fail
    /// them when they shut down).
    func shutdown() {
        pthread_mutex_lock(&mutex)
        stopping = true
        for e in heap { e.slot = -1 }
        heap.removeAll()
        pthread_mutex_unlock(&mutex)
        pthread_cond_signal(&cond)
    }

    private func loop() {
        pthread_mutex_lock(&mutex)
        while !stopping {
            let now = Sys.monotonicNanos()
            if let first = heap.first, first.deadline <= now {
                remove(at: 0)
                pthread_mutex_unlock(&mutex)
                first.action()
                pthread_mutex_lock(&mutex)
                continue
            }
            wakeAt = heap.first?.deadline ?? UInt64.max
            if wakeAt == UInt64.max {
                pthread_cond_wait(&cond, &mutex)
            } else {
                var ts = timespec(tv_sec: Int(wakeAt / 1_000_000_000), tv_nsec: Int(wakeAt % 1_000_000_000))
                pthread_cond_timedwait(&cond, &mutex, &ts)
            }
            wakeAt = 0   // awake: every schedule until the next sleep is seen anyway
        }
        pthread_mutex_unlock(&mutex)
    }

    // MARK: heap (ordered by deadline; callers hold the mutex)

    private func remove(at i: Int) {
        let gone = heap[i]
        gone.slot = -1
        let last = heap.removeLast()
        guard i < heap.count else { return }
        heap[i] = last
        last.slot = i
        siftDown(i)
        siftUp(last.slot)
    }

    private func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].deadline < heap[parent].deadline else { return }
            swapAt(i, parent)
            i = parent
        }
    }

    private func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && heap[l].deadline < heap[m].deadline { m = l }
            if r < heap.count && heap[r].deadline < heap[m].deadline { m = r }
            if m == i { return }
            swapAt(i, m)
            i = m
        }
    }

    private func swapAt(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        heap[a].slot = a
        heap[b].slot = b
    }
}
