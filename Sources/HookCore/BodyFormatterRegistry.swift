import Foundation

/// Chooses and runs body formatters. PROVISIONAL: only text and hex are implemented here;
/// the full registry (JSON, form, multipart, XML, content-encoding) replaces this file.
public enum BodyFormatterRegistry {
    /// The views that make sense for this request, best first; `raw` is always last.
    public static func views(for request: CapturedRequest) -> [BodyView] {
        [.text, .hex, .raw]
    }

    /// Formats the request's body for one view. Pure and safe to call off the main task;
    /// must not take time proportional to the body for views that are lazily laid out.
    public static func format(_ request: CapturedRequest, as view: BodyView) -> any FormattedBody {
        LinesBody(view: view, note: nil, lines: request.body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { [StyledSpan(Array($0))] })
    }
}

/// A formatted body held as ready-made lines.
public struct LinesBody: FormattedBody {
    public var view: BodyView
    public var note: String?
    public var lines: [StyledLine]

    public init(view: BodyView, note: String?, lines: [StyledLine]) {
        self.view = view
        self.note = note
        self.lines = lines
    }

    public var lineCount: Int { lines.count }
    public func line(at index: Int) -> StyledLine { lines[index] }
}
