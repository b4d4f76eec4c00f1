import AnnaCore

/// The real UTC clock.
public struct SystemClock: Clock {
    public init() {}
    public func now() -> UTCTime { UTCTime(micros: Sys.nowMicros()) }
}

/// A clock that always answers the same instant (tests, token vectors).
public struct FixedClock: Clock {
    public let time: UTCTime
    public init(_ time: UTCTime) { self.time = time }
    public func now() -> UTCTime { time }
}
