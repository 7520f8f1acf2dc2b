import Foundation
import GRDB
import HookCore
import Synchronization
import Testing

@testable import HookStore

/// Pruning to `--keep` and deleting everything happen in batches between capture commits, and
/// give the space back afterwards.
@Suite struct BulkDeleteTests {
    /// A store of `count` captures with 2 KB bodies, closed.
    func filledStore(_ count: Int) async throws -> String {
        let path = temporaryDatabasePath()
        let store = try SQLiteRequestStore(path: path)
        let body = Data(repeating: UInt8(ascii: "x"), count: 2048)
        for start in stride(from: 1, through: count, by: 500) {
            let batch = (start..<min(start + 500, count + 1)).map { sampleRequest($0, body: body) }
            let _: [CapturedRequest] = try await withCheckedThrowingContinuation { continuation in
                store.insert(contentsOf: batch) { continuation.resume(with: $0) }
            }
        }
        try store.close()
        return path
    }

    /// Opened with a much smaller `keep`, the store prunes in batches: a capture sent at once is
    /// committed while most of the excess is still there (it did not wait for the whole delete),
    /// and the store then shrinks to `keep`.
    @Test func aSmallerKeepIsReachedInBatchesWhileCapturesAreCommitted() async throws {
        let path = try await filledStore(20_000)
        let rowsAtCommit = Mutex<Int?>(nil)
        let holder = Mutex<SQLiteRequestStore?>(nil)
        let store = try SQLiteRequestStore(path: path, keep: 100, onCommit: { _ in
            // Runs on the writer thread, between batches: what the file holds at that moment.
            if rowsAtCommit.withLock({ $0 }) == nil, let store = holder.withLock({ $0 }) {
                let rows = try? store.readCountDirectly()
                rowsAtCommit.withLock { $0 = rows }
            }
        })
        holder.withLock { $0 = store }
        _ = try await store.insert(sampleRequest(20_001))
        let atCommit = try #require(rowsAtCommit.withLock { $0 })
        #expect(atCommit > 10_000, "the capture waited for \(20_000 - atCommit) deletions")
        // Then the cap is reached, and the newest captures are the ones kept.
        var rows = try store.readCountDirectly()
        for _ in 0..<600 where rows > 100 {
            try await Task.sleep(for: .milliseconds(50))
            rows = try store.readCountDirectly()
        }
        #expect(rows == 100)
        let newest = try await store.requests(afterID: 0, limit: 200)
        #expect(newest.last?.method == sampleRequest(20_001).method)
        #expect(newest.first?.id == 19_902)
        try store.close()
    }

    /// `deleteAll` reports progress batch by batch, keeps what arrives while it runs, and leaves
    /// the file small (a new store vacuums incrementally) with an empty WAL.
    @Test func deleteAllGoesInBatchesKeepsNewCapturesAndGivesTheSpaceBack() async throws {
        let path = try await filledStore(3_000)
        let sizeBefore = try fileSize(path)
        let store = try SQLiteRequestStore(path: path)
        let reports = Mutex<[Int]>([])
        let inserted = Mutex(false)
        try await store.deleteAll { deleted in
            reports.withLock { $0.append(deleted) }
            if !inserted.withLock({ done in defer { done = true }; return done }) {
                store.insert(sampleRequest(3_001)) { _ in }
            }
        }
        #expect(reports.withLock { $0 } == [500, 1000, 1500, 2000, 2500, 3000])
        #expect(try await store.count() == 1)
        #expect(try await store.requests(afterID: 0, limit: 10).map(\.id) == [3_001])
        #expect(try fileSize(path + "-wal") == 0)
        let sizeAfter = try fileSize(path)
        #expect(sizeAfter < sizeBefore / 10, "\(sizeAfter) of \(sizeBefore)")
        try store.close()
    }

    func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? -1
    }
}

extension SQLiteRequestStore {
    /// The rows in the file now, read on a connection of its own (not the pool's writer, which
    /// the caller may be running on).
    func readCountDirectly() throws -> Int {
        let queue = try DatabaseQueue(path: path, configuration: { var c = Configuration(); c.readonly = true; return c }())
        defer { try? queue.close() }
        return try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM request") ?? 0 }
    }
}
