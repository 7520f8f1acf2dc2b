import Foundation

/// Media type helpers.
enum MediaType {
    /// The lower-cased `type/subtype` of a Content-Type value, without parameters.
    static func essence(_ contentType: String?) -> String {
        guard let contentType else { return "" }
        let base = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return base.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// A parameter of a Content-Type value (`boundary`, `charset`), unquoted.
    static func parameter(_ name: String, in contentType: String?) -> String? {
        guard let contentType else { return nil }
        let scalars = Array(contentType.unicodeScalars)
        var i = 0
        // Skip the essence.
        while i < scalars.count && scalars[i] != ";" { i += 1 }
        while i < scalars.count {
            i += 1 // ';'
            while i < scalars.count && (scalars[i] == " " || scalars[i] == "\t") { i += 1 }
            var key = ""
            while i < scalars.count && scalars[i] != "=" && scalars[i] != ";" { key.unicodeScalars.append(scalars[i]); i += 1 }
            var value = ""
            if i < scalars.count && scalars[i] == "=" {
                i += 1
                if i < scalars.count && scalars[i] == "\"" {
                    i += 1
                    while i < scalars.count && scalars[i] != "\"" {
                        if scalars[i] == "\\" && i + 1 < scalars.count { i += 1 }
                        value.unicodeScalars.append(scalars[i])
                        i += 1
                    }
                    while i < scalars.count && scalars[i] != ";" { i += 1 }
                } else {
                    while i < scalars.count && scalars[i] != ";" { value.unicodeScalars.append(scalars[i]); i += 1 }
                    value = value.trimmingCharacters(in: .whitespaces)
                }
            }
            if key.trimmingCharacters(in: .whitespaces).lowercased() == name.lowercased() { return value }
        }
        return nil
    }

    static func isJSON(_ essence: String) -> Bool {
        essence == "application/json" || essence == "text/json" || essence.hasSuffix("+json")
    }

    static func isXML(_ essence: String) -> Bool {
        essence == "application/xml" || essence == "text/xml" || essence.hasSuffix("+xml")
    }

    static func isTextual(_ essence: String) -> Bool {
        essence.hasPrefix("text/") || isJSON(essence) || isXML(essence)
            || essence == "application/x-www-form-urlencoded" || essence == "application/javascript"
            || essence == "application/graphql" || essence == "application/x-ndjson"
    }
}

// MARK: - form-urlencoded

enum FormFormatter {
    /// Percent-decodes one component; `+` becomes a space; an invalid escape stays as sent.
    static func decodeComponent(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let c = bytes[i]
            if c == UInt8(ascii: "+") {
                out.append(0x20)
                i += 1
            } else if c == UInt8(ascii: "%"), i + 2 < bytes.endIndex, let h = hexDigitValue(bytes[i + 1]), let l = hexDigitValue(bytes[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(c)
                i += 1
            }
        }
        return out
    }

    /// Name/value pairs in order, duplicates kept; empty segments skipped.
    static func pairs(_ bytes: [UInt8]) -> [(name: [UInt8], value: [UInt8]?)] {
        bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).map { segment in
            if let eq = segment.firstIndex(of: UInt8(ascii: "=")) {
                return (decodeComponent(segment[segment.startIndex..<eq]), decodeComponent(segment[(eq + 1)...]))
            }
            return (decodeComponent(segment), nil)
        }
    }

    static let maxNameColumn = 32

    static func format(_ bytes: [UInt8], note: String?) -> any FormattedBody {
        let pairs = pairs(bytes)
        let width = min(maxNameColumn, pairs.map { ByteText.columns($0.name) }.max() ?? 0)
        let nameWidth = max(width, 4)
        var lines: [StyledLine] = []
        lines.append([StyledSpan("name" + String(repeating: " ", count: nameWidth - 4) + "  value", .heading)])
        for pair in pairs {
            var line = ByteText.safeSpans(pair.name, .key)
            let used = ByteText.columns(pair.name)
            line.append(StyledSpan(String(repeating: " ", count: max(0, nameWidth - used) + 2), .plain))
            if let value = pair.value {
                line += ByteText.safeSpans(value, .string)
            } else {
                line.append(StyledSpan("(no value)", .muted))
            }
            lines.append(line)
        }
        let count = "\(pairs.count) field\(pairs.count == 1 ? "" : "s")"
        return LinesBody(view: .form, note: [note, count].compactMap { $0 }.joined(separator: "; "), lines: lines)
    }
}

// MARK: - multipart

enum MultipartFormatter {
    struct Part {
        var headers: [(name: [UInt8], value: [UInt8])]
        var content: ArraySlice<UInt8>
    }

    struct Parsed {
        var parts: [Part]
        var closed: Bool
    }

    /// Splits a multipart body at its boundary; tolerant of LF-only line ends.
    static func parse(_ bytes: [UInt8], boundary: String) -> Parsed? {
        let delimiter = Array(("--" + boundary).utf8)
        let searcher = ByteSearcher(Array(("\n--" + boundary).utf8), ignoreCase: false)
        // The first delimiter is at the start or after a LF.
        var pos: Int
        if bytes.starts(with: delimiter) {
            pos = delimiter.count
        } else if let found = searcher.firstIndex(in: bytes) {
            pos = found + 1 + delimiter.count
        } else {
            return nil
        }
        var parts: [Part] = []
        while true {
            if pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "-"), bytes[pos + 1] == UInt8(ascii: "-") {
                return Parsed(parts: parts, closed: true)
            }
            // Transport padding, then the line end.
            while pos < bytes.count, bytes[pos] == 0x20 || bytes[pos] == 0x09 { pos += 1 }
            if pos < bytes.count, bytes[pos] == ByteText.cr { pos += 1 }
            if pos < bytes.count, bytes[pos] == ByteText.lf { pos += 1 }
            let next = searcher.firstIndex(in: bytes, from: max(pos - 1, 0))
            var end = next ?? bytes.count
            if next != nil, end > pos, bytes[end - 1] == ByteText.cr { end -= 1 }
            if end < pos { end = pos }
            parts.append(split(bytes[pos..<end]))
            guard let next else { return Parsed(parts: parts, closed: false) }
            pos = next + 1 + delimiter.count
        }
    }

    /// Separates a part's headers from its content at the first empty line.
    static func split(_ part: ArraySlice<UInt8>) -> Part {
        var headers: [(name: [UInt8], value: [UInt8])] = []
        var i = part.startIndex
        while i < part.endIndex {
            var lineEnd = part[i...].firstIndex(of: ByteText.lf) ?? part.endIndex
            let next = lineEnd < part.endIndex ? lineEnd + 1 : lineEnd
            if lineEnd > i, part[lineEnd - 1] == ByteText.cr { lineEnd -= 1 }
            if lineEnd == i { return Part(headers: headers, content: part[next...]) }
            let line = part[i..<lineEnd]
            if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                var v = line[(colon + 1)...]
                while let f = v.first, f == 0x20 || f == 0x09 { v = v.dropFirst() }
                headers.append((Array(line[i..<colon]), Array(v)))
            } else {
                // Not a header: the part has no header block.
                return Part(headers: headers, content: part[i...])
            }
            i = next
        }
        return Part(headers: headers, content: part[part.endIndex...])
    }

    static let hexPreviewBytes = 64

    static func format(_ bytes: [UInt8], contentType: String?, note: String?) -> any FormattedBody {
        guard let boundary = MediaType.parameter("boundary", in: contentType), !boundary.isEmpty else {
            return TextBody(bytes: bytes, mode: .text, view: .multipart, note: [note, "multipart body without a boundary parameter; shown as text"].compactMap { $0 }.joined(separator: "; "))
        }
        guard let parsed = parse(bytes, boundary: boundary) else {
            return TextBody(bytes: bytes, mode: .text, view: .multipart, note: [note, "boundary \(boundary) not found; shown as text"].compactMap { $0 }.joined(separator: "; "))
        }
        var lines: [StyledLine] = []
        for (index, part) in parsed.parts.enumerated() {
            if index > 0 { lines.append([]) }
            lines.append([StyledSpan("\u{2500}\u{2500} part \(index + 1) of \(parsed.parts.count) \u{00B7} \(part.content.count) bytes \u{2500}\u{2500}", .heading)])
            var partType: String?
            for header in part.headers {
                var line = ByteText.safeSpans(header.name, .heading)
                line.append(StyledSpan(": ", .punctuation))
                line += ByteText.safeSpans(header.value, .plain)
                lines.append(line)
                if String(decoding: header.name, as: UTF8.self).lowercased() == "content-type" {
                    partType = String(decoding: header.value, as: UTF8.self)
                }
            }
            lines.append([])
            let essence = MediaType.essence(partType)
            let textual = partType == nil ? ByteText.looksTextual(part.content) : (MediaType.isTextual(essence) && ByteText.looksTextual(part.content))
            if part.content.isEmpty {
                lines.append([StyledSpan("(empty)", .muted)])
            } else if textual, MediaType.isJSON(essence), case .success(let layout) = JSONLayout.layout(Array(part.content)) {
                let json = JSONBody(note: nil, bytes: Array(part.content), lines: layout)
                for k in 0..<json.lineCount { lines.append(json.line(at: k)) }
            } else if textual {
                var start = part.content.startIndex
                while start <= part.content.endIndex {
                    let end = part.content[start...].firstIndex(of: ByteText.lf) ?? part.content.endIndex
                    if start == part.content.endIndex && start != part.content.startIndex { break }
                    lines.append(ByteText.textLine(part.content[start..<end]))
                    start = end + 1
                }
            } else {
                lines.append([StyledSpan("binary content, \(part.content.count) bytes; first \(min(hexPreviewBytes, part.content.count)):", .muted)])
                let preview = Array(part.content.prefix(hexPreviewBytes))
                for offset in stride(from: 0, to: preview.count, by: 16) {
                    lines.append(HexBody.dumpLine(preview, offset: offset))
                }
            }
        }
        var notes = [note, "\(parsed.parts.count) part\(parsed.parts.count == 1 ? "" : "s")"]
        if !parsed.closed { notes.append("closing boundary missing") }
        return LinesBody(view: .multipart, note: notes.compactMap { $0 }.joined(separator: "; "), lines: lines)
    }
}

// MARK: - XML

enum XMLFormatter {
    static let indentCap = 40

    /// Indents by element nesting. Never fails: malformed markup is shown as it comes.
    static func format(_ bytes: [UInt8], note: String?) -> any FormattedBody {
        var lines: [StyledLine] = []
        var depth = 0
        var i = 0
        let n = bytes.count
        var problems = 0
        func indent(_ d: Int) -> [StyledSpan] {
            d > 0 ? [StyledSpan(String(repeating: "  ", count: min(d, indentCap)), .plain)] : []
        }
        func find(_ pattern: String, from: Int) -> Int? {
            ByteSearcher(Array(pattern.utf8), ignoreCase: false).firstIndex(in: bytes, from: from)
        }
        func textLines(_ slice: ArraySlice<UInt8>, depth: Int, role: TextRole) {
            for piece in slice.split(separator: ByteText.lf) {
                var s = piece[...]
                while let f = s.first, f == 0x20 || f == 0x09 || f == 0x0D { s = s.dropFirst() }
                while let l = s.last, l == 0x20 || l == 0x09 || l == 0x0D { s = s.dropLast() }
                if s.isEmpty { continue }
                lines.append(indent(depth) + ByteText.textLine(s, role: role))
            }
        }
        while i < n {
            if bytes[i] != UInt8(ascii: "<") {
                let end = bytes[i...].firstIndex(of: UInt8(ascii: "<")) ?? n
                textLines(bytes[i..<end], depth: depth, role: .plain)
                i = end
                continue
            }
            // Comments, CDATA, processing instructions, declarations.
            if bytes[i...].starts(with: Array("<!--".utf8)) {
                let end = find("-->", from: i + 4).map { $0 + 3 } ?? n
                textLines(bytes[i..<end], depth: depth, role: .muted)
                i = end
                continue
            }
            if bytes[i...].starts(with: Array("<![CDATA[".utf8)) {
                let end = find("]]>", from: i + 9).map { $0 + 3 } ?? n
                textLines(bytes[i..<end], depth: depth, role: .string)
                i = end
                continue
            }
            guard let close = tagEnd(bytes, from: i + 1) else {
                problems += 1
                textLines(bytes[i..<n], depth: depth, role: .plain)
                break
            }
            let tag = bytes[i...close]
            let second = i + 1 < n ? bytes[i + 1] : 0
            if second == UInt8(ascii: "?") || second == UInt8(ascii: "!") {
                lines.append(indent(depth) + tagSpans(tag))
            } else if second == UInt8(ascii: "/") {
                if depth > 0 { depth -= 1 } else { problems += 1 }
                lines.append(indent(depth) + tagSpans(tag))
            } else if close > i && bytes[close - 1] == UInt8(ascii: "/") {
                lines.append(indent(depth) + tagSpans(tag))
            } else {
                // <a>text</a> stays on one line when the text has no markup and no line break.
                let textEnd = bytes[(close + 1)...].firstIndex(of: UInt8(ascii: "<")) ?? n
                let text = bytes[(close + 1)..<textEnd]
                if textEnd + 1 < n, bytes[textEnd + 1] == UInt8(ascii: "/"), !text.contains(ByteText.lf),
                   let endClose = tagEnd(bytes, from: textEnd + 1) {
                    lines.append(indent(depth) + tagSpans(tag) + ByteText.textLine(text) + tagSpans(bytes[textEnd...endClose]))
                    i = endClose + 1
                    continue
                }
                lines.append(indent(depth) + tagSpans(tag))
                depth += 1
            }
            i = close + 1
        }
        if depth != 0 { problems += 1 }
        let warning = problems > 0 ? "XML looks malformed (unbalanced or unterminated markup)" : nil
        return LinesBody(view: .xml, note: [note, warning].compactMap { $0 }.joined(separator: "; ").nilIfEmpty, lines: lines)
    }

    /// The index of the `>` ending a tag, skipping quoted attribute values.
    static func tagEnd(_ bytes: [UInt8], from: Int) -> Int? {
        var quote: UInt8 = 0
        var i = from
        while i < bytes.count {
            let c = bytes[i]
            if quote != 0 {
                if c == quote { quote = 0 }
            } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                quote = c
            } else if c == UInt8(ascii: ">") {
                return i
            } else if c == UInt8(ascii: "<") {
                return nil
            }
            i += 1
        }
        return nil
    }

    /// `<name attr="value">`: brackets as punctuation, names as keys, quoted values as strings.
    static func tagSpans(_ tag: ArraySlice<UInt8>) -> [StyledSpan] {
        var spans: [StyledSpan] = []
        var run: [UInt8] = []
        var role = TextRole.punctuation
        func flush() {
            if !run.isEmpty { spans += ByteText.safeSpans(run, role); run.removeAll() }
        }
        func set(_ r: TextRole) {
            if r != role { flush(); role = r }
        }
        var quote: UInt8 = 0
        for c in tag {
            if quote != 0 {
                run.append(c)
                if c == quote { quote = 0; flush(); role = .punctuation }
                continue
            }
            switch c {
            case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "!"):
                set(.punctuation)
                run.append(c)
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                set(.string)
                quote = c
                run.append(c)
            case 0x20, 0x09, 0x0A, 0x0D:
                set(.plain)
                run.append(0x20)
            default:
                set(.key)
                run.append(c)
            }
        }
        flush()
        return spans
    }

    static func sniff(_ bytes: ArraySlice<UInt8>) -> Bool {
        var i = bytes.startIndex
        if bytes.count >= 3, bytes[i] == 0xEF, bytes[i + 1] == 0xBB, bytes[i + 2] == 0xBF { i += 3 }
        while i < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        guard i + 1 < bytes.endIndex, bytes[i] == UInt8(ascii: "<") else { return false }
        let c = bytes[i + 1]
        return c == UInt8(ascii: "?") || c == UInt8(ascii: "!") || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
