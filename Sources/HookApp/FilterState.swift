import HookCore

/// The list's filter: the text typed, the filter parsed from it and its matches, found by scanning
/// the whole store (`generation` tells a current scan's results from an older one's).
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
    /// Captures scanned so far.
    public internal(set) var scanned = 0

    public var isActive: Bool { parsed != nil }
}
