import Foundation

/// Which shell a generated command is for.
public enum ShellDialect: String, Sendable, Hashable, CaseIterable {
    /// bash, zsh, ksh (and POSIX.1-2024 sh): unusual bytes as `$'\xHH'`.
    case bash
    /// Any POSIX sh, including dash: unusual bytes as `"$(printf '\ooo')"`.
    case posix
}

/// Quotes bytes as one shell word, so that the shell passes exactly those bytes on and never
/// interprets any of them (no expansion, substitution, globbing or word splitting).
///
/// Bytes that would be invisible or dangerous when the command is pasted into a terminal (control
/// bytes other than LF and tab, DEL, invalid UTF-8, C1 controls, bidi overrides, zero-width
/// characters, line separators) are written as escapes. A shell argument cannot hold NUL: callers
/// route such data through `printfFormat` instead (see `CurlExporter`).
public enum ShellQuoting {
    /// `'…'`, each `'` inside written `'\''` (byte by byte: Foundation's `replacingOccurrences` made
    /// this the slowest part of a curl export).
    static func singleQuoted(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = [0x27]
        out.reserveCapacity(bytes.count + 2)
        for b in bytes {
            if b == 0x27 { out += [0x27, 0x5C, 0x27, 0x27] } else { out.append(b) }
        }
        out.append(0x27)
        return String(decoding: out, as: UTF8.self)
    }

    public static func quote(_ bytes: [UInt8], dialect: ShellDialect = .bash) -> String {
        if bytes.isEmpty { return "''" }
        if bytes.allSatisfy(isBare) { return String(decoding: bytes, as: UTF8.self) }
        let escapes = escapeMask(bytes)
        if !escapes.contains(true) {
            return singleQuoted(bytes[...])
        }
        switch dialect {
        case .bash:
            var out = "$'"
            var run: [UInt8] = []
            func flush() { out += String(decoding: run, as: UTF8.self); run.removeAll() }
            for (b, escape) in zip(bytes, escapes) {
                // `!` too, so that interactive bash never tries history expansion.
                if escape || b == UInt8(ascii: "!") {
                    flush()
                    out += "\\x" + hex2(b)
                } else if b == UInt8(ascii: "\\") {
                    flush(); out += "\\\\"
                } else if b == UInt8(ascii: "'") {
                    flush(); out += "\\'"
                } else if b == 0x0A {
                    flush(); out += "\\n"
                } else if b == 0x09 {
                    flush(); out += "\\t"
                } else {
                    run.append(b)
                }
            }
            flush()
            return out + "'"
        case .posix:
            // Single-quoted runs for ordinary bytes; each run of escaped bytes is produced by printf
            // inside double quotes. Escaped runs never contain LF, so command substitution loses nothing.
            var out = ""
            var i = 0
            while i < bytes.count {
                var j = i
                if escapes[i] {
                    while j < bytes.count && escapes[j] { j += 1 }
                    out += "\"$(printf '" + bytes[i..<j].map { "\\" + octal3($0) }.joined() + "')\""
                } else {
                    while j < bytes.count && !escapes[j] { j += 1 }
                    out += singleQuoted(bytes[i..<j])
                }
                i = j
            }
            return out
        }
    }

    public static func quote(_ text: String, dialect: ShellDialect = .bash) -> String {
        quote(Array(text.utf8), dialect: dialect)
    }

    /// A single-quoted printf format that prints exactly these bytes, NUL included, in any POSIX shell:
    /// printable ASCII as itself (`%` doubled, `\` escaped), every other byte as `\ooo`.
    public static func printfFormat(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = [UInt8(ascii: "'")]
        out.reserveCapacity(bytes.count + 2)
        for b in bytes {
            switch b {
            case UInt8(ascii: "%"): out += [b, b]
            case UInt8(ascii: "\\"): out += [b, b]
            case UInt8(ascii: "'"): out += Array("\\047".utf8)
            case 0x20..<0x7F: out.append(b)
            default: out += Array(("\\" + octal3(b)).utf8)
            }
        }
        out.append(UInt8(ascii: "'"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes that need no quoting at all.
    static func isBare(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: ":"),
             UInt8(ascii: "="), UInt8(ascii: "@"), UInt8(ascii: ","), UInt8(ascii: "+"), UInt8(ascii: "%"):
            true
        default:
            false
        }
    }

    /// For each byte, whether it must be written as an escape.
    static func escapeMask(_ bytes: [UInt8]) -> [Bool] {
        var mask = [Bool](repeating: false, count: bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                mask[i] = (b < 0x20 && b != 0x0A && b != 0x09) || b == 0x7F
                i += 1
                continue
            }
            let length = utf8SequenceLength(bytes, at: i)
            guard length > 0 else { mask[i] = true; i += 1; continue }
            var scalar: UInt32 = 0
            switch length {
            case 2: scalar = UInt32(b & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)
            case 3: scalar = UInt32(b & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F)
            default: scalar = UInt32(b & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12 | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F)
            }
            if isInvisible(scalar) {
                for k in i..<(i + length) { mask[k] = true }
            }
            i += length
        }
        return mask
    }

    static func isInvisible(_ s: UInt32) -> Bool {
        (0x80...0x9F).contains(s) || s == 0xAD || s == 0x061C || (0x200B...0x200F).contains(s)
            || (0x2028...0x202E).contains(s) || (0x2060...0x2069).contains(s) || s == 0xFEFF
            || (0xFFF9...0xFFFB).contains(s) || (0xE0000...0xE007F).contains(s)
    }

    /// The length of a valid UTF-8 sequence starting at `i`, or 0 when invalid.
    static func utf8SequenceLength(_ bytes: [UInt8], at i: Int) -> Int {
        let b = bytes[i]
        let need: Int
        if b >= 0xC2 && b <= 0xDF { need = 1 } else if b >= 0xE0 && b <= 0xEF { need = 2 } else if b >= 0xF0 && b <= 0xF4 { need = 3 } else { return 0 }
        guard i + need < bytes.count else { return 0 }
        for k in 1...need where bytes[i + k] & 0xC0 != 0x80 { return 0 }
        let c = bytes[i + 1]
        if (b == 0xE0 && c < 0xA0) || (b == 0xED && c > 0x9F) || (b == 0xF0 && c < 0x90) || (b == 0xF4 && c > 0x8F) { return 0 }
        return need + 1
    }

    static func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
    }

    static func octal3(_ b: UInt8) -> String {
        String([Character(String(b >> 6)), Character(String((b >> 3) & 7)), Character(String(b & 7))])
    }
}
