import Foundation
import HookCore

/// Reads a few fields out of JSON bytes without parsing the whole document: values that are not
/// asked for are skipped over (strings, nested objects and arrays by their brackets), nothing is
/// built for them. The listener reads a delivery's event type and id this way for every capture.
///
/// Lenient where skipping allows (it does not validate what it skips), strict where it reads: a
/// value is returned only when the bytes up to it were well-formed enough to be walked.
struct JSONPeek {
    /// One step of a path: an object member, or an array element.
    enum Step: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
        case key(String)
        case index(Int)
        init(stringLiteral value: String) { self = .key(value) }
        init(integerLiteral value: Int) { self = .index(value) }
    }

    let bytes: [UInt8]
    /// The range of the top-level object or array (leading and trailing whitespace left out); nil
    /// when the document is none (empty, a scalar, a form, cut short). Found once, by one pass.
    private(set) var root: Range<Int>?

    init(_ data: Data) { self.init([UInt8](data)) }

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        let start = skipWhitespace(from: 0)
        if start < bytes.count, bytes[start] == UInt8(ascii: "{") || bytes[start] == UInt8(ascii: "["), let end = skipValue(at: start) {
            root = start..<end
        }
    }

    /// The text of the string or number at `path`; nil when there is none there.
    func text(_ path: Step...) -> String? {
        guard let range = value(at: path) else { return nil }
        return scalarText(range)
    }

    /// The range of the value at `path` from the top-level value.
    func value(at path: [Step]) -> Range<Int>? {
        guard var current = root else { return nil }
        for step in path {
            switch step {
            case .key(let key): guard let next = member(key, of: current) else { return nil }; current = next
            case .index(let index): guard let next = elements(of: current)?.dropFirst(index).first else { return nil }; current = next
            }
        }
        return current
    }

    /// The text of the string or number value in `range` (a string with its escapes decoded).
    func scalarText(_ range: Range<Int>) -> String? {
        guard let first = range.first.map({ bytes[$0] }) else { return nil }
        if first == UInt8(ascii: "\"") {
            let inner = bytes[(range.lowerBound + 1)..<(range.upperBound - 1)]
            if !inner.contains(UInt8(ascii: "\\")) { return String(decoding: inner, as: UTF8.self) }
            return (try? JSONSerialization.jsonObject(with: Data(bytes[range]), options: .fragmentsAllowed)) as? String
        }
        if first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) {
            return String(decoding: bytes[range], as: UTF8.self)
        }
        return nil
    }

    /// The value of member `key` of the object in `range`; nil when it is not an object or has no such member.
    func member(_ key: String, of range: Range<Int>) -> Range<Int>? {
        guard bytes[range.lowerBound] == UInt8(ascii: "{") else { return nil }
        let wanted = Array(key.utf8)
        var i = skipWhitespace(from: range.lowerBound + 1)
        while i < range.upperBound, bytes[i] == UInt8(ascii: "\"") {
            guard let keyEnd = skipString(at: i) else { return nil }
            let name = bytes[(i + 1)..<(keyEnd - 1)]
            i = skipWhitespace(from: keyEnd)
            guard i < range.upperBound, bytes[i] == UInt8(ascii: ":") else { return nil }
            let valueStart = skipWhitespace(from: i + 1)
            guard valueStart < range.upperBound, let valueEnd = skipValue(at: valueStart) else { return nil }
            if name.elementsEqual(wanted) { return valueStart..<valueEnd }
            i = skipWhitespace(from: valueEnd)
            guard i < range.upperBound, bytes[i] == UInt8(ascii: ",") else { return nil }
            i = skipWhitespace(from: i + 1)
        }
        return nil
    }

    /// The elements of the array in `range`, in order; nil when it is not an array.
    func elements(of range: Range<Int>) -> [Range<Int>]? {
        guard bytes[range.lowerBound] == UInt8(ascii: "[") else { return nil }
        var result: [Range<Int>] = []
        var i = skipWhitespace(from: range.lowerBound + 1)
        if i < range.upperBound, bytes[i] == UInt8(ascii: "]") { return result }
        while i < range.upperBound {
            guard let end = skipValue(at: i) else { return nil }
            result.append(i..<end)
            i = skipWhitespace(from: end)
            guard i < range.upperBound else { return nil }
            if bytes[i] == UInt8(ascii: "]") { return result }
            guard bytes[i] == UInt8(ascii: ",") else { return nil }
            i = skipWhitespace(from: i + 1)
        }
        return nil
    }

    func skipWhitespace(from start: Int) -> Int {
        var i = start
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        return i
    }

    /// The end of the string that opens at `start` (after its closing quote).
    func skipString(at start: Int) -> Int? {
        var i = start + 1
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): return i + 1
            default: i += 1
            }
        }
        return nil
    }

    /// The end of the value that starts at `start`.
    func skipValue(at start: Int) -> Int? {
        guard start < bytes.count else { return nil }
        switch bytes[start] {
        case UInt8(ascii: "\""):
            return skipString(at: start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            // Brackets counted, strings skipped whole (a bracket inside one does not count).
            var depth = 0
            var i = start
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "\""):
                    guard let end = skipString(at: i) else { return nil }
                    i = end
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return i + 1 }
                default:
                    break
                }
                i += 1
            }
            return nil
        default:
            // A number or a literal: up to the next delimiter.
            var i = start
            while i < bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: ",") || b == UInt8(ascii: "}") || b == UInt8(ascii: "]") || b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { break }
                i += 1
            }
            return i > start ? i : nil
        }
    }
}

/// The fields of an `application/x-www-form-urlencoded` body, looked up by name.
struct FormPeek {
    let bytes: [UInt8]

    /// The first value of field `name`, percent- and `+`-decoded; nil when there is none or the
    /// body does not look like a form.
    func value(_ name: String) -> String? {
        let wanted = Array(name.utf8)
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            guard let eq = pair.firstIndex(of: UInt8(ascii: "=")) else { continue }
            if Self.decoded(pair[pair.startIndex..<eq]).elementsEqual(wanted) {
                return String(decoding: Self.decoded(pair[(eq + 1)...]), as: UTF8.self)
            }
        }
        return nil
    }

    static func decoded(_ part: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(part.count)
        var i = part.startIndex
        while i < part.endIndex {
            let b = part[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%"), i + 2 < part.endIndex,
                      let high = hexDigitValue(part[i + 1]), let low = hexDigitValue(part[i + 2]) {
                out.append(high << 4 | low)
                i += 3
                continue
            } else {
                out.append(b)
            }
            i += 1
        }
        return out
    }
}
