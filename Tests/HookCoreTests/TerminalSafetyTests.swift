import Foundation
import Testing
import TextSafety

@testable import HookCore

/// `TerminalSafety.escape`, which `show`, `replay` and the headless lines print through: every
/// control, DEL, C1, bidi and zero-width character and invalid byte escaped, the rest kept.
@Suite struct TerminalSafetyTests {
    /// The scalar-by-scalar version the byte-level one replaced, kept as the reference.
    static func reference(_ bytes: [UInt8], keepNewlines: Bool) -> String {
        func hex2(_ byte: UInt8) -> String {
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }
        var out = ""
        var index = 0
        var marks = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 {
                marks = 0
                let scalar = Unicode.Scalar(byte)
                if keepNewlines && byte == 0x0A {
                    out += "\n"
                } else if Escaping.mustEscape(scalar) {
                    out += "\\x" + hex2(byte)
                } else {
                    out.unicodeScalars.append(scalar)
                }
                index += 1
                continue
            }
            var iterator = bytes[index...].makeIterator()
            var decoder = UTF8()
            if case .scalarValue(let scalar) = decoder.decode(&iterator) {
                index += UTF8.width(scalar)
                marks = Escaping.isCombiningMark(scalar) ? marks + 1 : 0
                if Escaping.mustEscape(scalar) || marks > Escaping.maxCombiningMarks {
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            } else {
                marks = 0
                out += "\\x" + hex2(byte)
                index += 1
            }
        }
        return out
    }

    static let hostile: [[UInt8]] = [
        Array("plain ascii".utf8),
        Array(("Z" + String(repeating: "\u{301}\u{20DD}", count: 5) + "x\u{301}").utf8),
        Array("evil \u{1b}[31mred\u{1b}]0;pwned\u{07} \u{202E} rtl".utf8) + [0xff, 0xfe],
        Array("tab\tnew\nline\r\u{7f}del \u{9b}csi \u{200B}zw \u{FEFF}bom \u{2028}ls é ✓ 😀 \u{061C}".utf8),
        [0xc3, 0x28, 0xe2, 0x82, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xc0, 0xaf, 0xe2, 0x80, 0xae],
        Array("        \u{2026}41 ]".utf8),
        [],
    ]

    @Test func escapesWhatCouldActOnTheTerminalAndKeepsTheRest() {
        #expect(TerminalSafety.escape(Array("a\u{1b}[2Jb\u{202E}c".utf8)) == "a\\x1b[2Jb\\u{202E}c")
        #expect(TerminalSafety.escape([0x41, 0xff, 0x0a]) == "A\\xff\\x0a")
        #expect(TerminalSafety.escape([0x41, 0xff, 0x0a], keepNewlines: true) == "A\\xff\n")
        #expect(TerminalSafety.escape(Array("é ✓ 😀".utf8)) == "é ✓ 😀")
        // Past four combining marks in a row the rest are escaped, as on the TUI's screen.
        let zalgo = "Z" + String(repeating: "\u{301}", count: 6) + "algo"
        #expect(TerminalSafety.escape(Array(zalgo.utf8)) == "Z" + String(repeating: "\u{301}", count: 4) + "\\u{301}\\u{301}algo")
        #expect(TerminalSafety.escape(Array("a\u{301}\u{302}b".utf8)) == "a\u{301}\u{302}b")
    }

    @Test func matchesTheScalarByScalarReference() {
        var generator = SystemRandomNumberGenerator()
        var inputs = Self.hostile
        // Random bytes, and random mixes of the hostile pieces.
        for _ in 0..<300 {
            inputs.append((0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            inputs.append((0..<4).flatMap { _ in Self.hostile.randomElement(using: &generator)! })
        }
        for bytes in inputs {
            for keepNewlines in [false, true] {
                let escaped = TerminalSafety.escape(bytes, keepNewlines: keepNewlines)
                #expect(escaped == Self.reference(bytes, keepNewlines: keepNewlines), "\(bytes)")
                #expect(TerminalSafety.escape(bytes[...], keepNewlines: keepNewlines) == escaped)
            }
            // Nothing unsafe survives, whatever came in.
            let out = TerminalSafety.escape(bytes)
            #expect(!out.unicodeScalars.contains(where: Escaping.mustEscape), "\(bytes)")
        }
    }
}
