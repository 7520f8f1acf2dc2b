import Dispatch
import HookCore
import Synchronization

/// Explains, once the listener is quiet again, the mismatches it stored without their cause.
///
/// During a flood of wrongly signed requests the listener's diagnosis budget runs out and their
/// verdicts are stored as a plain `invalid` whose detail says the cause was not looked for
/// (`SignatureSummary.causeNotLookedFor`). The store keeps the ids of those captures apart
/// (`RequestStore.unexplainedIDs`: a table of its own in SQLite, so none is forgotten, whatever its
/// age, also after a restart). Whenever the budget is rested (the live captures are not using it),
/// this verifies them again and stores the full detail, so that `list --json`, `show` and exports
/// end up explaining them as the signature pane does. The verdict itself never changes: only the
/// detail. Updates are written a batch at a time (one transaction).
public final class SignatureCatchUp: Sendable {
    /// One element whenever a verdict without its cause was stored; finished by `finish`.
    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let mayRun: @Sendable () -> Bool
    private let verify: @Sendable (CapturedRequest) -> SignatureSummary
    private let charge: @Sendable (Duration) -> Void

    /// - Parameters:
    ///   - mayRun: whether the budget allows explaining one now (checked before each).
    ///   - verify: the verdict with its explanation, within the same budget.
    ///   - charge: told the time spent reading and updating the captures, to count it against the
    ///     same budget as the diagnoses.
    public init(
        mayRun: @escaping @Sendable () -> Bool,
        verify: @escaping @Sendable (CapturedRequest) -> SignatureSummary,
        charge: @escaping @Sendable (Duration) -> Void = { _ in }
    ) {
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.mayRun = mayRun
        self.verify = verify
        self.charge = charge
    }

    private static let verification = DispatchQueue(label: "hookscope.catch-up")

    /// Told of each committed batch: wakes `run` when one of them lacks its explanation (cheap; any thread).
    public func committed(_ batch: [CapturedRequest]) {
        if batch.contains(where: \.signature.causeNotLookedFor) { wake.yield() }
    }

    /// Told of verdicts stored for existing captures (the re-verification after a secret was
    /// added), once they are written: the same.
    public func stored(_ verdicts: [(id: Int64, signature: SignatureSummary)]) {
        if verdicts.contains(where: \.signature.causeNotLookedFor) { wake.yield() }
    }

    /// Lets `run` return once it finds nothing more to explain.
    public func finish() {
        wake.finish()
    }

    /// Works through the store's unexplained captures, oldest first, `batchSize` at a time, until
    /// `finish` or cancellation, waiting `pause` whenever the budget does not allow one more. When
    /// a pass is through, it waits to be woken; a pass in which a diagnosis was skipped again (the
    /// live captures took the budget) is followed by another after `pause`.
    public func run(store: any RequestStore, pause: Duration = .milliseconds(100), batchSize: Int = 64) async {
        var wakeups = wakes.makeAsyncIterator()
        let clock = ContinuousClock()
        var after: Int64 = 0
        var skipped = false
        var finished = false
        // Captures whose verdict would change (the secrets changed since): left as they are, and
        // not verified again by this run.
        var leftAlone = Set<Int64>()
        while !Task.isCancelled {
            let started = clock.now
            let ids = (try? await store.unexplainedIDs(afterID: after, limit: batchSize)) ?? []
            charge(clock.now - started)
            if ids.isEmpty {
                // A pass is through. Again at once if a diagnosis was skipped, else when woken.
                after = 0
                if skipped {
                    skipped = false
                    do { try await Task.sleep(for: pause) } catch { return }
                } else if finished {
                    return
                } else if await wakeups.next() == nil {
                    finished = true  // one more pass, for what was stored before `finish`
                }
                continue
            }
            after = ids[ids.count - 1]
            var updates: [(id: Int64, signature: SignatureSummary)] = []
            func write() async {
                guard !updates.isEmpty else { return }
                let started = clock.now
                try? await store.updateSignatures(updates)
                charge(clock.now - started)
                updates.removeAll()
            }
            for id in ids where !leftAlone.contains(id) {
                while !mayRun() {
                    await write()
                    do { try await Task.sleep(for: pause) } catch { return }
                }
                let started = clock.now
                let found = try? await store.request(id: id)
                charge(clock.now - started)
                guard let stored = found, stored.signature.causeNotLookedFor else { continue }
                // On a queue of its own, not the cooperative pool the TUI runs on: explaining a
                // hostile body of a few MB can take a good part of a second.
                let verify = self.verify
                let summary = await withCheckedContinuation { continuation in
                    Self.verification.async { continuation.resume(returning: verify(stored)) }
                }
                if summary.causeNotLookedFor {
                    skipped = true
                } else if summary.status == stored.signature.status {
                    updates.append((id, summary))
                } else {
                    leftAlone.insert(id)
                }
            }
            await write()
        }
    }
}
