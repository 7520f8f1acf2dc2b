import Foundation

/// One header line exactly as received: the name with its original case and the value's exact bytes.
public struct HeaderField: Sendable, Hashable {
    /// The field name as sent (HTTP restricts names to token characters, so this is ASCII).
    public var name: String
    /// The value's bytes exactly as received (obs-text and invalid UTF-8 included), without surrounding whitespace.
    public var rawValue: [UInt8]

    public init(name: String, rawValue: [UInt8]) {
        self.name = name
        self.rawValue = rawValue
    }

    public init(_ name: String, _ value: String) {
        self.name = name
        self.rawValue = Array(value.utf8)
    }

    /// The value decoded as UTF-8; invalid sequences become U+FFFD. Use `rawValue` where bytes matter.
    public var value: String { String(decoding: rawValue, as: UTF8.self) }

    /// Whether the name is a non-empty HTTP token (RFC 9110 `tchar`s only).
    public var hasTokenName: Bool { !name.isEmpty && name.utf8.allSatisfy(isHTTPTokenByte) }

    /// The first byte of the value that no header can carry, named: "CR", "LF" or "NUL" (a line
    /// break would end the field there and start another, or end the head). Nil when there is none.
    public var lineBreakOrNUL: String? {
        rawValue.first { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }.map { $0 == 0x00 ? "NUL" : $0 == 0x0D ? "CR" : "LF" }
    }
}

/// An RFC 9110 `tchar`: a letter, a digit or one of ``!#$%&'*+-.^_`|~``.
public func isHTTPTokenByte(_ c: UInt8) -> Bool {
    switch c {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    default:
        return "!#$%&'*+-.^_`|~".utf8.contains(c)
    }
}

/// The value of an ASCII hex digit (`0`–`9`, `a`–`f`, `A`–`F`); nil for any other byte. For percent
/// escapes, `\uXXXX` escapes and chunk sizes.
@inlinable
public func hexDigitValue(_ b: UInt8) -> UInt8? {
    switch b {
    case 0x30...0x39: b - 0x30
    case 0x41...0x46: b - 0x41 + 10
    case 0x61...0x66: b - 0x61 + 10
    default: nil
    }
}

extension HeaderField {
    /// Whether the name equals `other` ignoring ASCII case (header names are ASCII tokens): only
    /// `A`–`Z` fold to `a`–`z`, every other byte (non-ASCII included) must be equal.
    @inlinable
    public func hasName(_ other: String) -> Bool {
        let lhs = name.utf8
        let rhs = other.utf8
        // Native strings know their UTF-8 length: most names differ from the wanted one in length.
        guard lhs.count == rhs.count else { return false }
        let compared = lhs.withContiguousStorageIfAvailable { a in
            rhs.withContiguousStorageIfAvailable { b in HeaderField.equalFoldingASCII(a, b) }
        }
        if let compared, let result = compared { return result }
        return lhs.elementsEqual(rhs) { HeaderField.foldASCII($0) == HeaderField.foldASCII($1) }
    }

    /// `A`–`Z` to `a`–`z`; every other byte unchanged.
    @inlinable
    public static func foldASCII(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    /// Byte-wise equality of two buffers, `A`–`Z` folded to lower case.
    @inlinable
    public static func equalFoldingASCII(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a[i] != b[i] {
            if foldASCII(a[i]) != foldASCII(b[i]) { return false }
        }
        return true
    }
}

extension Array where Element == HeaderField {
    /// The first value of a header, compared case-insensitively.
    public func first(named name: String) -> HeaderField? {
        first { $0.hasName(name) }
    }

    /// The decoded value of the first header with this name.
    public func value(named name: String) -> String? {
        first(named: name)?.value
    }

    /// Every header with this name, in received order.
    public func all(named name: String) -> [HeaderField] {
        filter { $0.hasName(name) }
    }
}

/// Nanoseconds since the Unix epoch: the high-resolution receive time of a capture.
public struct CaptureTime: Sendable, Hashable, Comparable, Codable {
    public var nanosecondsSince1970: Int64

    public init(nanosecondsSince1970: Int64) {
        self.nanosecondsSince1970 = nanosecondsSince1970
    }

    public static func now() -> CaptureTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return CaptureTime(nanosecondsSince1970: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }

    /// nil for a date a CaptureTime cannot hold: Int64 nanoseconds reach from 1677-09-22 to 2262-04-11.
    public init?(date: Date) {
        let nanoseconds = (date.timeIntervalSince1970 * 1_000_000_000).rounded()
        guard nanoseconds.isFinite, abs(nanoseconds) < 9.223_372_036e18 else { return nil }
        nanosecondsSince1970 = Int64(nanoseconds)
    }

    public var date: Date { Date(timeIntervalSince1970: Double(nanosecondsSince1970) / 1_000_000_000) }
    public var secondsSince1970: Int64 { nanosecondsSince1970 / 1_000_000_000 }

    public static func < (lhs: CaptureTime, rhs: CaptureTime) -> Bool {
        lhs.nanosecondsSince1970 < rhs.nanosecondsSince1970
    }

    /// RFC 3339 in UTC with microsecond precision, e.g. `2026-11-29T04:40:03.123456Z`.
    public var rfc3339: String {
        var seconds = time_t(nanosecondsSince1970 / 1_000_000_000)
        var micros = (nanosecondsSince1970 % 1_000_000_000) / 1000
        if micros < 0 { micros += 1_000_000; seconds -= 1 }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let year = Int(parts.tm_year) + 1900
        if (0...9999).contains(year) {
            // Built as bytes: headless mode writes one of these per capture.
            var out = [UInt8](repeating: 0, count: 27)
            func put(_ value: Int, _ width: Int, at end: Int) {
                var value = value
                for i in stride(from: end - 1, through: end - width, by: -1) {
                    out[i] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(year, 4, at: 4)
            out[4] = UInt8(ascii: "-")
            put(Int(parts.tm_mon) + 1, 2, at: 7)
            out[7] = UInt8(ascii: "-")
            put(Int(parts.tm_mday), 2, at: 10)
            out[10] = UInt8(ascii: "T")
            put(Int(parts.tm_hour), 2, at: 13)
            out[13] = UInt8(ascii: ":")
            put(Int(parts.tm_min), 2, at: 16)
            out[16] = UInt8(ascii: ":")
            put(Int(parts.tm_sec), 2, at: 19)
            out[19] = UInt8(ascii: ".")
            put(Int(micros), 6, at: 26)
            out[26] = UInt8(ascii: "Z")
            return String(decoding: out, as: UTF8.self)
        }
        func pad(_ value: Int32, _ width: Int) -> String {
            let s = String(value)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let microText = String(micros)
        let fraction = String(repeating: "0", count: 6 - microText.count) + microText
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(fraction)Z"
    }

    /// Local wall-clock time `HH:MM:SS.mmm`, for the TUI's list.
    public var localClockText: String {
        var seconds = time_t(nanosecondsSince1970 / 1_000_000_000)
        let millis = Int((nanosecondsSince1970 % 1_000_000_000) / 1_000_000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        func pad(_ value: Int, _ width: Int) -> String {
            let s = String(value)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(millis, 3))"
    }
}

/// Why the listener did not capture a request in full.
public enum Refusal: String, Sendable, Hashable, CaseIterable {
    /// The body was larger than `--max-body`: answered 413, body not kept.
    case bodyTooLarge = "body-too-large"
    /// The global in-flight body budget was exhausted: answered 503, body not kept.
    case overloaded = "overloaded"
    /// The body did not arrive in time (a pause of `bodyIdleTimeout`, or slower than the minimum
    /// rate after its grace time): answered 408, body not kept.
    case bodyTimeout = "body-timeout"
    /// The head was larger than its limit (64 KiB): answered 431. The body holds the head as
    /// received, cut at that limit.
    case headTooLarge = "head-too-large"
    /// The head had more header fields than allowed (1,000): answered 431. The body holds the head.
    case tooManyHeaders = "too-many-headers"
    /// The request target was longer than allowed (16 KiB): answered 414. The body holds the head.
    case targetTooLong = "target-too-long"
    /// The head was malformed (strict parsing): answered 400. The body holds the head as received.
    case malformedHead = "malformed-head"
    /// The head was fine but the body's framing was malformed or cut short: answered 400, body not kept.
    case malformedBody = "malformed-body"
    /// A proxy request (CONNECT, absolute-form target): answered 400, body not kept.
    case proxyRequest = "proxy-request"

    /// Whether the capture's body holds the request head as received instead of a body: the head
    /// could not be taken apart (or was too large to be), so it is kept as bytes.
    public var bodyHoldsHead: Bool {
        switch self {
        case .headTooLarge, .tooManyHeaders, .targetTooLong, .malformedHead: true
        case .bodyTooLarge, .overloaded, .bodyTimeout, .malformedBody, .proxyRequest: false
        }
    }
}

/// How a response rule made the listener give the sender no HTTP response on purpose.
public enum AnswerFailure: String, Sendable, Hashable, CaseIterable {
    /// The request was held without an answer until the sender gave up (at most the idle timeout).
    case timeout
    /// The connection was reset (TCP RST).
    case reset
    /// The connection was closed without a response.
    case close
}

/// What the listener answered.
public struct CapturedResponse: Sendable, Hashable {
    public var status: Int
    public var headers: [HeaderField]
    public var body: Data

    public init(status: Int, headers: [HeaderField] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// The verdict words of SPEC.md.
public enum VerdictStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case valid
    case invalid
    case noSecret = "no-secret"
    case unsigned

    /// The word shown on screen (`no secret` with a space; JSON uses the raw value `no-secret`).
    public var screenWord: String {
        switch self {
        case .valid: "valid"
        case .invalid: "invalid"
        case .noSecret: "no secret"
        case .unsigned: "unsigned"
        }
    }
}

/// Whether the cause of a mismatch was looked for when its verdict was stored. The verdict is
/// right either way; a cause not looked for is looked for later (`SignatureCatchUp`) and the
/// detail says so meanwhile (`note`).
public enum DiagnosisState: String, Sendable, Hashable, CaseIterable {
    /// The cause was looked for (or there was nothing to look for: the signature matched, or
    /// there was none).
    case complete
    /// The listener's diagnosis budget had run out (a flood of wrong signatures).
    case skipped
    /// The body is large: the cause is looked for after the sender was answered.
    case deferred

    /// The note a mismatch's detail ends with in this state; nil when the cause was looked for.
    public var note: String? {
        switch self {
        case .complete: nil
        case .skipped: SignatureSummary.notDiagnosedNote
        case .deferred: SignatureSummary.diagnosedLaterNote
        }
    }

    /// The state a detail read from a file stands for: JSON lines and HAR carry it only as the
    /// note at the end of the detail. Used where captures are imported, nowhere else.
    public init(importedDetail detail: String) {
        if detail.hasSuffix(SignatureSummary.diagnosedLaterNote) {
            self = .deferred
        } else if detail.hasSuffix(SignatureSummary.notDiagnosedNote) {
            self = .skipped
        } else {
            self = .complete
        }
    }
}

/// The stored outcome of a signature check: what the list, the filter and JSON lines show.
public struct SignatureSummary: Sendable, Hashable {
    /// Provider id as `hookscope providers` prints it, or nil when no scheme was recognised.
    public var provider: String?
    public var status: VerdictStatus
    /// One line saying why.
    public var detail: String
    /// Whether the cause of a mismatch was looked for; `.complete` for every other verdict.
    public var diagnosis: DiagnosisState

    public init(provider: String?, status: VerdictStatus, detail: String, diagnosis: DiagnosisState = .complete) {
        self.provider = provider
        self.status = status
        self.detail = detail
        self.diagnosis = diagnosis
    }

    public static let unsigned = SignatureSummary(provider: nil, status: .unsigned, detail: "no signature header recognised")

    /// The note a mismatch's detail ends with when the listener's diagnosis budget had run out (a
    /// flood of wrong signatures): the verdict is right, its cause was not looked for.
    public static let notDiagnosedNote =
        "(cause not looked for: too many wrong signatures at once; the signature pane and `hookscope verify` explain it)"

    /// The note a mismatch's detail ends with when the body is large: the listener answers the
    /// sender without looking for the cause (it can take seconds on a body of a few MB) and
    /// explains it right after.
    public static let diagnosedLaterNote =
        "(cause looked for after the answer: the body is large; the signature pane and `hookscope verify` explain it)"

    /// A mismatch stored without its cause (the diagnosis budget had run out, or the body is
    /// large): the stores keep these apart so that they can be explained later (`SignatureCatchUp`).
    public var causeNotLookedFor: Bool {
        status == .invalid && diagnosis != .complete
    }
}

/// One request as it reached the listener, byte-exact, plus what was answered.
public struct CapturedRequest: Sendable, Hashable {
    /// Assigned by the store; 0 until the request is stored.
    public var id: Int64
    public var receivedAt: CaptureTime
    public var method: String
    /// The request target exactly as received (percent-encoding and any non-UTF-8 bytes untouched).
    public var rawTarget: [UInt8]
    /// `HTTP/1.1` or `HTTP/1.0`.
    public var httpVersion: String
    /// Headers in received order, original case, duplicates kept.
    public var headers: [HeaderField]
    /// "ip:port" of the peer.
    public var remoteAddress: String
    /// "ip:port" of the listener's end of the connection: the address the capture arrived on (where
    /// `export --curl` and `y` send it by default). nil for captures stored before hookscope kept
    /// it, and for HAR entries without it.
    public var localAddress: String?
    /// The body bytes exactly as received (de-chunked when sent chunked). Empty when refused.
    public var body: Data
    /// The body arrived with `Transfer-Encoding: chunked` and is stored de-chunked.
    public var bodyWasChunked: Bool
    /// Size of the body as received; equals `body.count` unless the request was refused.
    public var bodySize: Int
    /// Set when the request was refused and its body not kept.
    public var refusal: Refusal?
    /// What the sender got; its status is 0 when `failure` is set (the sender got no response).
    public var response: CapturedResponse
    public var signature: SignatureSummary
    /// The response rule that answered (its name, else its 1-based index), or nil for the
    /// listener's own options.
    public var rule: String?
    /// Set when the sender got no HTTP response on purpose (a rule's or an override's failure).
    public var failure: AnswerFailure?
    /// The provider's event type (`payment_intent.succeeded`, `issues.opened`), read at capture
    /// from where that provider puts it; nil when it names none.
    public var event: String?
    /// The provider's id of this delivery, the same across its retries; nil when it has none.
    public var deliveryID: String?
    /// 1 the first time the store saw `deliveryID`, 2 for its first retry, …; 1 without a delivery
    /// id. Assigned by the store when the capture is inserted.
    public var attempt: Int

    public init(
        id: Int64 = 0,
        receivedAt: CaptureTime,
        method: String,
        rawTarget: [UInt8],
        httpVersion: String = "HTTP/1.1",
        headers: [HeaderField],
        remoteAddress: String,
        localAddress: String? = nil,
        body: Data,
        bodyWasChunked: Bool = false,
        bodySize: Int? = nil,
        refusal: Refusal? = nil,
        response: CapturedResponse,
        signature: SignatureSummary = .unsigned,
        rule: String? = nil,
        failure: AnswerFailure? = nil,
        event: String? = nil,
        deliveryID: String? = nil,
        attempt: Int = 1
    ) {
        self.rule = rule
        self.failure = failure
        self.id = id
        self.receivedAt = receivedAt
        self.method = method
        self.rawTarget = rawTarget
        self.httpVersion = httpVersion
        self.headers = headers
        self.remoteAddress = remoteAddress
        self.localAddress = localAddress
        self.body = body
        self.bodyWasChunked = bodyWasChunked
        self.bodySize = bodySize ?? body.count
        self.refusal = refusal
        self.response = response
        self.signature = signature
        self.event = event
        self.deliveryID = deliveryID
        self.attempt = attempt
    }

    /// A retry of a delivery the store had seen before (`attempt` 2 or more).
    public var isRetry: Bool { attempt > 1 }

    /// `http://ip:port` of the address the capture arrived on, when it is known.
    public var arrivalURL: String? { localAddress.map { "http://\($0)" } }

    /// The target decoded as UTF-8 (invalid bytes become U+FFFD); use `rawTarget` where bytes matter.
    public var target: String { String(decoding: rawTarget, as: UTF8.self) }

    /// The path part of the target (before `?`), decoded leniently.
    public var path: String {
        let t = target
        if let q = t.firstIndex(of: "?") { return String(t[..<q]) }
        return t
    }

    /// The summary the list and the filter work with.
    public var summary: RequestSummary {
        RequestSummary(
            id: id, receivedAt: receivedAt, method: method, rawTarget: rawTarget,
            bodySize: bodySize, responseStatus: response.status, refusal: refusal, signature: signature,
            rule: rule, failure: failure, event: event, deliveryID: deliveryID, attempt: attempt
        )
    }
}

/// What the request list needs of a capture, without headers and body.
public struct RequestSummary: Sendable, Hashable, Identifiable {
    public var id: Int64
    public var receivedAt: CaptureTime
    public var method: String
    public var rawTarget: [UInt8]
    public var bodySize: Int
    public var responseStatus: Int
    public var refusal: Refusal?
    public var signature: SignatureSummary
    /// The rule that answered, or nil (see `CapturedRequest.rule`).
    public var rule: String?
    /// Set when the sender got no HTTP response; `responseStatus` is then 0.
    public var failure: AnswerFailure?
    /// As `CapturedRequest.event`, `.deliveryID` and `.attempt`.
    public var event: String?
    public var deliveryID: String?
    public var attempt: Int

    public init(
        id: Int64, receivedAt: CaptureTime, method: String, rawTarget: [UInt8], bodySize: Int,
        responseStatus: Int, refusal: Refusal?, signature: SignatureSummary, rule: String? = nil, failure: AnswerFailure? = nil,
        event: String? = nil, deliveryID: String? = nil, attempt: Int = 1
    ) {
        self.rule = rule
        self.failure = failure
        self.id = id
        self.receivedAt = receivedAt
        self.method = method
        self.rawTarget = rawTarget
        self.bodySize = bodySize
        self.responseStatus = responseStatus
        self.refusal = refusal
        self.signature = signature
        self.event = event
        self.deliveryID = deliveryID
        self.attempt = attempt
    }

    public var target: String { String(decoding: rawTarget, as: UTF8.self) }

    /// A retry of a delivery the store had seen before (`attempt` 2 or more).
    public var isRetry: Bool { attempt > 1 }
}
