import Dispatch
import HookCore
import Synchronization

/// Explains, once the listener is quiet again, the mismatches it stored without their cause.
///
/// During a flood of wrongly signed requests the listener's diagnosis budget runs out and their
/// verdicts are stored as a plain `invalid` whose detail says the cause was not looked for. This
/// keeps the ids of those captures (the newest `limit` of them) and, whenever the budget is rested
/// (the live captures are not using it), verifies them again and stores the full detail, so that
/// `list --json`, `show` and exports end up explaining them as the signature pane does. The verdict
/// itself never changes: only the detail. Updates are written a batch at a time (one transaction).
public final class SignatureCatchUp: Sendable {
    private struct Queue {
        var ids: [Int64] = []
        var head = 0
        var count: Int { ids.count - head }

        mutating func append(_ id: Int64, limit: Int) {
            ids.append(id)
            if count > limit { head += count - limit }
            if head > 4096, head * 2 > ids.count {
                ids.removeFirst(head)
                head = 0
            }
        }

        mutating func take(_ n: Int) -> ArraySlice<Int64> {
            let end = min(ids.count, head + n)
            defer { head = end }
            return ids[head..<end]
        }
    }

    private let queue = Mutex(Queue())
    private let limit: Int
    /// One element whenever ids were added; finished by `finish`.
    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let needsCatchUp: @Sendable (SignatureSummary) -> Bool
    private let mayRun: @Sendable () -> Bool
    private let verify: @Sendable (CapturedRequest) -> SignatureSummary
    private let charge: @Sendable (Duration) -> Void

    /// - Parameters:
    ///   - limit: the most captures waiting; older ones are forgotten first.
    ///   - needsCatchUp: whether a stored verdict lacks its explanation.
    ///   - mayRun: whether the budget allows explaining one now (checked before each).
    ///   - verify: the verdict with its explanation, within the same budget.
    ///   - charge: told the time spent reading and updating the captures, to count it against the
    ///     same budget as the diagnoses.
    public init(
        limit: Int = 100_000,
        needsCatchUp: @escaping @Sendable (SignatureSummary) -> Bool,
        mayRun: @escaping @Sendable () -> Bool,
        verify: @escaping @Sendable (CapturedRequest) -> SignatureSummary,
        charge: @escaping @Sendable (Duration) -> Void = { _ in }
    ) {
        self.limit = limit
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.needsCatchUp = needsCatchUp
        self.mayRun = mayRun
        self.verify = verify
        self.charge = charge
    }

    private static let verification = DispatchQueue(label: "hookscope.catch-up")

    /// Notes the committed captures whose verdict lacks its explanation (cheap; any thread).
    public func committed(_ batch: [CapturedRequest]) {
        note(batch.lazy.map { ($0.id, $0.signature) })
    }

    /// Notes verdicts stored for existing captures (the re-verification after a secret was added),
    /// once they are written.
    public func stored(_ verdicts: [(id: Int64, signature: SignatureSummary)]) {
        note(verdicts.lazy.map { ($0.id, $0.signature) })
    }

    private func note(_ verdicts: some Sequence<(Int64, SignatureSummary)>) {
        var added = false
        queue.withLock { queue in
            for (id, signature) in verdicts where needsCatchUp(signature) {
                queue.append(id, limit: limit)
                added = true
            }
        }
        if added { wake.yield() }
    }

    /// Lets `run` return once the captures noted so far are handled.
    public func finish() {
        wake.finish()
    }

    /// Works through the noted captures until `finish` or cancellation, `batchSize` at a time,
    /// waiting `pause` whenever the budget does not allow one more. Captures deleted meanwhile are
    /// skipped; one whose diagnosis is skipped again (the live captures took the budget) goes to
    /// the back of the queue.
    public func run(store: any RequestStore, pause: Duration = .milliseconds(100), batchSize: Int = 64) async {
        var wakeups = wakes.makeAsyncIterator()
        while !Task.isCancelled {
            let batch = queue.withLock { $0.take(batchSize) }
            if batch.isEmpty {
                // Finished and nothing left: done. Otherwise wait for more ids.
                if await wakeups.next() == nil, queue.withLock({ $0.count }) == 0 { return }
                continue
            }
            var updates: [(id: Int64, signature: SignatureSummary)] = []
            let clock = ContinuousClock()
            func write() async {
                guard !updates.isEmpty else { return }
                let started = clock.now
                try? await store.updateSignatures(updates)
                charge(clock.now - started)
                updates.removeAll()
            }
            for id in batch {
                while !mayRun() {
                    await write()
                    do { try await Task.sleep(for: pause) } catch { return }
                }
                let started = clock.now
                let found = try? await store.request(id: id)
                charge(clock.now - started)
                guard let stored = found, needsCatchUp(stored.signature) else { continue }
                // On a queue of its own, not the cooperative pool the TUI runs on: explaining a
                // hostile body of a few MB can take a good part of a second.
                let verify = self.verify
                let summary = await withCheckedContinuation { continuation in
                    Self.verification.async { continuation.resume(returning: verify(stored)) }
                }
                if needsCatchUp(summary) {
                    queue.withLock { $0.append(id, limit: limit) }
                } else if summary.status == stored.signature.status, summary != stored.signature {
                    updates.append((id, summary))
                }
            }
            await write()
        }
    }
}
