import Foundation
import HookCore

/// Adds captures to the SQLite store at `path` a batch at a time, all or nothing: `rollBack` takes
/// back every capture added so far, and removes the database when this import created it. The
/// store is opened with the first batch, so an import that fails before it leaves no file.
public final class SQLiteImport: CaptureImport {
    public let path: String
    public var displayName: String { path }
    private let existed: Bool
    private var store: SQLiteRequestStore?
    /// The ids added so far, as ranges of consecutive ids.
    public private(set) var added: [ClosedRange<Int64>] = []

    public init(path: String) {
        self.path = path
        existed = FileManager.default.fileExists(atPath: path)
    }

    /// Stores `batch` in one transaction.
    public func add(_ batch: [CapturedRequest]) async throws {
        let store = try self.store ?? SQLiteRequestStore(path: path)
        self.store = store
        let written = try await withCheckedThrowingContinuation { continuation in
            store.insert(contentsOf: batch) { continuation.resume(with: $0) }
        }
        added.append(ids: written.map(\.id))
    }

    /// Each batch was committed by `add`.
    public func finish() async throws {
        try? store?.close()
        store = nil
    }

    /// Takes back what was added: deletes those captures, or the whole database when this import
    /// created it. Best effort: it runs after another failure, which is the one to report.
    public func rollBack() async {
        guard let store else { return }
        if existed {
            try? await store.delete(idRanges: added)
            try? store.close()
        } else {
            try? store.close()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        self.store = nil
        added = []
    }
}
