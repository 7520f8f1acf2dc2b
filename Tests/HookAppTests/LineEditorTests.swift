import Testing
@testable import HookApp

@Suite struct LineEditorTests {
    func editor(_ text: String, cursor: Int) -> LineEditor {
        var editor = LineEditor(text)
        editor.moveToStart()
        for _ in 0..<cursor { editor.moveRight() }
        return editor
    }

    @Test func startsWithTheCursorAtTheEnd() {
        let editor = LineEditor("abc")
        #expect(editor.text == "abc" && editor.cursor == 3)
        #expect(LineEditor().text.isEmpty && LineEditor().cursor == 0)
    }

    @Test func insertsAndDeletesAtTheCursor() {
        var editor = LineEditor("ac")
        editor.moveLeft()
        editor.insert("b")
        #expect(editor.text == "abc" && editor.cursor == 2)
        editor.moveToEnd()
        editor.insert("d")
        #expect(editor.text == "abcd" && editor.cursor == 4)
        editor = self.editor("abc", cursor: 1)
        editor.deleteBackward()
        #expect(editor.text == "bc" && editor.cursor == 0)
        editor.deleteBackward()
        #expect(editor.text == "bc" && editor.cursor == 0)
    }

    @Test func theCursorStaysInTheText() {
        var editor = LineEditor("ab")
        editor.moveRight()
        #expect(editor.cursor == 2)
        editor.moveLeft(); editor.moveLeft(); editor.moveLeft()
        #expect(editor.cursor == 0)
    }

    /// A combining mark joins the character before it: the cursor still counts whole characters.
    @Test func aCombiningMarkJoinsTheCharacterBeforeIt() {
        var editor = LineEditor("e")
        editor.insert("\u{301}")
        #expect(editor.text == "e\u{301}" && editor.text.count == 1 && editor.cursor == 1)
        editor.deleteBackward()
        #expect(editor.text.isEmpty && editor.cursor == 0)
    }

    struct WordCase: Sendable, CustomTestStringConvertible {
        var text: String
        var cursor: Int
        var after: String
        var cursorAfter: Int
        var testDescription: String { "\"\(text)\" at \(cursor)" }
    }

    /// Ctrl-W deletes the word before the cursor and the spaces between it and the cursor, as in a shell.
    @Test(arguments: [
        WordCase(text: "method:POST  github", cursor: 19, after: "method:POST  ", cursorAfter: 13),
        WordCase(text: "method:POST  ", cursor: 13, after: "", cursorAfter: 0),
        WordCase(text: "http://127.0.0.1:4000/a/b", cursor: 25, after: "", cursorAfter: 0),
        WordCase(text: "foo bar baz", cursor: 7, after: "foo  baz", cursorAfter: 4),
        WordCase(text: "foo bar", cursor: 0, after: "foo bar", cursorAfter: 0),
        WordCase(text: "   ", cursor: 3, after: "", cursorAfter: 0),
    ])
    func ctrlWDeletesTheWordBeforeTheCursor(_ c: WordCase) {
        var editor = editor(c.text, cursor: c.cursor)
        editor.deleteWord()
        #expect(editor.text == c.after)
        #expect(editor.cursor == c.cursorAfter)
    }

    @Test func ctrlUClearsEverything() {
        var editor = editor("some text", cursor: 4)
        editor.clear()
        #expect(editor.text.isEmpty && editor.cursor == 0)
    }

    @Test func theEditingActionsOfThePromptKeymap() {
        var editor = LineEditor("one two")
        var edited = editor.edit(.promptDeleteBackward)
        #expect(edited && editor.text == "one tw")
        edited = editor.edit(.promptDeleteWord)
        #expect(edited && editor.text == "one ")
        edited = editor.edit(.promptDeleteLine)
        #expect(edited && editor.text.isEmpty)
        editor = LineEditor("kept")
        for action: Action? in [nil, .promptAccept, .promptCancel, .moveUp, .quit] {
            edited = editor.edit(action)
            #expect(!edited)
        }
        #expect(editor.text == "kept")
    }

    @Test func replacingPutsTheCursorAtTheEnd() {
        var editor = editor("abc", cursor: 1)
        editor.replace(with: "http://h/")
        #expect(editor.text == "http://h/" && editor.cursor == 9)
    }

    struct DisplayCase: Sendable, CustomTestStringConvertible {
        var text: String
        var cursor: Int
        var columns: Int
        var shown: String
        var testDescription: String { "\"\(text)\" at \(cursor) in \(columns)" }
    }

    /// The drawn text keeps the cursor in sight: what fits shows whole, a long text shows the end
    /// before the cursor (after a "…") and what fits after it (before a "…").
    @Test(arguments: [
        DisplayCase(text: "abc", cursor: 3, columns: 10, shown: "abc▏"),
        DisplayCase(text: "abc", cursor: 3, columns: 3, shown: "abc▏"),
        DisplayCase(text: "abcdefghij", cursor: 10, columns: 5, shown: "…ghij▏"),
        DisplayCase(text: "日本語", cursor: 3, columns: 4, shown: "…語▏"),
        DisplayCase(text: "abc", cursor: 3, columns: 0, shown: "▏"),
        DisplayCase(text: "abc", cursor: 1, columns: 10, shown: "a▏bc"),
        DisplayCase(text: "abcdefghij", cursor: 2, columns: 6, shown: "ab▏cde…"),
        DisplayCase(text: "abcdefghij", cursor: 8, columns: 6, shown: "…defgh▏"),
    ])
    func displayKeepsTheCursorInSight(_ c: DisplayCase) {
        #expect(editor(c.text, cursor: c.cursor).display(columns: c.columns) == c.shown)
    }

    @Test func maskedTextShowsOneMarkPerCharacterUpToTheLimit() {
        #expect(LineEditor("whsec_right").masked(by: "•", limit: 40).text == "•••••••••••")
        let long = LineEditor(String(repeating: "x", count: 50)).masked(by: "•", limit: 40)
        #expect(long.text.count == 40 && long.cursor == 40)
        #expect(editor("secret", cursor: 2).masked(by: "•", limit: 40).cursor == 2)
    }
}
