import Foundation

/// HAR 1.2 documents (the types follow the spec's field names).
public struct HARDocument: Codable, Sendable, Hashable {
    public var log: HARLog
}

public struct HARLog: Codable, Sendable, Hashable {
    public var version: String
    public var creator: HARCreator
    public var entries: [HAREntry]
}

public struct HARCreator: Codable, Sendable, Hashable {
    public var name: String
    public var version: String
}

public struct HARNameValue: Codable, Sendable, Hashable {
    public var name: String
    public var value: String
    /// The exact bytes of the value, base64, when they are not valid UTF-8.
    public var _base64: String?
}

public struct HARPostData: Codable, Sendable, Hashable {
    public var mimeType: String
    /// The body as text: required by HAR 1.2, so always written. Exact when the body is valid UTF-8;
    /// otherwise each invalid byte reads as U+FFFD (`HARExporter.lossyTextNote` says so in `comment`).
    public var text: String?
    /// The exact body bytes, base64 (a hookscope extension; always written, optional on import,
    /// where it wins over `text`).
    public var _base64: String?
    /// Set when `text` is not the exact body.
    public var comment: String?
}

public struct HARRequest: Codable, Sendable, Hashable {
    public var method: String
    public var url: String
    public var httpVersion: String
    public var cookies: [HARNameValue]
    public var headers: [HARNameValue]
    public var queryString: [HARNameValue]
    public var postData: HARPostData?
    public var headersSize: Int
    public var bodySize: Int
}

public struct HARContent: Codable, Sendable, Hashable {
    public var size: Int
    public var mimeType: String
    public var text: String?
    public var encoding: String?
}

public struct HARResponse: Codable, Sendable, Hashable {
    public var status: Int
    public var statusText: String
    public var httpVersion: String
    public var cookies: [HARNameValue]
    public var headers: [HARNameValue]
    public var content: HARContent
    public var redirectURL: String
    public var headersSize: Int
    public var bodySize: Int
}

public struct HARTimings: Codable, Sendable, Hashable {
    public var send: Double
    public var wait: Double
    public var receive: Double
}

/// What HAR has no field for, kept so that an import restores the capture exactly.
public struct HARCaptureInfo: Codable, Sendable, Hashable {
    public var id: Int64
    public var receivedAtNanoseconds: Int64
    /// The request target exactly as received, base64.
    public var targetBase64: String
    public var remoteAddress: String
    /// The address the capture arrived on ("ip:port"), when it is known.
    public var localAddress: String?
    public var bodyWasChunked: Bool
    public var bodySize: Int
    public var refusal: String?
    public var signatureProvider: String?
    public var signatureStatus: String
    public var signatureDetail: String
    /// The capture's replays and forwards, oldest first; absent when it has none.
    public var replays: [HARReplayInfo]?
    /// The provider's event type and delivery id, and which attempt of that delivery the capture
    /// was in the store it came from; absent when it has none. An import reads the event and id
    /// from here (else from the request, as the listener does); the importing store numbers the attempts.
    public var event: String?
    public var deliveryId: String?
    public var attempt: Int?
}

/// One replay or forward of a capture, in `_hookscope.replays`: where it went, how it was sent
/// (`edited` in the editor, `resigned`), and the target's status or why there was none. The
/// target's headers and body are not exported.
public struct HARReplayInfo: Codable, Sendable, Hashable {
    public var id: Int64
    /// `replay` or `forward`.
    public var kind: String
    public var startedDateTime: String
    public var target: String
    public var edited: Bool
    public var resigned: Bool
    public var status: Int?
    public var error: String?
    /// A `ReplayFailure` raw value when there is no status.
    public var failure: String?
    /// Milliseconds from sending to the end of the answer (or the error).
    public var time: Double

    public init(_ attempt: ReplayAttempt) {
        id = attempt.id
        kind = attempt.kind.rawValue
        startedDateTime = attempt.startedAt.rfc3339
        target = attempt.targetURL
        edited = attempt.edited
        resigned = attempt.resigned
        status = attempt.response?.status
        error = attempt.error
        failure = attempt.failure?.rawValue
        time = Double(attempt.durationNanoseconds) / 1_000_000
    }
}

public struct HAREntry: Codable, Sendable, Hashable {
    public var startedDateTime: String
    public var time: Double
    public var request: HARRequest
    public var response: HARResponse
    public var cache: [String: String]
    public var timings: HARTimings
    public var _hookscope: HARCaptureInfo?
}

/// Writes captures as HAR 1.2. Bodies appear as `postData.text` (required by HAR 1.2: readers that
/// follow it, mitmproxy's among them, reject an entry without it), exact for UTF-8 bodies and with
/// U+FFFD for each invalid byte otherwise; the exact bytes are always in `postData._base64`, header values that are not UTF-8 in `_base64`, and what HAR cannot say
/// (raw target, remote address, verdict) in `_hookscope`, so `HARImporter` restores captures byte-exact.
public enum HARExporter {
    /// - Parameter baseURL: scheme and host of every entry's URL; nil for the address each capture
    ///   arrived on (`ExportTarget`).
    public static func document(for requests: [CapturedRequest], baseURL: String?, redact: Redaction = .default,
                                creatorVersion: String = "0.1.0") -> HARDocument {
        HARDocument(log: HARLog(version: "1.2", creator: HARCreator(name: "hookscope", version: creatorVersion),
                                entries: requests.map { entry(for: $0, baseURL: baseURL, redact: redact) }))
    }

    /// The document as pretty-printed JSON, with every character that could act on a terminal
    /// escaped (so `cat` of the file is safe): the pieces of `HARStreamWriter`, joined.
    public static func data(for requests: [CapturedRequest], baseURL: String?, redact: Redaction = .default) throws -> Data {
        var writer = HARStreamWriter(baseURL: baseURL, redact: redact)
        var out = writer.header()
        for request in requests { out += try writer.entry(for: request) }
        out += writer.footer()
        return Data(out)
    }

    /// `postData.comment` of a body that is not UTF-8.
    public static let lossyTextNote = "the body is not UTF-8: text shows each invalid byte as U+FFFD; _base64 holds the exact bytes"

    static func nameValue(_ header: HeaderField) -> HARNameValue {
        let valid = ByteText.isValidUTF8(header.rawValue[...])
        return HARNameValue(name: header.name, value: header.value, _base64: valid ? nil : Data(header.rawValue).base64EncodedString())
    }

    /// `replays` are the capture's replays and forwards (oldest first), listed in `_hookscope.replays`.
    public static func entry(
        for request: CapturedRequest, baseURL: String?, fallbackBaseURL: String = ExportTarget.fallbackBaseURL, redact: Redaction = .default,
        replays: [ReplayAttempt] = []
    ) -> HAREntry {
        let headers = request.headers.map { nameValue(redact.apply($0)) }
        let base = ExportTarget.baseURL(for: request, given: baseURL, fallback: fallbackBaseURL)
        let url = String(decoding: CurlExporter.url(baseURL: base, rawTarget: request.rawTarget), as: UTF8.self)
        var query: [HARNameValue] = []
        if let q = request.rawTarget.firstIndex(of: UInt8(ascii: "?")) {
            query = FormFormatter.pairs(Array(request.rawTarget[(q + 1)...])).map {
                HARNameValue(name: String(decoding: $0.name, as: UTF8.self), value: String(decoding: $0.value ?? [], as: UTF8.self), _base64: nil)
            }
        }
        let body = [UInt8](request.body)
        let contentType = request.headers.value(named: "Content-Type") ?? ""
        var postData: HARPostData?
        if !body.isEmpty {
            let isText = ByteText.isValidUTF8(body[...])
            postData = HARPostData(mimeType: contentType, text: String(decoding: body, as: UTF8.self),
                                   _base64: request.body.base64EncodedString(), comment: isText ? nil : lossyTextNote)
        }
        let responseBody = [UInt8](request.response.body)
        let responseText = ByteText.isValidUTF8(responseBody[...])
        let response = HARResponse(
            status: request.response.status, statusText: HTTPStatusText.text(for: request.response.status),
            httpVersion: "HTTP/1.1", cookies: [], headers: request.response.headers.map(nameValue),
            content: HARContent(size: responseBody.count, mimeType: request.response.headers.value(named: "Content-Type") ?? "",
                                text: responseBody.isEmpty ? nil : (responseText ? String(decoding: responseBody, as: UTF8.self) : request.response.body.base64EncodedString()),
                                encoding: responseBody.isEmpty || responseText ? nil : "base64"),
            redirectURL: "", headersSize: -1, bodySize: responseBody.count
        )
        let info = HARCaptureInfo(
            id: request.id, receivedAtNanoseconds: request.receivedAt.nanosecondsSince1970,
            targetBase64: Data(request.rawTarget).base64EncodedString(), remoteAddress: request.remoteAddress,
            localAddress: request.localAddress,
            bodyWasChunked: request.bodyWasChunked, bodySize: request.bodySize, refusal: request.refusal?.rawValue,
            signatureProvider: request.signature.provider, signatureStatus: request.signature.status.rawValue,
            signatureDetail: request.signature.detail,
            replays: replays.isEmpty ? nil : replays.map(HARReplayInfo.init),
            event: request.event, deliveryId: request.deliveryID, attempt: request.deliveryID == nil ? nil : request.attempt
        )
        return HAREntry(
            startedDateTime: request.receivedAt.rfc3339, time: 0,
            request: HARRequest(method: request.method, url: url, httpVersion: request.httpVersion, cookies: [],
                                headers: headers, queryString: query, postData: postData, headersSize: -1, bodySize: request.bodySize),
            response: response, cache: [:], timings: HARTimings(send: 0, wait: 0, receive: 0), _hookscope: info
        )
    }
}

/// Writes a HAR document piece by piece, so that exporting any number of captures holds one
/// capture at a time: `header`, then `entry(for:)` for each capture, then `footer`. The pieces
/// joined are byte for byte what Foundation's `JSONEncoder` writes for `HARExporter.document(for:)`
/// (pretty-printed, sorted keys, slashes not escaped), with the characters that act on terminals
/// escaped as well; `HARTests` holds it to that.
public struct HARStreamWriter {
    private let baseURL: String?
    private let fallbackBaseURL: String
    private let redact: Redaction
    /// Entries written so far.
    public private(set) var count = 0

    /// - Parameters:
    ///   - baseURL: scheme and host of every entry's URL; nil for the address each capture arrived on.
    ///   - fallbackBaseURL: for captures whose arrival address is not known.
    public init(baseURL: String?, fallbackBaseURL: String = ExportTarget.fallbackBaseURL, redact: Redaction = .default) {
        self.baseURL = baseURL
        self.fallbackBaseURL = fallbackBaseURL
        self.redact = redact
    }

    /// Everything before the first entry (Foundation's pretty-printing: 2 spaces, ` : `, sorted keys).
    public func header(creatorVersion: String = "0.1.0") -> [UInt8] {
        Array("""
            {
              "log" : {
                "creator" : {
                  "name" : "hookscope",
                  "version" : "\(creatorVersion)"
                },
                "entries" : [

            """.utf8)
    }

    /// One entry, with the separator before it, indented to its place in the document.
    public mutating func entry(for request: CapturedRequest, replays: [ReplayAttempt] = []) throws -> [UInt8] {
        var out: [UInt8] = count > 0 ? Array(",\n      ".utf8) : Array("      ".utf8)
        let entry = HARExporter.entry(for: request, baseURL: baseURL, fallbackBaseURL: fallbackBaseURL, redact: redact, replays: replays)
        out += HARPrettyWriter.bytes(of: entry, baseIndent: 6)
        count += 1
        return out
    }

    /// Everything after the last entry.
    public func footer() -> [UInt8] {
        Array("\n    ],\n    \"version\" : \"1.2\"\n  }\n}".utf8)
    }
}

/// What an import reads from a HAR entry: only the fields a capture needs are required (a method
/// and a URL), so HAR from tools that leave out the rest (timings, cache, cookies, sizes) imports too.
struct HARImportEntry: Decodable {
    struct Request: Decodable {
        var method: String
        var url: String
        var httpVersion: String?
        var headers: [HARNameValue]?
        var postData: PostData?
    }

    struct PostData: Decodable {
        var text: String?
        var _base64: String?
    }

    struct Response: Decodable {
        var status: Int?
        var headers: [HARNameValue]?
        var content: Content?
    }

    struct Content: Decodable {
        var text: String?
        var encoding: String?
    }

    var startedDateTime: String?
    var request: Request
    var response: Response?
    var _hookscope: HARCaptureInfo?
}

/// Reads HAR back into captures. Entries written by `HARExporter` come back byte-exact; entries from
/// other tools are taken as far as HAR allows (text bodies, URL path and query).
public enum HARImporter {
    public struct ImportError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Where each entry of `log.entries` lies in a HAR document, found without decoding the rest:
    /// an import decodes one entry at a time from these ranges, so a HAR of any size takes memory
    /// for one entry (plus the ranges), not for the whole document as Swift values.
    /// Checks the structure around the entries (a top-level object whose `log` is an object with
    /// an `entries` array); each entry itself is checked when it is decoded.
    public static func entryRanges(in data: Data) throws(ImportError) -> [Range<Int>] {
        // Scanned in place: a memory-mapped file is not copied.
        let scanned = data.withUnsafeBytes { raw -> Result<[Range<Int>]?, HARScanner.Failure> in
            var scanner = HARScanner(bytes: raw.bindMemory(to: UInt8.self))
            var ranges: [Range<Int>]?
            do throws(HARScanner.Failure) {
                try scanner.object { (key: String, scanner: inout HARScanner) throws(HARScanner.Failure) in
                    guard key == "log" else { return try scanner.skipValue() }
                    try scanner.object { (key: String, scanner: inout HARScanner) throws(HARScanner.Failure) in
                        guard key == "entries" else { return try scanner.skipValue() }
                        ranges = try scanner.arrayElements()
                    }
                }
                scanner.skipWhitespace()
                guard scanner.atEnd else { throw HARScanner.Failure("text after the document at byte \(scanner.position)") }
                return .success(ranges)
            } catch {
                return .failure(error)
            }
        }
        switch scanned {
        case .failure(let error): throw ImportError(description: "not a HAR 1.2 document: \(error.message)")
        case .success(nil): throw ImportError(description: "not a HAR 1.2 document: no log.entries array")
        case .success(let ranges?): return ranges
        }
    }

    /// The capture in one entry (a range from `entryRanges(in:)`); `index` counts from 0 for messages.
    /// `verdict` gives the signature verdict of an entry that another tool wrote (no `_hookscope`
    /// part, so no stored verdict): `import` verifies it with the configured secrets.
    public static func request(
        from data: Data, range: Range<Int>, index: Int, verdict: ((CapturedRequest) -> SignatureSummary)? = nil
    ) throws(ImportError) -> CapturedRequest {
        let entry: HARImportEntry
        do {
            entry = try JSONDecoder().decode(HARImportEntry.self, from: data.subdata(in: range))
        } catch {
            throw ImportError(description: "entry \(index): not a HAR 1.2 entry: \(error)")
        }
        var capture = try request(from: entry, index: index)
        if entry._hookscope == nil, let verdict { capture.signature = verdict(capture) }
        return capture
    }

    /// Every capture of a HAR document (through `entryRanges`, one entry decoded at a time).
    public static func requests(from data: Data) throws(ImportError) -> [CapturedRequest] {
        var result: [CapturedRequest] = []
        for (index, range) in try entryRanges(in: data).enumerated() {
            result.append(try request(from: data, range: range, index: index))
        }
        return result
    }

    static func bytes(_ nv: HARNameValue) -> [UInt8] {
        if let b64 = nv._base64, let data = Data(base64Encoded: b64) { return [UInt8](data) }
        return Array(nv.value.utf8)
    }

    static func parseDate(_ text: String) -> Date? {
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }

    static func request(from entry: HARImportEntry, index: Int) throws(ImportError) -> CapturedRequest {
        let info = entry._hookscope
        var target: [UInt8]
        if let b64 = info?.targetBase64, let data = Data(base64Encoded: b64) {
            target = [UInt8](data)
        } else {
            // Path and query of the URL.
            var url = Array(entry.request.url.utf8)
            if let scheme = ByteSearcher(Array("://".utf8), ignoreCase: false).firstIndex(in: url) {
                url = Array(url[(scheme + 3)...])
                target = url.firstIndex(of: UInt8(ascii: "/")).map { Array(url[$0...]) } ?? [UInt8(ascii: "/")]
            } else {
                target = url
            }
        }
        var body = Data()
        if let post = entry.request.postData {
            if let b64 = post._base64 {
                guard let data = Data(base64Encoded: b64) else {
                    throw ImportError(description: "entry \(index): postData._base64 is not base64")
                }
                body = data
            } else if let text = post.text {
                body = Data(text.utf8)
            }
        }
        let responseBody: Data
        if let text = entry.response?.content?.text {
            if entry.response?.content?.encoding == "base64" {
                guard let data = Data(base64Encoded: text) else { throw ImportError(description: "entry \(index): response content is not base64") }
                responseBody = data
            } else {
                responseBody = Data(text.utf8)
            }
        } else {
            responseBody = Data()
        }
        if let size = info?.bodySize, size < 0 {
            throw ImportError(description: "entry \(index): _hookscope.bodySize \(size) is negative")
        }
        let receivedAt: CaptureTime
        if let nanos = info?.receivedAtNanoseconds {
            receivedAt = CaptureTime(nanosecondsSince1970: nanos)
        } else if let started = entry.startedDateTime {
            guard let date = parseDate(started) else {
                throw ImportError(description: "entry \(index): startedDateTime '\(started)' is not RFC 3339")
            }
            // To the microsecond: a Date this far from its 2001 epoch is off by up to ~240 ns, which
            // would show .250 as .249999.
            guard let nanoseconds = CaptureTime(date: date)?.nanosecondsSince1970 else {
                throw ImportError(description: "entry \(index): startedDateTime '\(started)' is outside what a capture time holds (1677-09-22 to 2262-04-11)")
            }
            receivedAt = CaptureTime(nanosecondsSince1970: (nanoseconds + 500).quotientAndRemainder(dividingBy: 1_000).quotient * 1_000)
        } else {
            throw ImportError(description: "entry \(index): no startedDateTime (when the request was made)")
        }
        let signature: SignatureSummary
        if let info, let status = VerdictStatus(rawValue: info.signatureStatus) {
            signature = SignatureSummary(
                provider: info.signatureProvider, status: status, detail: info.signatureDetail,
                diagnosis: DiagnosisState(importedDetail: info.signatureDetail))
        } else {
            signature = .unsigned
        }
        var headers = (entry.request.headers ?? []).map { HeaderField(name: $0.name, rawValue: bytes($0)) }
        if info == nil {
            // A browser's HAR of an HTTP/2 or HTTP/3 request lists the pseudo-headers (`:method`,
            // `:authority`, ...), which are no HTTP/1.1 fields: a replay refused them and the curl
            // export sent them. They go, and `:authority` becomes the Host a request needs.
            let authority = headers.first { $0.name == ":authority" }
            headers.removeAll { $0.name.hasPrefix(":") }
            if let authority, headers.first(named: "Host") == nil {
                headers.insert(HeaderField(name: "Host", rawValue: authority.rawValue), at: 0)
            }
        }
        // Nothing the listener could not have received over HTTP/1.1: a line break in a header
        // value or the request line would make a raw export (`export --raw`, the file `e` opens)
        // carry an extra header or request.
        let method = entry.request.method
        guard !method.isEmpty, method.utf8.allSatisfy(isHTTPTokenByte) else {
            throw ImportError(description: "entry \(index): the method \(TerminalSafety.escape(Array(method.utf8.prefix(40)))) is not an HTTP method")
        }
        if let byte = target.first(where: { $0 < 0x21 || $0 == 0x7F }) {
            throw ImportError(description: "entry \(index): the URL's path holds the byte 0x\(String(byte, radix: 16, uppercase: true)) (a space or control character), which no request line can carry")
        }
        for field in headers {
            guard field.hasTokenName else {
                throw ImportError(description: "entry \(index): the header name \(TerminalSafety.escape(Array(field.name.utf8.prefix(40)))) is not an HTTP token")
            }
            if let what = field.lineBreakOrNUL {
                throw ImportError(description: "entry \(index): the value of header \(field.name) holds a \(what), which no HTTP header can carry")
            }
        }
        return CapturedRequest(
            id: info?.id ?? 0, receivedAt: receivedAt, method: method, rawTarget: target,
            httpVersion: entry.request.httpVersion?.uppercased() == "HTTP/1.0" ? "HTTP/1.0" : "HTTP/1.1",
            headers: headers,
            remoteAddress: info?.remoteAddress ?? "", localAddress: info?.localAddress.flatMap(ExportTarget.address(_:)),
            body: body, bodyWasChunked: info?.bodyWasChunked ?? false,
            bodySize: info?.bodySize ?? body.count, refusal: info?.refusal.flatMap(Refusal.init(rawValue:)),
            // A capture needs an answer status; an entry without a response (the request never got
            // one) is shown as answered 0.
            response: CapturedResponse(status: entry.response?.status ?? 0,
                                       headers: (entry.response?.headers ?? []).map { HeaderField(name: $0.name, rawValue: bytes($0)) },
                                       body: responseBody),
            signature: signature,
            event: info?.event, deliveryID: info?.deliveryId
        )
    }
}

/// Reason phrases for common status codes.
public enum HTTPStatusText {
    public static func text(for status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: ""
        }
    }
}

/// Finds the structure of a JSON document without building it: member keys of objects, and where
/// values begin and end (strings skipped whole, with their escapes; nesting counted, not recursed).
struct HARScanner {
    struct Failure: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        // A UTF-8 byte order mark is allowed before the document.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    var atEnd: Bool { position >= bytes.count }

    mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == byte else { throw Failure("expected \(what) at byte \(position)") }
        position += 1
    }

    /// A string's extent, from its opening quote to after its closing one.
    private mutating func skipString() throws(Failure) {
        guard position < bytes.count, bytes[position] == 0x22 else { throw Failure("expected a string at byte \(position)") }
        var i = position + 1
        while i < bytes.count {
            switch bytes[i] {
            case 0x22:
                position = i + 1
                return
            case 0x5C: i += 2
            default: i += 1
            }
        }
        throw Failure("unterminated string at byte \(position)")
    }

    /// An object member's key, decoded (keys here are plain ASCII names; escapes are decoded too).
    private mutating func key() throws(Failure) -> String {
        skipWhitespace()
        let start = position
        try skipString()
        let literal = Data(UnsafeBufferPointer(rebasing: bytes[start..<position]))
        guard let key = try? JSONDecoder().decode(String.self, from: literal) else { throw Failure("bad key at byte \(start)") }
        return key
    }

    /// Skips one value of any kind.
    mutating func skipValue() throws(Failure) {
        skipWhitespace()
        guard position < bytes.count else { throw Failure("expected a value at the end of the document") }
        var depth = 0
        repeat {
            skipWhitespace()
            guard position < bytes.count else { throw Failure("unterminated array or object") }
            switch bytes[position] {
            case 0x22: try skipString()
            case 0x7B, 0x5B:
                depth += 1
                position += 1
            case 0x7D, 0x5D:
                depth -= 1
                guard depth >= 0 else { throw Failure("unexpected bracket at byte \(position)") }
                position += 1
            default:
                // Numbers, literals, commas and colons: bytes up to the next structural one.
                position += 1
                while position < bytes.count, ![0x22, 0x7B, 0x5B, 0x7D, 0x5D, 0x2C, 0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) {
                    position += 1
                }
            }
        } while depth > 0
    }

    /// Calls `member` for each member of the object that starts here; `member` consumes the value.
    mutating func object(_ member: (String, inout HARScanner) throws(Failure) -> Void) throws(Failure) {
        try expect(0x7B, "an object")
        skipWhitespace()
        if position < bytes.count, bytes[position] == 0x7D {
            position += 1
            return
        }
        while true {
            let name = try key()
            try expect(0x3A, "':'")
            try member(name, &self)
            skipWhitespace()
            guard position < bytes.count else { throw Failure("unterminated object") }
            if bytes[position] == 0x2C { position += 1; continue }
            if bytes[position] == 0x7D { position += 1; return }
            throw Failure("expected ',' or '}' at byte \(position)")
        }
    }

    /// The byte ranges of the elements of the array that starts here.
    mutating func arrayElements() throws(Failure) -> [Range<Int>] {
        try expect(0x5B, "an array")
        var ranges: [Range<Int>] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == 0x5D {
            position += 1
            return ranges
        }
        while true {
            skipWhitespace()
            let start = position
            try skipValue()
            ranges.append(start..<position)
            skipWhitespace()
            guard position < bytes.count else { throw Failure("unterminated array") }
            if bytes[position] == 0x2C { position += 1; continue }
            if bytes[position] == 0x5D { position += 1; return ranges }
            throw Failure("expected ',' or ']' at byte \(position)")
        }
    }
}
