import Foundation

/// A session-wide override from the TUI, checked before the rules.
public enum AnswerOverride: Sendable, Hashable {
    /// Every request gets this status (503) or failure, until switched off.
    case endpointDown(failure: AnswerFailure?)
    /// The next `remaining` requests (on paths starting with `pathPrefix`, or all) get the status or failure.
    case failNext(remaining: Int, status: Int, failure: AnswerFailure?, pathPrefix: String?)

    /// The label a capture it answered is stored with (`rule`).
    public var label: String {
        switch self {
        case .endpointDown: "endpoint-down"
        case .failNext: "fail-next"
        }
    }

    /// Whether it answers a request on `path` (a fail-next may be limited to a path prefix).
    public func applies(toPath path: String) -> Bool {
        switch self {
        case .endpointDown: true
        case .failNext(_, _, _, let pathPrefix): pathPrefix.map { path.hasPrefix($0) } ?? true
        }
    }

    /// The status bar's words for it.
    public var description: String {
        switch self {
        case .endpointDown(let failure):
            "endpoint down (\(failure?.rawValue ?? "503"))"
        case .failNext(let remaining, let status, let failure, let pathPrefix):
            "next \(remaining) \(pathPrefix.map { "on \($0) " } ?? "")fail (\(failure?.rawValue ?? String(status)))"
        }
    }
}

/// A response rule as the TUI's rules view shows it: its label, what it matches and answers, and
/// how many captures it has answered this session.
public struct RuleStatus: Sendable, Hashable {
    public var label: String
    public var summary: String
    public var matched: Int

    public init(label: String, summary: String, matched: Int) {
        self.label = label
        self.summary = summary
        self.matched = matched
    }
}
