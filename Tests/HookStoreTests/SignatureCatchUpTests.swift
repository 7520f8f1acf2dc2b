import Foundation
import HookCore
import Synchronization
import Testing

@testable import HookStore

/// The later explanation of mismatches stored without their cause during a flood.
@Suite struct SignatureCatchUpTests {
    static let unexplained = "signature mismatch (cause not looked for)"
    static func needsCatchUp(_ summary: SignatureSummary) -> Bool { summary.detail.hasSuffix("(cause not looked for)") }
    /// The explanation a full diagnosis would give: it names the capture, so a test sees which was redone.
    static func explained(_ request: CapturedRequest) -> SignatureSummary {
        SignatureSummary(provider: "stripe", status: .invalid, detail: "signature mismatch: body of #\(request.id) re-serialized")
    }

    func store(_ kind: StoreKind, unexplained: Set<Int>, count: Int) async throws -> (any RequestStore, [CapturedRequest]) {
        let store = try kind.make()
        var stored: [CapturedRequest] = []
        for n in 1...count {
            var request = sampleRequest(n)
            if unexplained.contains(n) { request.signature.detail = Self.unexplained }
            if n == 4 { request.signature = SignatureSummary(provider: nil, status: .unsigned, detail: "no signature header recognised") }
            stored.append(try await store.insert(request))
        }
        return (store, stored)
    }

    @Test(arguments: StoreKind.allCases)
    func onlyTheUnexplainedAreVerifiedAgainAndOnlyTheirDetailChanges(_ kind: StoreKind) async throws {
        let (store, stored) = try await store(kind, unexplained: [2, 3, 5], count: 6)
        let verified = Mutex<[Int64]>([])
        let catchUp = SignatureCatchUp(
            needsCatchUp: Self.needsCatchUp, mayRun: { true },
            verify: { request in
                verified.withLock { $0.append(request.id) }
                return Self.explained(request)
            })
        catchUp.committed(stored)
        // Deleted before its turn: skipped, not stored again.
        try await store.delete(id: stored[4].id)
        catchUp.finish()
        await catchUp.run(store: store, pause: .milliseconds(1))

        #expect(verified.withLock { $0 } == [stored[1].id, stored[2].id])
        for request in stored {
            let now = try await store.request(id: request.id)
            if request.id == stored[4].id {
                #expect(now == nil)
            } else if [stored[1].id, stored[2].id].contains(request.id) {
                #expect(now?.signature == Self.explained(request))
            } else {
                #expect(now?.signature == request.signature, "#\(request.id) changed")
            }
        }
    }

    /// The explained details are written a batch at a time (one transaction each in SQLite), and
    /// the time spent reading and writing the captures is charged to the budget.
    @Test func updatesAreWrittenInBatches() async throws {
        let (inner, stored) = try await store(.sqlite, unexplained: Set(1...150), count: 150)
        let store = CountingStore(inner)
        let charges = Mutex<[Duration]>([])
        let catchUp = SignatureCatchUp(
            needsCatchUp: Self.needsCatchUp, mayRun: { true }, verify: Self.explained,
            charge: { duration in charges.withLock { $0.append(duration) } })
        catchUp.committed(stored)
        catchUp.finish()
        await catchUp.run(store: store, pause: .milliseconds(1), batchSize: 64)
        #expect(store.updateBatches.withLock { $0 } == [64, 64, 21])  // 149: #4 is unsigned, never noted
        // One charge per capture read and one per batch written, none negative.
        #expect(charges.withLock { $0.count } == 149 + 3)
        #expect(charges.withLock { $0.allSatisfy { $0 >= .zero } })
        for request in stored where request.id != stored[3].id {
            #expect(try await inner.request(id: request.id)?.signature == Self.explained(request))
        }
    }

    /// Verdicts stored for existing captures (the re-verification after `s`) are noted the same way.
    @Test func verdictsStoredLaterAreNotedToo() async throws {
        let (store, stored) = try await store(.memory, unexplained: [], count: 3)
        var unexplained = stored[1]
        unexplained.signature.detail = Self.unexplained
        try await store.updateSignatures([(unexplained.id, unexplained.signature)])
        let catchUp = SignatureCatchUp(needsCatchUp: Self.needsCatchUp, mayRun: { true }, verify: Self.explained)
        catchUp.stored([(stored[0].id, stored[0].signature), (unexplained.id, unexplained.signature)])
        catchUp.finish()
        await catchUp.run(store: store, pause: .milliseconds(1))
        #expect(try await store.request(id: stored[0].id)?.signature == stored[0].signature)
        #expect(try await store.request(id: unexplained.id)?.signature == Self.explained(unexplained))
    }

    @Test func aVerdictThatWouldChangeIsLeftAlone() async throws {
        let (store, stored) = try await store(.memory, unexplained: [1], count: 1)
        let catchUp = SignatureCatchUp(
            needsCatchUp: Self.needsCatchUp, mayRun: { true },
            verify: { _ in SignatureSummary(provider: "stripe", status: .valid, detail: "signature matches") })
        catchUp.committed(stored)
        catchUp.finish()
        await catchUp.run(store: store, pause: .milliseconds(1))
        #expect(try await store.request(id: stored[0].id)?.signature == stored[0].signature)
    }

    @Test func onlyTheNewestWithinTheLimitAreKept() async throws {
        let (store, stored) = try await store(.memory, unexplained: Set(1...6), count: 6)
        let verified = Mutex<[Int64]>([])
        let catchUp = SignatureCatchUp(
            limit: 2, needsCatchUp: Self.needsCatchUp, mayRun: { true },
            verify: { request in
                verified.withLock { $0.append(request.id) }
                return Self.explained(request)
            })
        catchUp.committed(stored)
        catchUp.finish()
        await catchUp.run(store: store, pause: .milliseconds(1))
        #expect(verified.withLock { $0 } == [stored[4].id, stored[5].id])
    }

    /// Nothing runs while the budget is not rested; once it is, the capture is explained, and one
    /// whose diagnosis was skipped again (the live captures took the budget) is tried again later.
    @Test func itWaitsForTheBudgetAndTriesAgainWhenSkipped() async throws {
        let (store, stored) = try await store(.memory, unexplained: [1], count: 1)
        let rested = Mutex(false)
        let asked = Mutex(0)
        let attempts = Mutex(0)
        let catchUp = SignatureCatchUp(
            needsCatchUp: Self.needsCatchUp,
            mayRun: {
                asked.withLock { $0 += 1 }
                return rested.withLock { $0 }
            },
            verify: { request in
                let attempt = attempts.withLock { $0 += 1; return $0 }
                return attempt == 1 ? request.signature : Self.explained(request)
            })
        catchUp.committed(stored)
        let task = Task { await catchUp.run(store: store, pause: .milliseconds(1)) }
        // Not rested: it asks again after each pause and does not verify.
        let deadline = ContinuousClock.now + .seconds(10)
        while asked.withLock({ $0 }) < 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(asked.withLock { $0 } >= 3)
        #expect(attempts.withLock { $0 } == 0)
        rested.withLock { $0 = true }
        while try await store.request(id: stored[0].id)?.signature != Self.explained(stored[0]), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
        task.cancel()
        #expect(try await store.request(id: stored[0].id)?.signature == Self.explained(stored[0]))
        #expect(attempts.withLock { $0 } == 2)
    }
}

/// Forwards to a store and records the sizes of the batches of verdict updates.
final class CountingStore: RequestStore {
    let inner: any RequestStore
    let updateBatches = Mutex<[Int]>([])
    init(_ inner: any RequestStore) { self.inner = inner }

    func updateSignature(id: Int64, _ signature: SignatureSummary) async throws {
        updateBatches.withLock { $0.append(1) }
        try await inner.updateSignature(id: id, signature)
    }
    func updateSignatures(_ updates: [(id: Int64, signature: SignatureSummary)]) async throws {
        updateBatches.withLock { $0.append(updates.count) }
        try await inner.updateSignatures(updates)
    }
    func insert(_ request: CapturedRequest) async throws -> CapturedRequest { try await inner.insert(request) }
    func request(id: Int64) async throws -> CapturedRequest? { try await inner.request(id: id) }
    func count() async throws -> Int { try await inner.count() }
    func summaries(offset: Int, limit: Int) async throws -> [RequestSummary] { try await inner.summaries(offset: offset, limit: limit) }
    func summaries(afterID: Int64, limit: Int) async throws -> [RequestSummary] { try await inner.summaries(afterID: afterID, limit: limit) }
    func requests(afterID: Int64, limit: Int) async throws -> [CapturedRequest] { try await inner.requests(afterID: afterID, limit: limit) }
    func delete(id: Int64) async throws { try await inner.delete(id: id) }
    func deleteAll() async throws { try await inner.deleteAll() }
    func addReplay(_ attempt: ReplayAttempt) async throws -> ReplayAttempt { try await inner.addReplay(attempt) }
    func replays(ofRequest requestID: Int64) async throws -> [ReplayAttempt] { try await inner.replays(ofRequest: requestID) }
    func latestReplays(among ids: [Int64]) async throws -> [Int64: ReplayOutcome] { try await inner.latestReplays(among: ids) }
}
