import HookCore

/// The request list, virtualized over the store: how many captures there are, the loaded window of
/// them, the selection and the scroll.
public struct ListState: Sendable {
    public internal(set) var total = 0
    public internal(set) var window = ListWindow()
    /// The offset of the window load in flight.
    var pendingWindowOffset: Int?
    /// The selected row.
    public internal(set) var selected = 0
    /// The first row shown.
    public internal(set) var top = 0
    /// The selection moves to each new capture.
    public internal(set) var follow = true
    /// The EVENT column shows: set once a capture with an event type, or a retry, was listed.
    public internal(set) var showsEvents = false

    /// Notes what the EVENT column would show of these rows.
    mutating func noteEvents(of summaries: some Sequence<RequestSummary>) {
        if !showsEvents, summaries.contains(where: { $0.event != nil || $0.isRetry }) { showsEvents = true }
    }
}

/// A window of loaded summaries: rows `offset ..< offset + items.count` of the unfiltered list.
public struct ListWindow: Sendable, Hashable {
    public private(set) var offset = 0
    public private(set) var items: [RequestSummary] = []

    public init(offset: Int = 0, items: [RequestSummary] = []) {
        self.offset = offset
        self.items = items
    }

    public var endOffset: Int { offset + items.count }

    /// The answer of capture `id`, when it is loaded, changed after it was stored (`--proxy-response`).
    mutating func setResponseStatus(_ status: Int, of id: Int64) {
        if let index = items.firstIndex(where: { $0.id == id }) { items[index].responseStatus = status }
    }

    public func item(at row: Int) -> RequestSummary? {
        let index = row - offset
        return index >= 0 && index < items.count ? items[index] : nil
    }

    /// Keeps at most `maxCount` items, trimmed in steps of a quarter of it, so that a stream of
    /// appends moves the array once every `maxCount / 4` captures instead of once per capture.
    mutating func append(_ summary: RequestSummary, maxCount: Int) {
        items.append(summary)
        if items.count > maxCount + maxCount / 4 {
            let drop = items.count - maxCount
            items.removeFirst(drop)
            offset += drop
        }
    }
}
