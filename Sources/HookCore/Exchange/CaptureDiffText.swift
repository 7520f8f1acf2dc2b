import Foundation

/// A `CaptureDiff` as lines, made once for both `hookscope diff` and the TUI's diff view. Spans
/// carry the bytes as received: the terminal writer escapes them (`TerminalSafety`), the TUI's
/// sanitizer does when it draws.
public enum CaptureDiffText {
    /// The heading: `#3 POST /a ↔ #4 POST /b: 5 differences`, or `no differences …`.
    public static func title(_ diff: CaptureDiff) -> StyledLine {
        if diff.identical {
            return [StyledSpan("no differences between #\(diff.aID) and #\(diff.bID) ", .heading), StyledSpan("(", .muted)]
                + [StyledSpan(diff.aLine, .plain), StyledSpan(")", .muted)]
        }
        let count = diff.differences.count + diff.omittedBodyDifferences
        return [StyledSpan("A #\(diff.aID) ", .heading), StyledSpan(diff.aLine, .plain), StyledSpan("  ↔  ", .punctuation),
                StyledSpan("B #\(diff.bID) ", .heading), StyledSpan(diff.bLine, .plain),
                StyledSpan(": \(count) difference\(count == 1 ? "" : "s")", .heading)]
    }

    public static func lines(_ diff: CaptureDiff) -> [StyledLine] {
        var out: [StyledLine] = [title(diff)]
        for section in CaptureDiff.Section.allCases where section != .signature {
            let differences = diff.differences.filter { $0.section == section }
            if section == .body {
                out.append([])
                var heading = "Body (\(diff.bodyComparison), \(diff.aBodySize) → \(diff.bBodySize) bytes)"
                if diff.aBodySize == diff.bBodySize { heading = "Body (\(diff.bodyComparison), \(diff.aBodySize) bytes)" }
                out.append([StyledSpan(heading, .heading)])
                if differences.isEmpty { out.append([StyledSpan("  the same bytes", .muted)]) }
                for difference in differences { out.append(line(difference)) }
                if diff.omittedBodyDifferences > 0 {
                    out.append([StyledSpan("  … \(diff.omittedBodyDifferences) more difference\(diff.omittedBodyDifferences == 1 ? "" : "s") in the body not listed", .muted)])
                }
                continue
            }
            out.append([])
            out.append([StyledSpan(section.title, .heading)])
            if differences.isEmpty { out.append([StyledSpan("  the same", .muted)]) }
            for difference in differences { out.append(line(difference)) }
        }
        out.append([])
        out.append([StyledSpan("Signature", .heading), StyledSpan("  (A #\(diff.aID) | B #\(diff.bID))", .muted)])
        for row in diff.signatureRows {
            if row.a == row.b {
                out.append([StyledSpan("    \(row.name): ", .key), StyledSpan(row.a ?? "", .plain)])
                continue
            }
            let aside = row.differs || row.name != "timestamp" ? "" : "  (the same timestamp, received at other times)"
            out.append([StyledSpan(row.differs ? "  ~ " : "    ", row.differs ? .literal : .plain), StyledSpan(row.name, .key), StyledSpan(aside, .muted)])
            out.append([StyledSpan("      A: ", .muted), StyledSpan(row.a ?? "(none)", row.differs ? .error : .plain)])
            out.append([StyledSpan("      B: ", .muted), StyledSpan(row.b ?? "(none)", row.differs ? .string : .plain)])
        }
        return out
    }

    static func line(_ d: CaptureDiff.Difference) -> StyledLine {
        let marker: String = switch d.kind {
        case .added: "+"
        case .removed: "-"
        case .changed: "~"
        case .type, .nameCase, .order, .whitespace, .escaping, .bytes: "*"
        }
        let markerRole: TextRole = switch d.kind {
        case .added: .string
        case .removed: .error
        default: .literal
        }
        var spans: StyledLine = [StyledSpan("  \(marker) ", markerRole)]
        if d.kind == .whitespace {
            spans.append(StyledSpan(d.note ?? "whitespace only", .literal))
            return spans
        }
        spans.append(StyledSpan(d.path, .key))
        let label: String? = switch d.kind {
        case .nameCase: "name case"
        case .order: d.path == "order" || d.path == "field order" ? nil : "key order"
        case .type: "type"
        case .escaping: "escaping"
        default: nil
        }
        spans.append(StyledSpan(": " + (label.map { "\($0) " } ?? ""), .punctuation))
        switch (d.a, d.b) {
        case (let a?, let b?):
            spans.append(StyledSpan(a, .error))
            spans.append(StyledSpan(" → ", .punctuation))
            spans.append(StyledSpan(b, .string))
        case (let a?, nil):
            spans.append(StyledSpan(a, .error))
        case (nil, let b?):
            spans.append(StyledSpan(b, .string))
        case (nil, nil):
            break
        }
        if let note = d.note {
            spans.append(StyledSpan("  (\(note))", .muted))
        }
        return spans
    }

    /// Lines for a terminal or a pipe: every span escaped (`TerminalSafety`), coloured with ANSI
    /// SGR codes when `colour` is set (a terminal without `NO_COLOR`).
    public static func terminalText(_ lines: [StyledLine], colour: Bool) -> String {
        var out = ""
        for line in lines {
            for span in line {
                let text = TerminalSafety.escape(span.bytes)
                guard colour, let code = sgr(span.role), !text.isEmpty else {
                    out += text
                    continue
                }
                out += "\u{1B}[\(code)m" + text + "\u{1B}[0m"
            }
            out += "\n"
        }
        return out
    }

    static func sgr(_ role: TextRole) -> String? {
        switch role {
        case .plain: nil
        case .key: "1"
        case .string: "32"
        case .number: "36"
        case .literal: "33"
        case .punctuation, .muted: "2"
        case .error: "31"
        case .heading: "1;33"
        }
    }

    /// The `--json` form: one object, keys in a fixed order; values escaped as in JSON lines, with
    /// `a_base64`/`b_base64` beside a value that is not UTF-8.
    public static func json(_ diff: CaptureDiff) -> String {
        var out = "{\"a\":\(diff.aID),\"b\":\(diff.bID),\"identical\":\(diff.identical)"
        out += ",\"body_comparison\":" + CaptureJSON.quote(diff.bodyComparison)
        out += ",\"omitted_body_differences\":\(diff.omittedBodyDifferences)"
        out += ",\"differences\":["
        for (index, d) in diff.differences.enumerated() {
            if index > 0 { out += "," }
            out += "{\"section\":\"\(d.section.rawValue)\",\"kind\":\"\(d.kind.rawValue)\",\"path\":" + CaptureJSON.quote(d.path)
            for (name, value) in [("a", d.a), ("b", d.b)] {
                guard let value else {
                    out += ",\"\(name)\":null"
                    continue
                }
                if let text = String(validatingUTF8Bytes: value) {
                    out += ",\"\(name)\":" + CaptureJSON.quote(text)
                } else {
                    out += ",\"\(name)\":" + CaptureJSON.quote(String(decoding: value, as: UTF8.self))
                    out += ",\"\(name)_base64\":\"" + Data(value).base64EncodedString() + "\""
                }
            }
            out += ",\"note\":" + (d.note.map(CaptureJSON.quote) ?? "null") + "}"
        }
        out += "],\"signature\":["
        for (index, row) in diff.signatureRows.enumerated() {
            if index > 0 { out += "," }
            out += "{\"name\":" + CaptureJSON.quote(row.name) + ",\"a\":" + (row.a.map(CaptureJSON.quote) ?? "null")
            out += ",\"b\":" + (row.b.map(CaptureJSON.quote) ?? "null") + ",\"differs\":\(row.differs)}"
        }
        return out + "]}"
    }
}
