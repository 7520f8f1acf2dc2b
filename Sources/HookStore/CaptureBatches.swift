import HookCore

extension RequestStore {
    /// The captures of `batch` that `filter` matches (all when nil), with their forwards read
    /// when the filter looks at them (`forward:`).
    public func matching(_ filter: RequestFilter?, in batch: [CapturedRequest]) async throws -> [CapturedRequest] {
        guard let filter else { return batch }
        guard filter.needsForwards else { return batch.filter { filter.matches($0) } }
        let forwards = try await latestForwards(among: batch.map(\.id))
        return batch.filter { filter.matches($0, forward: forwards[$0.id]) }
    }

    /// The captures `filter` matches (every one when nil) with an id above `afterID`, oldest first,
    /// read `size` at a time: for the scans over the store (export, list, re-verification), which
    /// hold one batch at a time. A filter's `id:` terms bound the scan.
    public func captureBatches(matching filter: RequestFilter? = nil, size: Int = 500, after afterID: Int64 = 0) -> CaptureBatches {
        CaptureBatches(store: self, filter: filter, size: max(1, size), afterID: afterID)
    }
}

/// See `RequestStore.captureBatches(matching:size:)`. Checks for cancellation before each read.
public struct CaptureBatches: AsyncSequence {
    public typealias Element = [CapturedRequest]

    let store: any RequestStore
    let filter: RequestFilter?
    let size: Int
    let afterID: Int64

    public func makeAsyncIterator() -> Iterator { Iterator(batches: self) }

    public struct Iterator: AsyncIteratorProtocol {
        let batches: CaptureBatches
        var afterID: Int64
        /// The filter's `id:` bounds: the scan starts at the lower and stops past the upper.
        let lastID: Int64

        init(batches: CaptureBatches) {
            self.batches = batches
            let bounds = batches.filter?.idBounds
            afterID = Swift.max(batches.afterID, (bounds?.lowerBound ?? 1) - 1)
            lastID = bounds?.upperBound ?? .max
        }

        /// The next non-empty batch of matching captures; nil once the store has no more.
        /// With a filter, the store's `filterPage` finds them (through its indexes where it can).
        public mutating func next() async throws -> [CapturedRequest]? {
            while afterID < lastID {
                try Task.checkCancellation()
                if let filter = batches.filter {
                    let page = try await batches.store.filterPage(filter, after: afterID, limit: batches.size, whole: true)
                    afterID = page.done ? lastID : Swift.max(afterID, page.through)
                    if !page.requests.isEmpty { return page.requests }
                    continue
                }
                let batch = try await batches.store.requests(afterID: afterID, limit: batches.size)
                guard let last = batch.last else { return nil }
                afterID = last.id
                if !batch.isEmpty { return batch }
            }
            return nil
        }
    }
}
