import Testing
import TextSafety
@testable import TermUI

/// Random lines (wide characters, combining marks, escapes, controls, bidi, invalid UTF-8) drawn
/// at random places, widths and horizontal scrolls into a grid already holding text, from a fixed
/// seed. After each: nothing outside the row's [x, maxX) changed, no raw character that acts on a
/// terminal is in any cell, wide characters are whole, and no cell carries more than a few
/// combining marks (a line of thousands of them on one letter is a terminal slowdown, not text).
@Suite struct CellGridFuzzTests {
    @Test func randomLinesStayInsideTheirColumnsAndSafe() {
        var seed: UInt64 = 0x6121_D5EED
        func next() -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int(seed >> 33)
        }
        let pieces: [[UInt8]] = [
            "a", "Z", " ", "日", "本", "😀", "e\u{301}", "\u{301}", "\u{301}\u{302}\u{303}\u{304}", "\u{1b}[31m", "\r", "\n", "\t", "\u{0}",
            "\u{202E}", "\u{200D}", "\u{FEFF}", "\u{9b}", "é", "\u{1F1FA}\u{1F1F8}", "👩\u{200D}💻", "\u{E0041}", "\u{AD}",
        ].map { Array($0.utf8) } + [[0xff], [0xc3], [0xe6, 0x97], [0xed, 0xa0, 0x80]]
        var problems: [String] = []
        for round in 0..<3_000 {
            let width = 1 + next() % 40
            var grid = CellGrid(width: width, height: 3)
            for y in 0..<3 { grid.draw(String(repeating: "日x", count: 30), x: 0, y: y, truncation: .cut) }
            let before = grid
            var bytes: [UInt8] = []
            for _ in 0..<(next() % 30) { bytes += pieces[next() % pieces.count] }
            if next() % 10 == 0 { bytes += Array(repeating: 0xCC, count: 0) + Array(String(repeating: "\u{301}", count: 3000).utf8) }
            let x = next() % (width + 4) - 2
            let maxX = next() % 3 == 0 ? nil : x + next() % (width + 2)
            let mode: Sanitizer.Mode = next() % 2 == 0 ? .singleLine : .multiLine(tabWidth: 4)
            grid.draw(TextLine([TextSpan(bytes: bytes)]), x: x, y: 1, maxX: maxX, mode: mode,
                      truncation: next() % 2 == 0 ? .ellipsis : .cut, skipColumns: next() % 4 == 0 ? next() % 20 : 0)
            let limit = min(maxX ?? width, width)
            for y in 0..<3 {
                for column in 0..<width {
                    let cell = grid[column, y]
                    let inside = y == 1 && column >= max(0, x) && column < limit
                    // A wide character of the old text cut by the drawing becomes a blank next to it.
                    let nextToInside = y == 1 && (column == max(0, x) - 1 || column == limit)
                    if !inside && !nextToInside && cell != before[column, y] {
                        problems.append("round \(round): cell \(column),\(y) outside [\(x), \(limit)) changed")
                    }
                    if let scalar = cell.text.unicodeScalars.first(where: { Escaping.mustEscape($0) }) {
                        problems.append("round \(round): raw U+\(String(scalar.value, radix: 16)) at \(column),\(y)")
                    }
                    if cell.text.unicodeScalars.count > CellGrid.maxScalarsPerCell {
                        problems.append("round \(round): \(cell.text.unicodeScalars.count) scalars in the cell at \(column),\(y)")
                    }
                    if cell.width == 2 && (column + 1 >= width || grid[column + 1, y].width != 0) {
                        problems.append("round \(round): wide character without its second cell at \(column),\(y)")
                    }
                    if cell.width == 0 && (column == 0 || grid[column - 1, y].width != 2) {
                        problems.append("round \(round): a second cell without its wide character at \(column),\(y)")
                    }
                }
            }
            if problems.count > 8 { break }
        }
        let safe = problems.isEmpty
        #expect(safe, "\(problems.prefix(8).joined(separator: "\n"))")
    }
}
