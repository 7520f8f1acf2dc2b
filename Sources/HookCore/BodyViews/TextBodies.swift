import Foundation

/// Text or raw bytes split at LF, laid out lazily: one pass records where lines start,
/// `line(at:)` renders a line when asked.
public struct TextBody: FormattedBody {
    public enum Mode: Sendable { case text, raw }

    public let view: BodyView
    public let note: String?
    let bytes: [UInt8]
    let mode: Mode
    /// Offsets where each line starts.
    let lineStarts: [UInt32]
    /// A byte to mark as an error (e.g. where JSON parsing failed), with a message shown under it.
    let mark: (offset: Int, line: Int, message: String)?

    init(bytes: [UInt8], mode: Mode, view: BodyView, note: String?, markAt offset: Int? = nil, message: String = "") {
        self.bytes = bytes
        self.mode = mode
        self.view = view
        var starts: [UInt32] = []
        var crlf = false
        if !bytes.isEmpty {
            starts.reserveCapacity(bytes.count / 40 + 1)
            starts.append(0)
            bytes.withUnsafeBufferPointer { buf in
                for i in 0..<buf.count where buf[i] == ByteText.lf {
                    if i > 0 && buf[i - 1] == ByteText.cr { crlf = true }
                    if i + 1 < buf.count { starts.append(UInt32(truncatingIfNeeded: i + 1)) }
                }
            }
            // A final LF ends the last line rather than opening an empty one, except in raw mode
            // where the trailing empty line shows that the LF is there.
            if mode == .raw, bytes.last == ByteText.lf { starts.append(UInt32(truncatingIfNeeded: bytes.count)) }
        }
        self.lineStarts = starts
        // Text mode drops the CR of CRLF; say that it was there.
        if mode == .text && crlf && view == .text {
            self.note = [note, "CRLF line endings"].compactMap { $0 }.joined(separator: "; ")
        } else {
            self.note = note
        }
        if let offset {
            let line = TextBody.lineIndex(of: offset, in: starts)
            mark = (offset, line, message)
        } else {
            mark = nil
        }
    }

    static func lineIndex(of offset: Int, in starts: [UInt32]) -> Int {
        var lo = 0
        var hi = starts.count - 1
        if hi < 0 { return 0 }
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if Int(starts[mid]) <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    public var lineCount: Int { max(lineStarts.count, mark == nil ? 0 : 1) + (mark == nil ? 0 : 1) }

    func range(ofLine index: Int) -> Range<Int> {
        guard index < lineStarts.count else { return bytes.count..<bytes.count }
        let start = Int(lineStarts[index])
        var end = index + 1 < lineStarts.count ? Int(lineStarts[index + 1]) : bytes.count
        if end > start, bytes[end - 1] == ByteText.lf { end -= 1 }
        return start..<end
    }

    public func line(at index: Int) -> StyledLine {
        ByteText.capped(uncappedLine(at: index))
    }

    func uncappedLine(at index: Int) -> StyledLine {
        guard let mark else { return plainLine(index) }
        if index <= mark.line {
            if index < mark.line { return plainLine(index) }
            let r = range(ofLine: index)
            let markOffset = min(max(mark.offset, r.lowerBound), r.upperBound)
            var spans = render(bytes[r.lowerBound..<markOffset])
            if markOffset < r.upperBound {
                // Mark the whole UTF-8 sequence starting at the error byte.
                var end = markOffset + 1
                while end < r.upperBound, bytes[end] & 0xC0 == 0x80 { end += 1 }
                spans += render(bytes[markOffset..<end]).map { StyledSpan($0.bytes, .error) }
                spans += render(bytes[end..<r.upperBound])
            } else {
                spans.append(StyledSpan("\u{2190} end of input", .error))
            }
            return spans.filter { !$0.bytes.isEmpty }
        }
        if index == mark.line + 1 {
            let r = range(ofLine: mark.line)
            let markOffset = min(max(mark.offset, r.lowerBound), r.upperBound)
            let before = render(bytes[r.lowerBound..<markOffset])
            let column = before.reduce(0) { $0 + ByteText.columns($1.bytes) }
            return [StyledSpan(String(repeating: " ", count: column) + "^ " + mark.message, .error)]
        }
        return plainLine(index - 1)
    }

    private func plainLine(_ index: Int) -> StyledLine {
        let r = range(ofLine: index)
        return render(bytes[r])
    }

    private func render(_ slice: ArraySlice<UInt8>) -> [StyledSpan] {
        switch mode {
        case .raw: return [StyledSpan(Array(slice))]
        case .text:
            if slice.isEmpty { return [StyledSpan([])] }
            return ByteText.textLine(slice)
        }
    }
}

/// A classic hex dump, 16 bytes a line, computed line by line on demand:
/// `00000000  7b 22 61 22 3a 31 7d 0a  ...  |{"a":1}.|`.
public struct HexBody: FormattedBody {
    public let view: BodyView = .hex
    public let note: String?
    let bytes: [UInt8]

    init(bytes: [UInt8], note: String?) {
        self.bytes = bytes
        self.note = note
    }

    public var lineCount: Int { (bytes.count + 15) / 16 }

    public func line(at index: Int) -> StyledLine {
        HexBody.dumpLine(bytes, offset: index * 16)
    }

    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func dumpLine(_ bytes: [UInt8], offset: Int) -> StyledLine {
        var off: [UInt8] = []
        let width = max(8, String(offset, radix: 16).count)
        off.reserveCapacity(width)
        for shift in stride(from: (width - 1) * 4, through: 0, by: -4) {
            off.append(digits[(offset >> shift) & 0xF])
        }
        var hex: [UInt8] = [0x20, 0x20]
        var ascii: [UInt8] = [UInt8(ascii: "|")]
        let end = min(offset + 16, bytes.count)
        for k in 0..<16 {
            if k == 8 { hex.append(0x20) }
            if offset + k < end {
                let b = bytes[offset + k]
                hex.append(digits[Int(b >> 4)])
                hex.append(digits[Int(b & 0xF)])
                ascii.append(b >= 0x20 && b < 0x7F ? b : UInt8(ascii: "."))
            } else {
                hex.append(0x20)
                hex.append(0x20)
            }
            hex.append(0x20)
        }
        hex.append(0x20)
        ascii.append(UInt8(ascii: "|"))
        return [StyledSpan(off, .muted), StyledSpan(hex, .plain), StyledSpan(ascii, .string)]
    }
}
