import TextSafety

/// One terminal cell: a grapheme (a base scalar plus any combining marks), its style, and whether it is
/// part of an escape drawn by the sanitizer. A wide character occupies its cell and the next, which is a
/// continuation cell with empty text.
public struct Cell: Sendable, Hashable {
    public internal(set) var text: String
    public internal(set) var style: Style
    /// True only for cells the sanitizer produced (an escaped control, bidi override, invalid byte, ...).
    public internal(set) var isEscape: Bool
    /// 2 for the lead cell of a wide character, 1 otherwise, 0 for a continuation cell.
    public internal(set) var width: UInt8

    public static let blank = Cell(text: " ", style: .normal, isEscape: false, width: 1)

    public var isContinuation: Bool { width == 0 }

    /// The style used to draw the cell: escapes always carry the reserved escaped role.
    public var effectiveStyle: Style { isEscape ? Style.escapedText : style }
}

/// How text that does not fit is cut.
public enum Truncation: Sendable {
    case cut
    case ellipsis
}

/// An in-memory screen: widgets draw into it, tests read it as text, the terminal blits it.
/// Every string is drawn through the `Sanitizer` and measured with `DisplayWidth`.
public struct CellGrid: Sendable, Hashable {
    public let size: Size
    public private(set) var cells: [Cell]

    public init(size: Size) {
        self.size = size
        cells = Array(repeating: .blank, count: size.width * size.height)
    }

    public init(width: Int, height: Int) {
        self.init(size: Size(width: width, height: height))
    }

    public var width: Int { size.width }
    public var height: Int { size.height }
    public var bounds: Rect { Rect(size: size) }

    public subscript(x: Int, y: Int) -> Cell {
        guard x >= 0, y >= 0, x < width, y < height else { return .blank }
        return cells[y * width + x]
    }

    /// Fills a rectangle with blanks of one style.
    public mutating func fill(_ rect: Rect, style: Style = .normal) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        var cell = Cell.blank
        cell.style = style
        for y in r.y..<r.maxY {
            for x in r.x..<r.maxX { cells[y * width + x] = cell }
        }
        repairEdges(of: r)
    }

    /// Changes the style of every cell in a rectangle, keeping its text (e.g. a selection bar).
    public mutating func restyle(_ rect: Rect, _ transform: (inout Style) -> Void) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        for y in r.y..<r.maxY {
            for x in r.x..<r.maxX { transform(&cells[y * width + x].style) }
        }
    }

    /// Draws a line of text starting at column `x`, never past column `maxX` (exclusive) nor the grid.
    /// Returns the column after the last one drawn.
    @discardableResult
    public mutating func draw(_ text: String, x: Int, y: Int, maxX: Int? = nil, style: Style = .normal,
                              mode: Sanitizer.Mode = .singleLine, truncation: Truncation = .ellipsis) -> Int {
        draw(TextLine([TextSpan(text, style)]), x: x, y: y, maxX: maxX, mode: mode, truncation: truncation)
    }

    /// Draws bytes (possibly invalid UTF-8) as one line of text.
    @discardableResult
    public mutating func draw(bytes: some Collection<UInt8>, x: Int, y: Int, maxX: Int? = nil, style: Style = .normal,
                              mode: Sanitizer.Mode = .singleLine, truncation: Truncation = .ellipsis) -> Int {
        draw(TextLine([TextSpan(bytes: Array(bytes), style)]), x: x, y: y, maxX: maxX, mode: mode, truncation: truncation)
    }

    /// Draws a line of styled spans. `skipColumns` scrolls the line horizontally: its first columns are not drawn.
    @discardableResult
    public mutating func draw(_ line: TextLine, x: Int, y: Int, maxX: Int? = nil,
                              mode: Sanitizer.Mode = .singleLine, truncation: Truncation = .ellipsis, skipColumns: Int = 0) -> Int {
        let origin = x - max(0, skipColumns)
        var column = origin
        let limit = min(maxX ?? width, width)
        for span in line.spans {
            // Only the bytes that can reach the visible columns are sanitized: a megabyte-long line costs
            // no more to draw than a short one. Every drawn column needs at least one byte, so a budget
            // of several bytes per column leaves room for multi-byte and zero-width scalars.
            let budget = max(0, limit - column) * 16 + 64
            let cut = span.bytes.count > budget
            let pieces = Sanitizer.pieces(ofBytes: cut ? span.bytes[..<budget] : span.bytes[...], mode: mode, startColumn: column - origin)
            var (next, overflow) = drawPieces(pieces, x: column, y: y, limit: limit, style: span.style, minX: x)
            if cut { overflow = true }
            column = next
            if overflow {
                if truncation == .ellipsis, limit > x { placeEllipsis(at: limit - 1, y: y, style: span.style) }
                break
            }
        }
        return column
    }

    private mutating func drawPieces(_ pieces: [Sanitizer.Piece], x: Int, y: Int, limit: Int, style: Style, minX: Int = 0) -> (Int, Bool) {
        guard y >= 0, y < height else { return (x, false) }
        let minX = max(0, minX)
        var column = x
        var lastLead: Int? = nil
        /// Draws one scalar of width `w` at `column`; false when it does not fit before `limit`.
        func place(_ scalar: Unicode.Scalar, width w: Int, isEscape: Bool, isLead: Bool) -> Bool {
            if column + w > limit {
                if w == 2 && column < limit && column >= minX {
                    put(Cell(text: " ", style: style, isEscape: false, width: 1), x: column, y: y)
                    column += 1
                }
                return false
            }
            if column < minX && column + w > minX {
                // A wide character cut by the left edge: show the visible half as a blank.
                put(Cell(text: " ", style: style, isEscape: false, width: 1), x: minX, y: y)
                lastLead = nil
            } else if column >= minX {
                put(Cell(text: String(scalar), style: style, isEscape: isEscape, width: UInt8(w)), x: column, y: y)
                if w == 2 {
                    put(Cell(text: "", style: style, isEscape: isEscape, width: 0), x: column + 1, y: y)
                }
                if isLead { lastLead = column }
            } else {
                lastLead = nil
            }
            column += w
            return true
        }
        for piece in pieces {
            for scalar in piece.text.unicodeScalars {
                let w = piece.isEscape ? 1 : DisplayWidth.of(scalar)
                if w > 0 {
                    if !place(scalar, width: w, isEscape: piece.isEscape, isLead: true) { return (min(column, limit), true) }
                    continue
                }
                guard let lead = lastLead else { continue }
                if cells[y * width + lead].text.unicodeScalars.count < Self.maxScalarsPerCell {
                    cells[y * width + lead].text.unicodeScalars.append(scalar)
                    continue
                }
                // Past a few combining marks on one character the rest are shown as escapes (the
                // full lead stays the lead): a letter carrying thousands of them is a terminal
                // slowdown, not text.
                for escaped in Sanitizer.escapeText(for: scalar).unicodeScalars {
                    if !place(escaped, width: 1, isEscape: true, isLead: false) { return (min(column, limit), true) }
                }
            }
        }
        return (column, false)
    }

    /// A character and the combining marks drawn on it, as many as `Escaping.maxCombiningMarks`;
    /// more marks are shown as escapes.
    static let maxScalarsPerCell = 1 + Escaping.maxCombiningMarks

    mutating func placeEllipsis(at x: Int, y: Int, style: Style) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        put(Cell(text: "…", style: style, isEscape: false, width: 1), x: x, y: y)
    }

    /// Writes one cell, keeping wide characters whole: a half-overwritten wide character becomes a blank.
    mutating func put(_ cell: Cell, x: Int, y: Int) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        let index = y * width + x
        let old = cells[index]
        if old.width == 0, x > 0, cell.width != 0 {
            cells[index - 1] = blankLike(cells[index - 1])
        }
        if old.width == 2, cell.width != 2, x + 1 < width {
            cells[index + 1] = blankLike(cells[index + 1])
        }
        if cell.width == 2 && x + 1 >= width {
            cells[index] = Cell(text: " ", style: cell.style, isEscape: false, width: 1)
            return
        }
        cells[index] = cell
    }

    private func blankLike(_ cell: Cell) -> Cell {
        Cell(text: " ", style: cell.style, isEscape: false, width: 1)
    }

    private mutating func repairEdges(of r: Rect) {
        for y in r.y..<r.maxY {
            if r.x > 0, cells[y * width + r.x - 1].width == 2 {
                cells[y * width + r.x - 1] = blankLike(cells[y * width + r.x - 1])
            }
            if r.maxX < width, cells[y * width + r.maxX].width == 0 {
                cells[y * width + r.maxX] = blankLike(cells[y * width + r.maxX])
            }
        }
    }

    /// One row as plain text (continuation cells skipped), trailing spaces kept.
    public func row(_ y: Int) -> String {
        guard y >= 0, y < height else { return "" }
        var s = ""
        for x in 0..<width {
            let c = cells[y * width + x]
            if c.width != 0 { s += c.text }
        }
        return s
    }

    /// The whole grid as lines of text with trailing spaces removed: what snapshot tests compare.
    public func textLines() -> [String] {
        (0..<height).map { y in
            var line = row(y)
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }
}

/// A run of text with one style. Holds bytes, so invalid UTF-8 reaches the sanitizer untouched.
public struct TextSpan: Sendable, Hashable {
    public var bytes: [UInt8]
    public var style: Style

    public init(_ text: String, _ style: Style = .normal) {
        bytes = Array(text.utf8)
        self.style = style
    }

    public init(bytes: [UInt8], _ style: Style = .normal) {
        self.bytes = bytes
        self.style = style
    }
}

/// A line of styled spans.
public struct TextLine: Sendable, Hashable, ExpressibleByStringLiteral {
    public var spans: [TextSpan]

    public init(_ spans: [TextSpan] = []) { self.spans = spans }
    public init(_ text: String, _ style: Style = .normal) { spans = [TextSpan(text, style)] }
    public init(stringLiteral value: String) { spans = [TextSpan(value)] }

    public mutating func append(_ text: String, _ style: Style = .normal) { spans.append(TextSpan(text, style)) }
    public mutating func append(bytes: [UInt8], _ style: Style = .normal) { spans.append(TextSpan(bytes: bytes, style)) }
}

extension CellGrid {
    /// Where each row of a line wrapped at `width` columns starts, in columns from the line's
    /// start (the first is 0), measured as `draw` lays it out (escapes, wide characters, tabs in
    /// `mode`): a wide character that would straddle two rows starts the next one. At most
    /// `maxRows` rows; the last then holds the rest, which `draw` cuts with an ellipsis.
    public static func rowStarts(of line: TextLine, width: Int, mode: Sanitizer.Mode = .body, maxRows: Int = 64) -> [Int] {
        guard width > 0 else { return [0] }
        var starts = [0]
        var column = 0
        for span in line.spans {
            // Beyond the last row nothing is measured: a megabyte-long value costs what its rows show.
            let budget = max(0, (maxRows * width - column) * 16 + 64)
            let bytes = span.bytes.count > budget ? span.bytes[..<budget] : span.bytes[...]
            for piece in Sanitizer.pieces(ofBytes: bytes, mode: mode, startColumn: column) {
                for scalar in piece.text.unicodeScalars {
                    let w = piece.isEscape ? 1 : DisplayWidth.of(scalar)
                    guard w > 0 else { continue }
                    if column + w > starts[starts.count - 1] + width {
                        if starts.count == maxRows { return starts }
                        starts.append(column)
                    }
                    column += w
                }
            }
        }
        return starts
    }
}
