import HookCore

/// What `import` writes through, whichever the store: batches of captures, all or nothing.
/// `add` stores (or stages) a batch, `finish` makes every batch part of the store, `rollBack`
/// takes back what an import that failed had stored.
public protocol CaptureImport: AnyObject {
    /// The store as messages name it (a PostgreSQL URL without its password).
    var displayName: String { get }
    /// The ids the import stored, as ranges of consecutive ids (empty until they are stored).
    var added: [ClosedRange<Int64>] { get }
    func add(_ batch: [CapturedRequest]) async throws
    func finish() async throws
    /// Best effort: it runs after another failure, which is the one to report.
    func rollBack() async
}

extension [ClosedRange<Int64>] {
    /// `ids`, in increasing order, appended as ranges of consecutive ids.
    public mutating func append(ids: some Sequence<Int64>) {
        for id in ids {
            if let last, last.upperBound + 1 == id {
                self[count - 1] = last.lowerBound...id
            } else {
                append(id...id)
            }
        }
    }
}
