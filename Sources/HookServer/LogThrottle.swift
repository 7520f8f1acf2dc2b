import Synchronization

/// At most one log line per `interval` for an error that repeats with every request (a full disk
/// fails each commit): the others are counted, and the count goes with the next line. Without it,
/// a flood against a full disk writes a line per request to stderr, and an unread stderr would
/// then hold up the event loop that writes them.
final class LogThrottle: Sendable {
    private struct State {
        var last: ContinuousClock.Instant?
        var suppressed = 0
    }

    private let state = Mutex(State())
    private let interval: Duration

    init(interval: Duration) {
        self.interval = interval
    }

    /// Whether to log now: nil to stay quiet (counted), else how many were kept quiet since the
    /// last line.
    func admit(now: ContinuousClock.Instant = .now) -> Int? {
        state.withLock { state in
            if let last = state.last, now - last < interval {
                state.suppressed += 1
                return nil
            }
            state.last = now
            defer { state.suppressed = 0 }
            return state.suppressed
        }
    }
}
