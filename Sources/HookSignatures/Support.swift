import Crypto
import HookCore
import Foundation

/// The MAC algorithms a scheme can use.
public enum MACAlgorithm: String, Sendable, Hashable, CaseIterable {
    case hmacSHA1
    case hmacSHA256
    case hmacSHA512

    /// The name shown in reports, e.g. `HMAC-SHA256`.
    public var displayName: String {
        switch self {
        case .hmacSHA1: "HMAC-SHA1"
        case .hmacSHA256: "HMAC-SHA256"
        case .hmacSHA512: "HMAC-SHA512"
        }
    }

    /// The length of a MAC, in bytes.
    var byteCount: Int {
        switch self {
        case .hmacSHA1: 20
        case .hmacSHA256: 32
        case .hmacSHA512: 64
        }
    }

    func mac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        let symmetricKey = SymmetricKey(data: key)
        switch self {
        case .hmacSHA1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: symmetricKey))
        case .hmacSHA256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: symmetricKey))
        case .hmacSHA512: return Array(HMAC<SHA512>.authenticationCode(for: message, using: symmetricKey))
        }
    }
}

/// How a signature's bytes are written in a header.
public enum SignatureEncoding: String, Sendable, Hashable, CaseIterable {
    case hex
    case base64

    func encode(_ bytes: [UInt8]) -> String {
        switch self {
        case .hex: Hex.encode(bytes)
        case .base64: Data(bytes).base64EncodedString()
        }
    }

    func decode(_ text: String) -> [UInt8]? {
        switch self {
        case .hex: Hex.decode(text)
        case .base64: Base64.decode(text)
        }
    }
}

enum Hex {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

enum Base64 {
    /// Decodes standard or URL-safe base64, padded or not.
    static func decode(_ text: String) -> [UInt8]? {
        var s = text.trimmingCharacters(in: .whitespaces)
        s = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.hasSuffix("=") { s.removeLast() }
        guard s.utf8.count % 4 != 1 else { return nil }
        s += String(repeating: "=", count: (4 - s.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: s) else { return nil }
        return Array(data)
    }
}

/// Compares two byte strings in time that depends only on their lengths.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<a.count { diff |= a[i] ^ b[i] }
    return diff == 0
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    Hex.encode(SHA256.hash(data: bytes))
}

/// Shortens a long value for a report line.
func abbreviate(_ text: String, max: Int = 72) -> String {
    guard text.count > max else { return text }
    return String(text.prefix(max - 1)) + "…"
}

/// A human duration, e.g. `3s`, `4m 10s`, `2h 5m`, `3d 4h`.
func describeDuration(_ seconds: Int64) -> String {
    let s = seconds.magnitude
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m \(s % 60)s" }
    if s < 86400 { return "\(s / 3600)h \(s % 3600 / 60)m" }
    return "\(s / 86400)d \(s % 86400 / 3600)h"
}

/// Parses `application/x-www-form-urlencoded` bytes into name/value pairs in order.
func parseForm(_ body: [UInt8]) -> [(String, String)]? {
    parseFormBytes(body)?.map { (String(decoding: $0.0, as: UTF8.self), String(decoding: $0.1, as: UTF8.self)) }
}

/// The same pairs as UTF-8 bytes, decoded in one pass over the body without Foundation (a 2.7 MB
/// form with 230,000 fields took seconds through `removingPercentEncoding`): `+` is a space, `%XX`
/// a byte; nil when the body or a decoded name or value is not UTF-8, or a `%` is not followed by
/// two hex digits.
func parseFormBytes(_ body: [UInt8]) -> [([UInt8], [UInt8])]? {
    if body.contains(where: { $0 >= 0x80 }), String(validating: body, as: UTF8.self) == nil { return nil }
    func decode(_ part: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(part.count)
        var i = part.startIndex
        var nonASCII = false
        while i < part.endIndex {
            let b = part[i]
            if b == 0x25 {
                guard i + 2 < part.endIndex, let hi = hexDigitValue(part[i + 1]), let lo = hexDigitValue(part[i + 2]) else { return nil }
                let v = hi << 4 | lo
                if v >= 0x80 { nonASCII = true }
                out.append(v)
                i += 3
                continue
            }
            if b >= 0x80 { nonASCII = true }
            out.append(b == 0x2B ? 0x20 : b)
            i += 1
        }
        if nonASCII, String(validating: out, as: UTF8.self) == nil { return nil }
        return out
    }
    var pairs: [([UInt8], [UInt8])] = []
    for piece in body.split(separator: 0x26, omittingEmptySubsequences: true) {
        let equals = piece.firstIndex(of: 0x3D)
        guard let name = decode(piece[..<(equals ?? piece.endIndex)]) else { return nil }
        var value: [UInt8] = []
        if let equals {
            guard let decoded = decode(piece[(equals + 1)...]) else { return nil }
            value = decoded
        }
        pairs.append((name, value))
    }
    return pairs
}

/// `text.trimmingCharacters(in: .whitespaces)`, without the trip through Foundation when both ends
/// are printable ASCII (no whitespace to trim): signature headers are parsed for every capture.
func trimmingWhitespace(_ text: String) -> String {
    trimmingWhitespace(text[...])
}

func trimmingWhitespace(_ text: Substring) -> String {
    let utf8 = text.utf8
    guard let first = utf8.first, let last = utf8.last else { return "" }
    if first > 0x20 && first < 0x7F && last > 0x20 && last < 0x7F { return String(text) }
    return text.trimmingCharacters(in: .whitespaces)
}

/// Splits a header value `a=1,b=2` into pairs, on the first `=` of each element.
func parseKeyedList(_ value: String, separator: Character) -> [(key: String, value: String)] {
    // ASCII values (all real signature headers) are split over their bytes: for ASCII text that is
    // the same as splitting on the Character and trimming Foundation's whitespace (space and tab),
    // and much cheaper, which matters as it runs for every capture with a signature header.
    var pairs: [(key: String, value: String)] = []
    let split = value.utf8.withContiguousStorageIfAvailable { bytes in
        forEachASCIIKeyedEntry(bytes, separator: separator) { key, value in
            pairs.append((String(decoding: key, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
    }
    if split == true { return pairs }
    return value.split(separator: separator).map { element in
        let trimmed = trimmingWhitespace(element)
        if let eq = trimmed.firstIndex(of: "=") {
            return (String(trimmed[..<eq]), String(trimmed[trimmed.index(after: eq)...]))
        }
        return (trimmed, "")
    }
}

/// Whether the text is plain ASCII.
func isASCII(_ text: String) -> Bool {
    text.utf8.withContiguousStorageIfAvailable { allASCII($0) } ?? text.utf8.allSatisfy { $0 < 0x80 }
}

private func allASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    var high: UInt8 = 0
    for byte in bytes { high |= byte }
    return high < 0x80
}

/// Calls `body(key, value)` for each element of `bytes` split on `separator`, as `parseKeyedList`
/// splits ASCII text: empty elements left out, spaces and tabs trimmed from both ends of an element,
/// the key before its first `=` and the value after it (an element without `=` is a key with an
/// empty value). Returns false, calling nothing, unless the bytes and the separator are ASCII.
@discardableResult
func forEachASCIIKeyedEntry(
    _ bytes: [UInt8], separator: Character, _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Void
) -> Bool {
    bytes.withUnsafeBufferPointer { forEachASCIIKeyedEntry($0, separator: separator, body) }
}

@discardableResult
func forEachASCIIKeyedEntry(
    _ bytes: UnsafeBufferPointer<UInt8>, separator: Character,
    _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Void
) -> Bool {
    // `Character.asciiValue` is 0x0A for "\r\n" too: the separator must be a single ASCII byte.
    guard separator.utf8.count == 1, let separator = separator.asciiValue, allASCII(bytes) else { return false }
    var start = 0
    while start < bytes.count {
        var end = start
        while end < bytes.count, bytes[end] != separator { end += 1 }
        if end > start {  // empty elements are left out, as `split` does
            var first = start
            var last = end
            while first < last, bytes[first] == 0x20 || bytes[first] == 0x09 { first += 1 }
            while last > first, bytes[last - 1] == 0x20 || bytes[last - 1] == 0x09 { last -= 1 }
            let element = UnsafeBufferPointer(rebasing: bytes[first..<last])
            if let eq = element.firstIndex(of: UInt8(ascii: "=")) {
                body(UnsafeBufferPointer(rebasing: element[..<eq]), UnsafeBufferPointer(rebasing: element[(eq + 1)...]))
            } else {
                body(element, UnsafeBufferPointer(rebasing: element[element.endIndex...]))
            }
        }
        start = end + 1
    }
    return true
}
