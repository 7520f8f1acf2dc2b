import HookCore
import Testing
import TermUI

/// Headless lines, `show` and `list` escape with `TerminalSafety` and `CaptureJSON`, the TUI with
/// `Sanitizer` and `CellGrid`: both read the one table in `TextSafety`, so both escape the same
/// characters, and both cap combining marks in a row at the same count.
@Suite struct EscapeSetsTests {
    /// A sample of the table: C1, soft hyphen, bidi mark, zero-width, override, isolate, BOM,
    /// interlinear annotation, tag character.
    static let sample: [Unicode.Scalar] = ["\u{85}", "\u{AD}", "\u{61C}", "\u{200B}", "\u{202E}", "\u{2066}", "\u{FEFF}", "\u{FFF9}", "\u{E0041}"]

    @Test(arguments: sample) func theScreenAndTheHeadlessLinesBothEscape(_ scalar: Unicode.Scalar) {
        let text = "a" + String(scalar) + "b"
        let escaped = "a\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}b"
        // The TUI: an escape piece, drawn in escape cells.
        let pieces = Sanitizer.pieces(of: text)
        #expect(pieces.filter(\.isEscape).map(\.text) == [String(escaped.dropFirst().dropLast())])
        var grid = CellGrid(width: 20, height: 1)
        grid.draw(text, x: 0, y: 0)
        #expect(grid.row(0).hasPrefix(escaped))
        #expect(grid[1, 0].isEscape)
        // The headless readable line and the JSON line.
        #expect(TerminalSafety.escape(Array(text.utf8)) == escaped)
        #expect(!CaptureJSON.quote(text).unicodeScalars.contains(scalar))
    }

    @Test func bothCapCombiningMarksAtTheSameCount() {
        let text = "e" + String(repeating: "\u{301}", count: 6)
        let expected = "e\u{301}\u{301}\u{301}\u{301}\\u{301}\\u{301}"
        var grid = CellGrid(width: 20, height: 1)
        grid.draw(text, x: 0, y: 0)
        #expect(grid.row(0).hasPrefix(expected))
        #expect(TerminalSafety.escape(Array(text.utf8)) == expected)
    }
}
