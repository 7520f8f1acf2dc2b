import Foundation

/// The body part of `CaptureDiff`: JSON compared by path, form bodies by field, other text line by
/// line, anything else (binary, invalid UTF-8, very large) by its first differing byte and sizes.
enum BodyDiff {
    typealias Difference = CaptureDiff.Difference

    static func compare(_ a: CapturedRequest, _ b: CapturedRequest) -> (comparison: String, differences: [Difference]) {
        let left = [UInt8](a.body)
        let right = [UInt8](b.body)
        if a.refusal != nil || b.refusal != nil {
            var out: [Difference] = []
            if a.refusal != b.refusal {
                out.append(Difference(.body, .changed, "refused", a: a.refusal.map { Array($0.rawValue.utf8) }, b: b.refusal.map { Array($0.rawValue.utf8) },
                                      note: "a refused capture's body was not kept"))
            }
            if left != right { out.append(bytes(left, right)) }
            return ("bytes", out)
        }
        if left == right { return (left.isEmpty ? "empty" : comparisonName(a, left), []) }
        if left.isEmpty || right.isEmpty {
            return ("bytes", [Difference(.body, left.isEmpty ? .added : .removed, "body", a: left.isEmpty ? nil : prefix(left), b: right.isEmpty ? nil : prefix(right),
                                         note: "\(left.count) bytes → \(right.count) bytes")])
        }
        if left.count > CaptureDiff.maxStructuredBodyBytes || right.count > CaptureDiff.maxStructuredBodyBytes {
            return ("bytes", [bytes(left, right, note: "bodies over \(CaptureDiff.maxStructuredBodyBytes / (1024 * 1024)) MB are compared as bytes")])
        }
        let aType = MediaType.essence(a.headers.value(named: "Content-Type"))
        let bType = MediaType.essence(b.headers.value(named: "Content-Type"))
        if isJSONCandidate(aType, left) || isJSONCandidate(bType, right) {
            let lj = JSONTree.parse(left)
            let rj = JSONTree.parse(right)
            if let lj, let rj {
                return ("JSON", JSONDiff.compare(lj, rj, leftBytes: left, rightBytes: right))
            }
            if lj != nil || rj != nil {
                let note = lj != nil ? "A is JSON, B is not" : "B is JSON, A is not"
                var out = [Difference(.body, .type, "body", a: Array((lj != nil ? "JSON" : "not JSON").utf8), b: Array((rj != nil ? "JSON" : "not JSON").utf8), note: note)]
                out += textOrBytes(left, right).differences
                return (textOrBytes(left, right).comparison, out)
            }
        }
        if aType == "application/x-www-form-urlencoded" && bType == aType,
           ByteText.isValidUTF8(left[...]), ByteText.isValidUTF8(right[...]) {
            return ("form fields", form(left, right))
        }
        return textOrBytes(left, right)
    }

    static func comparisonName(_ request: CapturedRequest, _ body: [UInt8]) -> String {
        let type = MediaType.essence(request.headers.value(named: "Content-Type"))
        if isJSONCandidate(type, body), JSONTree.parse(body) != nil { return "JSON" }
        if type == "application/x-www-form-urlencoded" { return "form fields" }
        return isText(body) ? "text lines" : "bytes"
    }

    static func isJSONCandidate(_ essence: String, _ body: [UInt8]) -> Bool {
        MediaType.isJSON(essence) || JSONFormatter.sniff(body[...])
    }

    /// Valid UTF-8 without NUL or other controls than tab, CR, LF and form feed.
    static func isText(_ body: [UInt8]) -> Bool {
        ByteText.looksTextual(body[...], limit: body.count)
    }

    static func textOrBytes(_ left: [UInt8], _ right: [UInt8]) -> (comparison: String, differences: [Difference]) {
        if isText(left), isText(right) { return ("text lines", LineDiff.compare(left, right)) }
        return ("bytes", [bytes(left, right)])
    }

    /// At most this many bytes of a value are kept in a difference.
    static let valueLimit = 160

    static func prefix(_ bytes: [UInt8]) -> [UInt8] { Array(bytes.prefix(valueLimit)) }

    /// The first differing offset, the bytes around it on each side, and the sizes.
    static func bytes(_ left: [UInt8], _ right: [UInt8], note extra: String? = nil) -> Difference {
        var offset = 0
        let common = min(left.count, right.count)
        while offset < common, left[offset] == right[offset] { offset += 1 }
        let start = max(0, offset - 8)
        func window(_ bytes: [UInt8]) -> [UInt8] { offset < bytes.count ? Array(bytes[start..<min(bytes.count, offset + 24)]) : [] }
        var note = "first difference at byte \(offset) (0x\(String(offset, radix: 16))); sizes \(left.count) and \(right.count) bytes"
        if offset == common { note = "\(left.count < right.count ? "B" : "A") continues where the other ends, at byte \(offset); sizes \(left.count) and \(right.count) bytes" }
        if let extra { note += "; " + extra }
        return Difference(.body, .bytes, "offset \(offset)", a: hex(window(left), from: start), b: hex(window(right), from: start), note: note)
    }

    /// `@24: 7b 22 61 …`: the window as hex, so that a binary body is shown byte for byte.
    static func hex(_ bytes: [UInt8], from start: Int) -> [UInt8] {
        guard !bytes.isEmpty else { return Array("(ends)".utf8) }
        return Array(("@\(start): " + bytes.map { ($0 < 0x10 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")).utf8)
    }

    // MARK: form

    static func form(_ left: [UInt8], _ right: [UInt8]) -> [Difference] {
        let l = FormFormatter.pairs(left)
        let r = FormFormatter.pairs(right)
        func group(_ pairs: [(name: [UInt8], value: [UInt8]?)]) -> (order: [[UInt8]], values: [[UInt8]: [[UInt8]]]) {
            var order: [[UInt8]] = []
            var values: [[UInt8]: [[UInt8]]] = [:]
            for pair in pairs {
                if values[pair.name] == nil { order.append(pair.name) }
                values[pair.name, default: []].append(pair.value ?? [])
            }
            return (order, values)
        }
        let lg = group(l)
        let rg = group(r)
        var out: [Difference] = []
        func name(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
        func joined(_ values: [[UInt8]]) -> [UInt8] { prefix(Array(values.joined(separator: Array(" | ".utf8)))) }
        for key in lg.order {
            let lv = lg.values[key]!
            guard let rv = rg.values[key] else {
                out.append(Difference(.body, .removed, name(key), a: joined(lv), b: nil))
                continue
            }
            if lv != rv { out.append(Difference(.body, .changed, name(key), a: joined(lv), b: joined(rv))) }
        }
        for key in rg.order where lg.values[key] == nil {
            out.append(Difference(.body, .added, name(key), a: nil, b: joined(rg.values[key]!)))
        }
        let common = Set(lg.order).intersection(rg.order)
        let lo = lg.order.filter(common.contains)
        let ro = rg.order.filter(common.contains)
        if lo != ro {
            out.append(Difference(.body, .order, "field order", a: prefix(Array(lo.joined(separator: Array(", ".utf8)))),
                                  b: prefix(Array(ro.joined(separator: Array(", ".utf8)))), note: "the fields both have come in another order"))
        }
        if out.isEmpty {
            out.append(Difference(.body, .escaping, "body", a: prefix(left), b: prefix(right),
                                  note: "the same fields and values, encoded differently (percent-escapes, `+` for spaces, empty segments)"))
        }
        return out
    }
}

// MARK: - Text lines

enum LineDiff {
    /// Lines compared with an LCS when the part between the common head and tail is at most this
    /// many cells (lines × lines); larger middles are compared line for line when both have as
    /// many lines, else shown as replaced whole.
    static let maxCells = 4_000_000

    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var out = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if out.last?.isEmpty == true, out.count > 1 { out.removeLast() }
        return out.map { $0.last == 0x0D ? $0.dropLast() : $0 }
    }

    static func compare(_ left: [UInt8], _ right: [UInt8]) -> [CaptureDiff.Difference] {
        let l = lines(left)
        let r = lines(right)
        if l == r {
            // Same lines: the line endings or the final newline differ.
            let crlf = { (bytes: [UInt8]) in bytes.contains(0x0D) }
            var what: [String] = []
            if crlf(left) != crlf(right) { what.append("line endings \(crlf(left) ? "CRLF" : "LF") → \(crlf(right) ? "CRLF" : "LF")") }
            if (left.last == 0x0A) != (right.last == 0x0A) { what.append(left.last == 0x0A ? "B lacks the final newline" : "B adds a final newline") }
            return [CaptureDiff.Difference(.body, .whitespace, "line endings", a: nil, b: nil,
                                           note: "the same lines; " + (what.isEmpty ? "only line endings differ" : what.joined(separator: ", ")))]
        }
        var head = 0
        while head < l.count, head < r.count, l[head] == r[head] { head += 1 }
        var tail = 0
        while tail < l.count - head, tail < r.count - head, l[l.count - 1 - tail] == r[r.count - 1 - tail] { tail += 1 }
        let lm = Array(l[head..<(l.count - tail)])
        let rm = Array(r[head..<(r.count - tail)])
        var ops: [(kind: CaptureDiff.Kind, aLine: Int?, bLine: Int?)] = []
        if lm.count * rm.count <= maxCells, !lm.isEmpty, !rm.isEmpty {
            // LCS lengths from the end, then one walk from the start.
            let n = lm.count, m = rm.count
            var table = [Int32](repeating: 0, count: (n + 1) * (m + 1))
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    table[i * (m + 1) + j] = lm[i] == rm[j] ? table[(i + 1) * (m + 1) + j + 1] + 1
                        : max(table[(i + 1) * (m + 1) + j], table[i * (m + 1) + j + 1])
                }
            }
            var i = 0, j = 0
            while i < n || j < m {
                if i < n, j < m, lm[i] == rm[j] {
                    i += 1; j += 1
                } else if i < n, j == m || table[(i + 1) * (m + 1) + j] >= table[i * (m + 1) + j + 1] {
                    // Removals before additions: a replaced line reads as a change.
                    ops.append((.removed, i, nil)); i += 1
                } else {
                    ops.append((.added, nil, j)); j += 1
                }
            }
        } else if lm.count == rm.count {
            // Too large for the LCS, the same number of lines: compared line for line (a log with
            // lines edited in place reads right; lines inserted or deleted show as changes).
            for k in lm.indices where lm[k] != rm[k] { ops += [(.removed, k, nil), (.added, nil, k)] }
        } else {
            ops = lm.indices.map { (.removed, $0, nil) } + rm.indices.map { (.added, nil, $0) }
        }
        // A removed line followed by an added one at the same place reads as a change.
        var out: [CaptureDiff.Difference] = []
        var k = 0
        while k < ops.count {
            let op = ops[k]
            if op.kind == .removed, k + 1 < ops.count, ops[k + 1].kind == .added, let ai = op.aLine, let bj = ops[k + 1].bLine {
                out.append(.init(.body, .changed, "line \(head + ai + 1)", a: BodyDiff.prefix(Array(lm[ai])), b: BodyDiff.prefix(Array(rm[bj]))))
                k += 2
                continue
            }
            if let ai = op.aLine {
                out.append(.init(.body, .removed, "line \(head + ai + 1)", a: BodyDiff.prefix(Array(lm[ai])), b: nil))
            } else if let bj = op.bLine {
                out.append(.init(.body, .added, "line \(head + bj + 1) of B", a: nil, b: BodyDiff.prefix(Array(rm[bj]))))
            }
            k += 1
        }
        return out
    }
}

// MARK: - JSON

/// A JSON document as a tree that keeps what was sent: key order, duplicate keys, the exact text of
/// numbers and strings (escapes included).
indirect enum JSONTree: Hashable {
    case object([(key: [UInt8], value: JSONTree)])
    case array([JSONTree])
    /// The string's bytes between the quotes, escapes as sent.
    case string([UInt8])
    case number([UInt8])
    /// `true`, `false` or `null`.
    case literal([UInt8])

    static func == (lhs: JSONTree, rhs: JSONTree) -> Bool {
        switch (lhs, rhs) {
        case (.object(let l), .object(let r)): l.count == r.count && zip(l, r).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.array(let l), .array(let r)): l == r
        case (.string(let l), .string(let r)), (.number(let l), .number(let r)), (.literal(let l), .literal(let r)): l == r
        default: false
        }
    }

    func hash(into hasher: inout Hasher) {
        switch self {
        case .object(let members): hasher.combine(members.count)
        case .array(let items): hasher.combine(items)
        case .string(let s), .number(let s), .literal(let s): hasher.combine(s)
        }
    }

    var typeName: String {
        switch self {
        case .object: "object"
        case .array: "array"
        case .string: "string"
        case .number: "number"
        case .literal(let bytes): bytes.first == UInt8(ascii: "n") ? "null" : "boolean"
        }
    }

    /// Deeper documents are not compared as JSON (recursion stays bounded whatever a body holds).
    static let maxDepth = 256

    /// The tree of a valid JSON document; nil when the bytes are not JSON or nest too deeply.
    static func parse(_ bytes: [UInt8]) -> JSONTree? {
        guard case .success = JSONLayout.layout(bytes) else { return nil }
        return bytes.withUnsafeBufferPointer { buf in
            var parser = Parser(s: JSONScanner(buf: buf))
            let bom = buf.count >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF
            parser.i = parser.s.skipWS(bom ? 3 : 0)
            return parser.value(depth: 0)
        }
    }

    private struct Parser {
        let s: JSONScanner
        var i = 0

        mutating func value(depth: Int) -> JSONTree? {
            guard depth < JSONTree.maxDepth else { return nil }
            i = s.skipWS(i)
            guard i < s.buf.count else { return nil }
            let c = s.buf[i]
            switch c {
            case UInt8(ascii: "{"):
                var members: [(key: [UInt8], value: JSONTree)] = []
                i = s.skipWS(i + 1)
                if i < s.buf.count, s.buf[i] == UInt8(ascii: "}") { i += 1; return .object([]) }
                while true {
                    i = s.skipWS(i)
                    guard let end = try? s.scanString(i) else { return nil }
                    let key = s.bytes(i + 1, end - 1)
                    i = s.skipWS(end) + 1  // past ':'
                    guard let member = value(depth: depth + 1) else { return nil }
                    members.append((key, member))
                    i = s.skipWS(i)
                    guard i < s.buf.count else { return nil }
                    if s.buf[i] == UInt8(ascii: ",") { i += 1; continue }
                    i += 1  // '}'
                    return .object(members)
                }
            case UInt8(ascii: "["):
                var items: [JSONTree] = []
                i = s.skipWS(i + 1)
                if i < s.buf.count, s.buf[i] == UInt8(ascii: "]") { i += 1; return .array([]) }
                while true {
                    guard let item = value(depth: depth + 1) else { return nil }
                    items.append(item)
                    i = s.skipWS(i)
                    guard i < s.buf.count else { return nil }
                    if s.buf[i] == UInt8(ascii: ",") { i += 1; continue }
                    i += 1  // ']'
                    return .array(items)
                }
            case UInt8(ascii: "\""):
                guard let end = try? s.scanString(i) else { return nil }
                defer { i = end }
                return .string(s.bytes(i + 1, end - 1))
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                guard let end = try? s.scanLiteral(i) else { return nil }
                defer { i = end }
                return .literal(s.bytes(i, end))
            default:
                guard let end = try? s.scanNumber(i) else { return nil }
                defer { i = end }
                return .number(s.bytes(i, end))
            }
        }
    }

    /// A string's text with its escapes decoded (as UTF-8); a lone surrogate escape stays as written.
    static func decoded(_ raw: [UInt8]) -> [UInt8] {
        guard raw.contains(UInt8(ascii: "\\")) else { return raw }
        var out: [UInt8] = []
        var k = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= raw.count else { return nil }
            var v: UInt32 = 0
            for b in raw[at..<(at + 4)] {
                guard let d = hexDigitValue(b) else { return nil }
                v = v << 4 | UInt32(d)
            }
            return v
        }
        while k < raw.count {
            let c = raw[k]
            guard c == UInt8(ascii: "\\"), k + 1 < raw.count else { out.append(c); k += 1; continue }
            let e = raw[k + 1]
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var v = hex4(k + 2) else { out += raw[k...]; return out }
                var used = 6
                if (0xD800...0xDBFF).contains(v), raw.count >= k + 12,
                   raw[k + 6] == UInt8(ascii: "\\"), raw[k + 7] == UInt8(ascii: "u"), let low = hex4(k + 8), (0xDC00...0xDFFF).contains(low) {
                    v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                    used = 12
                }
                if let scalar = Unicode.Scalar(v) {
                    out += Array(String(Character(scalar)).utf8)
                } else {
                    out += raw[k..<(k + used)]
                }
                k += used
                continue
            default: out.append(e)  // \" \\ \/
            }
            k += 2
        }
        return out
    }
}

enum JSONDiff {
    typealias Difference = CaptureDiff.Difference

    static func compare(_ a: JSONTree, _ b: JSONTree, leftBytes: [UInt8], rightBytes: [UInt8]) -> [Difference] {
        var out: [Difference] = []
        walk(a, b, path: "", into: &out)
        if out.isEmpty {
            // The same tokens in the same order: only the whitespace between them differs.
            let note = "whitespace only: the same JSON values in the same key order, re-serialized (\(layout(leftBytes)) → \(layout(rightBytes)))"
            out.append(Difference(.body, .whitespace, "body", a: Array(layout(leftBytes).utf8), b: Array(layout(rightBytes).utf8), note: note))
        }
        return out
    }

    /// How a document is laid out: compact, on one line with spaces, or on several lines and with
    /// which indent.
    static func layout(_ bytes: [UInt8]) -> String {
        var inString = false
        var escaped = false
        var spaces = 0
        var newlines = 0
        var indent: Int?
        var column: Int?
        for b in bytes {
            if inString {
                if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == 0x22 { inString = false }
                continue
            }
            if let c = column {
                if b == 0x20 { column = c + 1; continue }
                if c > 0, indent == nil { indent = c }
                column = nil
            }
            switch b {
            case 0x22: inString = true
            case 0x0A: newlines += 1; column = 0
            case 0x20, 0x09, 0x0D: spaces += 1
            default: break
            }
        }
        if newlines > 1 { return "pretty-printed" + (indent.map { ", \($0)-space indent" } ?? "") }
        if spaces > 0 { return newlines == 1 ? "one line with spaces and a final newline" : "one line with spaces" }
        return newlines == 1 ? "compact with a final newline" : "compact"
    }

    /// `data.object.amount`, `items[2]`, `["a b"]`.
    static func child(_ path: String, key: [UInt8]) -> String {
        let plain = !key.isEmpty && key.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D || b >= 0x80
        }
        let text = String(decoding: key, as: UTF8.self)
        if plain { return path.isEmpty ? text : path + "." + text }
        return path + "[\"" + text + "\"]"
    }

    static func shown(_ value: JSONTree) -> [UInt8] {
        switch value {
        case .object(let members): Array((members.isEmpty ? "{}" : "{…} (\(members.count) key\(members.count == 1 ? "" : "s"))").utf8)
        case .array(let items): Array((items.isEmpty ? "[]" : "[…] (\(items.count) item\(items.count == 1 ? "" : "s"))").utf8)
        case .string(let raw): BodyDiff.prefix([0x22] + raw + [0x22])
        case .number(let raw), .literal(let raw): BodyDiff.prefix(raw)
        }
    }

    static func walk(_ a: JSONTree, _ b: JSONTree, path: String, into out: inout [Difference]) {
        // Past ten times what is listed, the walk stops: the count of the rest is then a lower bound.
        guard out.count < CaptureDiff.maxBodyDifferences * 10 else { return }
        let here = path.isEmpty ? "(root)" : path
        switch (a, b) {
        case (.object(let l), .object(let r)):
            var rightIndex: [[UInt8]: Int] = [:]
            for (index, member) in r.enumerated() { rightIndex[member.key] = index }
            var leftKeys = Set<[UInt8]>()
            for member in l {
                leftKeys.insert(member.key)
                if let index = rightIndex[member.key] {
                    walk(member.value, r[index].value, path: child(path, key: member.key), into: &out)
                } else {
                    out.append(Difference(.body, .removed, child(path, key: member.key), a: shown(member.value), b: nil))
                }
            }
            for member in r where !leftKeys.contains(member.key) {
                out.append(Difference(.body, .added, child(path, key: member.key), a: nil, b: shown(member.value)))
            }
            let common = leftKeys.intersection(r.map(\.key))
            let lo = uniqued(l.map(\.key).filter(common.contains))
            let ro = uniqued(r.map(\.key).filter(common.contains))
            if lo != ro {
                func names(_ keys: [[UInt8]]) -> [UInt8] { BodyDiff.prefix(Array(keys.joined(separator: Array(", ".utf8)))) }
                out.append(Difference(.body, .order, here, a: names(lo), b: names(ro), note: "key order changed"))
            }
        case (.array(let l), .array(let r)):
            for index in 0..<max(l.count, r.count) {
                let itemPath = path + "[\(index)]"
                if index >= r.count {
                    out.append(Difference(.body, .removed, itemPath, a: shown(l[index]), b: nil))
                } else if index >= l.count {
                    out.append(Difference(.body, .added, itemPath, a: nil, b: shown(r[index])))
                } else {
                    walk(l[index], r[index], path: itemPath, into: &out)
                }
            }
        case (.string(let l), .string(let r)):
            guard l != r else { return }
            if JSONTree.decoded(l) == JSONTree.decoded(r) {
                out.append(Difference(.body, .escaping, here, a: shown(a), b: shown(b), note: "the same text, escaped differently"))
            } else {
                out.append(Difference(.body, .changed, here, a: shown(a), b: shown(b)))
            }
        case (.number(let l), .number(let r)), (.literal(let l), .literal(let r)):
            if l != r { out.append(Difference(.body, a.typeName == b.typeName ? .changed : .type, here, a: shown(a), b: shown(b),
                                              note: a.typeName == b.typeName ? nil : "\(a.typeName) → \(b.typeName)")) }
        default:
            out.append(Difference(.body, .type, here, a: shown(a), b: shown(b), note: "\(a.typeName) → \(b.typeName)"))
        }
    }

    static func uniqued(_ keys: [[UInt8]]) -> [[UInt8]] {
        var seen = Set<[UInt8]>()
        return keys.filter { seen.insert($0).inserted }
    }
}
