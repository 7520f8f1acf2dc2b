import Foundation
import HookCore
import HookTestSupport
import Testing

@testable import HookStore

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
