import Synchronization
import Testing
@testable import AnnaRuntime

/// The timer behind tool_timeout for invokes no thread waits for (EX-TMO-1/2).
@Suite struct DeadlineTimerTests {
    @Test func firesInDeadlineOrderAndOnlyOnce() async {
        let t = DeadlineTimer()
        let fired = Mutex<[Int]>([])
        _ = t.schedule(afterNanos: 300_000_000) { fired.withLock { $0.append(300) } }
        _ = t.schedule(afterNanos: 100_000_000) { fired.withLock { $0.append(100) } }
        _ = t.schedule(afterNanos: 20_000_000) { fired.withLock { $0.append(20) } }
        #expect(await eventually(10) { fired.withLock { $0.count } == 3 })
        try? await Task.sleep(nanoseconds: 50_000_000)
        #expect(fired.withLock { $0 } == [20, 100, 300])
        t.shutdown()
    }

    /// The thread sleeps until the earliest deadline; an earlier one
    /// scheduled meanwhile must wake it (not wait 60 s behind the first).
    @Test func anEarlierDeadlineWakesTheSleepingThread() async {
        let t = DeadlineTimer()
        let fired = Mutex<[Int]>([])
        _ = t.schedule(afterNanos: 60_000_000_000) { fired.withLock { $0.append(60) } }
        try? await Task.sleep(nanoseconds: 50_000_000)   // let it fall asleep
        _ = t.schedule(afterNanos: 10_000_000) { fired.withLock { $0.append(0) } }
        #expect(await eventually(20) { fired.withLock { $0 } == [0] })
        t.shutdown()
    }

    @Test func cancelledEntriesNeverFire() async {
        let t = DeadlineTimer()
        let fired = Atomic<Int>(0)
        var entries: [DeadlineTimer.Entry] = []
        for i in 0..<200 {
            if let e = t.schedule(afterNanos: UInt64(20_000_000 + i * 100_000), { fired.add(1, ordering: .relaxed) }) {
                entries.append(e)
            }
        }
        #expect(entries.count == 200)
        // Cancel every other one, from the middle of the heap outwards.
        var cancelled = 0
        for (i, e) in entries.enumerated() where i % 2 == 0 {
            if e.cancel() { cancelled += 1 }
        }
        #expect(cancelled == 100)
        #expect(await eventually(5) { fired.load(ordering: .relaxed) == 100 })
        try? await Task.sleep(nanoseconds: 100_000_000)
        #expect(fired.load(ordering: .relaxed) == 100)
        // Fired entries cannot be cancelled any more.
        #expect(entries.allSatisfy { !$0.cancel() })
        t.shutdown()
    }

    @Test func shutdownDropsPendingAndRefusesNew() async {
        let t = DeadlineTimer()
        let fired = Atomic<Int>(0)
        let e = t.schedule(afterNanos: 50_000_000) { fired.add(1, ordering: .relaxed) }
        #expect(e != nil)
        t.shutdown()
        #expect(t.schedule(afterNanos: 1) { fired.add(1, ordering: .relaxed) } == nil)
        try? await Task.sleep(nanoseconds: 150_000_000)
        #expect(fired.load(ordering: .relaxed) == 0)
    }

    @Test func concurrentScheduleAndCancel() async {
        let t = DeadlineTimer()
        let fired = Atomic<Int>(0)
        let kept = await concurrently(8) { worker -> Int in
            var keep = 0
            for i in 0..<2_000 {
                guard let e = t.schedule(afterNanos: UInt64(1_000_000 + (i % 7) * 1_000_000), {
                    fired.add(1, ordering: .relaxed)
                }) else { continue }
                // Cancel most; a cancel that loses to the firing is fine too.
                if (i + worker) % 10 != 0 { if !e.cancel() { keep += 1 } } else { keep += 1 }
            }
            return keep
        }
        let expected = kept.reduce(0, +)
        #expect(await eventually(5) { fired.load(ordering: .relaxed) == expected })
        try? await Task.sleep(nanoseconds: 50_000_000)
        #expect(fired.load(ordering: .relaxed) == expected)
        t.shutdown()
    }
}
