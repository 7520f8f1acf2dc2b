import Foundation
import GRDB
import HookCore
import Synchronization
import Testing

@testable import HookStore

/// The later explanation of mismatches stored without their cause during a flood, and how the
/// stores keep those captures apart.
@Suite struct SignatureCatchUpTests {
    static let unexplained = SignatureSummary(
        provider: "stripe", status: .invalid, detail: "signature mismatch \(SignatureSummary.notDiagnosedNote)", diagnosis: .skipped)
    /// The explanation a full diagnosis would give: it names the capture, so a test sees which was redone.
    static func explained(_ request: CapturedRequest) -> SignatureSummary {
        SignatureSummary(provider: "stripe", status: .invalid, detail: "signature mismatch: body of #\(request.id) re-serialized")
    }

    func insert(into store: any RequestStore, unexplained: Set<Int>, count: Int) async throws -> [CapturedRequest] {
        var stored: [CapturedRequest] = []
        for n in 1...count {
            var request = sampleRequest(n)
            if unexplained.contains(n) { request.signature = Self.unexplained }
            if n == 4 { request.signature = .unsigned }
            stored.append(try await store.insert(request))
        }
        return stored
    }

    func store(_ kind: StoreKind, unexplained: Set<Int>, count: Int, keep: Int? = nil) async throws -> (any RequestStore, [CapturedRequest]) {
        let store = try await kind.make(keep: keep)
        return (store, try await insert(into: store, unexplained: unexplained, count: count))
    }

    @Test(arguments: StoreKind.tested)
    func onlyTheUnexplainedAreVerifiedAgainAndOnlyTheirDetailChanges(_ kind: StoreKind) async throws {
        let (store, stored) = try await store(kind, unexplained: [2, 3, 5], count: 6)
        let verified = Mutex<[Int64]>([])
        let catchUp = SignatureCatchUp(
            mayRun: { true },
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
        #expect(try await store.unexplainedIDs(afterID: 0, limit: 10) == [])
    }

    /// Which captures a store lists as unexplained follows every write: insert, verdict updates
    /// both ways, delete, the retention cap and delete-all; the list pages by id.
    @Test(arguments: StoreKind.tested)
    func theStoreKeepsTheUnexplainedApart(_ kind: StoreKind) async throws {
        let (store, stored) = try await store(kind, unexplained: [1, 2, 3, 5, 6], count: 7, keep: 6)
        let ids = stored.map(\.id)
        // #1 went with the cap of 6 (one capture over); #4 is unsigned, #7 an explained mismatch.
        #expect(try await store.unexplainedIDs(afterID: 0, limit: 10) == [ids[1], ids[2], ids[4], ids[5]])
        #expect(try await store.unexplainedIDs(afterID: 0, limit: 2) == [ids[1], ids[2]])
        #expect(try await store.unexplainedIDs(afterID: ids[2], limit: 2) == [ids[4], ids[5]])
        try await store.updateSignatures([(ids[1], Self.explained(stored[1])), (ids[6], Self.unexplained)])
        #expect(try await store.unexplainedIDs(afterID: 0, limit: 10) == [ids[2], ids[4], ids[5], ids[6]])
        try await store.updateSignature(id: ids[2], Self.explained(stored[2]))
        try await store.delete(id: ids[4])
        #expect(try await store.unexplainedIDs(afterID: 0, limit: 10) == [ids[5], ids[6]])
        // The cap again: five more (explained) push #6 out (with #2, #3 and #4), not #7.
        for n in 8...12 { _ = try await store.insert(sampleRequest(n)) }
        #expect(try await store.unexplainedIDs(afterID: 0, limit: 10) == [ids[6]])
        try await store.deleteAll()
        #expect(try await store.unexplainedIDs(afterID: 0, limit: 10) == [])
    }

    /// The SQLite store keeps the list in the database: a later run, told of nothing, finds and
    /// explains what an earlier one stored, however old.
    @Test func aLaterRunExplainsWhatAnEarlierOneLeft() async throws {
        let path = temporaryDatabasePath()
        let earlier = try SQLiteRequestStore(path: path)
        let stored = try await insert(into: earlier, unexplained: [1, 2], count: 30)
        try earlier.close()

        let store = try SQLiteRequestStore(path: path)
        let catchUp = SignatureCatchUp(mayRun: { true }, verify: Self.explained)
        catchUp.finish()
        await catchUp.run(store: store, pause: .milliseconds(1))
        #expect(try await store.request(id: stored[0].id)?.signature == Self.explained(stored[0]))
        #expect(try await store.request(id: stored[1].id)?.signature == Self.explained(stored[1]))
        #expect(try await store.request(id: stored[2].id)?.signature == stored[2].signature)
        #expect(try await store.unexplainedIDs(afterID: 0, limit: 10) == [])
    }

    /// A database written before the list existed: opening it lists the unexplained among its
    /// newest 10,000 captures.
    @Test func anOlderDatabaseHasItsNewestLookedAt() async throws {
        let path = temporaryDatabasePath()
        let earlier = try SQLiteRequestStore(path: path)
        let stored = try await insert(into: earlier, unexplained: [1, 3], count: 5)
        try earlier.close()
        // Back to the schema before the list: no table, no record of its migration.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "DROP TABLE unexplained; DELETE FROM grdb_migrations WHERE identifier = 'v5-unexplained'")
        }
        try queue.close()

        let store = try SQLiteRequestStore(path: path)
        #expect(try await store.unexplainedIDs(afterID: 0, limit: 10) == [stored[0].id, stored[2].id])
    }

    /// Whether a mismatch's cause was looked for is stored as a state, read back as written by
    /// inserts and by verdict updates, and never taken from the words of the detail.
    @Test(arguments: StoreKind.tested)
    func theDiagnosisStateIsStoredAndReadBack(_ kind: StoreKind) async throws {
        let store = try await kind.make(keep: nil)
        var deferred = sampleRequest(1)
        deferred.signature = SignatureSummary(provider: "stripe", status: .invalid, detail: "signature mismatch, reworded", diagnosis: .deferred)
        var wordsOnly = sampleRequest(2)
        wordsOnly.signature = SignatureSummary(
            provider: "stripe", status: .invalid, detail: "signature mismatch \(SignatureSummary.notDiagnosedNote)", diagnosis: .complete)
        let first = try await store.insert(deferred)
        let second = try await store.insert(wordsOnly)
        #expect(try await store.request(id: first.id)?.signature.diagnosis == .deferred)
        #expect(try await store.request(id: second.id)?.signature.diagnosis == .complete)
        #expect(try await store.unexplainedIDs(afterID: 0, limit: 10) == [first.id])
        try await store.updateSignatures([(first.id, Self.explained(first)), (second.id, Self.unexplained)])
        #expect(try await store.request(id: first.id)?.signature.diagnosis == .complete)
        #expect(try await store.request(id: second.id)?.signature.diagnosis == .skipped)
        #expect(try await store.unexplainedIDs(afterID: 0, limit: 10) == [second.id])
    }

    /// A database written before the state had its column: the captures listed as unexplained
    /// get theirs, skipped or deferred as their detail's note says; the others are complete.
    @Test func anOlderDatabaseGetsTheDiagnosisStateOfItsUnexplained() async throws {
        let path = temporaryDatabasePath()
        let earlier = try SQLiteRequestStore(path: path)
        let stored = try await insert(into: earlier, unexplained: [1, 3], count: 5)
        let deferred = try await earlier.insert({
            var request = sampleRequest(6)
            request.signature = SignatureSummary(
                provider: "stripe", status: .invalid, detail: "signature mismatch \(SignatureSummary.diagnosedLaterNote)", diagnosis: .deferred)
            return request
        }())
        try earlier.close()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "ALTER TABLE request DROP COLUMN sig_diagnosis; DELETE FROM grdb_migrations WHERE identifier = 'v7-sig-diagnosis'")
        }
        try queue.close()

        let store = try SQLiteRequestStore(path: path)
        #expect(try await store.request(id: stored[0].id)?.signature.diagnosis == .skipped)
        #expect(try await store.request(id: stored[1].id)?.signature.diagnosis == .complete)
        #expect(try await store.request(id: stored[2].id)?.signature.diagnosis == .skipped)
        #expect(try await store.request(id: deferred.id)?.signature.diagnosis == .deferred)
        #expect(try await store.unexplainedIDs(afterID: 0, limit: 10) == [stored[0].id, stored[2].id, deferred.id])
    }

    /// The explained details are written a batch at a time (one transaction each in SQLite), and
    /// the time spent reading and writing the captures is charged to the budget.
    @Test func updatesAreWrittenInBatches() async throws {
        let (inner, stored) = try await store(.sqlite, unexplained: Set(1...150), count: 150)
        let store = CountingStore(inner)
        let charges = Mutex<[Duration]>([])
        let catchUp = SignatureCatchUp(
            mayRun: { true }, verify: Self.explained,
            charge: { duration in charges.withLock { $0.append(duration) } })
        catchUp.committed(stored)
        catchUp.finish()
        await catchUp.run(store: store, pause: .milliseconds(1), batchSize: 64)
        #expect(store.updateBatches.withLock { $0 } == [64, 64, 21])  // 149: #4 is unsigned, never listed
        // One charge per list read, per capture read and per batch written, none negative.
        let queries = store.unexplainedQueries.withLock { $0 }
        #expect(queries >= 4)
        #expect(charges.withLock { $0.count } == queries + 149 + 3)
        #expect(charges.withLock { $0.allSatisfy { $0 >= .zero } })
        for request in stored where request.id != stored[3].id {
            #expect(try await inner.request(id: request.id)?.signature == Self.explained(request))
        }
    }

    /// Verdicts stored for existing captures (the re-verification after `s`) are listed the same way.
    @Test(arguments: StoreKind.tested)
    func verdictsStoredLaterAreExplainedToo(_ kind: StoreKind) async throws {
        let (store, stored) = try await store(kind, unexplained: [], count: 3)
        try await store.updateSignatures([(stored[1].id, Self.unexplained)])
        let catchUp = SignatureCatchUp(mayRun: { true }, verify: Self.explained)
        catchUp.stored([(stored[0].id, stored[0].signature), (stored[1].id, Self.unexplained)])
        catchUp.finish()
        await catchUp.run(store: store, pause: .milliseconds(1))
        #expect(try await store.request(id: stored[0].id)?.signature == stored[0].signature)
        #expect(try await store.request(id: stored[1].id)?.signature == Self.explained(stored[1]))
    }

    /// A verdict that would change (the secrets changed since) is left as stored, and verified
    /// once only in a run, though the capture stays listed.
    @Test func aVerdictThatWouldChangeIsLeftAlone() async throws {
        let (store, stored) = try await store(.sqlite, unexplained: [1], count: 1)
        let verified = Mutex(0)
        let catchUp = SignatureCatchUp(
            mayRun: { true },
            verify: { _ in
                verified.withLock { $0 += 1 }
                return SignatureSummary(provider: "stripe", status: .valid, detail: "signature matches")
            })
        catchUp.committed(stored)
        catchUp.committed(stored)
        catchUp.finish()
        await catchUp.run(store: store, pause: .milliseconds(1))
        #expect(try await store.request(id: stored[0].id)?.signature == stored[0].signature)
        #expect(verified.withLock { $0 } == 1)
    }

    /// Nothing runs while the budget is not rested; once it is, the capture is explained, and one
    /// whose diagnosis was skipped again (the live captures took the budget) is tried again later.
    @Test func itWaitsForTheBudgetAndTriesAgainWhenSkipped() async throws {
        let (store, stored) = try await store(.memory, unexplained: [1], count: 1)
        let rested = Mutex(false)
        let asked = Mutex(0)
        let attempts = Mutex(0)
        let catchUp = SignatureCatchUp(
            mayRun: {
                asked.withLock { $0 += 1 }
                return rested.withLock { $0 }
            },
            verify: { request in
                let attempt = attempts.withLock { $0 += 1; return $0 }
                return attempt == 1 ? request.signature : Self.explained(request)
            })
        let task = Task { await catchUp.run(store: store, pause: .milliseconds(1)) }
        // Not rested: it asks again after each pause and does not verify. The deadline only
        // bounds a failing run: in a loaded full run, 1 ms pauses took up to 10 s to come round.
        let deadline = ContinuousClock.now + .seconds(60)
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
    let unexplainedQueries = Mutex(0)
    /// The `afterID` of each `requests(afterID:limit:)` call.
    let scans = Mutex<[Int64]>([])
    init(_ inner: any RequestStore) { self.inner = inner }

    func updateSignature(id: Int64, _ signature: SignatureSummary) async throws {
        updateBatches.withLock { $0.append(1) }
        try await inner.updateSignature(id: id, signature)
    }
    func updateSignatures(_ updates: [(id: Int64, signature: SignatureSummary)]) async throws {
        updateBatches.withLock { $0.append(updates.count) }
        try await inner.updateSignatures(updates)
    }
    func unexplainedIDs(afterID: Int64, limit: Int) async throws -> [Int64] {
        unexplainedQueries.withLock { $0 += 1 }
        return try await inner.unexplainedIDs(afterID: afterID, limit: limit)
    }
    func insert(_ request: CapturedRequest) async throws -> CapturedRequest { try await inner.insert(request) }
    func request(id: Int64) async throws -> CapturedRequest? { try await inner.request(id: id) }
    func count() async throws -> Int { try await inner.count() }
    func summaries(offset: Int, limit: Int) async throws -> [RequestSummary] { try await inner.summaries(offset: offset, limit: limit) }
    func summaries(afterID: Int64, limit: Int) async throws -> [RequestSummary] { try await inner.summaries(afterID: afterID, limit: limit) }
    func requests(afterID: Int64, limit: Int) async throws -> [CapturedRequest] {
        scans.withLock { $0.append(afterID) }
        return try await inner.requests(afterID: afterID, limit: limit)
    }
    func delete(id: Int64) async throws { try await inner.delete(id: id) }
    func deleteAll() async throws { try await inner.deleteAll() }
    func addReplay(_ attempt: ReplayAttempt) async throws -> ReplayAttempt { try await inner.addReplay(attempt) }
    func replays(ofRequest requestID: Int64) async throws -> [ReplayAttempt] { try await inner.replays(ofRequest: requestID) }
    func replays(ofRequests ids: [Int64]) async throws -> [Int64: [ReplayAttempt]] { try await inner.replays(ofRequests: ids) }
    func latestReplays(among ids: [Int64], preferring kind: ReplayKind?) async throws -> [Int64: ReplayOutcome] {
        try await inner.latestReplays(among: ids, preferring: kind)
    }
    func replayTargets(limit: Int) async throws -> [String] { try await inner.replayTargets(limit: limit) }
    func rememberReplayTarget(_ target: String) async throws { try await inner.rememberReplayTarget(target) }
}
