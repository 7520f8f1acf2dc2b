import Foundation
import GRDB
import HookCore
import HookTestSupport
import Synchronization
import Testing

@testable import HookStore

func sampleRequest(_ n: Int, body: Data? = nil) -> CapturedRequest {
    sampleCapture(
        receivedAt: CaptureTime(nanosecondsSince1970: 1_700_000_000_123_456_789 + Int64(n)),
        method: n % 2 == 0 ? "POST" : "PUT",
        rawTarget: Array("/hook/\(n)?a=%20b".utf8) + [0xff],
        headers: [
            HeaderField("Content-Type", "application/json"),
            HeaderField(name: "X-Dup", rawValue: [0x61]),
            HeaderField(name: "x-dup", rawValue: [0xc3, 0x28, 0x00]),
        ],
        remoteAddress: "127.0.0.1:5\(n)",
        body: body ?? Data("{\"n\":\(n)}".utf8),
        bodyWasChunked: n % 3 == 0,
        response: CapturedResponse(status: 200 + n % 5, headers: [HeaderField("X-Reply", "yes")], body: Data("ok".utf8)),
        signature: SignatureSummary(provider: "stripe", status: .invalid, detail: "signature mismatch")
    )
}

func temporaryDatabasePath() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-tests-\(UUID().uuidString)")
    return dir.appendingPathComponent("captures.sqlite").path
}

/// The stores the contract tests run against: every test taking a `StoreKind` runs once for each.
enum StoreKind: String, CaseIterable, CustomStringConvertible {
    case memory, sqlite, postgres
    var description: String { rawValue }

    /// Every kind, less PostgreSQL when no test server is given outside CI (said once on stderr).
    static let tested: [StoreKind] = TestPostgres.wanted ? allCases : allCases.filter { $0 != .postgres }

    func make(keep: Int? = nil) async throws -> any RequestStore {
        switch self {
        case .memory: InMemoryRequestStore(keep: keep)
        case .sqlite: try SQLiteRequestStore(path: temporaryDatabasePath(), keep: keep)
        case .postgres: try await TestPostgres.open(keep: keep)
        }
    }
}

@Suite struct RequestStoreTests {
    @Test(arguments: StoreKind.tested)
    func roundTripsEveryFieldExactly(kind: StoreKind) async throws {
        let store = try await kind.make()
        var binary = Data((0...255).map { UInt8($0) })
        binary.append(contentsOf: [0xff, 0xfe, 0x00])
        let original = sampleRequest(3, body: binary)
        let stored = try await store.insert(original)
        #expect(stored.id > 0)
        let loaded = try #require(try await store.request(id: stored.id))
        var expected = original
        expected.id = stored.id
        #expect(loaded == expected)
        #expect(loaded.headers.map(\.name) == ["Content-Type", "X-Dup", "x-dup"])
        #expect(loaded.body == binary)
    }

    /// `--proxy-response` replaces the answer stored at commit with the target's: every read sees it.
    @Test(arguments: StoreKind.tested)
    func updateResponseReplacesTheStoredAnswer(kind: StoreKind) async throws {
        let store = try await kind.make()
        let stored = try await store.insert(sampleRequest(5))
        let answer = CapturedResponse(status: 400, headers: [HeaderField("Content-Type", "text/plain")], body: Data("bad signature".utf8))
        try await store.updateResponse(id: stored.id, answer)
        #expect(try await store.request(id: stored.id)?.response == answer)
        #expect(try await store.summaries(afterID: 0, limit: 10).map(\.responseStatus) == [400])
        #expect(try await store.requests(afterID: 0, limit: 10).map(\.response) == [answer])
        try await store.updateResponse(id: 999, answer)  // gone: nothing to do
    }

    /// A scan with an `id:` term starts at its first id and stops past its last.
    @Test(arguments: StoreKind.tested)
    func captureBatchesWithAnIDRangeReadOnlyThatRange(kind: StoreKind) async throws {
        let inner = try await kind.make()
        for n in 1...30 { _ = try await inner.insert(sampleRequest(n)) }
        let store = CountingStore(inner)
        var ids: [Int64] = []
        for try await batch in store.captureBatches(matching: try RequestFilter.parse("id:11-15 method:PUT"), size: 3) {
            ids += batch.map(\.id)
        }
        #expect(ids == [11, 13, 15])  // sampleRequest: odd numbers are PUT
        #expect(store.scans.withLock { $0 } == [10, 13])
    }

    @Test(arguments: StoreKind.tested)
    func idsIncreaseAndSummariesPage(kind: StoreKind) async throws {
        let store = try await kind.make()
        var ids: [Int64] = []
        for n in 0..<25 { ids.append(try await store.insert(sampleRequest(n)).id) }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == 25)
        #expect(try await store.count() == 25)
        let page = try await store.summaries(offset: 10, limit: 5)
        #expect(page.map(\.id) == Array(ids[10..<15]))
        #expect(page[0].method == sampleRequest(10).method)
        #expect(page[0].signature.status == .invalid)
        let after = try await store.summaries(afterID: ids[20], limit: 100)
        #expect(after.map(\.id) == Array(ids[21...]))
        let full = try await store.requests(afterID: ids[22], limit: 1)
        #expect(full.map(\.id) == [ids[23]])
    }

    @Test(arguments: StoreKind.tested)
    func windowsByPositionAreRightFromBothEndsAndAcrossGaps(kind: StoreKind) async throws {
        let store = try await kind.make()
        var ids: [Int64] = []
        for n in 0..<60 { ids.append(try await store.insert(sampleRequest(n)).id) }
        for id in ids where id % 7 == 0 { try await store.delete(id: id) }
        let remaining = ids.filter { $0 % 7 != 0 }
        #expect(try await store.count() == remaining.count)
        for offset in [0, 1, 10, remaining.count / 2, remaining.count / 2 + 1, remaining.count - 5, remaining.count - 1] {
            let window = try await store.summaries(offset: offset, limit: 8).map(\.id)
            #expect(window == Array(remaining[offset..<min(remaining.count, offset + 8)]), "offset \(offset)")
        }
        #expect(try await store.summaries(offset: remaining.count, limit: 8).isEmpty)
        #expect(try await store.summaries(offset: 3, limit: 0).isEmpty)
    }

    /// Positions are ranks by id, so a window read from the newest end while captures keep being
    /// committed must still start at the row of that rank (the store once counted from the end with a
    /// total read before its snapshot, and windows came back shifted by the captures committed between).
    @Test(arguments: StoreKind.tested)
    func windowsFromTheNewestEndStayRightWhileCapturesArrive(kind: StoreKind) async throws {
        let store = try await kind.make()
        for n in 0..<50 { _ = try await store.insert(sampleRequest(n)) }
        let done = Mutex(false)
        let inserter = Task {
            var n = 50
            while !done.withLock({ $0 }) {
                // Several at once so that group commits land while windows are read.
                let base = n
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for k in 0..<8 { group.addTask { _ = try await store.insert(sampleRequest(base + k)) } }
                    try await group.waitForAll()
                }
                n += 8
            }
        }
        var shifted: [String] = []
        for _ in 0..<1500 {
            let total = try await store.count()
            let offset = total - 3
            let window = try await store.summaries(offset: offset, limit: 3)
            // Ids are 1, 2, 3, … with no gaps, so the row at rank `offset` has id offset + 1.
            if window.first?.id != Int64(offset + 1) { shifted.append("offset \(offset): first id \(window.first?.id ?? -1)") }
        }
        done.withLock { $0 = true }
        try await inserter.value
        #expect(shifted.count == 0, "shifted windows, e.g. \(shifted.prefix(3))")
    }

    @Test(arguments: StoreKind.tested)
    func retentionDropsTheOldestFirst(kind: StoreKind) async throws {
        let store = try await kind.make(keep: 10)
        var ids: [Int64] = []
        for n in 0..<35 { ids.append(try await store.insert(sampleRequest(n)).id) }
        #expect(try await store.count() == 10)
        let remaining = try await store.summaries(offset: 0, limit: 100).map(\.id)
        #expect(remaining == Array(ids.suffix(10)))
        #expect(try await store.request(id: ids[0]) == nil)
    }

    /// The memory store drops the oldest in O(1) and reclaims the dropped slots in bulk: thousands
    /// of captures past the cap keep every read right across the reclaiming.
    @Test func theMemoryStoreStaysRightFarPastItsCap() async throws {
        let store = InMemoryRequestStore(keep: 100)
        var ids: [Int64] = []
        for n in 0..<2_500 { ids.append(try await store.insert(sampleRequest(n)).id) }
        let batch = (0..<2_500).map { sampleRequest($0) }
        let stored = try await withCheckedThrowingContinuation { continuation in
            store.insert(contentsOf: batch) { continuation.resume(with: $0) }
        }
        ids += stored.map(\.id)
        #expect(ids == Array(1...5_000))
        #expect(try await store.count() == 100)
        let kept = Array(ids.suffix(100))
        #expect(try await store.summaries(offset: 0, limit: 1_000).map(\.id) == kept)
        #expect(try await store.summaries(offset: 90, limit: 5).map(\.id) == Array(kept[90..<95]))
        #expect(try await store.requests(afterID: kept[49], limit: 3).map(\.id) == Array(kept[50..<53]))
        #expect(try await store.request(id: kept[0])?.id == kept[0])
        #expect(try await store.request(id: kept[0] - 1) == nil)
        // A replay of a capture that is then dropped goes with it.
        _ = try await store.addReplay(ReplayAttempt(
            requestID: kept[0], startedAt: CaptureTime(nanosecondsSince1970: 1), targetURL: "http://t/", resigned: false,
            changedHeaders: [], response: nil, error: "x", durationNanoseconds: 1))
        _ = try await store.insert(sampleRequest(0))
        #expect(try await store.replays(ofRequest: kept[0]).isEmpty)
        // Now kept[1...] and 5,001; deleting from the middle closes the gap.
        try await store.delete(id: kept[50])
        #expect(try await store.count() == 99)
        #expect(try await store.summaries(offset: 48, limit: 2).map(\.id) == [kept[49], kept[51]])
    }

    @Test func theMemoryStoreCapsTheBytesItHolds() async throws {
        let body = Data(repeating: 0x61, count: 10_000)
        let one = InMemoryRequestStore.size(of: sampleRequest(0, body: body))
        // Room for ten (the captures differ by a few bytes in their targets).
        let store = InMemoryRequestStore(maxBytes: one * 10 + 1_000)
        for n in 0..<1_000 { _ = try await store.insert(sampleRequest(n, body: body)) }
        #expect(try await store.count() == 10)
        #expect(try await store.summaries(offset: 0, limit: 100).map(\.id) == Array(991...1_000))
        // A capture larger than the whole cap is still kept, alone.
        let huge = try await store.insert(sampleRequest(0, body: Data(repeating: 0x62, count: one * 20)))
        #expect(try await store.summaries(offset: 0, limit: 100).map(\.id) == [huge.id])
        try await store.deleteAll()
        #expect(try await store.count() == 0)
        for n in 0..<5 { _ = try await store.insert(sampleRequest(n, body: body)) }
        #expect(try await store.count() == 5)
    }

    @Test(arguments: StoreKind.tested)
    func deleteUpdateAndClear(kind: StoreKind) async throws {
        let store = try await kind.make()
        let a = try await store.insert(sampleRequest(1))
        let b = try await store.insert(sampleRequest(2))
        try await store.updateSignature(id: b.id, SignatureSummary(provider: "github", status: .valid, detail: "ok"))
        #expect(try await store.request(id: b.id)?.signature.status == .valid)
        // Several at once; an id that is gone is skipped.
        let x = SignatureSummary(provider: "stripe", status: .invalid, detail: "signature mismatch (2)")
        let y = SignatureSummary(provider: nil, status: .unsigned, detail: "")
        try await store.updateSignatures([(a.id, x), (b.id, y), (999_999, x)])
        #expect(try await store.request(id: a.id)?.signature == x)
        #expect(try await store.request(id: b.id)?.signature == y)
        #expect(try await store.summaries(afterID: 0, limit: 10).map(\.signature) == [x, y])
        try await store.updateSignatures([])
        try await store.delete(id: a.id)
        try await store.delete(id: 999_999)
        #expect(try await store.count() == 1)
        #expect(try await store.request(id: a.id) == nil)
        try await store.deleteAll()
        #expect(try await store.count() == 0)
        let c = try await store.insert(sampleRequest(3))
        #expect(c.id > b.id)
    }

    @Test func concurrentInsertsAreAllCommittedWithDistinctIDs() async throws {
        let path = temporaryDatabasePath()
        let committed = Mutexed<[Int64]>([])
        let store = try SQLiteRequestStore(path: path, onCommit: { batch in committed.mutate { $0 += batch.map(\.id) } })
        let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for n in 0..<500 { group.addTask { try await store.insert(sampleRequest(n)).id } }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        #expect(Set(ids).count == 500)
        #expect(committed.value == committed.value.sorted())
        #expect(Set(committed.value) == Set(ids))
        #expect(try await store.count() == 500)
        #expect(try store.integrityCheck() == "ok")
    }

    /// Groups handed over at once (as the listener does once per event-loop tick) each get back their
    /// own captures, in order, with the ids the store gave them, whatever groups they were committed with.
    @Test(arguments: StoreKind.tested)
    func groupsInsertedTogetherGetTheirOwnCapturesBack(kind: StoreKind) async throws {
        let store = try await kind.make()
        let inserter = try #require(store as? any CallbackInserting)
        let sizes = [3, 1, 7, 2, 5, 4]
        let groups = try await withThrowingTaskGroup(of: (Int, [CapturedRequest]).self) { group in
            var first = 0
            for (index, size) in sizes.enumerated() {
                let requests = (first..<(first + size)).map { sampleRequest($0) }
                first += size
                group.addTask {
                    (index, try await withCheckedThrowingContinuation { continuation in
                        inserter.insert(contentsOf: requests) { continuation.resume(with: $0) }
                    })
                }
            }
            return try await group.reduce(into: [Int: [CapturedRequest]]()) { $0[$1.0] = $1.1 }
        }
        var first = 0
        for (index, size) in sizes.enumerated() {
            let stored = try #require(groups[index])
            #expect(stored.map(\.remoteAddress) == (first..<(first + size)).map { sampleRequest($0).remoteAddress })
            #expect(stored.map(\.id) == stored.map(\.id).sorted())
            for capture in stored {
                let loaded = try #require(try await store.request(id: capture.id))
                #expect(loaded == capture)
            }
            first += size
        }
        let total: Int = sizes.reduce(0) { $0 + $1 }
        let distinct: Set<Int64> = Set(groups.values.flatMap { $0.map(\.id) })
        #expect(distinct.count == total)
        #expect(try await store.count() == total)
    }

    /// Reopening a file store finds every committed capture and continues the ids. (A real crash,
    /// `kill -9` of the listener process, is exercised by `CrashSafetyTests` in hookscopeTests.)
    @Test func reopeningKeepsCommittedCapturesAndContinuesIDs() async throws {
        let path = temporaryDatabasePath()
        var ids: [Int64] = []
        do {
            let store = try SQLiteRequestStore(path: path)
            for n in 0..<20 { ids.append(try await store.insert(sampleRequest(n)).id) }
        }
        let reopened = try SQLiteRequestStore(path: path)
        #expect(try await reopened.count() == 20)
        #expect(try await reopened.summaries(offset: 0, limit: 100).map(\.id) == ids)
        #expect(try await reopened.request(id: ids[7])?.body == sampleRequest(7).body)
        let next = try await reopened.insert(sampleRequest(99))
        #expect(next.id > ids.last!)
    }

    @Test func aFileThatIsNotADatabaseGivesAClearError() throws {
        let path = temporaryDatabasePath()
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try SQLiteRequestStore(path: path)
        } throws: { error in
            let text = String(describing: error)
            return text.contains(path) && text.contains("not an SQLite database")
        }
    }

    @Test(arguments: StoreKind.tested)
    func replayAttemptsAreStoredWithTheirCaptureAndGoWithIt(kind: StoreKind) async throws {
        let store = try await kind.make()
        let a = try await store.insert(sampleRequest(1))
        let b = try await store.insert(sampleRequest(2))
        let ok = ReplayAttempt(
            requestID: a.id, startedAt: CaptureTime(nanosecondsSince1970: 5), targetURL: "http://127.0.0.1:3000/hook",
            resigned: true, changedHeaders: ["Stripe-Signature", "Host"],
            response: CapturedResponse(status: 204, headers: [HeaderField("X-A", "1")], body: Data([0xff])),
            error: nil, durationNanoseconds: 1_500_000)
        let failed = ReplayAttempt(
            kind: .forward, requestID: a.id, startedAt: CaptureTime(nanosecondsSince1970: 6), targetURL: "http://127.0.0.1:1/",
            resigned: false, changedHeaders: [], response: nil, error: "connection refused", failure: .refused, durationNanoseconds: 10)
        let storedOK = try await store.addReplay(ok)
        let storedFailed = try await store.addReplay(failed)
        #expect(storedOK.id > 0 && storedFailed.id > storedOK.id)
        var expectedOK = ok
        expectedOK.id = storedOK.id
        var expectedFailed = failed
        expectedFailed.id = storedFailed.id
        #expect(try await store.replays(ofRequest: a.id) == [expectedOK, expectedFailed])
        #expect(try await store.replays(ofRequest: b.id).isEmpty)
        // The list reads only the newest attempt of each capture, and only for the ids it asks for.
        let latest = try await store.latestReplays(among: [a.id, b.id])
        #expect(latest == [a.id: ReplayOutcome(
            requestID: a.id, kind: .forward, targetURL: "http://127.0.0.1:1/", status: nil, error: "connection refused",
            failure: .refused, durationNanoseconds: 10)])
        #expect(latest[a.id]?.failureWord == "refused")
        _ = try await store.addReplay(ok)
        #expect(try await store.latestReplays(among: [a.id]) == [a.id: ReplayOutcome(ok)])
        #expect(try await store.latestReplays(among: [b.id]).isEmpty)
        #expect(try await store.latestReplays(among: []).isEmpty)
        try await store.delete(id: a.id)
        #expect(try await store.replays(ofRequest: a.id).isEmpty)
    }

    /// Every attempt of a capture stays readable, with how it was sent; the list's column can ask
    /// for a capture's forward rather than a replay made since.
    @Test(arguments: StoreKind.tested)
    func editedAttemptsAndTheForwardsPlace(kind: StoreKind) async throws {
        let store = try await kind.make()
        let a = try await store.insert(sampleRequest(1))
        let b = try await store.insert(sampleRequest(2))
        func attempt(_ id: Int64, _ kind: ReplayKind, status: Int, edited: Bool = false, resigned: Bool = false) -> ReplayAttempt {
            ReplayAttempt(
                kind: kind, requestID: id, startedAt: CaptureTime(nanosecondsSince1970: Int64(status)), targetURL: "http://127.0.0.1:3000/",
                resigned: resigned, changedHeaders: [], response: CapturedResponse(status: status), error: nil, durationNanoseconds: 1,
                edited: edited)
        }
        let forward = try await store.addReplay(attempt(a.id, .forward, status: 200))
        let edited = try await store.addReplay(attempt(a.id, .replay, status: 401, edited: true, resigned: true))
        _ = try await store.addReplay(attempt(b.id, .replay, status: 204))
        #expect(try await store.replays(ofRequest: a.id).map(\.edited) == [false, true])
        #expect(try await store.replays(ofRequest: a.id).last == edited)
        let newest = try await store.latestReplays(among: [a.id, b.id])
        #expect(newest[a.id] == ReplayOutcome(edited))
        #expect(newest[a.id]?.edited == true && newest[a.id]?.resigned == true)
        let forwards = try await store.latestReplays(among: [a.id, b.id], preferring: .forward)
        #expect(forwards[a.id] == ReplayOutcome(forward))
        // Without a forward, the newest replay.
        #expect(forwards[b.id]?.status == 204)
        let all = try await store.replays(ofRequests: [a.id, b.id, 999])
        #expect(all[a.id]?.map(\.id) == [forward.id, edited.id])
        #expect(all[b.id]?.count == 1)
        #expect(all[999] == nil)
    }

    /// The replay prompt's history: newest first, each target once, the newest `replayTargetsKept`.
    @Test(arguments: StoreKind.tested)
    func replayTargetsAreRememberedNewestFirst(kind: StoreKind) async throws {
        let store = try await kind.make()
        #expect(try await store.replayTargets(limit: 5).isEmpty)
        try await store.rememberReplayTarget("http://a/")
        try await store.rememberReplayTarget("http://b/")
        try await store.rememberReplayTarget("http://a/")
        #expect(try await store.replayTargets(limit: 5) == ["http://a/", "http://b/"])
        for n in 0..<30 { try await store.rememberReplayTarget("http://t\(n)/") }
        let kept = try await store.replayTargets(limit: 100)
        #expect(kept.count == replayTargetsKept)
        #expect(kept.first == "http://t29/")
        #expect(!kept.contains("http://a/"))
    }

    @Test func replayTargetsSurviveARestart() async throws {
        let path = temporaryDatabasePath()
        do {
            let store = try SQLiteRequestStore(path: path)
            try await store.rememberReplayTarget("http://127.0.0.1:3000/hooks")
            try store.close()
        }
        let reopened = try SQLiteRequestStore(path: path)
        #expect(try await reopened.replayTargets(limit: 5) == ["http://127.0.0.1:3000/hooks"])
    }

    /// The address a capture arrived on is stored with it; rows from before the column read as
    /// unknown (nil), and new captures in the same file get theirs.
    @Test func theArrivalAddressIsStoredAndOldRowsHaveNone() async throws {
        let path = temporaryDatabasePath()
        do {
            let store = try SQLiteRequestStore(path: path)
            _ = try await store.insert(sampleRequest(1))
        }
        // Make the file what an older hookscope left: no `local_address` column.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "ALTER TABLE request DROP COLUMN local_address")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v9-local-address'")
        }
        try queue.close()
        let reopened = try SQLiteRequestStore(path: path)
        var arrived = sampleRequest(2)
        arrived.localAddress = "127.0.0.1:19777"
        let stored = try await reopened.insert(arrived)
        #expect(try await reopened.request(id: 1)?.localAddress == nil)
        #expect(try await reopened.request(id: stored.id)?.localAddress == "127.0.0.1:19777")
        #expect(try await reopened.requests(afterID: 0, limit: 10).map(\.localAddress) == [nil, "127.0.0.1:19777"])
    }

    /// Attempts stored before forwards and replays were told apart read back as replays.
    @Test func attemptsFromBeforeTheKindColumnReadAsReplays() async throws {
        let path = temporaryDatabasePath()
        let id: Int64
        do {
            let store = try SQLiteRequestStore(path: path)
            id = try await store.insert(sampleRequest(1)).id
        }
        // Make the file what an older hookscope left: no `kind` column, one attempt.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "ALTER TABLE replay DROP COLUMN kind")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v4-replay-kind'")
            try db.execute(
                sql: """
                    INSERT INTO replay (request_id, started_at, target_url, resigned, changed_headers, duration_ns)
                    VALUES (?, 1, 'http://127.0.0.1:3000/', 0, '', 5)
                    """,
                arguments: [id])
        }
        try queue.close()
        let reopened = try SQLiteRequestStore(path: path)
        #expect(try await reopened.replays(ofRequest: id).map(\.kind) == [.replay])
        #expect(try await reopened.latestReplays(among: [id])[id]?.kind == .replay)
        let forward = try await reopened.addReplay(ReplayAttempt(
            kind: .forward, requestID: id, startedAt: CaptureTime(nanosecondsSince1970: 2), targetURL: "http://127.0.0.1:3000/",
            resigned: false, changedHeaders: [], response: nil, error: "connection refused", failure: .refused, durationNanoseconds: 1))
        #expect(try await reopened.replays(ofRequest: id).map(\.kind) == [.replay, .forward])
        #expect(try await reopened.latestReplays(among: [id])[id] == ReplayOutcome(forward))
    }

    /// Every kind of failure is stored and read back as it was given, whatever the message says.
    @Test(arguments: StoreKind.tested)
    func failureKindsRoundTrip(kind: StoreKind) async throws {
        let store = try await kind.make()
        let id = try await store.insert(sampleRequest(1)).id
        var stored: [ReplayAttempt] = []
        for failure in ReplayFailure.allCases {
            stored.append(try await store.addReplay(ReplayAttempt(
                kind: .forward, requestID: id, startedAt: CaptureTime(nanosecondsSince1970: 1), targetURL: "http://127.0.0.1:1/",
                resigned: false, changedHeaders: [], response: nil, error: "words that match no old rule", failure: failure,
                durationNanoseconds: 1)))
            #expect(try await store.latestReplays(among: [id])[id]?.failure == failure)
        }
        let answered = try await store.addReplay(ReplayAttempt(
            requestID: id, startedAt: CaptureTime(nanosecondsSince1970: 2), targetURL: "http://127.0.0.1:1/", resigned: false,
            changedHeaders: [], response: CapturedResponse(status: 200, headers: [], body: Data()), error: "response body cut off",
            durationNanoseconds: 1))
        stored.append(answered)
        let read = try await store.replays(ofRequest: id)
        #expect(read == stored)
        #expect(read.map(\.failure) == ReplayFailure.allCases + [nil])
        #expect(try await store.latestReplays(among: [id])[id] == ReplayOutcome(answered))
        #expect(try await store.latestReplays(among: [id])[id]?.failure == nil)
    }

    /// Attempts stored before the `failure` column get their kind from their message, once, when
    /// the database is opened.
    @Test func attemptsFromBeforeTheFailureColumnAreClassifiedByTheirMessage() async throws {
        let path = temporaryDatabasePath()
        let id: Int64
        do {
            let store = try SQLiteRequestStore(path: path)
            id = try await store.insert(sampleRequest(1)).id
        }
        // Make the file what an older hookscope left: no `failure` column, attempts with messages.
        let messages: [(status: Int?, error: String?, failure: ReplayFailure?)] = [
            (nil, "connection refused by 127.0.0.1:3000", .refused),
            (nil, "connection reset by 127.0.0.1:3000", .reset),
            (nil, "timed out after 30 s waiting for 127.0.0.1:3000", .timeout),
            (nil, "TLS handshake failed: timed out after 30 s with 127.0.0.1:3000", .tls),
            (nil, "cannot resolve host nope.invalid", .dns),
            (nil, "forward queue full (10000 waiting for x): not forwarded (1 dropped so far)", .dropped),
            (nil, "forwarding has stopped: not forwarded (2 dropped so far)", .dropped),
            (nil, "invalid URL 'x': no host", .unsent),
            (nil, "refusing to send: header name 'a b' is not a valid HTTP token", .unsent),
            (nil, "cannot re-sign: no secrets configured", .unsent),
            (nil, "127.0.0.1:3000 closed the connection without a complete answer", .other),
            (nil, nil, .other),
            (200, "response body cut off at 10 MiB (the target sent more)", nil),
            (204, nil, nil),
        ]
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "ALTER TABLE replay DROP COLUMN failure")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v6-replay-failure'")
            for message in messages {
                try db.execute(
                    sql: """
                        INSERT INTO replay (request_id, kind, started_at, target_url, resigned, changed_headers, response_status,
                            response_headers, error, duration_ns)
                        VALUES (?, 'forward', 1, 'http://127.0.0.1:3000/', 0, '', ?, ?, ?, 5)
                        """,
                    arguments: [id, message.status, message.status.map { _ in Data() }, message.error])
            }
        }
        try queue.close()
        let reopened = try SQLiteRequestStore(path: path)
        let read = try await reopened.replays(ofRequest: id)
        #expect(read.map(\.error) == messages.map(\.error))
        #expect(read.map(\.failure) == messages.map(\.failure))
        #expect(try await reopened.latestReplays(among: [id])[id]?.failure == nil)
        // The kind is stored: the words no longer matter once read.
        let check = try DatabaseQueue(path: path)
        let column = try await check.read { db in
            try String?.fetchAll(db, sql: "SELECT failure FROM replay WHERE request_id = ? ORDER BY id", arguments: [id])
        }
        try check.close()
        #expect(column == messages.map { $0.failure?.rawValue })
    }

    @Test func defaultLocationFollowsXDG() {
        #expect(StoreLocation.defaultPath(environment: ["XDG_DATA_HOME": "/x/data", "HOME": "/home/u"])
            == "/x/data/hookscope/captures.sqlite")
        #expect(StoreLocation.defaultPath(environment: ["HOME": "/home/u"])
            == "/home/u/.local/share/hookscope/captures.sqlite")
    }
}

/// A tiny lock-protected box for collecting values from callbacks in tests.
final class Mutexed<Value: Sendable>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func mutate(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
