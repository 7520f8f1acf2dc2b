import Foundation
import GRDB
import HookCore
import Testing

@testable import HookStore

/// The stores number the attempts of each delivery id as they insert, the same in memory and in
/// SQLite, and find a delivery's captures.
@Suite struct DeliveryStoreTests {
    func delivery(_ n: Int, id: String?, event: String? = "issues.opened") -> CapturedRequest {
        var request = sampleRequest(n)
        request.deliveryID = id
        request.event = id == nil ? nil : event
        request.attempt = 7  // whatever the caller says: the store decides
        return request
    }

    @Test(arguments: StoreKind.tested)
    func attemptsAreNumberedPerDeliveryID(kind: StoreKind) async throws {
        let store = try await kind.make()
        var attempts: [Int] = []
        for (n, id) in [(1, "a"), (2, "b"), (3, "a"), (4, nil), (5, "a"), (6, "b")] {
            attempts.append(try await store.insert(delivery(n, id: id)).attempt)
        }
        #expect(attempts == [1, 1, 2, 1, 3, 2])
        // Read back as stored, by whole capture and by summary.
        #expect(try await store.requests(afterID: 0, limit: 10).map(\.attempt) == [1, 1, 2, 1, 3, 2])
        let summaries = try await store.summaries(offset: 0, limit: 10)
        #expect(summaries.map(\.attempt) == [1, 1, 2, 1, 3, 2])
        #expect(summaries.map(\.deliveryID) == ["a", "b", "a", nil, "a", "b"])
        #expect(summaries.map(\.event) == ["issues.opened", "issues.opened", "issues.opened", nil, "issues.opened", "issues.opened"])
        #expect(try await store.request(id: 3)?.deliveryID == "a")
        // A delivery's captures, oldest first.
        #expect(try await store.summaries(deliveryID: "a", limit: 10).map(\.id) == [1, 3, 5])
        #expect(try await store.summaries(deliveryID: "a", limit: 2).map(\.id) == [1, 3])
        #expect(try await store.summaries(deliveryID: "zzz", limit: 10).isEmpty)
    }

    /// Several captures of one delivery committed together are numbered in order.
    @Test(arguments: StoreKind.tested)
    func attemptsAreRightWithinOneGroupCommit(kind: StoreKind) async throws {
        let store = try #require(try await kind.make() as? any CallbackInserting)
        let batch = [delivery(1, id: "x"), delivery(2, id: "y"), delivery(3, id: "x"), delivery(4, id: "x")]
        let stored = try await withCheckedThrowingContinuation { continuation in
            store.insert(contentsOf: batch) { continuation.resume(with: $0) }
        }
        #expect(stored.map(\.attempt) == [1, 1, 2, 3])
    }

    /// Beyond `DeliveryNumbering.counted` held captures of one delivery the next is numbered after
    /// the newest, so a flood of one delivery id does not count all of them at every capture.
    @Test(arguments: StoreKind.tested)
    func pastTheCountedBoundAttemptsFollowTheNewest(kind: StoreKind) async throws {
        let store = try await kind.make()
        let bound = DeliveryNumbering.counted
        var stored: [CapturedRequest] = []
        for start in stride(from: 1, through: bound + 1, by: 250) {
            let batch = (start...min(bound + 1, start + 249)).map { delivery($0, id: "a") }
            if let fast = store as? any CallbackInserting {
                stored += try await withCheckedThrowingContinuation { continuation in
                    fast.insert(contentsOf: batch) { continuation.resume(with: $0) }
                }
            } else {
                for request in batch { stored.append(try await store.insert(request)) }
            }
        }
        #expect(stored.map(\.attempt) == Array(1...(bound + 1)))
        // One of them deleted: bound held, so the next follows the newest (bound + 1), not the count.
        try await store.delete(id: stored[10].id)
        #expect(try await store.insert(delivery(bound + 2, id: "a")).attempt == bound + 2)
        // Below the bound the count still decides.
        _ = try await store.insert(delivery(bound + 3, id: "b"))
        let second = try await store.insert(delivery(bound + 4, id: "b"))
        try await store.delete(id: second.id)
        #expect(try await store.insert(delivery(bound + 5, id: "b")).attempt == 2)
    }

    /// The count is of the captures the store still holds: deleted and pruned ones no longer count.
    @Test(arguments: StoreKind.tested)
    func attemptsCountTheCapturesStillHeld(kind: StoreKind) async throws {
        let store = try await kind.make(keep: 3)
        _ = try await store.insert(delivery(1, id: "a"))
        _ = try await store.insert(delivery(2, id: "a"))
        try await store.delete(id: 1)
        #expect(try await store.insert(delivery(3, id: "a")).attempt == 2)
        _ = try await store.insert(delivery(4, id: "b"))
        _ = try await store.insert(delivery(5, id: "b"))  // the cap drops #2
        try await waitUntil { try await store.count() == 3 }
        #expect(try await store.summaries(deliveryID: "a", limit: 10).map(\.id) == [3])
        #expect(try await store.insert(delivery(6, id: "a")).attempt == 2)
        try await store.deleteAll()
        #expect(try await store.insert(delivery(7, id: "a")).attempt == 1)
    }

    /// A store from before deliveries were read: its captures get an identity from the catch-up,
    /// and the attempts of a delivery captured since the upgrade are numbered again with them.
    @Test func capturesFromBeforeTheMigrationAreIdentifiedLater() async throws {
        let path = temporaryDatabasePath()
        do {
            let store = try SQLiteRequestStore(path: path)
            for n in 1...3 {
                var old = sampleRequest(n)
                old.headers.append(HeaderField("X-GitHub-Delivery", n == 2 ? "other" : "d-1"))
                _ = try await store.insert(old)
            }
            try store.close()
        }
        // Make the file what an older hookscope left: no delivery columns.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: """
                DROP INDEX request_delivery; DROP INDEX request_event; DROP INDEX request_unidentified;
                ALTER TABLE request DROP COLUMN attempt; ALTER TABLE request DROP COLUMN delivery_id; ALTER TABLE request DROP COLUMN event;
                DELETE FROM grdb_migrations WHERE identifier = 'v10-deliveries';
                """)
        }
        try queue.close()
        let store = try SQLiteRequestStore(path: path)
        #expect(try await store.requests(afterID: 0, limit: 10).map(\.deliveryID) == [nil, nil, nil])
        // A retry arrives before the old captures were read: it counts none of them yet.
        var retry = sampleRequest(4)
        retry.deliveryID = "d-1"
        #expect(try await store.insert(retry).attempt == 1)
        #expect(try await store.unidentifiedRequests(afterID: 0, limit: 10).map(\.id) == [1, 2, 3])

        let read = await DeliveryCatchUp.run(store: store, batchSize: 2) { request in
            (event: "ping", deliveryID: request.headers.value(named: "X-GitHub-Delivery"))
        }
        #expect(read == 3)
        #expect(try await store.unidentifiedRequests(afterID: 0, limit: 10).isEmpty)
        let all = try await store.summaries(offset: 0, limit: 10)
        #expect(all.map(\.deliveryID) == ["d-1", "other", "d-1", "d-1"])
        #expect(all.map(\.event) == ["ping", "ping", "ping", nil])
        #expect(all.map(\.attempt) == [1, 1, 2, 3])
        #expect(try await store.summaries(deliveryID: "d-1", limit: 10).map(\.id) == [1, 3, 4])
        // Nothing left: a second run reads nothing.
        #expect(await DeliveryCatchUp.run(store: store) { _ in (nil, nil) } == 0)
    }

    /// The `delivery:` and `event:` filters and the insert's count use the indexes, not a scan.
    @Test func deliveryAndEventLookupsUseTheirIndexes() async throws {
        let path = temporaryDatabasePath()
        let store = try SQLiteRequestStore(path: path)
        _ = try await store.insert(delivery(1, id: "a"))
        try store.close()
        let queue = try DatabaseQueue(path: path)
        let plans = try await queue.read { db -> [String] in
            try [
                "SELECT count(*) FROM request WHERE delivery_id = 'a'",
                "SELECT id FROM request WHERE delivery_id = 'a' ORDER BY id",
                "SELECT id FROM request WHERE event GLOB 'issues.*'",
                "SELECT * FROM request WHERE attempt IS NULL AND id > 0 ORDER BY id",
            ].map { sql in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String }.joined(separator: "; ")
            }
        }
        #expect(plans[0].contains("request_delivery"), "\(plans[0])")
        #expect(plans[1].contains("request_delivery"), "\(plans[1])")
        #expect(plans[2].contains("request_event"), "\(plans[2])")
        #expect(plans[3].contains("request_unidentified"), "\(plans[3])")
    }
}

/// Polls `condition` until it holds, failing after `seconds`.
func waitUntil(seconds: Double = 10, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within \(seconds) s")
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}
