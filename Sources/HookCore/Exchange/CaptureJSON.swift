import Foundation
import TextSafety

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
            out += ",\"target_base64\":\"" + Data(request.rawTarget).base64EncodedString() + "\""
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
        // Base64 is letters, digits, `+`, `/` and `=`: nothing to escape.
        out += ",\"body_base64\":\"" + request.body.base64EncodedString() + "\""
        out += ",\"chunked\":\(request.bodyWasChunked)"
        out += ",\"refused\":" + (request.refusal.map { quote($0.rawValue) } ?? "null")
        // What the sender got: null when it got no response (`failure`).
        out += ",\"response_status\":" + (request.failure == nil ? String(request.response.status) : "null")
        out += ",\"rule\":" + (request.rule.map(quote) ?? "null")
        out += ",\"failure\":" + (request.failure.map { quote($0.rawValue) } ?? "null")
        out += ",\"signature\":{\"provider\":" + (request.signature.provider.map(quote) ?? "null")
        out += ",\"status\":" + quote(request.signature.status.rawValue)
        out += ",\"detail\":" + quote(request.signature.detail) + "}"
        out += ",\"event\":" + (request.event.map(quote) ?? "null")
        out += ",\"delivery_id\":" + (request.deliveryID.map(quote) ?? "null")
        out += ",\"attempt\":\(request.attempt)"
        out += ",\"replay\":" + (replay.map(replayObject) ?? "null")
        out += "}"
        return out
    }

    /// `{"kind": "replay" or "forward", "target": URL, "resigned": bool, "edited": bool,
    /// "status": 201 or null, "error": text or null, "duration_ms": 12.3}`.
    static func replayObject(_ replay: ReplayOutcome) -> String {
        var out = "{\"kind\":\"" + replay.kind.rawValue + "\",\"target\":" + quote(replay.targetURL)
        out += ",\"resigned\":\(replay.resigned),\"edited\":\(replay.edited)"
        out += ",\"status\":" + (replay.status.map(String.init) ?? "null")
        out += ",\"error\":" + (replay.error.map(quote) ?? "null")
        out += ",\"duration_ms\":" + String(format: "%.3f", Double(replay.durationNanoseconds) / 1_000_000)
        return out + "}"
    }

    /// Appends `\uXXXX` (lower-case hex) for a UTF-16 code unit.
    static func appendUnicodeEscape(_ value: UInt32, to out: inout [UInt8]) {
        let digits = HexBody.digits
        out += [0x5C, 0x75, digits[Int(value >> 12 & 0xF)], digits[Int(value >> 8 & 0xF)], digits[Int(value >> 4 & 0xF)], digits[Int(value & 0xF)]]
    }

    /// The scalar value of the valid UTF-8 sequence whose lead byte is at `i`, and its length.
    static func scalarValue<Bytes: RandomAccessCollection<UInt8>>(at i: Bytes.Index, in bytes: Bytes) -> (value: UInt32, length: Int) {
        let b = bytes[i]
        let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
        var value = UInt32(b) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for k in 1..<length { value = value << 6 | UInt32(bytes[bytes.index(i, offsetBy: k)] & 0x3F) }
        return (value, length)
    }

    /// A JSON string literal with every character that could act on a terminal escaped.
    /// Works on the UTF-8 bytes (runs of plain characters are copied whole): the headless and
    /// `list --json` lines quote every header value this way.
    public static func quote(_ text: String) -> String {
        var out: [UInt8] = []
        appendQuoted(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `text` as a JSON string literal: `\"`, `\\`, `\n \r \t` (and `\b \f` with
    /// `namingBackspaceAndFormFeed`, as Foundation's encoder writes them), every other C0 control,
    /// DEL and the characters `Escaping.mustEscape` names as `\uXXXX`; everything else as is.
    static func appendQuoted(_ text: String, to out: inout [UInt8], namingBackspaceAndFormFeed: Bool = false) {
        var text = text
        text.withUTF8 { utf8 in
            out.reserveCapacity(out.count + utf8.count + 2)
            out.append(0x22)
            var i = 0
            let n = utf8.count
            var runStart = 0
            func flush(_ end: Int) {
                if end > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<end])) }
            }
            while i < n {
                let b = utf8[i]
                if b >= 0x20 && b < 0x7F && b != 0x22 && b != 0x5C {
                    i += 1
                    continue
                }
                if b < 0x80 {
                    flush(i)
                    switch b {
                    case 0x22: out += [0x5C, 0x22]
                    case 0x5C: out += [0x5C, 0x5C]
                    case 0x0A: out += [0x5C, UInt8(ascii: "n")]
                    case 0x0D: out += [0x5C, UInt8(ascii: "r")]
                    case 0x09: out += [0x5C, UInt8(ascii: "t")]
                    case 0x08 where namingBackspaceAndFormFeed: out += [0x5C, UInt8(ascii: "b")]
                    case 0x0C where namingBackspaceAndFormFeed: out += [0x5C, UInt8(ascii: "f")]
                    default: appendUnicodeEscape(UInt32(b), to: &out)  // other C0 controls and DEL
                    }
                    i += 1
                    runStart = i
                    continue
                }
                // A String's UTF-8 is valid.
                let (value, length) = scalarValue(at: i, in: utf8)
                if let scalar = Unicode.Scalar(value), Escaping.mustEscape(scalar) {
                    flush(i)
                    if value > 0xFFFF {
                        // Outside the BMP: a surrogate pair.
                        let v = value - 0x10000
                        appendUnicodeEscape(0xD800 + (v >> 10), to: &out)
                        appendUnicodeEscape(0xDC00 + (v & 0x3FF), to: &out)
                    } else {
                        appendUnicodeEscape(value, to: &out)
                    }
                    runStart = i + length
                }
                i += length
            }
            flush(n)
            out.append(0x22)
        }
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

/// How text is written escaped for a terminal when it is not drawn by the TUI. Which characters are
/// escaped is `Escaping.mustEscape`, the table the TUI's sanitizer uses too.
public enum TerminalSafety {
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
        // Built as bytes: runs of valid UTF-8 are copied as they are, not appended scalar by scalar.
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        func escapeByte(_ byte: UInt8) {
            out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), HexBody.digits[Int(byte >> 4)], HexBody.digits[Int(byte & 0x0F)]]
        }
        var index = bytes.startIndex
        // Combining marks in a row: past `Escaping.maxCombiningMarks` they are escaped, as on the TUI's
        // screen (thousands on one letter slow a terminal down).
        var marks = 0
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte < 0x80 {  // ASCII: copied unless it is a control (or DEL)
                marks = 0
                if byte >= 0x20 && byte != 0x7F || keepNewlines && byte == 0x0A {
                    out.append(byte)
                } else {
                    escapeByte(byte)
                }
                index = bytes.index(after: index)
                continue
            }
            var iterator = bytes[index...].makeIterator()
            var decoder = UTF8()
            if case .scalarValue(let scalar) = decoder.decode(&iterator) {
                let next = bytes.index(index, offsetBy: UTF8.width(scalar))
                marks = Escaping.isCombiningMark(scalar) ? marks + 1 : 0
                if Escaping.mustEscape(scalar) || marks > Escaping.maxCombiningMarks {
                    out += Array("\\u{\(String(scalar.value, radix: 16, uppercase: true))}".utf8)
                } else {
                    out += bytes[index..<next]
                }
                index = next
            } else {
                marks = 0
                escapeByte(byte)
                index = bytes.index(after: index)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
