import Foundation

/// What a piece of formatted text is, so the UI can colour it by role.
public enum TextRole: Sendable, Hashable {
    case plain
    case key
    case string
    case number
    case literal       // true, false, null
    case punctuation
    case error         // e.g. the position where JSON parsing failed
    case muted         // offsets in a hex dump, notes
    case heading       // part headers in multipart, table headers
}

/// A run of bytes with one role. Bytes, not String: bodies may hold invalid UTF-8, which the
/// terminal sanitizer shows escaped (`\xff`) rather than replaced.
public struct StyledSpan: Sendable, Hashable {
    public var bytes: [UInt8]
    public var role: TextRole

    public init(_ bytes: [UInt8], _ role: TextRole = .plain) {
        self.bytes = bytes
        self.role = role
    }

    public init(_ text: String, _ role: TextRole = .plain) {
        self.bytes = Array(text.utf8)
        self.role = role
    }
}

public typealias StyledLine = [StyledSpan]

/// The ways a body can be shown. `raw` is always available and shows the exact bytes.
public enum BodyView: String, Sendable, Hashable, CaseIterable {
    case json
    case form
    case multipart
    case xml
    case text
    case hex
    case raw
}

/// A body laid out as lines, for one view. Lines are produced on demand so that only
/// what is visible needs to be materialised.
public protocol FormattedBody: Sendable {
    var view: BodyView { get }
    /// A one-line note for the pane title, e.g. "decoded from gzip" or "invalid JSON at byte 120".
    var note: String? { get }
    var lineCount: Int { get }
    func line(at index: Int) -> StyledLine
}
