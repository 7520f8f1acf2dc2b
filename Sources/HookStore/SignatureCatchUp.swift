import HookCore

/// Explains, once the listener is quiet again, the mismatches it stored without their cause.
///
/// During a flood of wrongly signed requests the listener's diagnosis budget runs out and their
/// verdicts are stored as a plain `invalid` whose detail says the cause was not looked for. This
/// keeps the ids of those captures (the newest `limit` of them) and, whenever the budget is rested
/// (the live captures are not using it), verifies them again and stores the full detail, so that
/// `list --json`, `show` and exports end up explaining them as the signature pane does. The verdict
/// itself never changes: only the detail.
public final class SignatureCatchUp: Sendable {
    private let ids: AsyncStream<Int64>
    private let continuation: AsyncStream<Int64>.Continuation
    private let needsCatchUp: @Sendable (SignatureSummary) -> Bool
    private let mayRun: @Sendable () -> Bool
    private let verify: @Sendable (CapturedRequest) -> SignatureSummary

    /// - Parameters:
    ///   - limit: the most captures waiting; older ones are forgotten first.
    ///   - needsCatchUp: whether a stored verdict lacks its explanation.
    ///   - mayRun: whether the budget allows explaining one now (checked before each).
    ///   - verify: the verdict with its explanation, within the same budget.
    public init(
        limit: Int = 100_000,
        needsCatchUp: @escaping @Sendable (SignatureSummary) -> Bool,
        mayRun: @escaping @Sendable () -> Bool,
        verify: @escaping @Sendable (CapturedRequest) -> SignatureSummary
    ) {
        (ids, continuation) = AsyncStream.makeStream(of: Int64.self, bufferingPolicy: .bufferingNewest(limit))
        self.needsCatchUp = needsCatchUp
        self.mayRun = mayRun
        self.verify = verify
    }

    /// Notes the committed captures whose verdict lacks its explanation (cheap; any thread).
    public func committed(_ batch: [CapturedRequest]) {
        for request in batch where needsCatchUp(request.signature) {
            continuation.yield(request.id)
        }
    }

    /// Stops `run` once the captures noted so far are handled.
    public func finish() {
        continuation.finish()
    }

    /// Works through the noted captures until `finish` or cancellation, waiting `pause` whenever the
    /// budget does not allow one more. Captures deleted meanwhile are skipped.
    public func run(store: any RequestStore, pause: Duration = .milliseconds(100)) async {
        for await id in ids {
            while !mayRun() {
                do { try await Task.sleep(for: pause) } catch { return }
            }
            guard let stored = try? await store.request(id: id), needsCatchUp(stored.signature) else { continue }
            let summary = verify(stored)
            if needsCatchUp(summary) {
                // The live captures took the budget first: try this one again later.
                continuation.yield(id)
                continue
            }
            guard summary.status == stored.signature.status, summary != stored.signature else { continue }
            try? await store.updateSignature(id: id, summary)
        }
    }
}
