import Foundation
import HookCore
import Synchronization

/// Caps the CPU time the listener spends explaining wrong signatures.
///
/// A verdict of "valid" or "no secret" costs microseconds; a wrong signature makes the verifier try
/// the usual mistakes (re-serialized JSON, other encodings, URLs, algorithms) to say which one
/// explains it, which costs about 0.2 ms for a 2 KB body and up to half a second for a hostile
/// body of a few MB. A flood of wrongly signed requests would spend most of the listener's CPU
/// there. The listener's verdicts share one budget: a token bucket of CPU time that refills at
/// `share` of one core and holds at most `capacity`. While it has time left, each diagnosis runs and
/// its duration is charged (the balance may go below zero: the next ones then wait for the refill);
/// without time left the verdict is stored as a plain mismatch that says so, and the signature pane
/// and `hookscope verify`, which never use a budget, still explain it.
public final class DiagnosisBudget: Sendable {
    private struct State {
        var balance: Int64
        var last: UInt64
        var skipped = 0
    }

    /// Nanoseconds in `duration`.
    private static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }

    /// Adds the time refilled since `state.last` (up to the capacity) as of `now`.
    private func refill(_ state: inout State, now: UInt64) {
        guard now > state.last else { return }
        state.balance = min(capacity, state.balance + Int64(Double(now - state.last) * refillPerSecond / 1e9))
        state.last = now
    }

    private let state: Mutex<State>
    private let refillPerSecond: Double
    private let capacity: Int64
    private let clock: @Sendable () -> UInt64
    /// The state a mismatch is stored in when this budget did not let its cause be looked for.
    let skipped: DiagnosisState

    /// A budget that never lets a diagnosis run, for verdicts whose cause is looked for after the
    /// sender was answered (`DiagnosisState.deferred`).
    public static let later = DiagnosisBudget(share: 0, capacity: .zero, skipped: .deferred)

    /// - Parameters:
    ///   - share: the part of one core the diagnoses may use over time (0.1: 100 ms per second).
    ///   - capacity: the most time saved up for a burst, and the balance at the start.
    ///   - clock: monotonic nanoseconds (tests pass their own).
    public convenience init(
        share: Double = 0.1, capacity: Duration = .milliseconds(500),
        clock: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }
    ) {
        self.init(share: share, capacity: capacity, clock: clock, skipped: .skipped)
    }

    private init(
        share: Double, capacity: Duration, clock: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds },
        skipped: DiagnosisState
    ) {
        self.skipped = skipped
        let capacityNanoseconds = Self.nanoseconds(capacity)
        self.capacity = capacityNanoseconds
        self.refillPerSecond = share * 1e9
        self.clock = clock
        state = Mutex(State(balance: capacityNanoseconds, last: clock()))
    }

    /// Runs `work` when the budget has time left and charges what it took; nil (and `work` not run)
    /// when it has none.
    public func spend<T>(_ work: () throws -> T) rethrows -> T? {
        let start = clock()
        let allowed = state.withLock { state -> Bool in
            refill(&state, now: start)
            if state.balance > 0 { return true }
            state.skipped += 1
            return false
        }
        guard allowed else { return nil }
        let result = try work()
        let end = clock()
        let cost = end > start ? Int64(end - start) : 0
        state.withLock { $0.balance -= cost }
        return result
    }

    /// How many diagnoses were skipped so far.
    public var skippedCount: Int { state.withLock { $0.skipped } }
}

extension DiagnosisBudget {
    /// Charges time spent around diagnoses (reading and writing the captures they explain later),
    /// so that work counts against the same share of a core.
    public func charge(_ duration: Duration) {
        let nanoseconds = Self.nanoseconds(duration)
        guard nanoseconds > 0 else { return }
        state.withLock { $0.balance -= nanoseconds }
    }

    /// True when at least half of the burst allowance is saved up: the live captures are not using
    /// it, so work that can wait (explaining earlier mismatches again) may run.
    public var isRested: Bool {
        let now = clock()
        return state.withLock { state in
            refill(&state, now: now)
            return state.balance >= capacity / 2
        }
    }
}
