import Foundation

/// Chooses and runs body formatters: JSON, form, multipart, XML, text, hex and raw, after undoing
/// `Content-Encoding: gzip`/`deflate` for display. Pure functions; safe off the main task.
public enum BodyFormatterRegistry {
    /// How many bytes are decoded and examined to choose the views.
    static let sniffLimit = 64 * 1024

    /// The views that make sense for this request, best first; `hex` and `raw` are always offered, `raw` last.
    public static func views(for request: CapturedRequest) -> [BodyView] {
        views(body: request.body, headers: request.headers)
    }

    /// Formats the request's body for one view. JSON, text, raw and hex are laid out lazily
    /// (one indexing pass, lines rendered on demand).
    public static func format(_ request: CapturedRequest, as view: BodyView) -> any FormattedBody {
        if let refusal = request.refusal, request.body.isEmpty {
            let note = "body not kept: request refused (\(refusal.rawValue)), \(request.bodySize) bytes received"
            return LinesBody(view: view, note: note, lines: [])
        }
        return format(body: request.body, headers: request.headers, as: view)
    }

    /// The views for any body with its headers (e.g. a replay target's response).
    public static func views(body: Data, headers: [HeaderField]) -> [BodyView] {
        let contentType = headers.value(named: "Content-Type")
        let essence = MediaType.essence(contentType)
        if body.isEmpty { return [.text, .hex, .raw] }
        // Sniff on a decoded prefix, so that views(for:) stays cheap for big bodies.
        let head = Array(body.prefix(sniffLimit))
        guard let prefix = ContentDecoding.decodePrefix(head, headers: headers, limit: sniffLimit) else {
            return [.hex, .raw]
        }
        var result: [BodyView] = []
        let slice = prefix[...]
        let textual = ByteText.looksTextual(slice)
        if MediaType.isJSON(essence) || (JSONFormatter.sniff(slice) && textual) { result.append(.json) }
        if essence == "application/x-www-form-urlencoded" { result.append(.form) }
        if essence.hasPrefix("multipart/") { result.append(.multipart) }
        if MediaType.isXML(essence) || (XMLFormatter.sniff(slice) && textual && !result.contains(.json)) { result.append(.xml) }
        if textual || MediaType.isTextual(essence) { result.append(.text) }
        result.append(.hex)
        result.append(.raw)
        // A binary body whose type claims text: hex first.
        if !textual, let t = result.firstIndex(of: .text) {
            result.remove(at: t)
            result.insert(.text, at: result.count - 1)
        }
        return result
    }

    /// Formats any body with its headers for one view.
    public static func format(body: Data, headers: [HeaderField], as view: BodyView) -> any FormattedBody {
        let raw = [UInt8](body)
        if view == .raw {
            return TextBody(bytes: raw, mode: .raw, view: .raw, note: raw.isEmpty ? "empty body" : "exact bytes, \(raw.count) bytes")
        }
        if raw.isEmpty { return LinesBody(view: view, note: "empty body", lines: []) }
        let bytes: [UInt8]
        var note: String?
        switch ContentDecoding.decode(raw, headers: headers) {
        case .identity:
            bytes = raw
        case .decoded(let decoded, let n):
            bytes = decoded
            note = n
        case .failed(let n):
            return HexBody(bytes: raw, note: n)
        }
        let contentType = headers.value(named: "Content-Type")
        switch view {
        case .json: return JSONFormatter.format(bytes, note: note)
        case .form: return FormFormatter.format(bytes, note: note)
        case .multipart: return MultipartFormatter.format(bytes, contentType: contentType, note: note)
        case .xml: return XMLFormatter.format(bytes, note: note)
        case .text: return TextBody(bytes: bytes, mode: .text, view: .text, note: note)
        case .hex: return HexBody(bytes: bytes, note: note ?? "\(bytes.count) bytes")
        case .raw: return TextBody(bytes: raw, mode: .raw, view: .raw, note: nil)
        }
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
