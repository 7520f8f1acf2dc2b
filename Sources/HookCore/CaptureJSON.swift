import Foundation

/// The JSON line of a capture (SPEC.md "Headless JSON lines"), with keys in a fixed order.
/// Every control character, C1 control, bidi or zero-width character in a string is written as a
/// `\uXXXX` escape, so a JSON line is safe to print on a terminal.
public enum CaptureJSON {
    /// `replay` is the newest replay or forward of the capture (the `replay` field; null when none).
    public static func line(for request: CapturedRequest, replay: ReplayOutcome? = nil) -> String {
        var out = "{"
        out += "\"id\":\(request.id)"
        out += ",\"received_at\":" + quote(request.receivedAt.rfc3339)
        out += ",\"method\":" + quote(request.method)
        out += ",\"target\":" + quote(request.target)
        if String(validatingUTF8Bytes: request.rawTarget) == nil {
            out += ",\"target_base64\":" + quote(Data(request.rawTarget).base64EncodedString())
        }
        out += ",\"http_version\":" + quote(request.httpVersion)
        out += ",\"remote\":" + quote(request.remoteAddress)
        out += ",\"headers\":["
        for (index, header) in request.headers.enumerated() {
            if index > 0 { out += "," }
            out += "[" + quote(header.name) + "," + quote(header.value) + "]"
        }
        out += "]"
        out += ",\"body_size\":\(request.bodySize)"
        out += ",\"body_base64\":" + quote(request.body.base64EncodedString())
        out += ",\"chunked\":\(request.bodyWasChunked)"
        out += ",\"refused\":" + (request.refusal.map { quote($0.rawValue) } ?? "null")
        out += ",\"response_status\":\(request.response.status)"
        out += ",\"signature\":{\"provider\":" + (request.signature.provider.map(quote) ?? "null")
        out += ",\"status\":" + quote(request.signature.status.rawValue)
        out += ",\"detail\":" + quote(request.signature.detail) + "}"
        out += ",\"replay\":" + (replay.map(replayObject) ?? "null")
        out += "}"
        return out
    }

    /// `{"target": URL, "status": 201 or null, "error": text or null, "duration_ms": 12.3}`.
    static func replayObject(_ replay: ReplayOutcome) -> String {
        var out = "{\"kind\":\"" + replay.kind.rawValue + "\",\"target\":" + quote(replay.targetURL)
        out += ",\"status\":" + (replay.status.map(String.init) ?? "null")
        out += ",\"error\":" + (replay.error.map(quote) ?? "null")
        out += ",\"duration_ms\":" + String(format: "%.3f", Double(replay.durationNanoseconds) / 1_000_000)
        return out + "}"
    }

    /// A JSON string literal with every character that could act on a terminal escaped.
    public static func quote(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if TerminalSafety.isUnsafe(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    if scalar.value > 0xFFFF {
                        // Outside the BMP: a surrogate pair.
                        let v = scalar.value - 0x10000
                        out += "\\u" + pad4(String(0xD800 + (v >> 10), radix: 16)) + "\\u" + pad4(String(0xDC00 + (v & 0x3FF), radix: 16))
                    } else {
                        out += "\\u" + pad4(hex)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
        return out
    }

    private static func pad4(_ s: String) -> String {
        String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}

extension String {
    /// The string when the bytes are valid UTF-8, else nil.
    public init?(validatingUTF8Bytes bytes: some Collection<UInt8>) {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var scalars = String.UnicodeScalarView()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self = String(scalars)
    }
}

/// Which characters may act on a terminal or mislead a reader, and how they are written escaped.
public enum TerminalSafety {
    /// C0 and C1 controls, DEL, bidi overrides/isolates/marks, zero-width characters, BOM, line/paragraph separators.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        switch v {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x2069, 0xFEFF, 0x061C, 0x180E, 0x00AD: return true
        default: return false
        }
    }

    /// The bytes as text with every unsafe character and invalid UTF-8 byte escaped:
    /// `\x1b` for ASCII controls, `\u{202E}` for Unicode ones, `\xff` for bytes that are not UTF-8.
    /// A literal backslash stays as is. Used for headless lines; the TUI has its own styled sanitizer.
    public static func escape(_ bytes: [UInt8], keepNewlines: Bool = false) -> String {
        // Printable ASCII only (the usual method and target): nothing to escape.
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return String(decoding: bytes, as: UTF8.self) }
        return escape(bytes[...], keepNewlines: keepNewlines)
    }

    public static func escape<Bytes: Collection<UInt8>>(_ bytes: Bytes, keepNewlines: Bool = false) -> String {
        // Printable ASCII only (the usual method and target): nothing to escape.
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return String(decoding: bytes, as: UTF8.self) }
        var out = ""
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte < 0x80 {  // fast path for ASCII
                let scalar = Unicode.Scalar(byte)
                if keepNewlines && byte == 0x0A {
                    out += "\n"
                } else if isUnsafe(scalar) {
                    out += "\\x" + hex2(byte)
                } else {
                    out.unicodeScalars.append(scalar)
                }
                index = bytes.index(after: index)
                continue
            }
            var iterator = bytes[index...].makeIterator()
            var decoder = UTF8()
            if case .scalarValue(let scalar) = decoder.decode(&iterator) {
                index = bytes.index(index, offsetBy: UTF8.width(scalar))
                if isUnsafe(scalar) {
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            } else {
                out += "\\x" + hex2(byte)
                index = bytes.index(after: index)
            }
        }
        return out
    }

    private static func hex2(_ byte: UInt8) -> String {
        let s = String(byte, radix: 16)
        return s.count == 1 ? "0" + s : s
    }
}
