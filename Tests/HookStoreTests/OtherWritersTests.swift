import Foundation
import HookCore
import HookTestSupport
import Testing

@testable import HookStore

/// Two stores on one file, as two processes would have: each tells its owner what the other one
/// stored, in id order with its own captures, and counts it.
@Suite struct OtherWritersTests {
    /// What a store reported, in the order it reported it.
    final class Reports: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [(id: Int64, elsewhere: Bool)] = []
        func add(_ ids: [Int64], elsewhere: Bool) { lock.withLock { entries += ids.map { ($0, elsewhere) } } }
        var all: [(id: Int64, elsewhere: Bool)] { lock.withLock { entries } }
    }

    @Test func aCommitReportsWhatTheOtherWriterStoredBeforeItsOwnCaptures() async throws {
        let path = temporaryDatabasePath()
        let reports = Reports()
        let mine = try SQLiteRequestStore(
            path: path, onCommit: { reports.add($0.map(\.id), elsewhere: false) },
            onOtherWriters: { reports.add($0.map(\.id), elsewhere: true) })
        let other = try SQLiteRequestStore(path: path)
        _ = try await mine.insert(sampleRequest(1))
        _ = try await other.insert(sampleRequest(2))
        _ = try await other.insert(sampleRequest(3))
        _ = try await mine.insert(sampleRequest(4))
        let seen = reports.all
        #expect(seen.map(\.id) == [1, 2, 3, 4])
        #expect(seen.map(\.elsewhere) == [false, true, true, false])
        #expect(try await mine.count() == 4)
        #expect(try await mine.summaries(offset: 3, limit: 1).first?.id == 4)
        try other.close()
        try mine.close()
    }

    /// Without a capture of its own, the check a change watcher asks for finds them.
    @Test func aCheckFindsWhatTheOtherWriterStored() async throws {
        let path = temporaryDatabasePath()
        let (found, foundContinuation) = AsyncStream.makeStream(of: [Int64].self)
        let mine = try SQLiteRequestStore(path: path, onOtherWriters: { foundContinuation.yield($0.map(\.id)) })
        let other = try SQLiteRequestStore(path: path)
        let watcher = try SQLiteChangeWatcher(path: path, interval: .milliseconds(10)) { mine.checkOtherWriters() }
        defer { watcher.stop() }
        _ = try await other.insert(sampleRequest(1))
        _ = try await other.insert(sampleRequest(2))
        var ids: [Int64] = []
        for await batch in found {
            ids += batch
            if ids.count >= 2 { break }
        }
        #expect(ids == [1, 2])
        #expect(try await mine.count() == 2)
        try other.close()
        try mine.close()
    }

    /// A viewer's check (`watch`) also tells rows changed in place from rows deleted, and counts
    /// again when rows went.
    @Test func aViewersCheckTellsUpdatesFromDeletions() async throws {
        let path = temporaryDatabasePath()
        let (found, foundContinuation) = AsyncStream.makeStream(of: [Int64].self)
        let (changes, changesContinuation) = AsyncStream.makeStream(of: StoreChange.self)
        let viewer = try SQLiteRequestStore(path: path, forReading: true, onOtherWriters: { foundContinuation.yield($0.map(\.id)) })
        let other = try SQLiteRequestStore(path: path)
        let watcher = try SQLiteChangeWatcher(path: path, interval: .milliseconds(10)) {
            viewer.checkOtherWriters(changed: { changesContinuation.yield($0) })
        }
        defer { watcher.stop() }
        var foundIDs = found.makeAsyncIterator()
        var changed = changes.makeAsyncIterator()
        _ = try await other.insert(sampleRequest(1))
        _ = try await other.insert(sampleRequest(2))
        var ids: [Int64] = []
        while ids.count < 2, let batch = await foundIDs.next() { ids += batch }
        #expect(ids == [1, 2])

        try await other.updateSignature(id: 1, SignatureSummary(provider: "stripe", status: .valid, detail: "checked"))
        #expect(await changed.next() == .updated)
        #expect(try await viewer.count() == 2)

        try await other.delete(id: 1)
        #expect(await changed.next() == .deleted)
        #expect(try await viewer.count() == 1)
        #expect(try await viewer.summaries(offset: 0, limit: 5).map(\.id) == [2])
        try other.close()
        try viewer.close()
    }
}
