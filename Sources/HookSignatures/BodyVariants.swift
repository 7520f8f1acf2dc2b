import Foundation
import HookCore

/// Bodies close to the received one that a sender or a proxy may have signed instead:
/// used to say *why* a signature does not match.
enum BodyVariants {
    struct Variant {
        var bytes: [UInt8]
        /// Completes "the signature matches the body …".
        var label: String
        /// What it means.
        var meaning: String
    }

    /// The variants in a fixed order, made one at a time as they are asked for: callers stop at the
    /// first one that explains a mismatch, so the JSON re-serializations are only made when the
    /// cheaper variants before them did not match.
    static func of(_ body: [UInt8]) -> Variants { Variants(body: body) }

    struct Variants: Sequence {
        let body: [UInt8]

        func makeIterator() -> Iterator { Iterator(body: body) }

        struct Iterator: IteratorProtocol {
            let body: [UInt8]
            private var step = 0
            private var done = false
            private var pending: [Variant] = []
            private var json: ReserializableJSON?
            /// Bodies already handed out among the JSON variants (and the body itself), compared
            /// as bytes: a handful of arrays, cheaper to scan than to hash whole.
            private var seen: [[UInt8]] = []

            init(body: [UInt8]) { self.body = body }

            mutating func next() -> Variant? {
                while pending.isEmpty {
                    guard !done, step <= 18 else { return nil }
                    produce(step)
                    step += 1
                }
                return pending.removeFirst()
            }

            private static let changedInTransit = "the body changed after signing (a proxy, framework or test script rewrote it)"
            private static let reserialized = "the sender signed re-serialized JSON, not the bytes it sent (or something re-encoded the JSON on the way)"

            private mutating func produce(_ step: Int) {
                switch step {
                case 0:
                    if body.last == 0x0A {
                        var trimmed = body
                        trimmed.removeLast()
                        if trimmed.last == 0x0D {
                            var both = trimmed
                            both.removeLast()
                            pending.append(Variant(bytes: both, label: "without its trailing CRLF", meaning: "a line break was added after signing (or the sender signed trimmed text)"))
                        }
                        pending.append(Variant(bytes: trimmed, label: "without its trailing newline", meaning: "a newline was added after signing (or the sender signed trimmed text)"))
                    } else {
                        pending.append(Variant(bytes: body + [0x0A], label: "with a trailing newline added", meaning: "the sender signed a body ending in a newline and it was stripped on the way"))
                        pending.append(Variant(bytes: body + [0x0D, 0x0A], label: "with a trailing CRLF added", meaning: "the sender signed a body ending in CRLF and it was stripped on the way"))
                    }
                case 1:
                    if let first = body.firstIndex(where: { !isSpace($0) }), first > 0 || body.lastIndex(where: { !isSpace($0) }).map({ $0 < body.count - 1 }) == true {
                        let last = body.lastIndex(where: { !isSpace($0) })!
                        pending.append(Variant(bytes: Array(body[first...last]), label: "with surrounding whitespace trimmed", meaning: Self.changedInTransit))
                    }
                    // Charset and JSON variants are only tried for bodies of reasonable size.
                    if body.count > 2_000_000 { done = true }
                case 2:
                    // ASCII bytes decode to ASCII scalars only: no Latin-1 variant to make.
                    if body.contains(where: { $0 >= 0x80 }), let text = String(bytes: body, encoding: .utf8),
                       text.unicodeScalars.contains(where: { !$0.isASCII }), let latin1 = text.data(using: .isoLatin1) {
                        pending.append(Variant(bytes: Array(latin1), label: "encoded as Latin-1 instead of UTF-8", meaning: "the body was transcoded from Latin-1 to UTF-8 after signing (charset conversion by a proxy or framework)"))
                    }
                case 3:
                    if body.contains(where: { $0 >= 0x80 }) {
                        var reencoded: [UInt8] = []
                        reencoded.reserveCapacity(body.count + body.count / 4)
                        for b in body {
                            if b < 0x80 { reencoded.append(b) } else { reencoded += [0xC0 | (b >> 6), 0x80 | (b & 0x3F)] }
                        }
                        pending.append(Variant(bytes: reencoded, label: "read as Latin-1 and re-encoded as UTF-8", meaning: "a charset conversion happened between signing and delivery (UTF-8 text turned into Latin-1 bytes, or a body decoded as Latin-1 before signing)"))
                    }
                case 4:
                    guard let parsed = ReserializableJSON(body) else {
                        done = true
                        return
                    }
                    json = parsed
                    seen = [body]
                case 5:
                    add(minifiedJSON(body), "with the whitespace between JSON tokens removed (compact, in the same key order)",
                        "the sender signed compact JSON and something re-formatted it with whitespace on the way")
                // The re-serializations keep the received key order (as JSON.stringify, json.dumps,
                // json_encode and Go do), so each is made the same way on every call.
                case 6: add(serialize(.init()), "re-serialized as compact JSON")
                case 7: add(serialize(.init(sortedKeys: true)), "re-serialized as compact JSON with sorted keys")
                case 8: add(serialize(.init(escapeSlash: true)), "re-serialized as compact JSON with `/` escaped as `\\/`")
                case 9: add(serialize(.init(layout: .pretty(indent: 2, colon: ": "))), "re-serialized as pretty-printed JSON (2-space indent)")
                case 10: add(serialize(.init(layout: .pretty(indent: 4, colon: ": "))), "re-serialized as pretty-printed JSON (4-space indent)")
                case 11: add(serialize(.init(layout: .pretty(indent: 2, colon: " : "))), "re-serialized as pretty-printed JSON with ` : ` after keys (Foundation's style)")
                case 12: add(serialize(.init(layout: .spaced)), "re-serialized with spaces after `:` and `,` (Python json.dumps style)")
                case 13: add(serialize(.init(layout: .spaced, asciiOnly: true)), "re-serialized with spaces after `:` and `,` and non-ASCII escaped as \\uXXXX (Python json.dumps defaults)")
                case 14: add(serialize(.init(asciiOnly: true)), "with non-ASCII characters escaped as \\uXXXX")
                case 15: add(serialize(.init(escapeSlash: true, asciiOnly: true)), "with non-ASCII escaped as \\uXXXX and `/` as `\\/` (Meta's escaping)")
                case 16: add(unescapedNonASCII(body), "with \\uXXXX escapes written as the characters themselves", "the sender signed JSON with different escaping than it sent")
                case 17: add(changeEscapeCase(body, upper: false), "with \\uXXXX escapes in lower-case hex", "the sender signed JSON with lower-case \\u escapes (JSON.stringify style) but sent upper-case ones")
                case 18: add(changeEscapeCase(body, upper: true), "with \\uXXXX escapes in upper-case hex", "the sender signed JSON with upper-case \\u escapes but sent lower-case ones (re-serialized)")
                default: break
                }
            }

            private mutating func add(_ bytes: [UInt8]?, _ label: String, _ meaning: String = reserialized) {
                guard let bytes, !seen.contains(bytes) else { return }
                seen.append(bytes)
                pending.append(Variant(bytes: bytes, label: label, meaning: meaning))
            }

            private func serialize(_ style: ReserializableJSON.Style) -> [UInt8]? {
                json?.write(style)
            }
        }
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// Rewrites JSON text byte by byte: bytes inside strings (quotes and escapes included) are kept,
    /// each byte outside them is replaced by what `outside` returns.
    static func rewritingOutsideStrings(_ bytes: [UInt8], _ outside: (UInt8, inout [UInt8]) -> Void) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var inString = false
        var escaped = false
        for b in bytes {
            if inString {
                if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == 0x22 { inString = false }
                out.append(b)
            } else {
                if b == 0x22 { inString = true }
                outside(b, &out)
            }
        }
        return out
    }

    /// JSON text without the whitespace between tokens (strings kept byte for byte); nil when there
    /// is no such whitespace.
    static func minifiedJSON(_ bytes: [UInt8]) -> [UInt8]? {
        let out = rewritingOutsideStrings(bytes) { b, out in
            if !isSpace(b) { out.append(b) }
        }
        return out.count == bytes.count ? nil : out
    }

    /// Rewrites the hex digits of `\uXXXX` escapes to one case; nil when there is none to change.
    static func changeEscapeCase(_ bytes: [UInt8], upper: Bool) -> [UInt8]? {
        var out = bytes
        var changed = false
        var i = 0
        while i + 5 < out.count {
            if out[i] == 0x5C {
                if out[i + 1] == 0x75 {
                    for j in (i + 2)...(i + 5) {
                        let c = out[j]
                        if upper, c >= 0x61 && c <= 0x66 { out[j] = c - 32; changed = true }
                        if !upper, c >= 0x41 && c <= 0x46 { out[j] = c + 32; changed = true }
                    }
                    i += 6
                    continue
                }
                i += 2
                continue
            }
            i += 1
        }
        return changed ? out : nil
    }

    /// Replaces `\uXXXX` escapes of non-ASCII characters by the UTF-8 characters; nil when none.
    /// Byte by byte, in one pass (it used to step through a Substring, counting what was left at
    /// every character: a 1.5 MB body with escapes took a minute). A high-surrogate escape waits for
    /// the low one after it; a surrogate escape without its pair is dropped, as before.
    static func unescapedNonASCII(_ bytes: [UInt8]) -> [UInt8]? {
        // Without the bytes `\u` the text cannot contain an escape.
        guard contains(bytes, [0x5C, 0x75]), String(validating: bytes, as: UTF8.self) != nil else { return nil }
        func hex(_ b: UInt8) -> UInt32? { hexDigitValue(b).map(UInt32.init) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var changed = false
        var pendingHigh: UInt32?
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x5C, i + 1 < bytes.count {
                if bytes[i + 1] == 0x5C {
                    out.append(0x5C)
                    out.append(0x5C)
                    i += 2
                    continue
                }
                if bytes[i + 1] == 0x75, i + 6 <= bytes.count,
                   let d0 = hex(bytes[i + 2]), let d1 = hex(bytes[i + 3]), let d2 = hex(bytes[i + 4]), let d3 = hex(bytes[i + 5]) {
                    let v = d0 << 12 | d1 << 8 | d2 << 4 | d3
                    if v >= 0x80 {
                        if v >= 0xD800 && v < 0xDC00 {
                            pendingHigh = v
                        } else if v >= 0xDC00 && v < 0xE000 {
                            if let high = pendingHigh, let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (v - 0xDC00)) {
                                out.append(contentsOf: UTF8.encode(scalar)!)
                                pendingHigh = nil
                                changed = true
                            }
                        } else if let scalar = Unicode.Scalar(v) {
                            out.append(contentsOf: UTF8.encode(scalar)!)
                            changed = true
                        }
                        i += 6
                        continue
                    }
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return changed ? out : nil
    }
}
