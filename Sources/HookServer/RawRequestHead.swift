import Foundation
import HookCore

/// A request head exactly as its bytes arrived, parsed just enough to know the framing.
/// NIO's decoder validates (strict llhttp) but replaces invalid UTF-8 with U+FFFD; this keeps the bytes.
struct RawRequestHead: Equatable {
    enum Framing: Equatable {
        case none
        case length(Int)
        case chunked
        /// Something the decoder will reject or that we cannot follow (CL with TE, differing CLs, obs-fold).
        case unknown
    }

    var method: String
    var target: [UInt8]
    var version: String
    var headers: [HeaderField]
    var framing: Framing
    /// The head's bytes as received, CRLF CRLF included (set by the framer; empty from `parse`):
    /// kept with a refused capture when NIO's decoder rejects the head.
    var bytes: [UInt8] = []

    /// Parses a head that ends with CRLF CRLF (the terminator may be included or not).
    /// Returns nil when the bytes are not a request head this parser understands.
    static func parse(_ bytes: ArraySlice<UInt8>) -> RawRequestHead? {
        var lines: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == UInt8(ascii: "\n") {
                guard i > start, bytes[i - 1] == UInt8(ascii: "\r") else { return nil }  // bare LF
                lines.append(bytes[start..<(i - 1)])
                start = i + 1
            }
            i += 1
        }
        if start < bytes.endIndex { lines.append(bytes[start..<bytes.endIndex]) }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        guard let requestLine = lines.first else { return nil }
        let parts = requestLine.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        let method = String(decoding: parts[0], as: UTF8.self)
        let version = String(decoding: parts[2], as: UTF8.self)

        var headers: [HeaderField] = []
        headers.reserveCapacity(lines.count - 1)
        // Content-Length values: the first, and whether any other differs (no array: this runs per request).
        var contentLength: Int?
        var contentLengthsDiffer = false
        var transferEncodings: [String] = []
        var understood = true
        for line in lines.dropFirst() {
            guard let first = line.first, first != UInt8(ascii: " "), first != UInt8(ascii: "\t") else {
                understood = false  // obs-fold: leave it to the decoder
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
            var valueStart = colon + 1
            var valueEnd = line.endIndex
            while valueStart < valueEnd, line[valueStart] == 0x20 || line[valueStart] == 0x09 { valueStart += 1 }
            while valueEnd > valueStart, line[valueEnd - 1] == 0x20 || line[valueEnd - 1] == 0x09 { valueEnd -= 1 }
            let value = Array(line[valueStart..<valueEnd])
            let field = HeaderField(name: name, rawValue: value)
            headers.append(field)
            if field.hasName("content-length") {
                if let n = decimalValue(value) {
                    if let first = contentLength, first != n { contentLengthsDiffer = true }
                    if contentLength == nil { contentLength = n }
                } else {
                    understood = false
                }
            } else if field.hasName("transfer-encoding") {
                transferEncodings.append(String(decoding: value, as: UTF8.self))
            }
        }

        let framing: Framing
        if !understood || contentLengthsDiffer || (contentLength != nil && !transferEncodings.isEmpty) {
            framing = .unknown
        } else if !transferEncodings.isEmpty {
            let codings = transferEncodings.joined(separator: ",").split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            framing = codings.last == "chunked" ? .chunked : .unknown
        } else if let length = contentLength {
            framing = .length(length)
        } else {
            framing = .none
        }
        return RawRequestHead(method: method, target: Array(parts[1]), version: version, headers: headers, framing: framing)
    }

    /// A non-empty run of ASCII digits that fits in an `Int`, else nil.
    static func decimalValue(_ bytes: [UInt8]) -> Int? {
        guard !bytes.isEmpty else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - 0x30))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }
}

/// Follows the framing of a stream of HTTP/1.1 requests over raw bytes, so that the head of each
/// request can be kept exactly as received. It does not validate: NIO's strict decoder does that.
/// When it meets something it cannot follow it stops (`lost`), and the connection is closed after
/// the current response.
struct RequestFramer {
    enum Event: Equatable {
        case head(RawRequestHead)
        /// The head grew past the size limit.
        case headTooLarge
        /// The head's target is longer than allowed.
        case targetTooLong
        /// The head has more header fields than allowed.
        case tooManyHeaders
        /// The framing could not be followed any further.
        case lost
    }

    enum Phase: Equatable {
        /// Between requests, nothing of the next head received yet.
        case betweenRequests
        case head
        case body(remaining: Int)
        case chunkSize(value: Int, digits: Int, inExtension: Bool, lineLength: Int)
        case chunkData(remaining: Int)
        case chunkDataCR
        case chunkDataLF
        case trailer(lineHasContent: Bool, lineLength: Int)
        case lost
    }

    private(set) var phase: Phase = .betweenRequests
    /// The bytes of the head being received, or of the last one (until the next begins).
    private(set) var head: [UInt8] = []
    /// Body bytes received since the last head (chunk data only, for a chunked body).
    private(set) var bodyBytes = 0
    /// The framer stopped because the last head could not be read at all (it is in `head`).
    private(set) var headUnreadable = false
    let maxHeadSize: Int
    let maxTargetLength: Int
    let maxHeaderCount: Int

    init(maxHeadSize: Int, maxTargetLength: Int, maxHeaderCount: Int) {
        self.maxHeadSize = maxHeadSize
        self.maxTargetLength = maxTargetLength
        self.maxHeaderCount = maxHeaderCount
    }

    /// True while part of a head has been received.
    var isInHead: Bool { phase == .head }
    /// True while a body (or its chunked framing) is being received.
    var isInBody: Bool {
        switch phase {
        case .body, .chunkSize, .chunkData, .chunkDataCR, .chunkDataLF, .trailer: true
        default: false
        }
    }

    /// Feeds bytes; returns the events they complete, in order.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [Event] {
        var events: [Event] = []
        var i = 0
        let count = bytes.count
        while i < count {
            switch phase {
            case .lost:
                return events
            case .betweenRequests:
                let byte = bytes[i]
                if byte == 0x0d || byte == 0x0a {  // empty lines before a request line are ignored
                    i += 1
                } else {
                    head.removeAll(keepingCapacity: true)
                    headUnreadable = false
                    phase = .head
                }
            case .head:
                // Copy up to the end of the head (CRLF CRLF) or of this buffer, line by line (memchr for
                // each LF), but never more than one byte past the size limit: a head of maxHeadSize + 1
                // bytes whose last byte ends it is still accepted.
                let end = i + min(count - i, maxHeadSize + 1 - head.count)
                var j = i
                var done = false
                while j < end {
                    let lineEnd: Int
                    if let found = memchr(bytes.baseAddress! + j, 0x0a, end - j) {
                        lineEnd = bytes.baseAddress!.distance(to: UnsafeRawPointer(found)) + 1
                    } else {
                        lineEnd = end
                    }
                    head.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[j..<lineEnd]))
                    j = lineEnd
                    let n = head.count
                    if head[n - 1] == 0x0a, n >= 4, head[n - 2] == 0x0d, head[n - 3] == 0x0a, head[n - 4] == 0x0d {
                        done = true
                        break
                    }
                }
                i = j
                if head.count > maxHeadSize && !done {
                    phase = .lost
                    events.append(.headTooLarge)
                    return events
                }
                guard done else { continue }
                guard var parsed = RawRequestHead.parse(head[...]) else {
                    phase = .lost
                    headUnreadable = true
                    events.append(.lost)
                    return events
                }
                if parsed.target.count > maxTargetLength {
                    phase = .lost
                    events.append(.targetTooLong)
                    return events
                }
                if parsed.headers.count > maxHeaderCount {
                    phase = .lost
                    events.append(.tooManyHeaders)
                    return events
                }
                parsed.bytes = head
                bodyBytes = 0
                events.append(.head(parsed))
                switch parsed.framing {
                case .none, .length(0): phase = .betweenRequests
                case .length(let n): phase = .body(remaining: n)
                case .chunked: phase = .chunkSize(value: 0, digits: 0, inExtension: false, lineLength: 0)
                case .unknown:
                    phase = .lost
                    events.append(.lost)
                    return events
                }
            case .body(let remaining):
                let take = min(remaining, count - i)
                i += take
                bodyBytes += take
                phase = remaining - take == 0 ? .betweenRequests : .body(remaining: remaining - take)
            case .chunkSize(let value, let digits, let inExtension, let lineLength):
                let byte = bytes[i]
                i += 1
                if lineLength > 4096 || digits > 15 {
                    phase = .lost
                    events.append(.lost)
                    return events
                }
                if byte == 0x0a {
                    guard digits > 0 else {
                        phase = .lost
                        events.append(.lost)
                        return events
                    }
                    phase = value == 0 ? .trailer(lineHasContent: false, lineLength: 0) : .chunkData(remaining: value)
                } else if !inExtension, let digit = Self.hexValue(byte) {
                    // 15 hex digits fit in 60 bits; a longer size is not a chunk anyone sends.
                    guard digits < 15 else {
                        phase = .lost
                        events.append(.lost)
                        return events
                    }
                    phase = .chunkSize(value: value * 16 + digit, digits: digits + 1, inExtension: false, lineLength: lineLength + 1)
                } else {
                    phase = .chunkSize(value: value, digits: digits, inExtension: true, lineLength: lineLength + 1)
                }
            case .chunkData(let remaining):
                let take = min(remaining, count - i)
                i += take
                bodyBytes += take
                phase = remaining - take == 0 ? .chunkDataCR : .chunkData(remaining: remaining - take)
            case .chunkDataCR:
                guard bytes[i] == 0x0d else {
                    phase = .lost
                    events.append(.lost)
                    return events
                }
                i += 1
                phase = .chunkDataLF
            case .chunkDataLF:
                guard bytes[i] == 0x0a else {
                    phase = .lost
                    events.append(.lost)
                    return events
                }
                i += 1
                phase = .chunkSize(value: 0, digits: 0, inExtension: false, lineLength: 0)
            case .trailer(let lineHasContent, let lineLength):
                let byte = bytes[i]
                i += 1
                if lineLength > maxHeadSize {
                    phase = .lost
                    events.append(.lost)
                    return events
                }
                if byte == 0x0a {
                    phase = lineHasContent ? .trailer(lineHasContent: false, lineLength: 0) : .betweenRequests
                } else if byte == 0x0d {
                    phase = .trailer(lineHasContent: lineHasContent, lineLength: lineLength + 1)
                } else {
                    phase = .trailer(lineHasContent: true, lineLength: lineLength + 1)
                }
            }
        }
        return events
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte - 0x30)
        case 0x41...0x46: Int(byte - 0x41 + 10)
        case 0x61...0x66: Int(byte - 0x61 + 10)
        default: nil
        }
    }
}
