import Foundation
import Testing
@testable import HookSignatures

/// `BodyVariants.of` makes its variants lazily and skips work with byte-level checks: it must hand
/// out the same variants, in the same order, as the eager original (kept below as the reference).
/// The JSON re-serializations themselves are checked against other libraries' output in
/// ReserializableJSONTests.
@Suite struct BodyVariantsTests {
    static let bodies: [String] = [
        #"{"hello":"world"}"#, #"{"hello":"world"}\#n"#, #"{"hello":"world"}\#r\#n"#, "  {\"a\":1}\t\n", #"[1,2,"x"]"#,
        #"{"url":"https://example.com/a/b"}"#, #"{"name":"café"}"#, #"{"name":"caf\u00e9"}"#, #"{"name":"caf\u00E9"}"#,
        #"{"e":"\ud83d\ude00"}"#, #"{"e":"😀"}"#, #"{"s":"a\\u00e9"}"#, #"{"n":{"m":[true,false,null,1.5,-2]}}"#,
        "plain text", "", "\n", "   ", "a=1&b=2", "{\"broken\":", "\"fragment\"", "42",
        #"{"q":"\"quoted\" and \\ back\/slash"}"#, #"{"ctl":"tab\there"}"#,
        #"{"b":1,"a":{"d":"é/x","c":[]},"b":2}"#, #"{ "z" : [ 1 , { } ] , "y" : "\u00e9\ud83d\ude00" }"#,
    ]

    static let rawBodies: [[UInt8]] = bodies.map { Array($0.utf8) } + [
        [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xE9, 0x22, 0x7D],  // {"a":"é"} in Latin-1 (invalid UTF-8)
        [0xFF, 0xFE, 0x00, 0x41],
        [0x00, 0x41, 0x0A],
        Array(#"{"a":"x"}"#.utf8) + [0x00],
    ]

    @Test func variantsMatchTheEagerOriginal() {
        for body in Self.rawBodies {
            let lazy = Array(BodyVariants.of(body))
            let eager = Self.reference(body)
            #expect(lazy.map(\.label) == eager.map(\.label), "\(body)")
            #expect(lazy.map(\.bytes) == eager.map(\.bytes), "\(body)")
            #expect(lazy.map(\.meaning) == eager.map(\.meaning), "\(body)")
        }
    }

    @Test func stoppingEarlyGivesAPrefix() {
        for body in Self.rawBodies {
            let all = Array(BodyVariants.of(body)).map(\.label)
            for n in 0...all.count {
                #expect(Array(BodyVariants.of(body).prefix(n)).map(\.label) == Array(all.prefix(n)))
            }
        }
    }

    @Test func escapingFastPathsMatchTheOriginal() {
        let texts = ["", "plain", #"{"a":"b/c"}"#, "tab\t\r\n", "~\u{7F}", "é", "a😀b", "\\u00e9", "\\\\u00e9", "\\u", "x\\u00E9\\u00e9"]
        for text in texts {
            let bytes = Array(text.utf8)
            // The writer's `\uXXXX` escaping of a JSON string holding the text, against escaping the text.
            let quoted = Array(#"[""#.utf8) + Array(text.utf8).filter { $0 != 0x5C && $0 != 0x22 && $0 >= 0x20 && $0 != 0x7F } + Array(#""]"#.utf8)
            if let json = ReserializableJSON(quoted) {
                #expect(json.write(.init(asciiOnly: true)) == Self.referenceASCIIEscaped(quoted, upper: false), "\(text)")
            }
            #expect(BodyVariants.unescapedNonASCII(bytes) == Self.referenceUnescapedNonASCII(bytes), "\(text)")
        }
        for bytes: [UInt8] in [[0x00], [0x41, 0x00, 0x42], [0xFF], [0x5C, 0x75, 0xFF]] {
            #expect(BodyVariants.unescapedNonASCII(bytes) == Self.referenceUnescapedNonASCII(bytes), "\(bytes)")
        }
    }

    // MARK: The original implementation, as reference

    static func reference(_ body: [UInt8]) -> [BodyVariants.Variant] {
        var out: [BodyVariants.Variant] = []
        let changedInTransit = "the body changed after signing (a proxy, framework or test script rewrote it)"
        if body.last == 0x0A {
            var trimmed = body
            trimmed.removeLast()
            if trimmed.last == 0x0D {
                var both = trimmed
                both.removeLast()
                out.append(BodyVariants.Variant(bytes: both, label: "without its trailing CRLF", meaning: "a line break was added after signing (or the sender signed trimmed text)"))
            }
            out.append(BodyVariants.Variant(bytes: trimmed, label: "without its trailing newline", meaning: "a newline was added after signing (or the sender signed trimmed text)"))
        } else {
            out.append(BodyVariants.Variant(bytes: body + [0x0A], label: "with a trailing newline added", meaning: "the sender signed a body ending in a newline and it was stripped on the way"))
            out.append(BodyVariants.Variant(bytes: body + [0x0D, 0x0A], label: "with a trailing CRLF added", meaning: "the sender signed a body ending in CRLF and it was stripped on the way"))
        }
        if let first = body.firstIndex(where: { !referenceIsSpace($0) }), first > 0 || body.lastIndex(where: { !referenceIsSpace($0) }).map({ $0 < body.count - 1 }) == true {
            let last = body.lastIndex(where: { !referenceIsSpace($0) })!
            out.append(BodyVariants.Variant(bytes: Array(body[first...last]), label: "with surrounding whitespace trimmed", meaning: changedInTransit))
        }
        // Charset and JSON variants are only tried for bodies of reasonable size.
        guard body.count <= 2_000_000 else { return out }
        if let text = String(bytes: body, encoding: .utf8), text.unicodeScalars.contains(where: { !$0.isASCII }),
           let latin1 = text.data(using: .isoLatin1) {
            out.append(BodyVariants.Variant(bytes: Array(latin1), label: "encoded as Latin-1 instead of UTF-8", meaning: "the body was transcoded from Latin-1 to UTF-8 after signing (charset conversion by a proxy or framework)"))
        }
        if body.contains(where: { $0 >= 0x80 }) {
            var reencoded: [UInt8] = []
            reencoded.reserveCapacity(body.count + body.count / 4)
            for b in body {
                if b < 0x80 { reencoded.append(b) } else { reencoded += [0xC0 | (b >> 6), 0x80 | (b & 0x3F)] }
            }
            out.append(BodyVariants.Variant(bytes: reencoded, label: "read as Latin-1 and re-encoded as UTF-8", meaning: "a charset conversion happened between signing and delivery (UTF-8 text turned into Latin-1 bytes, or a body decoded as Latin-1 before signing)"))
        }
        guard let json = ReserializableJSON(body) else { return out }
        let reserialized = "the sender signed re-serialized JSON, not the bytes it sent (or something re-encoded the JSON on the way)"
        var seen: Set<[UInt8]> = [body]
        func add(_ bytes: [UInt8]?, _ label: String, _ meaning: String = reserialized) {
            guard let bytes, seen.insert(bytes).inserted else { return }
            out.append(BodyVariants.Variant(bytes: bytes, label: label, meaning: meaning))
        }
        add(referenceMinified(body), "with the whitespace between JSON tokens removed (compact, in the same key order)",
            "the sender signed compact JSON and something re-formatted it with whitespace on the way")
        let compact = json.write(.init())
        add(compact, "re-serialized as compact JSON")
        add(json.write(.init(sortedKeys: true)), "re-serialized as compact JSON with sorted keys")
        add(json.write(.init(escapeSlash: true)), "re-serialized as compact JSON with `/` escaped as `\\/`")
        add(json.write(.init(layout: .pretty(indent: 2, colon: ": "))), "re-serialized as pretty-printed JSON (2-space indent)")
        add(json.write(.init(layout: .pretty(indent: 4, colon: ": "))), "re-serialized as pretty-printed JSON (4-space indent)")
        add(json.write(.init(layout: .pretty(indent: 2, colon: " : "))), "re-serialized as pretty-printed JSON with ` : ` after keys (Foundation's style)")
        add(referenceSpaced(compact), "re-serialized with spaces after `:` and `,` (Python json.dumps style)")
        add(referenceSpaced(json.write(.init(asciiOnly: true))), "re-serialized with spaces after `:` and `,` and non-ASCII escaped as \\uXXXX (Python json.dumps defaults)")
        add(referenceASCIIEscaped(compact, upper: false), "with non-ASCII characters escaped as \\uXXXX")
        add(referenceASCIIEscaped(json.write(.init(escapeSlash: true)), upper: false), "with non-ASCII escaped as \\uXXXX and `/` as `\\/` (Meta's escaping)")
        add(referenceUnescapedNonASCII(body), "with \\uXXXX escapes written as the characters themselves", "the sender signed JSON with different escaping than it sent")
        add(BodyVariants.changeEscapeCase(body, upper: false), "with \\uXXXX escapes in lower-case hex", "the sender signed JSON with lower-case \\u escapes (JSON.stringify style) but sent upper-case ones")
        add(BodyVariants.changeEscapeCase(body, upper: true), "with \\uXXXX escapes in upper-case hex", "the sender signed JSON with upper-case \\u escapes but sent lower-case ones (re-serialized)")
        return out
    }

    /// Drops JSON whitespace outside strings: split at the quotes that are not escaped, and strip
    /// the whitespace from every other piece.
    static func referenceMinified(_ body: [UInt8]) -> [UInt8]? {
        var pieces: [[UInt8]] = [[]]
        var backslashes = 0
        for b in body {
            if b == 0x22 && backslashes % 2 == 0 {
                pieces[pieces.count - 1].append(b)
                pieces.append([])
            } else {
                pieces[pieces.count - 1].append(b)
            }
            backslashes = b == 0x5C ? backslashes + 1 : 0
        }
        // Even pieces are outside strings (each ends with the quote that opens the next string).
        let out = pieces.enumerated().flatMap { index, piece in index % 2 == 0 ? piece.filter { !referenceIsSpace($0) } : piece }
        return out.count == body.count ? nil : out
    }

    @Test func minifiedJSONKeepsKeyOrderAndStrings() {
        let pretty = "{\n  \"z\": 1,\n  \"a\": \"x y\\\" z\",\n  \"m\": [ 1, 2 ]\n}\n"
        #expect(BodyVariants.minifiedJSON(Array(pretty.utf8)).map { String(decoding: $0, as: UTF8.self) } == #"{"z":1,"a":"x y\" z","m":[1,2]}"#)
        #expect(BodyVariants.minifiedJSON(Array(#"{"a":1}"#.utf8)) == nil)
        // The same answer every time (Foundation's writer changes the key order from call to call).
        let variants = (0..<20).map { _ in Array(BodyVariants.of(Array(pretty.utf8))).first { $0.label.contains("whitespace between JSON tokens") }?.bytes }
        #expect(Set(variants.compactMap { $0 }).count == 1)
        #expect(variants.allSatisfy { $0 != nil })
    }

    /// Compact JSON with `": "` and `", "` outside strings.
    static func referenceSpaced(_ bytes: [UInt8]) -> [UInt8] {
        BodyVariants.rewritingOutsideStrings(bytes) { b, out in
            out.append(b)
            if b == 0x3A || b == 0x2C { out.append(0x20) }
        }
    }

    static func referenceIsSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// Escapes every non-ASCII character of JSON text as `\uXXXX` (surrogate pairs above U+FFFF).
    static func referenceASCIIEscaped(_ bytes: [UInt8], upper: Bool) -> [UInt8]? {
        guard let text = String(bytes: bytes, encoding: .utf8) else { return nil }
        var out = ""
        for unit in text.unicodeScalars {
            if unit.isASCII {
                out.unicodeScalars.append(unit)
            } else {
                for u16 in String(unit).utf16 {
                    let hex = String(u16, radix: 16, uppercase: upper)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            }
        }
        return Array(out.utf8)
    }

    /// Replaces `\uXXXX` escapes of non-ASCII characters by the UTF-8 characters; nil when none.
    static func referenceUnescapedNonASCII(_ bytes: [UInt8]) -> [UInt8]? {
        guard let text = String(bytes: bytes, encoding: .utf8), text.contains("\\u") else { return nil }
        var out = ""
        var chars = Substring(text)
        var changed = false
        var pendingHigh: UInt16?
        while !chars.isEmpty {
            if chars.hasPrefix("\\\\") {
                out += "\\\\"
                chars = chars.dropFirst(2)
                continue
            }
            if chars.hasPrefix("\\u"), chars.count >= 6, let v = UInt16(chars.dropFirst(2).prefix(4), radix: 16), v >= 0x80 {
                if v >= 0xD800 && v < 0xDC00 {
                    pendingHigh = v
                } else if v >= 0xDC00 && v < 0xE000, let high = pendingHigh {
                    out += String(decoding: [high, v], as: UTF16.self)
                    pendingHigh = nil
                    changed = true
                } else if let scalar = Unicode.Scalar(v) {
                    out.unicodeScalars.append(scalar)
                    changed = true
                }
                chars = chars.dropFirst(6)
                continue
            }
            out.append(chars.removeFirst())
        }
        return changed ? Array(out.utf8) : nil
    }
}
