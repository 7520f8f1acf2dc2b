/// Box-drawing glyphs: Unicode when the locale is UTF-8, ASCII otherwise.
public struct BorderGlyphs: Sendable, Hashable {
    public var horizontal: String
    public var vertical: String
    public var topLeft: String
    public var topRight: String
    public var bottomLeft: String
    public var bottomRight: String

    public static let unicode = BorderGlyphs(horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘")
    public static let ascii = BorderGlyphs(horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+")
}

/// A bordered box with a title; returns the inner rectangle.
public struct Frame: Sendable {
    public var title: TextLine
    public var focused: Bool
    public var glyphs: BorderGlyphs

    public init(title: TextLine, focused: Bool, glyphs: BorderGlyphs = .unicode) {
        self.title = title
        self.focused = focused
        self.glyphs = glyphs
    }

    @discardableResult
    public func render(in rect: Rect, into grid: inout CellGrid) -> Rect {
        guard rect.width >= 2, rect.height >= 2 else { return .zero }
        let style = Style(focused ? .borderFocused : .border, bold: focused)
        grid.fill(rect)
        let horizontal = String(repeating: glyphs.horizontal, count: rect.width - 2)
        grid.draw(glyphs.topLeft + horizontal + glyphs.topRight, x: rect.x, y: rect.y, maxX: rect.maxX, style: style, truncation: .cut)
        grid.draw(glyphs.bottomLeft + horizontal + glyphs.bottomRight, x: rect.x, y: rect.maxY - 1, maxX: rect.maxX, style: style, truncation: .cut)
        for y in (rect.y + 1)..<(rect.maxY - 1) {
            grid.draw(glyphs.vertical, x: rect.x, y: y, style: style, truncation: .cut)
            grid.draw(glyphs.vertical, x: rect.maxX - 1, y: y, style: style, truncation: .cut)
        }
        if rect.width > 4 {
            var line = TextLine([TextSpan(" ", style)])
            line.spans += title.spans
            line.spans.append(TextSpan(" ", style))
            grid.draw(line, x: rect.x + 1, y: rect.y, maxX: rect.maxX - 1)
        }
        return rect.inset(by: 1)
    }
}

/// Column layout of a table: fixed widths plus one flexible column that takes the rest.
public enum ColumnLayout {
    /// Widths for columns where `nil` marks the flexible one; `gap` columns separate them.
    public static func widths(_ columns: [Int?], total: Int, gap: Int = 1) -> [Int] {
        let fixed = columns.compactMap { $0 }.reduce(0, +)
        let gaps = max(0, columns.count - 1) * gap
        let flexible = max(0, total - fixed - gaps)
        return columns.map { $0 ?? flexible }
    }
}
