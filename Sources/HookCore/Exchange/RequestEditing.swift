import Foundation

/// Editing a capture as raw HTTP text before replaying it (the TUI's `e`/`E`, `replay --edit`):
/// the text the editor gets, and the edited copy made from what it leaves. The capture itself is
/// never changed.
public enum RequestEditing {
    /// Why an edit produced nothing to send.
    public enum Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        /// The editor exited with a non-zero status (vi's `:cq`, a crash).
        case editorFailed
        /// The file is what the editor was given (vi's `:q!`, or saved with no change but the final
        /// newline an editor adds).
        case unchanged

        public var description: String {
            switch self {
            case .editorFailed: "the editor exited with an error"
            case .unchanged: "nothing was changed in the editor"
            }
        }
    }

    /// The capture as raw HTTP (request line, headers, blank line, body), without its framing
    /// headers: they are recomputed for the edited copy. Nothing is redacted: what is sent is what
    /// the file holds.
    public static func text(for request: CapturedRequest) -> Data {
        var plain = request
        plain.headers.removeAll { $0.hasName("Content-Length") || $0.hasName("Transfer-Encoding") }
        plain.bodyWasChunked = false
        return RawHTTPExporter.data(for: plain, redact: .none)
    }

    /// The edited copy of `original` from the file's new contents; `shown` is what `text(for:)`
    /// gave the editor. Throws `Refusal.unchanged` when the file was not changed, and the parser's
    /// error when the text is no HTTP request.
    public static func apply(_ edited: Data, shown: Data, to original: CapturedRequest) throws -> CapturedRequest {
        guard edited != shown else { throw Refusal.unchanged }
        let message = try RawHTTPExporter.parse(edited)
        var copy = original
        copy.method = message.method
        copy.rawTarget = message.rawTarget
        copy.httpVersion = message.httpVersion
        copy.headers = message.headers
        var body = message.body
        // Editors add a final newline; keep the body as it was when that is the only difference at the end.
        if body.last == 0x0A, original.body.last != 0x0A {
            body.removeLast()
            if body.last == 0x0D, original.body.last != 0x0D { body.removeLast() }
        }
        // Saved without a change but for what the editor does on its own (vim's final newline):
        // the same request, so nothing to send either.
        let framing = { (header: HeaderField) in header.hasName("Content-Length") || header.hasName("Transfer-Encoding") }
        if copy.method == original.method, copy.rawTarget == original.rawTarget, copy.httpVersion == original.httpVersion,
           copy.headers == original.headers.filter({ !framing($0) }), body == original.body {
            throw Refusal.unchanged
        }
        copy.body = body
        copy.bodySize = body.count
        copy.bodyWasChunked = false
        return copy
    }
}
