import Foundation

/// Runs blocking work on a dedicated thread and waits for it without blocking the concurrency pool.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

/// The queue that CPU-heavy test work (the fuzz tests) runs on, one job at a time.
private let cpuWorkQueue = DispatchQueue(label: "hookscope.tests.cpu-work")

/// Runs CPU-heavy work off the concurrency pool, like `onOwnThread`, but one job at a time across
/// the whole test run: 28 fuzz cases on threads of their own took both cores for seconds, and a
/// replay test's server thread then missed its 5 s timeout.
public func onCPUWorkQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        cpuWorkQueue.async { continuation.resume(with: Result { try work() }) }
    }
}
