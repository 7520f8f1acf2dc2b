import Foundation

/// The filter language of the TUI's `/` and `export --filter`. PROVISIONAL: only plain text
/// terms are implemented here; the full parser (method:, path:, status:, sig:, header:) replaces this file.
public struct RequestFilter: Sendable, Hashable {
    public var text: String

    /// Parses filter text; throws a `FilterError` whose description says what is wrong.
    public static func parse(_ text: String) throws -> RequestFilter {
        RequestFilter(text: text)
    }

    /// Whether a whole capture matches (terms combine with AND).
    public func matches(_ request: CapturedRequest) -> Bool {
        let needle = text.lowercased()
        if needle.isEmpty { return true }
        return request.target.lowercased().contains(needle)
    }

    /// True when the filter matches everything.
    public var isEmpty: Bool { text.isEmpty }
}

public struct FilterError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
