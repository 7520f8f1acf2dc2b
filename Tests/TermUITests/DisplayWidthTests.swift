import Testing
@testable import TermUI

@Suite struct DisplayWidthTests {
    @Test(arguments: [
        ("a", 1), ("~", 1), ("é", 1), ("ж", 1),
        ("日", 2), ("한", 2), ("ｱ", 1), ("Ａ", 2), ("。", 2),
        ("🎉", 2), ("😀", 2), ("🚀", 2), ("⌚", 2),
        ("\u{0301}", 0), ("\u{20D7}", 0), ("\u{FE0F}", 0), ("\u{1F3FB}", 0),
        ("\u{1b}", 0), ("\u{9b}", 0),
    ] as [(String, Int)])
    func scalarWidths(text: String, width: Int) {
        #expect(DisplayWidth.of(text.unicodeScalars.first!) == width)
    }

    @Test func columnsCountEscapesAtTheirDrawnWidth() {
        #expect(DisplayWidth.columns("abc") == 3)
        #expect(DisplayWidth.columns("日本") == 4)
        #expect(DisplayWidth.columns("e\u{301}") == 1)
        #expect(DisplayWidth.columns("\u{1b}[") == 5)       // \x1b then [
        #expect(DisplayWidth.columns("\u{202E}") == 8)      // \u{202E}
    }
}
