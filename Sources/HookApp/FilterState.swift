import HookCore

/// The list's filter: the text typed, the filter parsed from it and its matches, found a page at a
/// time through the store's indexes or by reading captures (`generation` tells a current search's
/// results from an older one's).
public struct FilterState: Sendable {
    public internal(set) var text = ""
    /// The filter in effect; nil when none is typed or what is typed does not parse.
    public internal(set) var parsed: RequestFilter?
    /// Why the text does not parse.
    public internal(set) var error: String?
    public internal(set) var generation = 0
    /// The captures that match, oldest first.
    public internal(set) var matches: [RequestSummary] = []
    public internal(set) var scanning = false
    /// The search has decided every capture up to this id (it goes in id order).
    public internal(set) var searchedThrough: Int64 = 0

    public var isActive: Bool { parsed != nil }
}
