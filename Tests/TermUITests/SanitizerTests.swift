import Testing
@testable import TermUI

@Suite struct SanitizerTests {
    /// Renders pieces with escapes bracketed, so a test sees exactly what is highlighted.
    func shown(_ bytes: [UInt8], _ mode: Sanitizer.Mode = .singleLine) -> String {
        Sanitizer.pieces(ofBytes: bytes, mode: mode).map { $0.isEscape ? "[\($0.text)]" : $0.text }.joined()
    }

    func shown(_ text: String, _ mode: Sanitizer.Mode = .singleLine) -> String {
        shown(Array(text.utf8), mode)
    }

    @Test(arguments: [
        ("plain text", "plain text"),
        ("\u{1b}]0;pwned title\u{07}", "[\\x1b]]0;pwned title[\\x07]"),
        ("\u{1b}]52;c;SGVsbG8=\u{07}", "[\\x1b]]52;c;SGVsbG8=[\\x07]"),
        ("\u{1b}[2J\u{1b}[H", "[\\x1b][2J[\\x1b][H"),
        ("real\rfake", "real[\\r]fake"),
        ("a\nb", "a[\\n]b"),
        ("a\tb", "a[\\t]b"),
        ("a\u{08}b", "a[\\x08]b"),
        ("del\u{7f}", "del[\\x7f]"),
        ("nul\u{0}", "nul[\\x00]"),
        ("abc\u{202E}cba", "abc[\\u{202E}]cba"),
        ("\u{2066}x\u{2069}", "[\\u{2066}]x[\\u{2069}]"),
        ("\u{200E}\u{200F}\u{061C}", "[\\u{200E}\\u{200F}\\u{61C}]"),
        ("zero\u{200B}width\u{200C}\u{200D}", "zero[\\u{200B}]width[\\u{200C}\\u{200D}]"),
        ("\u{FEFF}bom\u{2060}", "[\\u{FEFF}]bom[\\u{2060}]"),
        ("c1 \u{9b}31m", "c1 [\\u{9B}]31m"),
        ("日本語 ok é", "日本語 ok é"),
        ("emoji 🎉", "emoji 🎉"),
    ])
    func escapesHostileText(input: String, expected: String) {
        #expect(shown(input) == expected)
    }

    @Test func escapesRawC1ByteAndInvalidUTF8ByteByByte() {
        #expect(shown([0x9b, 0x32, 0x4a]) == "[\\x9b]2J")
        #expect(shown([0x61, 0xff, 0x62]) == "a[\\xff]b")
        #expect(shown([0xc3, 0x28]) == "[\\xc3](")            // truncated 2-byte sequence
        #expect(shown([0xc0, 0xaf]) == "[\\xc0\\xaf]")         // overlong '/'
        #expect(shown([0xed, 0xa0, 0x80]) == "[\\xed\\xa0\\x80]") // UTF-16 surrogate
        #expect(shown([0xf4, 0x90, 0x80, 0x80]) == "[\\xf4\\x90\\x80\\x80]") // > U+10FFFF
        #expect(shown([0xe2, 0x82]) == "[\\xe2\\x82]")         // cut at end
        #expect(shown([0xe2, 0x82, 0xac]) == "€")
    }

    @Test func multiLineModeExpandsTabsToStopsButStillEscapesCR() {
        #expect(shown("a\tb", .multiLine(tabWidth: 4)) == "a   b")
        #expect(shown("abcd\tb", .multiLine(tabWidth: 4)) == "abcd    b")
        #expect(shown("line\r", .multiLine(tabWidth: 4)) == "line[\\r]")
    }

    @Test func literalTextNeverCarriesTheEscapeStyle() {
        var grid = CellGrid(width: 20, height: 1)
        grid.draw("a\u{1b}b", x: 0, y: 0, style: Style(.escaped))
        #expect(grid.row(0).hasPrefix("a\\x1bb"))
        #expect(grid[0, 0].isEscape == false)
        #expect(grid[0, 0].effectiveStyle.role == .normal)
        for x in 1...4 { #expect(grid[x, 0].isEscape && grid[x, 0].effectiveStyle.role == .escaped) }
        #expect(grid[5, 0].isEscape == false)
    }
}
