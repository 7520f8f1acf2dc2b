import HookCore

/// JSON read the way a sender's JSON library reads it and written back the way such libraries write
/// it, to explain a signature made over re-serialized JSON.
///
/// Unlike Foundation's `JSONSerialization`, it keeps every object's keys in the received order (as
/// `JSON.stringify`, Python's `json.dumps`, PHP's `json_encode`, Go and Ruby do), so the variants it
/// makes are the same on every call, and it works on bytes, so a 2 KB body costs microseconds.
/// Numbers and `true`/`false`/`null` are written as received; strings are decoded and written again
/// with the escaping the style asks for. Duplicate keys keep their first position and their last
/// value, as in JavaScript and Python.
struct ReserializableJSON {
    indirect enum Node {
        case object([Member])
        case array([Node])
        case string(JSONString)
        /// A number or a literal: the bytes of the body.
        case scalar(Range<Int>)
    }

    struct Member {
        var key: JSONString
        var value: Node
    }

    struct JSONString {
        /// The bytes between the quotes.
        var raw: Range<Int>
        /// The decoded text as UTF-8, when the raw bytes contain escapes; nil when they are the text.
        var decoded: [UInt8]?
        /// A `\u` escape of a lone surrogate cannot be decoded to UTF-8: such a string is written
        /// back as received.
        var verbatim = false

        /// The decoded text as UTF-8.
        func text(in body: [UInt8]) -> ArraySlice<UInt8> { decoded.map { $0[...] } ?? body[raw] }
    }

    enum Layout: Equatable {
        /// No whitespace: `{"a":1,"b":[1,2]}`.
        case compact
        /// `", "` between items and `": "` after keys, on one line: Python's `json.dumps` default.
        case spaced
        /// One member or element per line, `indent` spaces per level, `colon` between key and value.
        case pretty(indent: Int, colon: String)
    }

    struct Style {
        var layout: Layout = .compact
        var sortedKeys = false
        /// `/` written as `\/` (PHP's default).
        var escapeSlash = false
        /// Every non-ASCII character and DEL written as `\uXXXX` (lower-case hex; surrogate pairs above
        /// U+FFFF), as Python's `ensure_ascii` and PHP do.
        var asciiOnly = false
    }

    /// Deeper nesting is not parsed (the body is then not re-serialized): recursion stays bounded
    /// whatever a request holds.
    static let maxDepth = 512

    let body: [UInt8]
    let root: Node

    /// Parses `body` as UTF-8 JSON whose top level is an object or an array; nil otherwise.
    init?(_ body: [UInt8]) {
        if body.contains(where: { $0 >= 0x80 }), String(validating: body, as: UTF8.self) == nil { return nil }
        var parser = Parser(body: body)
        parser.skipSpace()
        guard parser.index < body.count, body[parser.index] == 0x7B || body[parser.index] == 0x5B,
              let root = parser.value(depth: 0) else { return nil }
        parser.skipSpace()
        guard parser.index == body.count else { return nil }
        self.body = body
        self.root = root
    }

    func write(_ style: Style) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(body.count + body.count / 8)
        var writer = Writer(body: body, style: style, colon: [])
        switch style.layout {
        case .compact: writer.colon = [0x3A]
        case .spaced: writer.colon = [0x3A, 0x20]
        case .pretty(_, let colon): writer.colon = Array(colon.utf8)
        }
        writer.node(root, depth: 0, into: &out)
        return out
    }

    // MARK: parsing

    private struct Parser {
        let body: [UInt8]
        var index = 0

        init(body: [UInt8]) { self.body = body }

        mutating func skipSpace() {
            while index < body.count, BodyVariants.isSpace(body[index]) { index += 1 }
        }

        mutating func value(depth: Int) -> Node? {
            guard depth < ReserializableJSON.maxDepth, index < body.count else { return nil }
            switch body[index] {
            case 0x7B: return object(depth: depth)
            case 0x5B: return array(depth: depth)
            case 0x22: return string().map { .string($0) }
            case 0x74: return literal([0x74, 0x72, 0x75, 0x65])  // true
            case 0x66: return literal([0x66, 0x61, 0x6C, 0x73, 0x65])  // false
            case 0x6E: return literal([0x6E, 0x75, 0x6C, 0x6C])  // null
            default: return number()
            }
        }

        private mutating func object(depth: Int) -> Node? {
            index += 1
            var members: [Member] = []
            var positions: [ArraySlice<UInt8>: Int]?
            skipSpace()
            if index < body.count, body[index] == 0x7D {
                index += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard index < body.count, body[index] == 0x22, let key = string() else { return nil }
                skipSpace()
                guard index < body.count, body[index] == 0x3A else { return nil }
                index += 1
                skipSpace()
                guard let value = value(depth: depth + 1) else { return nil }
                let name = key.text(in: body)
                if members.count >= 8 && positions == nil {
                    var map: [ArraySlice<UInt8>: Int] = [:]
                    for (i, m) in members.enumerated() where map[m.key.text(in: body)] == nil { map[m.key.text(in: body)] = i }
                    positions = map
                }
                if positions != nil {
                    if let at = positions![name] { members[at].value = value } else {
                        positions![name] = members.count
                        members.append(Member(key: key, value: value))
                    }
                } else if let at = members.firstIndex(where: { $0.key.text(in: body) == name }) {
                    members[at].value = value
                } else {
                    members.append(Member(key: key, value: value))
                }
                skipSpace()
                guard index < body.count else { return nil }
                if body[index] == 0x2C { index += 1; continue }
                if body[index] == 0x7D { index += 1; return .object(members) }
                return nil
            }
        }

        private mutating func array(depth: Int) -> Node? {
            index += 1
            var elements: [Node] = []
            skipSpace()
            if index < body.count, body[index] == 0x5D {
                index += 1
                return .array(elements)
            }
            while true {
                skipSpace()
                guard let element = value(depth: depth + 1) else { return nil }
                elements.append(element)
                skipSpace()
                guard index < body.count else { return nil }
                if body[index] == 0x2C { index += 1; continue }
                if body[index] == 0x5D { index += 1; return .array(elements) }
                return nil
            }
        }

        private mutating func literal(_ word: [UInt8]) -> Node? {
            let count = word.count
            guard index + count <= body.count, body[index..<(index + count)].elementsEqual(word) else { return nil }
            defer { index += count }
            return .scalar(index..<(index + count))
        }

        private mutating func number() -> Node? {
            let start = index
            func digits() -> Int {
                let from = index
                while index < body.count, body[index] >= 0x30 && body[index] <= 0x39 { index += 1 }
                return index - from
            }
            if index < body.count, body[index] == 0x2D { index += 1 }
            guard index < body.count else { return nil }
            if body[index] == 0x30 { index += 1 } else if digits() == 0 { return nil }
            if index < body.count, body[index] == 0x2E {
                index += 1
                guard digits() > 0 else { return nil }
            }
            if index < body.count, body[index] == 0x65 || body[index] == 0x45 {
                index += 1
                if index < body.count, body[index] == 0x2B || body[index] == 0x2D { index += 1 }
                guard digits() > 0 else { return nil }
            }
            return .scalar(start..<index)
        }

        /// A string at `index` (its opening quote); `index` ends after the closing quote.
        private mutating func string() -> JSONString? {
            index += 1
            let start = index
            var hasEscape = false
            while index < body.count {
                let b = body[index]
                if b == 0x22 { break }
                if b < 0x20 { return nil }
                if b == 0x5C {
                    hasEscape = true
                    index += 2
                } else {
                    index += 1
                }
            }
            guard index < body.count else { return nil }
            let raw = start..<index
            index += 1
            guard hasEscape else { return JSONString(raw: raw) }
            return decode(raw)
        }

        private func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= body.count else { return nil }
            var v: UInt32 = 0
            for b in body[at..<(at + 4)] {
                guard let d = hexDigitValue(b) else { return nil }
                v = v << 4 | UInt32(d)
            }
            return v
        }

        private func decode(_ raw: Range<Int>) -> JSONString? {
            var out: [UInt8] = []
            out.reserveCapacity(raw.count)
            var verbatim = false
            var i = raw.lowerBound
            while i < raw.upperBound {
                let b = body[i]
                guard b == 0x5C else {
                    out.append(b)
                    i += 1
                    continue
                }
                guard i + 1 < raw.upperBound else { return nil }
                let e = body[i + 1]
                i += 2
                switch e {
                case 0x22, 0x5C, 0x2F: out.append(e)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:
                    guard i + 4 <= raw.upperBound, let unit = hex4(i) else { return nil }
                    i += 4
                    var scalar = unit
                    if unit >= 0xD800 && unit < 0xDC00 {
                        if i + 6 <= raw.upperBound, body[i] == 0x5C, body[i + 1] == 0x75, let low = hex4(i + 2), low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                            i += 6
                        } else {
                            verbatim = true
                            continue
                        }
                    } else if unit >= 0xDC00 && unit < 0xE000 {
                        verbatim = true
                        continue
                    }
                    guard let s = Unicode.Scalar(scalar) else { return nil }
                    out.append(contentsOf: UTF8.encode(s)!)
                default: return nil
                }
            }
            return JSONString(raw: raw, decoded: out, verbatim: verbatim)
        }
    }

    // MARK: writing

    private struct Writer {
        let body: [UInt8]
        let style: Style
        var colon: [UInt8]

        func newline(_ depth: Int, into out: inout [UInt8]) {
            guard case .pretty(let indent, _) = style.layout else { return }
            out.append(0x0A)
            out.append(contentsOf: repeatElement(0x20, count: indent * depth))
        }

        func separator(into out: inout [UInt8]) {
            out.append(0x2C)
            if style.layout == .spaced { out.append(0x20) }
        }

        func node(_ node: Node, depth: Int, into out: inout [UInt8]) {
            switch node {
            case .scalar(let range):
                out.append(contentsOf: body[range])
            case .string(let s):
                string(s, into: &out)
            case .array(let elements):
                out.append(0x5B)
                for (i, element) in elements.enumerated() {
                    if i > 0 { separator(into: &out) }
                    newline(depth + 1, into: &out)
                    self.node(element, depth: depth + 1, into: &out)
                }
                if !elements.isEmpty { newline(depth, into: &out) }
                out.append(0x5D)
            case .object(let members):
                out.append(0x7B)
                // Sorted by code point, as Python's sort_keys: UTF-8 bytes sort in that order.
                let ordered = style.sortedKeys
                    ? members.map { (key: $0.key.text(in: body), member: $0) }.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map(\.member)
                    : members
                for (i, member) in ordered.enumerated() {
                    if i > 0 { separator(into: &out) }
                    newline(depth + 1, into: &out)
                    string(member.key, into: &out)
                    out.append(contentsOf: colon)
                    self.node(member.value, depth: depth + 1, into: &out)
                }
                if !members.isEmpty { newline(depth, into: &out) }
                out.append(0x7D)
            }
        }

        private static let hexDigits = Array("0123456789abcdef".utf8)

        private func unicodeEscape(_ unit: UInt32, into out: inout [UInt8]) {
            out.append(0x5C)
            out.append(0x75)
            for shift in stride(from: 12, through: 0, by: -4) { out.append(Self.hexDigits[Int((unit >> UInt32(shift)) & 0xF)]) }
        }

        func string(_ s: JSONString, into out: inout [UInt8]) {
            out.append(0x22)
            defer { out.append(0x22) }
            if s.verbatim {
                out.append(contentsOf: body[s.raw])
                return
            }
            if let decoded = s.decoded {
                decoded.withUnsafeBufferPointer { escape($0, into: &out) }
            } else {
                body.withUnsafeBufferPointer { escape(UnsafeBufferPointer(rebasing: $0[s.raw]), into: &out) }
            }
        }

        /// Whether `b` is written other than as itself.
        @inline(__always) private func needsEscape(_ b: UInt8) -> Bool {
            b < 0x20 || b == 0x22 || b == 0x5C || (b == 0x2F && style.escapeSlash) || (b >= 0x7F && style.asciiOnly)
        }

        private func escape(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
            var i = 0
            while i < bytes.count {
                // Runs of bytes written as they are go out in one append.
                var end = i
                while end < bytes.count, !needsEscape(bytes[end]) { end += 1 }
                if end > i {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<end]))
                    i = end
                    if i == bytes.count { break }
                }
                let b = bytes[i]
                switch b {
                case 0x22: out.append(0x5C); out.append(0x22)
                case 0x5C: out.append(0x5C); out.append(0x5C)
                case 0x08: out.append(0x5C); out.append(0x62)
                case 0x0C: out.append(0x5C); out.append(0x66)
                case 0x0A: out.append(0x5C); out.append(0x6E)
                case 0x0D: out.append(0x5C); out.append(0x72)
                case 0x09: out.append(0x5C); out.append(0x74)
                case 0x2F: out.append(0x5C); out.append(0x2F)
                // Python's ensure_ascii escapes everything outside space to `~`, DEL included.
                case ..<0x20, 0x7F: unicodeEscape(UInt32(b), into: &out)
                default:
                    // Non-ASCII with asciiOnly, in valid UTF-8 (checked when parsed or made by the
                    // decoder): a lead byte and its continuation bytes.
                    let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
                    var scalar = UInt32(b) & (length == 4 ? 0x07 : length == 3 ? 0x0F : 0x1F)
                    for k in 1..<length { scalar = scalar << 6 | UInt32(bytes[i + k] & 0x3F) }
                    if scalar >= 0x10000 {
                        let v = scalar - 0x10000
                        unicodeEscape(0xD800 + (v >> 10), into: &out)
                        unicodeEscape(0xDC00 + (v & 0x3FF), into: &out)
                    } else {
                        unicodeEscape(scalar, into: &out)
                    }
                    i += length
                    continue
                }
                i += 1
            }
        }
    }
}
