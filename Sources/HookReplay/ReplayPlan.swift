import Foundation
import HookCore
import HookSignatures

/// How a capture is replayed.
public struct ReplayOptions: Sendable {
    /// Refresh the timestamp and recompute the signature with `verifier`'s secrets before sending.
    public var resign: Bool
    /// Send the captured `Host` header instead of the target's.
    public var keepHost: Bool
    /// Needed when `resign` is set: it holds the secrets.
    public var verifier: SignatureVerifier?

    public init(resign: Bool = false, keepHost: Bool = false, verifier: SignatureVerifier? = nil) {
        self.resign = resign
        self.keepHost = keepHost
        self.verifier = verifier
    }
}

/// A parsed `http(s)://authority[/path][?query]` target.
public struct ReplayTarget: Sendable, Hashable {
    public var scheme: String
    /// `host[:port]` as written (IPv6 in brackets).
    public var authority: String
    public var host: String
    public var port: Int
    /// Path and query as written, or nil when the URL has none (or only `/`).
    public var pathAndQuery: String?

    /// Parses a target URL; the error says in plain words what is wrong.
    public static func parse(_ text: String) -> Result<ReplayTarget, ReplayPlanError> {
        func bad(_ why: String) -> Result<ReplayTarget, ReplayPlanError> {
            .failure(ReplayPlanError("invalid URL \(quoted(text)): \(why)", failure: .unsent))
        }
        if text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F }) {
            return bad("it contains spaces, control characters or non-ASCII characters (percent-encode them)")
        }
        guard let sep = text.range(of: "://") else { return bad("expected http://HOST[:PORT][/PATH]") }
        let scheme = text[..<sep.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            return bad("only http and https are supported, not \(quoted(scheme))")
        }
        var rest = Substring(text[sep.upperBound...])
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = String(rest[..<authorityEnd])
        let tail = String(rest[authorityEnd...])
        guard !authority.isEmpty else { return bad("no host") }
        guard !authority.contains("@") else { return bad("user information in the URL is not supported") }
        var host: String
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return bad("unclosed IPv6 bracket") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return bad("unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { return bad("no host") }
        var port = scheme == "https" ? 443 : 80
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                return bad("the port must be a number from 1 to 65535")
            }
            port = value
        }
        host = host.lowercased()
        let pathAndQuery: String? = (tail.isEmpty || tail == "/") ? nil : (tail.hasPrefix("?") ? "/" + tail : tail)
        return .success(ReplayTarget(scheme: scheme, authority: authority, host: host, port: port, pathAndQuery: pathAndQuery))
    }

    /// The value of the `Host` header for this target: the authority without a default port.
    public var hostHeader: String {
        let defaultPort = scheme == "https" ? 443 : 80
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return port == defaultPort ? shownHost : "\(shownHost):\(port)"
    }

    /// "host:port", for messages.
    public var endpoint: String { (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }

    /// The URL a capture is sent to. Rule: when the target URL has a path other than `/` (or a query),
    /// it is used as given; otherwise the captured target (path and query) is appended, so
    /// `--to http://127.0.0.1:3000` sends `POST /hooks/stripe?x=1` to `http://127.0.0.1:3000/hooks/stripe?x=1`.
    public func url(for request: CapturedRequest) -> Result<String, ReplayPlanError> {
        let base = "\(scheme)://\(authority)"
        if let pathAndQuery { return .success(base + pathAndQuery) }
        guard let target = String(validatingUTF8Bytes: request.rawTarget) else {
            return .failure(ReplayPlanError("the captured target has bytes that are not UTF-8; give the path in --to", failure: .other))
        }
        var path = target
        if !path.hasPrefix("/") {
            // Absolute form (`http://host/path`) or `*`: keep only the path and query.
            if let sep = path.range(of: "://") {
                let afterScheme = path[sep.upperBound...]
                path = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }).map { String(afterScheme[$0...]) } ?? "/"
                if path.hasPrefix("?") { path = "/" + path }
            } else {
                path = "/"
            }
        }
        if let bad = path.unicodeScalars.first(where: { $0.value <= 0x20 || $0.value >= 0x7F }) {
            return .failure(ReplayPlanError("the captured target contains \(describe(bad)), which cannot go in a URL; give the path in --to", failure: .other))
        }
        if let hash = path.firstIndex(of: "#") { path = String(path[..<hash]) }
        return .success(base + path)
    }
}

/// Why a replay could not be prepared (nothing was sent).
public struct ReplayPlanError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    /// The kind the attempt records: `.unsent` for an invalid URL, an unsafe header or a failed
    /// re-signing; `.other` for a capture that cannot be replayed as it is.
    public var failure: ReplayFailure

    public init(_ description: String, failure: ReplayFailure) {
        self.description = description
        self.failure = failure
    }
}

/// Exactly what goes out for a replay, computed without any I/O.
public struct ReplayPlan: Sendable, Hashable {
    public var method: String
    public var url: String
    public var target: ReplayTarget
    /// Headers in the order they are sent. `Content-Length` is not among them: the HTTP client
    /// appends it last, computed from the body (see `contentLength`).
    public var headers: [HeaderField]
    /// The `Content-Length` the client appends, or nil when none is sent (empty GET/HEAD/DELETE/CONNECT/TRACE).
    public var contentLength: Int?
    public var body: Data
    public var resigned: Bool
    /// Header names that differ from the capture (dropped, replaced or added), original case, first seen first.
    public var changedHeaders: [String]

    /// Some header value is not UTF-8 (obs-text): the plan goes out through `RawExchange`.
    public var needsRawBytes: Bool {
        headers.contains { String(validatingUTF8Bytes: $0.rawValue) == nil }
    }

    /// Hop-by-hop and framing headers that are never replayed as captured (plus `Proxy-*` and
    /// whatever `Connection` names).
    static let dropped: Set<String> = ["connection", "keep-alive", "te", "transfer-encoding", "upgrade", "trailer", "content-length"]

    /// Builds the plan. Never sends anything; every refusal is a `ReplayPlanError` in plain words.
    public static func make(
        _ request: CapturedRequest, to targetText: String, options: ReplayOptions, now: CaptureTime = .now()
    ) -> Result<ReplayPlan, ReplayPlanError> {
        let target: ReplayTarget
        switch ReplayTarget.parse(targetText) {
        case .success(let t): target = t
        case .failure(let e): return .failure(e)
        }
        let url: String
        switch target.url(for: request) {
        case .success(let u): url = u
        case .failure(let e): return .failure(e)
        }
        if let refusal = request.refusal {
            return .failure(ReplayPlanError("capture #\(request.id) was refused (\(refusal.rawValue)) and its body was not kept; nothing to replay", failure: .other))
        }
        guard !request.method.isEmpty, request.method.utf8.allSatisfy(isHTTPTokenByte) else {
            return .failure(ReplayPlanError("the captured method is not a valid HTTP token", failure: .other))
        }

        var source = request.headers
        if options.resign {
            guard let verifier = options.verifier else {
                return .failure(ReplayPlanError("cannot re-sign: no secrets configured", failure: .unsent))
            }
            switch verifier.resign(request, now: now, targetURL: url) {
            case .success(let headers): source = headers
            case .failure(let error): return .failure(ReplayPlanError(error.description, failure: .unsent))
            }
        }

        // Names listed in Connection are hop-by-hop too (Host excepted: it is handled below).
        var named = Set<String>()
        for field in source where field.name.lowercased() == "connection" {
            for token in field.value.split(separator: ",") {
                let name = token.trimmingCharacters(in: .whitespaces).lowercased()
                if !name.isEmpty && name != "host" { named.insert(name) }
            }
        }
        var headers: [HeaderField] = []
        var sawHost = false
        for field in source {
            let lower = field.name.lowercased()
            if dropped.contains(lower) || named.contains(lower) || lower.hasPrefix("proxy-") { continue }
            if lower == "host" {
                if sawHost { continue }  // a second Host is hostile: only the first one counts
                sawHost = true
                headers.append(options.keepHost ? field : HeaderField(field.name, target.hostHeader))
                continue
            }
            headers.append(field)
        }
        if !sawHost { headers.insert(HeaderField("Host", target.hostHeader), at: 0) }

        for field in headers {
            guard field.hasTokenName else {
                return .failure(ReplayPlanError("refusing to send: header name \(quoted(field.name)) is not a valid HTTP token", failure: .unsent))
            }
            if let what = field.lineBreakOrNUL {
                return .failure(ReplayPlanError("refusing to send: the value of header \(field.name) contains \(what), which could split the request", failure: .unsent))
            }
            if let byte = field.rawValue.first(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) {
                return .failure(ReplayPlanError("refusing to send: the value of header \(field.name) contains the control byte 0x\(String(byte, radix: 16, uppercase: true))", failure: .unsent))
            }
        }

        let method = request.method
        let noBodyMethods: Set<String> = ["GET", "HEAD", "DELETE", "CONNECT", "TRACE"]
        if method == "TRACE" && !request.body.isEmpty {
            return .failure(ReplayPlanError("cannot replay a TRACE request with a body", failure: .other))
        }
        let contentLength: Int? = (request.body.isEmpty && noBodyMethods.contains(method)) ? nil : request.body.count

        var sent = headers
        if let contentLength { sent.append(HeaderField("Content-Length", String(contentLength))) }
        let changed = changedNames(from: request.headers, to: sent)
        return .success(ReplayPlan(
            method: method, url: url, target: target, headers: headers, contentLength: contentLength,
            body: request.body, resigned: options.resign, changedHeaders: changed))
    }

    /// Every header name whose list of values differs between the capture and what is sent.
    static func changedNames(from original: [HeaderField], to sent: [HeaderField]) -> [String] {
        var before: [String: [[UInt8]]] = [:]
        var after: [String: [[UInt8]]] = [:]
        var order: [(lower: String, name: String)] = []
        var seen = Set<String>()
        for field in original {
            let lower = field.name.lowercased()
            before[lower, default: []].append(field.rawValue)
            if seen.insert(lower).inserted { order.append((lower, field.name)) }
        }
        for field in sent {
            let lower = field.name.lowercased()
            after[lower, default: []].append(field.rawValue)
            if seen.insert(lower).inserted { order.append((lower, field.name)) }
        }
        return order.filter { before[$0.lower] != after[$0.lower] }.map(\.name)
    }
}

func quoted(_ text: String) -> String {
    "'" + TerminalSafety.escape(Array(text.utf8.prefix(200))) + "'"
}

private func describe(_ scalar: Unicode.Scalar) -> String {
    scalar.value == 0x20 ? "a space" : "the character U+\(String(scalar.value, radix: 16, uppercase: true))"
}
