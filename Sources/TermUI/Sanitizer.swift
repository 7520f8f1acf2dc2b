import TextSafety

/// The one place that decides how the TUI's text reaches the terminal. It works on bytes: controls (C0,
/// C1, ESC, DEL), CR/LF/TAB/BS, bidi overrides and isolates, zero-width and other invisible format
/// characters (the scalars `Escaping.mustEscape` names) and invalid UTF-8 come out as escape pieces (`\x1b`, `\r`, `\u{202E}`, `\xff`) that the
/// grid draws in the reserved `ColorRole.escaped` style, which literal text never has.
public enum Sanitizer {
    public enum Mode: Sendable, Hashable {
        /// A one-line field (list cells, headers, status bar): every control is escaped, TAB included.
        case singleLine
        /// One line of a multi-line text (body, diagnosis): TAB expands to spaces up to the next tab stop.
        case multiLine(tabWidth: Int)

        public static let body = Mode.multiLine(tabWidth: 4)
    }

    /// A run of text to draw: literal text (only printable scalars) or an escape shown highlighted.
    public struct Piece: Sendable, Hashable, CustomStringConvertible {
        public var text: String
        public var isEscape: Bool

        public init(_ text: String, isEscape: Bool) {
            self.text = text
            self.isEscape = isEscape
        }

        public var description: String { isEscape ? "⟦\(text)⟧" : text }
    }

    public static func pieces(of text: String, mode: Mode = .singleLine) -> [Piece] {
        pieces(ofBytes: Array(text.utf8), mode: mode)
    }

    /// Splits bytes into literal and escape pieces.
    /// `startColumn` is the column the text starts at, for tab stops in multi-line mode.
    public static func pieces(ofBytes bytes: some Collection<UInt8>, mode: Mode = .singleLine, startColumn: Int = 0) -> [Piece] {
        var builder = Builder()
        builder.column = startColumn
        var iterator = bytes.makeIterator()
        var pending: [UInt8] = []
        pending.reserveCapacity(4)
        var lookahead: UInt8? = iterator.next()

        func next() -> UInt8? {
            let b = lookahead
            lookahead = iterator.next()
            return b
        }

        while let lead = next() {
            if lead < 0x80 {
                builder.ascii(lead, mode: mode)
                continue
            }
            // Multi-byte sequence: validate strictly (no overlongs, no surrogates, <= U+10FFFF).
            let need: Int
            var value: UInt32
            var lowerSecond: UInt8 = 0x80
            var upperSecond: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: need = 1; value = UInt32(lead & 0x1F)
            case 0xE0: need = 2; value = UInt32(lead & 0x0F); lowerSecond = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2; value = UInt32(lead & 0x0F)
            case 0xED: need = 2; value = UInt32(lead & 0x0F); upperSecond = 0x9F
            case 0xF0: need = 3; value = UInt32(lead & 0x07); lowerSecond = 0x90
            case 0xF1...0xF3: need = 3; value = UInt32(lead & 0x07)
            case 0xF4: need = 3; value = UInt32(lead & 0x07); upperSecond = 0x8F
            default:
                builder.escapeByte(lead)
                continue
            }
            pending.removeAll(keepingCapacity: true)
            pending.append(lead)
            var valid = true
            for i in 0..<need {
                guard let b = lookahead else { valid = false; break }
                let lower: UInt8 = i == 0 ? lowerSecond : 0x80
                let upper: UInt8 = i == 0 ? upperSecond : 0xBF
                guard b >= lower && b <= upper else { valid = false; break }
                _ = next()
                pending.append(b)
                value = (value << 6) | UInt32(b & 0x3F)
            }
            if !valid {
                // The maximal invalid prefix is shown byte by byte; the offending byte is decoded afresh.
                for b in pending { builder.escapeByte(b) }
                continue
            }
            guard let scalar = Unicode.Scalar(value) else {
                for b in pending { builder.escapeByte(b) }
                continue
            }
            builder.scalar(scalar)
        }
        return builder.finish()
    }

    /// The text as it is drawn, escapes inline: for logs and tests.
    public static func displayText(_ text: String, mode: Mode = .singleLine) -> String {
        pieces(of: text, mode: mode).map(\.text).joined()
    }

    public static func displayText(bytes: some Collection<UInt8>, mode: Mode = .singleLine) -> String {
        pieces(ofBytes: bytes, mode: mode).map(\.text).joined()
    }

    /// How a scalar looks escaped: `\u{301}`.
    public static func escapeText(for scalar: Unicode.Scalar) -> String {
        "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
    }

    private struct Builder {
        var pieces: [Piece] = []
        var literal = String.UnicodeScalarView()
        var escape = ""
        var column = 0

        mutating func flushLiteral() {
            if !literal.isEmpty {
                pieces.append(Piece(String(literal), isEscape: false))
                literal = String.UnicodeScalarView()
            }
        }

        mutating func flushEscape() {
            if !escape.isEmpty {
                pieces.append(Piece(escape, isEscape: true))
                escape = ""
            }
        }

        mutating func appendEscape(_ text: String) {
            flushLiteral()
            escape += text
            column += text.utf8.count
        }

        mutating func appendLiteral(_ scalar: Unicode.Scalar) {
            flushEscape()
            literal.append(scalar)
            column += DisplayWidth.of(scalar)
        }

        mutating func ascii(_ byte: UInt8, mode: Mode) {
            if byte >= 0x20 && byte != 0x7F {
                appendLiteral(Unicode.Scalar(byte))
                return
            }
            if byte == 0x09, case .multiLine(let tabWidth) = mode, tabWidth > 0 {
                let spaces = tabWidth - column % tabWidth
                for _ in 0..<spaces { appendLiteral(" ") }
                return
            }
            switch byte {
            case 0x09: appendEscape("\\t")
            case 0x0A: appendEscape("\\n")
            case 0x0D: appendEscape("\\r")
            default: escapeByte(byte)
            }
        }

        mutating func escapeByte(_ byte: UInt8) {
            appendEscape("\\x" + hex(UInt32(byte), minDigits: 2, uppercase: false))
        }

        mutating func scalar(_ scalar: Unicode.Scalar) {
            if Escaping.mustEscape(scalar) {
                appendEscape(Sanitizer.escapeText(for: scalar))
            } else {
                appendLiteral(scalar)
            }
        }

        mutating func finish() -> [Piece] {
            flushLiteral()
            flushEscape()
            return pieces
        }

        func hex(_ value: UInt32, minDigits: Int, uppercase: Bool) -> String {
            let s = String(value, radix: 16, uppercase: uppercase)
            return String(repeating: "0", count: max(0, minDigits - s.count)) + s
        }
    }
}
