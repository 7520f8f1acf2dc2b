import Foundation
import HookCore
import HookTestSupport
import Testing

@testable import HookStore

/// The files a SQLite store leaves on disk: private to the user, and whole after a clean close.
@Suite struct StoreFileTests {
    func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// A clean close checkpoints the WAL into the database file: a copy of the file alone holds
    /// every capture, and no -wal file is left behind.
    @Test func aClosedStoreHasEverythingInItsMainFile() async throws {
        let path = temporaryDatabasePath()
        let store = try SQLiteRequestStore(path: path)
        for n in 1...50 { _ = try await store.insert(sampleRequest(n)) }
        _ = try await store.requests(afterID: 0, limit: 10)
        try store.close()
        let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? NSNumber)?.intValue ?? 0
        #expect(wal == 0)
        let copy = path + ".copy"
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let reopened = try SQLiteRequestStore(path: copy)
        #expect(try await reopened.count() == 50)
        try reopened.close()
    }

    /// The directory it creates is the user's alone, and so are the database and its -wal and -shm.
    @Test func theStoreIsPrivateToTheUser() async throws {
        let path = temporaryDatabasePath()
        let directory = (path as NSString).deletingLastPathComponent
        let store = try SQLiteRequestStore(path: path)
        _ = try await store.insert(sampleRequest(1))
        #expect(try mode(directory) == 0o700)
        #expect(try mode(path) == 0o600)
        #expect(try mode(path + "-wal") == 0o600)
        #expect(try mode(path + "-shm") == 0o600)
        try store.close()
    }

    /// A store written by an earlier version with the usual 0644 files gets them tightened on open.
    @Test func anExistingWorldReadableStoreIsMadePrivate() async throws {
        let path = temporaryDatabasePath()
        let first = try SQLiteRequestStore(path: path)
        _ = try await first.insert(sampleRequest(1))
        try first.close()
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let store = try SQLiteRequestStore(path: path)
        _ = try await store.insert(sampleRequest(2))
        #expect(try mode(path) == 0o600)
        #expect(try mode(path + "-wal") == 0o600)
        try store.close()
    }
}

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

/// Two hookscopes opening one new store at the same moment: both open it, and neither applies a
/// migration the other already applied ("duplicate column name" before the open was serialised).
@Suite struct ConcurrentOpenTests {
    @Test func twoOpenersAtOnceBothSucceed() async throws {
        for _ in 0..<20 {
            let path = temporaryDatabasePath()
            async let first = Task.detached { try SQLiteRequestStore(path: path) }.value
            async let second = Task.detached { try SQLiteRequestStore(path: path) }.value
            let (a, b) = try await (first, second)
            _ = try await a.insert(sampleRequest(1))
            #expect(try await b.requests(afterID: 0, limit: 10).count == 1)
            try a.close()
            try b.close()
        }
    }
}

/// A store that can be read but not written is refused when capturing starts, with one line,
/// instead of answering every request 500 afterwards.
@Suite struct ReadOnlyStoreTests {
    /// Makes `path` unwritable even for root (`chattr +i`); false where that is not allowed.
    static func makeImmutable(_ path: String, _ on: Bool) -> Bool {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/chattr")
        process.arguments = [on ? "+i" : "-i", path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    static let immutableFilesWork: Bool = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-chattr-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        defer { _ = makeImmutable(path, false); try? FileManager.default.removeItem(atPath: path) }
        return makeImmutable(path, true)
    }()

    @Test(.enabled(if: immutableFilesWork, "chattr +i is not allowed here"))
    func aStoreThatCannotBeWrittenIsRefusedAtStart() async throws {
        let path = temporaryDatabasePath()
        let store = try SQLiteRequestStore(path: path)
        _ = try await store.insert(sampleRequest(1))
        try store.close()
        let files = [path, path + "-wal", path + "-shm"].filter { FileManager.default.fileExists(atPath: $0) }
        for file in files { #expect(Self.makeImmutable(file, true)) }
        defer { for file in files { _ = Self.makeImmutable(file, false) } }
        do {
            _ = try SQLiteRequestStore(path: path)
            Issue.record("a read-only store was accepted for capturing")
        } catch {
            // SQLite's own refusal ("the file is read-only") or, where SQLite opens the file for
            // reading only, the store's check: one line either way.
            let text = "\(error)"
            #expect(text.contains("the file is read-only") || text.contains("can be read but not written"), "\(text)")
            #expect(!text.contains("\n"))
        }
    }
}
