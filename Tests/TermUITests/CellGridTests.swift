import Testing
import TextSafety
@testable import TermUI

@Suite struct CellGridTests {
    @Test func cutsByColumnsWithEllipsisAndNeverSpills() {
        var grid = CellGrid(width: 12, height: 1)
        let end = grid.draw("hello, world of panes", x: 2, y: 0, maxX: 10)
        #expect(end == 10)
        #expect(grid.row(0) == "  hello, …  ")
    }

    @Test func wideCharactersTakeTwoCellsAndAreNotSplit() {
        var grid = CellGrid(width: 8, height: 2)
        grid.draw("日本語", x: 0, y: 0, maxX: 5, truncation: .cut)
        #expect(grid.row(0) == "日本    ")
        #expect(grid[1, 0].isContinuation)
        grid.draw("a日本", x: 0, y: 1, maxX: 4, truncation: .cut)
        #expect(grid.row(1) == "a日     ")  // 本 does not fit in the last column: a blank instead
    }

    @Test func combiningMarksJoinTheirBase() {
        var grid = CellGrid(width: 4, height: 1)
        grid.draw("e\u{301}x", x: 0, y: 0)
        #expect(grid[0, 0].text == "e\u{301}")
        #expect(grid[1, 0].text == "x")
    }

    /// "Zalgo" text: past four marks on one letter the rest are drawn as visible escapes, so a
    /// sender cannot pile thousands of marks into one cell (found by CellGridFuzzTests).
    @Test func combiningMarksPastFourAreShownAsEscapes() {
        var grid = CellGrid(width: 20, height: 1)
        grid.draw("e" + String(repeating: "\u{301}", count: 3000) + "x", x: 0, y: 0)
        #expect(grid[0, 0].text == "e" + String(repeating: "\u{301}", count: 4))
        #expect(grid.row(0).hasPrefix("e\u{301}\u{301}\u{301}\u{301}\\u{301}\\u{301}"))
        #expect(grid[1, 0].isEscape)
        #expect(grid[19, 0].text == "…")
        var short = CellGrid(width: 4, height: 1)
        short.draw("a\u{301}\u{302}b", x: 0, y: 0)
        #expect(short[0, 0].text == "a\u{301}\u{302}" && short[1, 0].text == "b")
    }

    /// A wide character that did not fit at the right edge of a horizontally scrolled span left a
    /// blank left of the span's start (over a pane border, say; found by CellGridFuzzTests).
    @Test func aScrolledWideCharacterNeverBlanksLeftOfTheSpan() {
        var grid = CellGrid(width: 5, height: 1)
        grid.draw("日x日", x: 0, y: 0)
        // An empty span at column 3 (a pane squeezed to nothing), scrolled by one: its first wide
        // character would sit at 2-3, and did not fit.
        grid.draw(TextLine("日日"), x: 3, y: 0, maxX: 3, skipColumns: 1)
        #expect(grid[2, 0].text == "x", "\(grid.row(0))")
    }

    @Test func overwritingHalfAWideCharacterBlanksTheOtherHalf() {
        var grid = CellGrid(width: 4, height: 1)
        grid.draw("日本", x: 0, y: 0)
        grid.draw("x", x: 1, y: 0)
        #expect(grid.row(0) == " x本")
        #expect(grid[0, 0].width == 1)
    }

    @Test func carriageReturnCannotOverwriteEarlierText() {
        var grid = CellGrid(width: 30, height: 1)
        grid.draw("amount=100\rAMOUNT=999", x: 0, y: 0)
        #expect(grid.textLines() == ["amount=100\\rAMOUNT=999"])
    }

    @Test func drawingOutsideTheGridIsClipped() {
        var grid = CellGrid(width: 3, height: 1)
        grid.draw("abcdef", x: -2, y: 0, truncation: .cut)
        grid.draw("zzz", x: 0, y: 5)
        #expect(grid.row(0) == "cde")
    }

    @Test func horizontalScrollSkipsColumnsWithoutDrawingLeftOfTheStart() {
        var grid = CellGrid(width: 8, height: 2)
        grid.draw("|", x: 0, y: 0)
        grid.draw(TextLine("abcdefghij"), x: 1, y: 0, maxX: 7, skipColumns: 3)
        #expect(grid.row(0) == "|defgh… ")
        grid.draw("|", x: 0, y: 1)
        grid.draw(TextLine("a日本x"), x: 1, y: 1, maxX: 8, skipColumns: 2)
        #expect(grid.row(1) == "| 本x   ")
    }

    @Test func hugeLinesAreCutWithoutSanitizingEveryByte() {
        var grid = CellGrid(width: 10, height: 1)
        let huge = [UInt8](repeating: UInt8(ascii: "x"), count: 5_000_000)
        grid.draw(bytes: huge, x: 0, y: 0)
        #expect(grid.row(0) == "xxxxxxxxx…")
        // Zero-width scalars beyond the byte budget are simply not shown; the cut is marked.
        var marks = CellGrid(width: 4, height: 1)
        marks.draw("a" + String(repeating: "\u{301}", count: 10_000), x: 0, y: 0)
        #expect(marks[3, 0].text == "…")
    }

    @Test func spansKeepTheirStyles() {
        var grid = CellGrid(width: 10, height: 1)
        var line = TextLine("ab", Style(.key))
        line.append("cd", Style(.string))
        grid.draw(line, x: 0, y: 0)
        #expect(grid[1, 0].style.role == .key)
        #expect(grid[2, 0].style.role == .string)
    }

    @Test func frameDrawsBorderAndSanitizedTitle() {
        var grid = CellGrid(width: 12, height: 3)
        let inner = Frame(title: TextLine("T\u{1b}"), focused: true).render(in: grid.bounds, into: &grid)
        #expect(inner == Rect(x: 1, y: 1, width: 10, height: 1))
        #expect(grid.textLines() == ["┌ T\\x1b ───┐", "│          │", "└──────────┘"])
        #expect(grid[4, 0].isEscape)
    }

    @Test func columnLayoutGivesTheRestToTheFlexibleColumn() {
        #expect(ColumnLayout.widths([4, nil, 3], total: 20) == [4, 11, 3])
        #expect(ColumnLayout.widths([10, nil], total: 5) == [10, 0])
    }

    @Test func scriptedKeysParseNamedKeys() {
        #expect(Key.parseSequence("jj/st<enter><s-tab><lt>") == [
            .character("j"), .character("j"), .character("/"), .character("s"), .character("t"),
            .enter, .backTab, .character("<"),
        ])
    }

    @Test func terminalCharactersMapToKeys() {
        #expect(Key.fromTerminalCharacter(9) == .tab)
        #expect(Key.fromTerminalCharacter(13) == .enter)
        #expect(Key.fromTerminalCharacter(10) == .enter)
        #expect(Key.fromTerminalCharacter(27) == .escape)
        #expect(Key.fromTerminalCharacter(127) == .backspace)
        #expect(Key.fromTerminalCharacter(3) == .control("c"))
        #expect(Key.fromTerminalCharacter(0) == nil)
        #expect(Key.fromTerminalCharacter(0x9B) == nil)
        #expect(Key.fromTerminalCharacter(0xD800) == nil)
        #expect(Key.fromTerminalCharacter(UInt32(UInt8(ascii: "j"))) == .character("j"))
        #expect(Key.fromTerminalCharacter(0x65E5) == .character("日"))
    }

    @Test func noColorPicksMonochrome() {
        #expect(Theme.choose(environment: ["NO_COLOR": "1"], terminalHasColors: true).usesColor == false)
        #expect(Theme.choose(environment: [:], terminalHasColors: true).usesColor)
        #expect(Theme.choose(environment: ["NO_COLOR": ""], terminalHasColors: true).usesColor)
        #expect(Theme.choose(environment: [:], terminalHasColors: false).usesColor == false)
    }

    @Test func mailboxKeepsOnlyTheNewestFrameAndWakesOnce() {
        let mailbox = FrameMailbox()
        var a = CellGrid(width: 2, height: 1); a.draw("a", x: 0, y: 0)
        var b = CellGrid(width: 2, height: 1); b.draw("b", x: 0, y: 0)
        var c = CellGrid(width: 2, height: 1); c.draw("c", x: 0, y: 0)
        #expect(mailbox.put(a) == true)
        #expect(mailbox.put(b) == false)
        #expect(mailbox.put(c) == false)
        #expect(mailbox.take()?.row(0) == "c ")
        #expect(mailbox.take() == nil)
        #expect(mailbox.put(a) == true)
    }
}
