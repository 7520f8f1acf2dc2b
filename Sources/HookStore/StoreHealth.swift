import Foundation
import HookCore
import Synchronization

/// Whether captures are being stored: how many were not since the listener started, why the
/// last one was not, and whether storing works again. The TUI's status bar shows it.
public struct StoreHealth: Sendable, Hashable {
    /// Captures the store refused (the sender got a 5xx).
    public var failures = 0
    public var lastReason: String?
    /// When the current run of failures began; nil while storing works.
    public var failingSince: CaptureTime?
    /// When a capture was stored again after failures; nil before any failure, or while failing.
    public var recoveredAt: CaptureTime?

    public init() {}

    public var isFailing: Bool { failingSince != nil }
}

/// Counts what the store did not take, cheaply on the path every capture takes: a success costs
/// one relaxed atomic load while storing works. Changes are published on `updates` (the newest
/// only, when the reader is slower than the failures).
public final class StoreHealthTracker: Sendable {
    private let state = Mutex(StoreHealth())
    private let failing = Atomic(false)
    private let continuation: AsyncStream<StoreHealth>.Continuation
    public let updates: AsyncStream<StoreHealth>

    public init() {
        (updates, continuation) = AsyncStream.makeStream(of: StoreHealth.self, bufferingPolicy: .bufferingNewest(1))
    }

    public var current: StoreHealth { state.withLock { $0 } }

    public func stored(at time: CaptureTime = .now()) {
        guard failing.load(ordering: .relaxed) else { return }
        let health = state.withLock { health -> StoreHealth? in
            guard health.failingSince != nil else { return nil }
            health.failingSince = nil
            health.recoveredAt = time
            return health
        }
        failing.store(false, ordering: .relaxed)
        if let health { continuation.yield(health) }
    }

    public func failed(_ reason: String, at time: CaptureTime = .now()) {
        failing.store(true, ordering: .relaxed)
        let health = state.withLock { health -> StoreHealth in
            health.failures += 1
            health.lastReason = reason
            if health.failingSince == nil { health.failingSince = time }
            health.recoveredAt = nil
            return health
        }
        continuation.yield(health)
    }

    public func finish() { continuation.finish() }
}
