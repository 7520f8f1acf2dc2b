import HookCore

/// One step of a filtered read of the store (`RequestStore.filterPage`): the matches among the
/// captures above an id, oldest first, and how far the search got.
public struct FilterPage: Sendable {
    /// The matching captures' summaries, oldest first.
    public var summaries: [RequestSummary]
    /// The same captures whole when they were asked for (`whole: true`); empty otherwise.
    public var requests: [CapturedRequest]
    /// Every capture with an id up to this one has been decided: the next page starts after it.
    public var through: Int64
    /// Nothing above `through` matches (in the store as it stood when read).
    public var done: Bool
    /// How many captures were read and decided one by one (by the Swift matcher) for this page;
    /// 0 when the store's indexes answered alone.
    public var examined: Int

    public init(summaries: [RequestSummary], requests: [CapturedRequest], through: Int64, done: Bool, examined: Int) {
        self.summaries = summaries
        self.requests = requests
        self.through = through
        self.done = done
        self.examined = examined
    }
}

extension RequestStore {
    /// Reads up to `limit` captures above `afterID` (within the filter's `id:` bounds) and keeps
    /// the ones `filter` matches: the plain scan, for stores without indexes to narrow it.
    public func scanFilterPage(_ filter: RequestFilter, after afterID: Int64, limit: Int, whole: Bool) async throws -> FilterPage {
        let limit = max(1, limit)
        let bounds = filter.idBounds
        let start = max(afterID, (bounds?.lowerBound ?? 1) - 1)
        let last = bounds?.upperBound ?? .max
        guard start < last else { return FilterPage(summaries: [], requests: [], through: afterID, done: true, examined: 0) }
        let batch = try await requests(afterID: start, limit: limit)
        let inBounds = Array(batch.prefix { $0.id <= last })
        let matched = try await matching(filter, in: inBounds)
        let done = batch.count < limit || inBounds.count < batch.count
        return FilterPage(
            summaries: matched.map(\.summary), requests: whole ? matched : [], through: inBounds.last?.id ?? start, done: done,
            examined: inBounds.count)
    }

    public func filterPage(_ filter: RequestFilter, after afterID: Int64, limit: Int, whole: Bool) async throws -> FilterPage {
        try await scanFilterPage(filter, after: afterID, limit: limit, whole: whole)
    }
}
