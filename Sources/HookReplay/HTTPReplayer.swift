import AsyncHTTPClient
import Foundation
import HookCore
import HookSignatures
import NIOCore
import NIOHTTP1
import NIOSSL

/// Sends captures again, byte-exact, to a target URL. Owns one HTTP/1.1-only `HTTPClient`
/// (HTTP/2 would lower-case header names), follows no redirects, verifies TLS against the system
/// trust store unless `insecure`. A request with a header value that is not UTF-8 goes through
/// `RawExchange` instead (exact bytes, same trust rules). Call `shutdown()` once done.
public final class HTTPReplayer: Sendable {
    /// Response bodies beyond this many bytes are cut off (the attempt's `error` says so).
    public static let maxResponseBody = 10 * 1024 * 1024

    public let insecure: Bool
    public let timeout: Duration
    private let client: HTTPClient
    /// For https through `RawExchange`; nil when it cannot be made (then such replays say so).
    private let tlsContext: NIOSSLContext?

    /// `connectionsPerHost`: how many connections to one target may be open at once (`send
    /// --concurrency`); AsyncHTTPClient's default is 8.
    public init(insecure: Bool = false, timeout: Duration = .seconds(30), connectionsPerHost: Int = 8) {
        self.insecure = insecure
        self.timeout = timeout
        let amount = TimeAmount.nanoseconds(Self.nanoseconds(timeout))
        var configuration = HTTPClient.Configuration(
            certificateVerification: insecure ? .none : .fullVerification,
            redirectConfiguration: .disallow,
            timeout: HTTPClient.Configuration.Timeout(connect: amount, read: amount, write: amount),
            decompression: .disabled
        )
        configuration.httpVersion = .http1Only
        // A refused connection fails the request at once instead of being retried until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, connectionsPerHost)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = insecure ? .none : .fullVerification
        tlsContext = try? NIOSSLContext(configuration: tls)
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    /// Sends `request` to `url` (see `ReplayTarget.url(for:)` for how the path is chosen).
    /// Never throws: every failure is the attempt's `error` in plain words and its `failure` kind,
    /// with `response` nil.
    /// When the response body was cut at `maxResponseBody`, `response` is set and `error` says so.
    public func replay(_ request: CapturedRequest, to url: String, options: ReplayOptions = ReplayOptions()) async -> ReplayAttempt {
        let startedAt = CaptureTime.now()
        let clock = ContinuousClock()
        let start = clock.now
        func attempt(url: String, resigned: Bool, changed: [String], response: CapturedResponse, note: String?) -> ReplayAttempt {
            ReplayAttempt(
                requestID: request.id, startedAt: startedAt, targetURL: url, resigned: resigned,
                changedHeaders: changed, response: response, error: note,
                durationNanoseconds: Self.nanoseconds(clock.now - start))
        }
        func attempt(url: String, resigned: Bool, changed: [String], failure: AttemptFailure) -> ReplayAttempt {
            ReplayAttempt(
                requestID: request.id, startedAt: startedAt, targetURL: url, resigned: resigned,
                changedHeaders: changed, response: nil, error: failure.message, failure: failure.kind,
                durationNanoseconds: Self.nanoseconds(clock.now - start))
        }

        let plan: ReplayPlan
        switch ReplayPlan.make(request, to: url, options: options, now: startedAt) {
        case .success(let p): plan = p
        case .failure(let error):
            return attempt(url: url, resigned: false, changed: [], failure: AttemptFailure(error.failure, error.description))
        }

        if plan.needsRawBytes {
            do {
                let answer = try await RawExchange.send(plan, tls: tlsContext, timeout: timeout, maxBody: Self.maxResponseBody)
                let captured = CapturedResponse(
                    status: Int(answer.head.status.code),
                    headers: answer.head.headers.map { HeaderField(name: $0.name, rawValue: Array($0.value.utf8)) },
                    body: Data(answer.body.readableBytesView))
                let note = answer.truncated ? "response body cut off at \(Self.maxResponseBody / (1024 * 1024)) MiB (the target sent more)" : nil
                return attempt(url: plan.url, resigned: plan.resigned, changed: plan.changedHeaders, response: captured, note: note)
            } catch {
                return attempt(
                    url: plan.url, resigned: plan.resigned, changed: plan.changedHeaders,
                    failure: Self.describe(error, target: plan.target, timeout: timeout))
            }
        }

        var outgoing = HTTPClientRequest(url: plan.url)
        outgoing.method = HTTPMethod(rawValue: plan.method)
        var headers = HTTPHeaders()
        for field in plan.headers { headers.add(name: field.name, value: field.value) }
        outgoing.headers = headers
        if plan.contentLength != nil {
            outgoing.body = .bytes(ByteBuffer(bytes: plan.body))
        }

        do {
            let response = try await client.execute(outgoing, timeout: .nanoseconds(Self.nanoseconds(timeout)))
            var body = ByteBuffer()
            var truncated = false
            for try await chunk in response.body {
                let room = Self.maxResponseBody - body.readableBytes
                if chunk.readableBytes > room {
                    var part = chunk
                    if room > 0, let slice = part.readSlice(length: room) { body.writeImmutableBuffer(slice) }
                    truncated = true
                    break
                }
                body.writeImmutableBuffer(chunk)
            }
            let responseHeaders = response.headers.map { HeaderField(name: $0.name, rawValue: Array($0.value.utf8)) }
            let captured = CapturedResponse(
                status: Int(response.status.code), headers: responseHeaders,
                body: Data(body.readableBytesView))
            let note = truncated ? "response body cut off at \(Self.maxResponseBody / (1024 * 1024)) MiB (the target sent more)" : nil
            return attempt(url: plan.url, resigned: plan.resigned, changed: plan.changedHeaders, response: captured, note: note)
        } catch {
            return attempt(
                url: plan.url, resigned: plan.resigned, changed: plan.changedHeaders,
                failure: Self.describe(error, target: plan.target, timeout: timeout))
        }
    }

    /// A client error in plain words, with its kind.
    static func describe(_ error: any Error, target: ReplayTarget, timeout: Duration) -> AttemptFailure {
        let seconds = timeoutText(timeout)
        let waiting = AttemptFailure(.timeout, "timed out after \(seconds) waiting for \(target.endpoint)")
        let connecting = AttemptFailure(.timeout, "timed out after \(seconds) connecting to \(target.endpoint)")
        let closedEarly = AttemptFailure(.other, "\(target.endpoint) closed the connection without a complete answer")
        let cancelled = AttemptFailure(.other, "cancelled")
        if let http = error as? HTTPClientError {
            switch http {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .getConnectionFromPoolTimeout:
                return waiting
            case .connectTimeout:
                return connecting
            case .tlsHandshakeTimeout:
                return AttemptFailure(.tls, "TLS handshake failed: timed out after \(seconds) with \(target.endpoint)")
            case .remoteConnectionClosed:
                return closedEarly
            case .invalidURL, .emptyHost, .emptyScheme:
                return AttemptFailure(.unsent, "invalid URL: \(http)")
            case .cancelled:
                return cancelled
            default:
                break
            }
        }
        if error is CancellationError { return cancelled }
        if let raw = error as? RawExchangeError {
            switch raw {
            case .timedOut: return waiting
            case .closedEarly: return closedEarly
            case .tlsUnavailable: return AttemptFailure(.tls, "TLS handshake failed with \(target.endpoint): TLS could not be set up here")
            }
        }
        if let channel = error as? ChannelError, case .connectTimeout = channel {
            return connecting
        }
        if let code = findErrno(in: error) {
            switch code {
            case ECONNREFUSED: return AttemptFailure(.refused, "connection refused by \(target.endpoint)")
            case ECONNRESET: return AttemptFailure(.reset, "connection reset by \(target.endpoint)")
            case ETIMEDOUT: return connecting
            case ENETUNREACH, EHOSTUNREACH: return AttemptFailure(.other, "\(target.endpoint) is unreachable (no route to host)")
            case EPIPE: return AttemptFailure(.other, "\(target.endpoint) closed the connection while the request was being sent")
            default: return AttemptFailure(.other, "cannot reach \(target.endpoint): \(String(cString: strerror(code)))")
            }
        }
        if findResolutionFailure(in: error) {
            return AttemptFailure(.dns, "cannot resolve host \(target.host)")
        }
        let typeName = String(reflecting: type(of: error))
        if typeName.contains("SSL") || typeName.contains("TLS") {
            return AttemptFailure(.tls, "TLS handshake failed with \(target.endpoint): \(tlsReason(String(describing: error)))")
        }
        return AttemptFailure(.other, "request to \(target.endpoint) failed: \(error)")
    }

    /// The useful part of a BoringSSL/NIOSSL error text, with a hint for the common cases.
    static func tlsReason(_ text: String) -> String {
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("HTTP_REQUEST") {
            return "the target does not speak TLS (plain http?)"
        }
        if text.contains("EOF during handshake") {
            return "the target closed the connection during the handshake"
        }
        let lower = text.lowercased()
        if lower.contains("certificate") || lower.contains("verify") || lower.contains("unable to get local issuer") {
            var reason = "certificate not trusted"
            if let range = text.range(of: "OPENSSL_internal:") {
                reason += " (" + text[range.upperBound...].prefix { $0 != " " && $0 != "]" } + ")"
            }
            return reason + "; use --insecure to accept self-signed certificates"
        }
        if let range = text.range(of: "OPENSSL_internal:") {
            return String(text[range.upperBound...].prefix { $0 != " " && $0 != "]" })
        }
        return text
    }

    /// The errno of the first `IOError` inside an error (NIO wraps connect failures in aggregate errors).
    static func findErrno(in value: Any, depth: Int = 0) -> Int32? {
        if let io = value as? IOError { return io.errnoCode }
        guard depth < 6 else { return nil }
        for child in Mirror(reflecting: value).children {
            if let code = findErrno(in: child.value, depth: depth + 1) { return code }
        }
        return nil
    }

    /// Whether an error (or one nested in it) is a failed name resolution.
    static func findResolutionFailure(in value: Any, depth: Int = 0) -> Bool {
        if value is SocketAddressError { return true }
        let typeName = String(reflecting: type(of: value))
        for marker in ["SocketAddressError", "UnknownHost", "Resolver", "Getaddrinfo", "DNS"] where typeName.contains(marker) {
            return true
        }
        guard depth < 6 else { return false }
        return Mirror(reflecting: value).children.contains { findResolutionFailure(in: $0.value, depth: depth + 1) }
    }

    static func timeoutText(_ duration: Duration) -> String {
        let ms = nanoseconds(duration) / 1_000_000
        if ms % 1000 == 0 { return "\(ms / 1000) s" }
        return "\(ms) ms"
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// Why an attempt got no response: its kind, and the same in plain words.
struct AttemptFailure: Sendable, Hashable {
    var kind: ReplayFailure
    var message: String

    init(_ kind: ReplayFailure, _ message: String) {
        self.kind = kind
        self.message = message
    }
}
