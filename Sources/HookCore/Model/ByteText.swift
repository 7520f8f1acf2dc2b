import Foundation

/// Byte-level helpers shared by the formatters, the filter and the exporters.
enum ByteText {
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let tab: UInt8 = 0x09
    static let space: UInt8 = 0x20

    /// ASCII lower-casing of one byte; other bytes unchanged.
    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 {
        (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
    }

    /// Display columns of a byte run, approximated as the number of UTF-8 lead bytes
    /// (continuation bytes count 0). Good enough to align ASCII-heavy tables.
    static func columns<C: Collection>(_ bytes: C) -> Int where C.Element == UInt8 {
        var n = 0
        for b in bytes where b & 0xC0 != 0x80 { n += 1 }
        return n
    }

    /// Longest line, in bytes, that a formatter hands out; longer lines end with a muted marker.
    /// Keeps a pane responsive with giant one-line bodies; `raw` output of the CLI uses the stored bytes.
    static let maxLineBytes = 256 * 1024

    /// Cuts a line to `maxLineBytes` (at a UTF-8 boundary) and says how much was left out.
    static func capped(_ line: StyledLine, limit: Int = maxLineBytes) -> StyledLine {
        var total = 0
        for span in line { total += span.bytes.count }
        guard total > limit else { return line }
        var out: StyledLine = []
        var used = 0
        for span in line {
            if used + span.bytes.count <= limit {
                out.append(span)
                used += span.bytes.count
                continue
            }
            var cut = limit - used
            while cut > 0 && cut < span.bytes.count && span.bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
            if cut > 0 { out.append(StyledSpan(Array(span.bytes[0..<cut]), span.role)) }
            used += cut
            break
        }
        out.append(StyledSpan(" \u{2026} \(total - used) more bytes on this line", .muted))
        return out
    }

    /// Spans for bytes that may hold tab, CR or LF: those become visible muted escapes so
    /// that a line never carries them.
    static func safeSpans(_ bytes: ArraySlice<UInt8>, _ role: TextRole) -> [StyledSpan] {
        var spans: [StyledSpan] = []
        var run: [UInt8] = []
        run.reserveCapacity(bytes.count)
        for b in bytes {
            let escape: String?
            switch b {
            case lf: escape = "\\n"
            case cr: escape = "\\r"
            case tab: escape = "\\t"
            default: escape = nil
            }
            if let escape {
                if !run.isEmpty { spans.append(StyledSpan(run, role)); run.removeAll(keepingCapacity: true) }
                spans.append(StyledSpan(escape, .muted))
            } else {
                run.append(b)
            }
        }
        if !run.isEmpty { spans.append(StyledSpan(run, role)) }
        return spans
    }

    static func safeSpans(_ bytes: [UInt8], _ role: TextRole) -> [StyledSpan] {
        safeSpans(bytes[...], role)
    }

    /// One text line: tabs expanded to spaces (stops every 8 columns), a CR right before the
    /// line end dropped, any other CR shown as a muted `\r`.
    static func textLine(_ bytes: ArraySlice<UInt8>, role: TextRole = .plain) -> StyledLine {
        var slice = bytes
        if let last = slice.last, last == cr { slice = slice.dropLast() }
        var spans: [StyledSpan] = []
        var run: [UInt8] = []
        run.reserveCapacity(slice.count)
        var column = 0
        for b in slice {
            if b == tab {
                let width = 8 - column % 8
                run.append(contentsOf: repeatElement(space, count: width))
                column += width
            } else if b == cr {
                if !run.isEmpty { spans.append(StyledSpan(run, role)); run.removeAll(keepingCapacity: true) }
                spans.append(StyledSpan("\\r", .muted))
                column += 2
            } else {
                run.append(b)
                if b & 0xC0 != 0x80 { column += 1 }
            }
        }
        if !run.isEmpty || spans.isEmpty { spans.append(StyledSpan(run, role)) }
        return spans
    }

    /// Whether bytes look like text: valid UTF-8 without control bytes other than tab, CR, LF, FF.
    /// Only the first `limit` bytes are examined (a sequence cut at the limit is accepted).
    static func looksTextual(_ bytes: ArraySlice<UInt8>, limit: Int = 8192) -> Bool {
        let sample = bytes.prefix(limit)
        for b in sample where b < 0x20 && b != tab && b != lf && b != cr && b != 0x0C { return false }
        if sample.contains(0x7F) { return false }
        return isValidUTF8(sample, allowTruncatedEnd: sample.count < bytes.count)
    }

    static func isValidUTF8(_ bytes: ArraySlice<UInt8>, allowTruncatedEnd: Bool = false) -> Bool {
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let need: Int
            if b >= 0xC2 && b <= 0xDF { need = 1 } else if b >= 0xE0 && b <= 0xEF { need = 2 } else if b >= 0xF0 && b <= 0xF4 { need = 3 } else { return false }
            if i + need >= end { return allowTruncatedEnd }
            for k in 1...need {
                let c = bytes[i + k]
                if c & 0xC0 != 0x80 { return false }
                if k == 1 {
                    if b == 0xE0 && c < 0xA0 { return false }
                    if b == 0xED && c > 0x9F { return false }
                    if b == 0xF0 && c < 0x90 { return false }
                    if b == 0xF4 && c > 0x8F { return false }
                }
            }
            i += need + 1
        }
        return true
    }
}

/// Linear-time substring search (Knuth–Morris–Pratt), optionally ASCII case-insensitive.
struct ByteSearcher: Sendable, Hashable {
    let needle: [UInt8]
    let ignoreCase: Bool
    private let failure: [Int]

    init(_ needle: [UInt8], ignoreCase: Bool) {
        let n = ignoreCase ? needle.map(ByteText.lower) : needle
        self.needle = n
        self.ignoreCase = ignoreCase
        var f = [Int](repeating: 0, count: max(n.count, 1))
        var k = 0
        if n.count > 1 {
            for i in 1..<n.count {
                while k > 0 && n[i] != n[k] { k = f[k - 1] }
                if n[i] == n[k] { k += 1 }
                f[i] = k
            }
        }
        failure = f
    }

    /// The index of the first match at or after `from`, or nil.
    func firstIndex(in haystack: UnsafeBufferPointer<UInt8>, from: Int = 0) -> Int? {
        let m = needle.count
        if m == 0 { return from <= haystack.count ? from : nil }
        var k = 0
        var i = from
        let n = haystack.count
        return needle.withUnsafeBufferPointer { nd in
            failure.withUnsafeBufferPointer { f in
                while i < n {
                    let b = ignoreCase ? ByteText.lower(haystack[i]) : haystack[i]
                    while k > 0 && b != nd[k] { k = f[k - 1] }
                    if b == nd[k] { k += 1 }
                    if k == m { return i - m + 1 }
                    i += 1
                }
                return nil
            }
        }
    }

    func firstIndex(in haystack: [UInt8], from: Int = 0) -> Int? {
        haystack.withUnsafeBufferPointer { firstIndex(in: $0, from: from) }
    }

    func firstIndex(in haystack: Data) -> Int? {
        haystack.withUnsafeBytes { raw in
            firstIndex(in: raw.bindMemory(to: UInt8.self))
        }
    }

    func occurs(in haystack: [UInt8]) -> Bool { firstIndex(in: haystack) != nil }
    func occurs(in haystack: Data) -> Bool { firstIndex(in: haystack) != nil }
}
