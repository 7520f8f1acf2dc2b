import Foundation

/// Pretty-prints JSON faithfully to the bytes: every token is shown exactly as sent (numbers,
/// string escapes, key order, duplicate keys); only the whitespace between tokens changes.
///
/// One linear pass without recursion validates the document and records where each output
/// line starts (byte offset and depth, packed in 8 bytes); `line(at:)` re-tokenizes just that line.
public struct JSONBody: FormattedBody {
    public let view: BodyView = .json
    public let note: String?
    let bytes: [UInt8]
    /// Per line: byte offset of its first token in the low 40 bits, nesting depth in the high 24.
    let lines: [UInt64]

    public var lineCount: Int { lines.count }

    /// Indentation stops growing at this depth; deeper lines carry a muted depth marker instead.
    static let maxIndentDepth = 40

    public func line(at index: Int) -> StyledLine {
        let packed = lines[index]
        let offset = Int(packed & 0xFF_FFFF_FFFF)
        let depth = Int(packed >> 40)
        return ByteText.capped(bytes.withUnsafeBufferPointer { JSONBody.render(JSONScanner(buf: $0), offset: offset, depth: depth) })
    }

    static func render(_ s: JSONScanner, offset: Int, depth: Int) -> StyledLine {
        var spans: [StyledSpan] = []
        if depth > maxIndentDepth {
            spans.append(StyledSpan(String(repeating: "  ", count: maxIndentDepth - 4) + "\u{2026}\(depth) ", .muted))
        } else if depth > 0 {
            spans.append(StyledSpan(String(repeating: "  ", count: depth), .plain))
        }
        var i = offset
        let n = s.buf.count
        guard i < n else { return spans }
        let c = s.buf[i]
        if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
            spans.append(StyledSpan([c], .punctuation))
            i += 1
        } else if c == UInt8(ascii: "\"") {
            let end = (try? s.scanString(i)) ?? n
            let k = s.skipWS(end)
            if k < n && s.buf[k] == UInt8(ascii: ":") {
                spans.append(StyledSpan(s.bytes(i, end), .key))
                spans.append(StyledSpan(": ", .punctuation))
                i = renderValue(s, at: s.skipWS(k + 1), into: &spans)
            } else {
                spans.append(StyledSpan(s.bytes(i, end), .string))
                i = end
            }
        } else {
            i = renderValue(s, at: i, into: &spans)
        }
        if i >= 0 {
            let j = s.skipWS(i)
            if j < n && s.buf[j] == UInt8(ascii: ",") { spans.append(StyledSpan(",", .punctuation)) }
        }
        return spans
    }

    /// Renders one value; returns where a trailing comma would be, or -1 when the line ends
    /// after an opening bracket.
    static func renderValue(_ s: JSONScanner, at i: Int, into spans: inout [StyledSpan]) -> Int {
        let n = s.buf.count
        guard i < n else { return n }
        let c = s.buf[i]
        switch c {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let j = s.skipWS(i + 1)
            if j < n && s.buf[j] == close {
                spans.append(StyledSpan([c, close], .punctuation))
                return j + 1
            }
            spans.append(StyledSpan([c], .punctuation))
            return -1
        case UInt8(ascii: "\""):
            let end = (try? s.scanString(i)) ?? n
            spans.append(StyledSpan(s.bytes(i, end), .string))
            return end
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            let end = (try? s.scanLiteral(i)) ?? n
            spans.append(StyledSpan(s.bytes(i, end), .literal))
            return end
        default:
            let end = (try? s.scanNumber(i)) ?? n
            spans.append(StyledSpan(s.bytes(i, end), .number))
            return end
        }
    }
}

/// Where and why a JSON document is invalid.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte offset (0-based) of the offending byte, or the body length at an unexpected end.
    public var offset: Int
    /// Line (1-based) of that byte.
    public var line: Int
    public var message: String

    public var description: String { "invalid JSON at line \(line), byte \(offset): \(message)" }
}

struct JSONScanError: Error {
    var offset: Int
    var message: String
}

struct JSONScanner {
    let buf: UnsafeBufferPointer<UInt8>

    func bytes(_ from: Int, _ to: Int) -> [UInt8] { Array(buf[from..<min(to, buf.count)]) }

    @inline(__always)
    func skipWS(_ start: Int) -> Int {
        var i = start
        while i < buf.count {
            let c = buf[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { break }
        }
        return i
    }

    /// Validates a string starting at the opening quote; returns the index after the closing quote.
    func scanString(_ start: Int) throws(JSONScanError) -> Int {
        var i = start + 1
        let n = buf.count
        while i < n {
            let c = buf[i]
            if c == UInt8(ascii: "\"") { return i + 1 }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < n else { throw JSONScanError(offset: n, message: "unterminated string") }
                let e = buf[i + 1]
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    for k in 2...5 {
                        guard i + k < n else { throw JSONScanError(offset: n, message: "unterminated string") }
                        if !isHex(buf[i + k]) { throw JSONScanError(offset: i + k, message: "invalid \\u escape: expected a hex digit") }
                    }
                    i += 6
                default:
                    throw JSONScanError(offset: i + 1, message: "invalid escape in string")
                }
                continue
            }
            if c < 0x20 { throw JSONScanError(offset: i, message: "control character in string (must be escaped)") }
            i += 1
        }
        throw JSONScanError(offset: n, message: "unterminated string")
    }

    func scanNumber(_ start: Int) throws(JSONScanError) -> Int {
        var i = start
        let n = buf.count
        func digit(_ k: Int) -> Bool { k < n && buf[k] >= 0x30 && buf[k] <= 0x39 }
        if i < n && buf[i] == UInt8(ascii: "-") { i += 1 }
        guard digit(i) else { throw JSONScanError(offset: min(i, n), message: i < n ? "expected a value" : "unexpected end of input, expected a value") }
        if buf[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while digit(i) { i += 1 }
        }
        if i < n && buf[i] == UInt8(ascii: ".") {
            i += 1
            guard digit(i) else { throw JSONScanError(offset: min(i, n), message: "invalid number: expected a digit after '.'") }
            while digit(i) { i += 1 }
        }
        if i < n && (buf[i] == UInt8(ascii: "e") || buf[i] == UInt8(ascii: "E")) {
            i += 1
            if i < n && (buf[i] == UInt8(ascii: "+") || buf[i] == UInt8(ascii: "-")) { i += 1 }
            guard digit(i) else { throw JSONScanError(offset: min(i, n), message: "invalid number: expected a digit in the exponent") }
            while digit(i) { i += 1 }
        }
        return i
    }

    func scanLiteral(_ start: Int) throws(JSONScanError) -> Int {
        let word: StaticString
        switch buf[start] {
        case UInt8(ascii: "t"): word = "true"
        case UInt8(ascii: "f"): word = "false"
        default: word = "null"
        }
        let count = word.utf8CodeUnitCount
        let w = word.utf8Start
        for k in 0..<count {
            guard start + k < buf.count else { throw JSONScanError(offset: buf.count, message: "unexpected end of input in literal") }
            if buf[start + k] != w[k] { throw JSONScanError(offset: start + k, message: "expected a value") }
        }
        return start + count
    }

    @inline(__always)
    func isHex(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
    }
}

enum JSONLayout {
    private enum State { case value, key, afterValue }

    /// Validates the document and returns the packed line table, or the first syntax error.
    static func layout(_ bytes: [UInt8]) -> Result<[UInt64], JSONSyntaxError> {
        let result: Result<[UInt64], JSONScanError> = bytes.withUnsafeBufferPointer { buf in
            do throws(JSONScanError) {
                return .success(try scan(JSONScanner(buf: buf)))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let lines): return .success(lines)
        case .failure(let e):
            var line = 1
            let upTo = min(e.offset, bytes.count)
            bytes.withUnsafeBufferPointer { buf in
                for i in 0..<upTo where buf[i] == 0x0A { line += 1 }
            }
            return .failure(JSONSyntaxError(offset: e.offset, line: line, message: e.message))
        }
    }

    private static func scan(_ s: JSONScanner) throws(JSONScanError) -> [UInt64] {
        let buf = s.buf
        let n = buf.count
        var lines: [UInt64] = []
        lines.reserveCapacity(n / 16 + 1)
        // Container stack: true for object, false for array. Explicit, so nesting depth is bounded by memory only.
        var stack: [Bool] = []
        var state = State.value
        @inline(__always) func add(_ offset: Int, _ depth: Int) {
            lines.append(UInt64(offset) | (UInt64(min(depth, 0xFF_FFFF)) << 40))
        }
        // A UTF-8 byte order mark is tolerated before the document.
        let bom = n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF
        var i = s.skipWS(bom ? 3 : 0)
        guard i < n else { throw JSONScanError(offset: n, message: "unexpected end of input, expected a value") }
        add(i, 0)
        while true {
            switch state {
            case .value:
                i = s.skipWS(i)
                guard i < n else { throw JSONScanError(offset: n, message: "unexpected end of input, expected a value") }
                let c = buf[i]
                switch c {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    let isObject = c == UInt8(ascii: "{")
                    let j = s.skipWS(i + 1)
                    if j < n && buf[j] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        i = j + 1
                        state = .afterValue
                    } else {
                        stack.append(isObject)
                        add(j, stack.count)
                        i = j
                        state = isObject ? .key : .value
                    }
                case UInt8(ascii: "\""):
                    i = try s.scanString(i)
                    state = .afterValue
                case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                    i = try s.scanLiteral(i)
                    state = .afterValue
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    i = try s.scanNumber(i)
                    state = .afterValue
                default:
                    throw JSONScanError(offset: i, message: "expected a value")
                }
            case .key:
                i = s.skipWS(i)
                guard i < n else { throw JSONScanError(offset: n, message: "unexpected end of input, expected a string key") }
                guard buf[i] == UInt8(ascii: "\"") else { throw JSONScanError(offset: i, message: "expected a string key") }
                i = s.skipWS(try s.scanString(i))
                guard i < n else { throw JSONScanError(offset: n, message: "unexpected end of input, expected ':'") }
                guard buf[i] == UInt8(ascii: ":") else { throw JSONScanError(offset: i, message: "expected ':'") }
                i += 1
                state = .value
            case .afterValue:
                i = s.skipWS(i)
                guard let isObject = stack.last else {
                    if i < n { throw JSONScanError(offset: i, message: "unexpected content after the JSON value") }
                    return lines
                }
                let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                guard i < n else { throw JSONScanError(offset: n, message: "unexpected end of input, expected ',' or '\(Character(Unicode.Scalar(close)))'") }
                let c = buf[i]
                if c == UInt8(ascii: ",") {
                    i = s.skipWS(i + 1)
                    add(i, stack.count)
                    state = isObject ? .key : .value
                } else if c == close {
                    stack.removeLast()
                    add(i, stack.count)
                    i += 1
                } else {
                    throw JSONScanError(offset: i, message: "expected ',' or '\(Character(Unicode.Scalar(close)))'")
                }
            }
        }
    }
}

enum JSONFormatter {
    /// A `JSONBody`, or the text with the error marked when the bytes are not valid JSON.
    static func format(_ bytes: [UInt8], note: String?) -> any FormattedBody {
        switch JSONLayout.layout(bytes) {
        case .success(let lines):
            return JSONBody(note: note, bytes: bytes, lines: lines)
        case .failure(let error):
            let message = [note, error.description].compactMap { $0 }.joined(separator: "; ")
            return TextBody(bytes: bytes, mode: .text, view: .json, note: message, markAt: error.offset, message: error.message)
        }
    }

    /// Whether bytes start like a JSON object or array (after whitespace and a UTF-8 BOM).
    static func sniff(_ bytes: ArraySlice<UInt8>) -> Bool {
        var i = bytes.startIndex
        if bytes.count >= 3, bytes[i] == 0xEF, bytes[i + 1] == 0xBB, bytes[i + 2] == 0xBF { i += 3 }
        while i < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        guard i < bytes.endIndex else { return false }
        return bytes[i] == UInt8(ascii: "{") || bytes[i] == UInt8(ascii: "[")
    }
}
