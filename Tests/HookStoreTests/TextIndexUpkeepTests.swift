import Foundation
import GRDB
import HookCore
import Synchronization
import Testing

@testable import HookStore

/// The filter's text index (`request_text`) holds the captures the store holds, no others: pruning
/// and deletes take captures out of it, a store whose index kept deleted ones gets a clean index,
/// and the index can be turned off (emptied, its space given back) and on again (built anew).
@Suite struct TextIndexUpkeepTests {
    /// A body of about 2 KB, with `word` in it.
    static func body(_ word: String, _ n: Int) -> Data {
        Data("{\"note\":\"\(word) \(n) \(String(repeating: "filler text ", count: 160))\"}".utf8)
    }

    static func insert(_ store: SQLiteRequestStore, _ word: String, _ numbers: Range<Int>) async throws -> [CapturedRequest] {
        try await withCheckedThrowingContinuation { continuation in
            store.insert(contentsOf: numbers.map { sampleRequest($0, body: body(word, $0)) }) { continuation.resume(with: $0) }
        }
    }

    /// What the index holds, read from its own tables: entries (one `docsize` row per capture),
    /// the bytes of its segments, and the captures it gives as candidates for `word`.
    static func entries(_ store: SQLiteRequestStore) async throws -> Int {
        try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM request_text_docsize") ?? -1 }
    }

    static func indexBytes(_ store: SQLiteRequestStore) async throws -> Int {
        try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT coalesce(sum(length(block)), 0) FROM request_text_data") ?? -1 }
    }

    static func candidates(_ store: SQLiteRequestStore, _ word: String) async throws -> [Int64] {
        try await store.pool.read { db in
            try Int64.fetchAll(db, sql: "SELECT rowid FROM request_text WHERE request_text MATCH ? ORDER BY rowid", arguments: [FilterSQL.phrase(word)])
        }
    }

    static func integrityCheck(_ store: SQLiteRequestStore) async throws {
        try await store.pool.write { db in
            try db.execute(sql: "INSERT INTO request_text (request_text, rank) VALUES ('integrity-check', 0)")
        }
    }

    static func discarded(_ store: SQLiteRequestStore) async throws -> [String] {
        try await store.pool.read { db in try SQLiteRequestStore.discardedTextIndexes(db) }
    }

    /// With `--keep`, round after round of captures indexed then pruned: the index holds exactly
    /// the kept captures, none of the pruned ones' words, and stays about the size of one round.
    @Test func pruningTakesThePrunedCapturesOutOfTheTextIndex() async throws {
        let keep = 40
        let store = try SQLiteRequestStore(path: temporaryDatabasePath(), keep: keep)
        _ = try await Self.insert(store, "firstround", 0..<keep)
        try store.indexAllText()
        #expect(try await Self.candidates(store, "firstround").count == keep)
        var sizes: [Int] = []
        for round in 1...12 {
            let added = try await Self.insert(store, "round\(round)x", 0..<keep)
            // The oldest were indexed: the commits leave them to the pruning steps.
            try await waitUntil { try await store.count() == keep }
            try store.indexAllText()
            #expect(try await Self.entries(store) == keep, "round \(round)")
            #expect(try await Self.candidates(store, "round\(round)x") == added.map(\.id))
            #expect(try await Self.candidates(store, "round\(round - 1)x").isEmpty, "round \(round)")
            sizes.append(try await Self.indexBytes(store))
        }
        #expect(try await Self.candidates(store, "firstround").isEmpty)
        #expect(try await Self.candidates(store, "filler").count == keep)
        // FTS5 merges the deletions into its segments as it goes: bounded, not growing by a round each time.
        #expect(sizes.suffix(4).allSatisfy { $0 < 3 * sizes[0] }, "index bytes per round: \(sizes)")
        try await Self.integrityCheck(store)
        try store.close()
    }

    /// Opened with a much smaller `keep` on an indexed store, the first capture is committed while
    /// most excess captures are still there (it waited for a step or a few of taking them out of
    /// the index, not for all of them; the bound leaves room for a slow test thread), and the index
    /// then holds the kept captures only.
    @Test func pruningAnIndexedStoreGoesInStepsBetweenCommits() async throws {
        let path = temporaryDatabasePath()
        let filling = try SQLiteRequestStore(path: path)
        for start in stride(from: 0, to: 1_000, by: 250) { _ = try await Self.insert(filling, "old", start..<start + 250) }
        try filling.indexAllText()
        try filling.close()

        let rowsAtCommit = Mutex<Int?>(nil)
        let holder = Mutex<SQLiteRequestStore?>(nil)
        let store = try SQLiteRequestStore(path: path, keep: 10, onCommit: { _ in
            // On the writer thread, between pruning steps: what the file holds at that moment.
            if rowsAtCommit.withLock({ $0 }) == nil, let store = holder.withLock({ $0 }) {
                let rows = try? store.readCountDirectly()
                rowsAtCommit.withLock { $0 = rows }
            }
        })
        holder.withLock { $0 = store }
        let new = try await Self.insert(store, "new", 0..<1)
        let atCommit = try #require(rowsAtCommit.withLock { $0 })
        #expect(atCommit > 500, "the capture waited for \(1_001 - atCommit) deletions")
        try await waitUntil(seconds: 60) { try await store.count() == 10 }
        #expect(try await Self.entries(store) == 9)
        #expect(try await Self.candidates(store, "old").count == 9)
        #expect(try await Self.candidates(store, "new").isEmpty)
        try store.indexAllText()
        #expect(try await Self.candidates(store, "new") == new.map(\.id))
        try await Self.integrityCheck(store)
        try store.close()
    }

    @Test func deletingCapturesTakesThemOutOfTheTextIndex() async throws {
        let store = try SQLiteRequestStore(path: temporaryDatabasePath())
        let stored = try await Self.insert(store, "zebracorn", 0..<20)
        try store.indexAllText()
        try await store.delete(id: stored[3].id)
        try await store.delete(idRanges: [stored[10].id...stored[14].id])
        let kept = stored.map(\.id).filter { $0 != stored[3].id && !(stored[10].id...stored[14].id).contains($0) }
        #expect(try await Self.candidates(store, "zebracorn") == kept)
        #expect(try await Self.entries(store) == kept.count)
        try await Self.integrityCheck(store)
        try store.close()
    }

    /// A store whose pruning left entries of deleted captures in the index (as stores pruned
    /// before the "v13-text-index" migration have): opening it sets the index aside, the
    /// listener's indexer drops it in steps and builds a clean one, and filters give the same
    /// captures throughout.
    @Test func aStoreWithEntriesOfDeletedCapturesGetsACleanIndex() async throws {
        let path = temporaryDatabasePath()
        let first = try SQLiteRequestStore(path: path)
        let stored = try await Self.insert(first, "zebracorn", 0..<20)
        try first.indexAllText()
        try first.close()
        // Deleted behind the index's back, and the migration marked as not run, as in such a store.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "DELETE FROM request WHERE id <= ?", arguments: [stored[11].id])
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v13-text-index'")
        }
        try queue.close()

        let store = try SQLiteRequestStore(path: path)
        let kept = Array(stored[12...].map(\.id))
        #expect(try await FilterPageTests.allMatches(store, try RequestFilter.parse("zebracorn"), limit: 5) == kept)
        #expect(try await Self.entries(store) == 0)
        store.startTextIndexing(checkEvery: .milliseconds(10))
        try await waitUntil { try await Self.discarded(store).isEmpty && store.textIndexedThrough() == stored.last!.id }
        #expect(try await Self.entries(store) == kept.count)
        #expect(try await Self.candidates(store, "zebracorn") == kept)
        #expect(try await FilterPageTests.allMatches(store, try RequestFilter.parse("zebracorn"), limit: 5) == kept)
        try await Self.integrityCheck(store)
        try store.close()
    }

    /// Off: the index is emptied and its pages go back to the file system, text filters read every
    /// capture (and find the same ones). On again: it is built from the first capture.
    @Test func theTextIndexTurnedOffIsDroppedAndTurnedOnIsBuiltAgain() async throws {
        let path = temporaryDatabasePath()
        let store = try SQLiteRequestStore(path: path)
        var stored: [CapturedRequest] = []
        for start in stride(from: 0, to: 600, by: 200) { stored += try await Self.insert(store, start == 0 ? "zebracorn" : "other", start..<start + 200) }
        try store.indexAllText()
        let filter = try RequestFilter.parse("zebracorn")
        let matches = Array(stored.prefix(200).map(\.id))
        let indexed = try await store.filterPage(filter, after: 0, limit: 1_000, whole: false)
        #expect(indexed.summaries.map(\.id) == matches && indexed.examined == 200)
        let pages = { try await store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 } }
        let pagesIndexed = try await pages()

        try store.discardTextIndex()
        #expect(try store.textIndexedThrough() == 0)
        #expect(try await Self.entries(store) == 0)
        try await waitUntil { try await Self.discarded(store).isEmpty }
        // The indexed text was over a third of the file.
        try await waitUntil { try await pages() < pagesIndexed * 2 / 3 }
        let scanned = try await FilterPageTests.allMatches(store, filter, limit: 1_000)
        #expect(scanned == matches)
        #expect(try await store.filterPage(filter, after: 0, limit: 1_000, whole: false).examined == 600)

        store.startTextIndexing(checkEvery: .milliseconds(10))
        try await waitUntil { try store.textIndexedThrough() == stored.last!.id }
        #expect(try await Self.entries(store) == 600)
        let again = try await store.filterPage(filter, after: 0, limit: 1_000, whole: false)
        #expect(again.summaries.map(\.id) == matches && again.examined == 200)
        try await Self.integrityCheck(store)
        try store.close()
    }

    /// `deleteAll` leaves an empty index and no set-aside one, whatever the index held.
    @Test func deletingEverythingLeavesAnEmptyIndex() async throws {
        let store = try SQLiteRequestStore(path: temporaryDatabasePath())
        _ = try await Self.insert(store, "zebracorn", 0..<30)
        try store.indexAllText()
        try await store.deleteAll()
        #expect(try await Self.discarded(store).isEmpty)
        #expect(try await Self.entries(store) == 0)
        #expect(try await Self.candidates(store, "zebracorn").isEmpty)
        try store.close()
    }
}
