import Foundation
import Testing
import TextSafety
@testable import HookCore

@Suite struct CaptureJSONTests {
    /// The scalar-by-scalar quoting that `CaptureJSON.quote` had before it worked on UTF-8 bytes:
    /// the byte-level version must give the same text.
    static func referenceQuote(_ text: String) -> String {
        func pad4(_ s: String) -> String { String(repeating: "0", count: max(0, 4 - s.count)) + s }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Escaping.mustEscape(scalar) {
                    if scalar.value > 0xFFFF {
                        let v = scalar.value - 0x10000
                        out += "\\u" + pad4(String(0xD800 + (v >> 10), radix: 16)) + "\\u" + pad4(String(0xDC00 + (v & 0x3FF), radix: 16))
                    } else {
                        out += "\\u" + pad4(String(scalar.value, radix: 16))
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Scalars of every kind the quoting treats differently.
    static let pool: [Unicode.Scalar] = [
        "a", "Z", "0", " ", "~", "\"", "\\", "/", "\n", "\r", "\t", "\u{00}", "\u{07}", "\u{1B}", "\u{1F}", "\u{7F}",
        "\u{80}", "\u{85}", "\u{9B}", "\u{9F}", "\u{A0}", "\u{AD}", "é", "\u{061C}", "\u{180E}", "\u{200B}", "\u{200F}",
        "\u{2028}", "\u{202E}", "\u{2066}", "\u{2069}", "\u{FEFF}", "中", "\u{FFFD}", "😀", "\u{1F3F4}", "\u{E0001}",
    ]

    @Test func byteLevelQuotingMatchesTheScalarReference() throws {
        var fixed = ["", "plain ascii", "\"\\", "é中😀", "\u{1B}[31mred\u{9B}31m\u{202E}exe\u{200B}", String(repeating: "x", count: 5000) + "\u{7F}"]
        // Random strings from the pool, with a fixed seed.
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<500 {
            var text = String.UnicodeScalarView()
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            for _ in 0..<Int(seed >> 58) {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                text.append(Self.pool[Int(seed >> 33) % Self.pool.count])
            }
            fixed.append(String(text))
        }
        for text in fixed {
            let quoted = CaptureJSON.quote(text)
            #expect(quoted == Self.referenceQuote(text), "\(Self.referenceQuote(text))")
            // A JSON reader gets the same string back.
            let parsed = try JSONSerialization.jsonObject(with: Data("[\(quoted)]".utf8)) as? [String]
            #expect(parsed == [text])
            #expect(!quoted.unicodeScalars.contains { Escaping.mustEscape($0) })
        }
    }
}
