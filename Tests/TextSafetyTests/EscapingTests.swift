import Testing
import TextSafety

/// The one table of scalars that never reach a terminal as they are: each range's ends are in,
/// the scalars just outside each range are out.
@Suite struct EscapingTests {
    static let escaped: [UInt32] = [
        0x00, 0x09, 0x0A, 0x0D, 0x1B, 0x1F,   // C0 controls
        0x7F,                                 // DEL
        0x80, 0x85, 0x9B, 0x9F,               // C1 controls
        0x00AD,                               // soft hyphen
        0x061C,                               // Arabic letter mark
        0x180E,                               // Mongolian vowel separator
        0x200B, 0x200D, 0x200F,               // zero-width space … RLM
        0x2028, 0x2029, 0x202A, 0x202E,       // separators, embeddings, overrides
        0x2060, 0x2066, 0x2069, 0x206F,       // word joiner, isolates … deprecated format
        0xFEFF,                               // BOM
        0xFFF9, 0xFFFA, 0xFFFB,               // interlinear annotation
        0xE0000, 0xE0001, 0xE0041, 0xE007F,   // tag characters
    ]

    static let kept: [UInt32] = [
        0x20, 0x41, 0x7E,                     // printable ASCII, just above C0 and below DEL
        0xA0, 0xAC, 0xAE,                     // just above C1, around the soft hyphen
        0x061B, 0x061D,                       // around the Arabic letter mark
        0x180D, 0x180F,                       // around the Mongolian vowel separator
        0x200A, 0x2010,                       // around U+200B–200F
        0x2027, 0x202F,                       // around U+2028–202E
        0x205F, 0x2070,                       // around U+2060–206F
        0xFEFE, 0xFF00,                       // around the BOM
        0xFFF8, 0xFFFC, 0xFFFD,               // around the interlinear annotation; the replacement character
        0xDFFFF, 0xE0080, 0xE0100,            // around the tag characters; a variation selector
        0x0301, 0x00E9, 0x65E5, 0x1F600,      // a combining mark, a letter, CJK, an emoji
    ]

    @Test(arguments: escaped) func escapes(_ value: UInt32) throws {
        let scalar = try #require(Unicode.Scalar(value))
        #expect(Escaping.mustEscape(scalar))
    }

    @Test(arguments: kept) func keeps(_ value: UInt32) throws {
        let scalar = try #require(Unicode.Scalar(value))
        #expect(!Escaping.mustEscape(scalar))
    }

    /// Over every scalar, the set is exactly the listed ranges.
    @Test func theSetIsExactlyTheRanges() {
        let ranges: [ClosedRange<UInt32>] = [
            0x00...0x1F, 0x7F...0x9F, 0xAD...0xAD, 0x061C...0x061C, 0x180E...0x180E, 0x200B...0x200F,
            0x2028...0x202E, 0x2060...0x206F, 0xFEFF...0xFEFF, 0xFFF9...0xFFFB, 0xE0000...0xE007F,
        ]
        var differences: [String] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            if Escaping.mustEscape(scalar) != ranges.contains(where: { $0.contains(value) }) {
                differences.append("U+\(String(value, radix: 16, uppercase: true))")
                if differences.count > 10 { break }
            }
        }
        #expect(differences.isEmpty, "\(differences.joined(separator: " "))")
    }

    @Test func combiningMarks() {
        #expect(Escaping.maxCombiningMarks == 4)
        #expect(Escaping.isCombiningMark("\u{301}"))    // combining acute accent (Mn)
        #expect(Escaping.isCombiningMark("\u{20DD}"))   // combining enclosing circle (Me)
        #expect(!Escaping.isCombiningMark("\u{903}"))   // Devanagari visarga (Mc: takes its own column)
        #expect(!Escaping.isCombiningMark("e"))
        #expect(!Escaping.isCombiningMark("\u{200D}"))  // zero-width joiner (Cf)
    }
}
