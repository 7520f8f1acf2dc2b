import Foundation
import HookCore
import HookTestSupport
import Testing

@testable import HookStore

/// A store whose files are deleted or replaced under it stops storing, loudly, instead of
/// committing into unlinked files that vanish at exit.
@Suite struct StoreLossTests {
    @Test(arguments: [["", "-wal", "-shm"], [""], ["-wal"]])
    func commitsFailOnceTheFilesAreGone(_ suffixes: [String]) async throws {
        let path = temporaryDatabasePath()
        let store = try SQLiteRequestStore(path: path)
        _ = try await store.insert(sampleRequest(1))
        for suffix in suffixes { try FileManager.default.removeItem(atPath: path + suffix) }
        await #expect(throws: StoreError.self) { _ = try await store.insert(sampleRequest(2)) }
        do {
            _ = try await store.insert(sampleRequest(3))
            Issue.record("stored into deleted files")
        } catch {
            #expect("\(error)".contains("deleted or replaced"), "\(error)")
        }
        try? store.close()
    }

    @Test func aReplacedFileIsNoticedToo() async throws {
        let path = temporaryDatabasePath()
        let store = try SQLiteRequestStore(path: path)
        _ = try await store.insert(sampleRequest(1))
        let other = try SQLiteRequestStore(path: path + ".other")
        _ = try await other.insert(sampleRequest(1))
        try other.close()
        #expect(rename(path + ".other", path) == 0)  // as `mv other.sqlite captures.sqlite` would
        await #expect(throws: StoreError.self) { _ = try await store.insert(sampleRequest(2)) }
        try? store.close()
    }

    /// Untouched, the checks cost nothing visible: many commits go through.
    @Test func anUntouchedStoreKeepsStoring() async throws {
        let store = try SQLiteRequestStore(path: temporaryDatabasePath())
        for n in 1...200 { _ = try await store.insert(sampleRequest(n)) }
        #expect(try await store.count() == 200)
        try store.close()
    }
}
