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
