import TermUI

/// One line of text being typed in a prompt, with a cursor. Every prompt (filter, search, replay
/// URL, secret) edits its text through one of these. The prompt keymap binds no key that moves the
/// cursor, so in the app it stays at the end of the text.
public struct LineEditor: Sendable, Hashable {
    public private(set) var text: String
    /// Characters before the cursor (0 ... `text.count`).
    public private(set) var cursor: Int

    /// Text with the cursor at its end.
    public init(_ text: String = "") {
        self.text = text
        cursor = text.count
    }

    private var cursorIndex: String.Index {
        text.index(text.startIndex, offsetBy: min(max(0, cursor), text.count))
    }

    /// Puts `character` before the cursor.
    mutating func insert(_ character: Character) {
        let split = cursorIndex
        var head = String(text[..<split])
        head.append(character)
        text = head + text[split...]
        // A combining mark joins the character before it: the cursor counts what the text holds.
        cursor = min(head.count, text.count)
    }

    /// Replaces the whole text, the cursor at its end.
    mutating func replace(with text: String) {
        self = LineEditor(text)
    }

    /// Deletes the character before the cursor.
    mutating func deleteBackward() {
        let split = cursorIndex
        guard split > text.startIndex else { return }
        let head = text[..<split].dropLast()
        text = String(head) + text[split...]
        cursor = head.count
    }

    /// Deletes the word before the cursor and the spaces between it and the cursor.
    mutating func deleteWord() {
        let split = cursorIndex
        var head = text[..<split]
        while head.last == " " { head = head.dropLast() }
        while let last = head.last, last != " " { head = head.dropLast() }
        text = String(head) + text[split...]
        cursor = head.count
    }

    /// Deletes everything typed.
    mutating func clear() {
        self = LineEditor()
    }

    mutating func moveLeft() { cursor = max(0, cursor - 1) }
    mutating func moveRight() { cursor = min(text.count, cursor + 1) }
    mutating func moveToStart() { cursor = 0 }
    mutating func moveToEnd() { cursor = text.count }

    /// Applies an editing action of the prompt keymap (Backspace, Ctrl-W, Ctrl-U); false for any other.
    mutating func edit(_ action: Action?) -> Bool {
        switch action {
        case .promptDeleteBackward: deleteBackward()
        case .promptDeleteWord: deleteWord()
        case .promptDeleteLine: clear()
        default: return false
        }
        return true
    }

    /// The same length of text in `mark`s (at most `limit`), for text that is never drawn (a secret).
    func masked(by mark: Character, limit: Int) -> LineEditor {
        var masked = LineEditor(String(repeating: mark, count: min(text.count, limit)))
        masked.cursor = min(cursor, masked.text.count)
        return masked
    }

    /// The text as drawn in `columns` columns plus one for `cursorMark`, which stands at the cursor:
    /// when it does not fit, the text before the cursor shows its end (after a "…"), so what was
    /// typed last stays in sight, and the text after the cursor what fits (before a "…").
    public func display(columns: Int, cursorMark: String = "▏") -> String {
        let split = cursorIndex
        guard DisplayWidth.columns(text) > columns else {
            return String(text[..<split]) + cursorMark + text[split...]
        }
        let head = Self.visibleEnd(of: String(text[..<split]), columns: columns)
        let tail = Self.visibleStart(of: String(text[split...]), columns: columns - DisplayWidth.columns(head))
        return head + cursorMark + tail
    }

    /// The end of `text` that fits in `columns` columns, after a "…" when the start is cut.
    static func visibleEnd(of text: String, columns: Int) -> String {
        guard DisplayWidth.columns(text) > columns else { return text }
        guard columns > 1 else { return "" }
        var used = 1  // the "…"
        var start = text.endIndex
        while start > text.startIndex {
            let previous = text.index(before: start)
            let width = DisplayWidth.columns(String(text[previous]))
            if used + width > columns { break }
            used += width
            start = previous
        }
        return "…" + text[start...]
    }

    /// The start of `text` that fits in `columns` columns, before a "…" when the end is cut.
    static func visibleStart(of text: String, columns: Int) -> String {
        guard DisplayWidth.columns(text) > columns else { return text }
        guard columns > 1 else { return "" }
        var used = 1  // the "…"
        var end = text.startIndex
        while end < text.endIndex {
            let width = DisplayWidth.columns(String(text[end]))
            if used + width > columns { break }
            used += width
            end = text.index(after: end)
        }
        return text[..<end] + "…"
    }
}
