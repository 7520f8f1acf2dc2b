import Foundation
import HookCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One request written as exact bytes on a fresh HTTP/1.1 connection (TLS through NIOSSL for https),
/// the response read with NIO's strict `HTTPResponseDecoder`. Used for plans whose header values are
/// not UTF-8 (obs-text), which AsyncHTTPClient's `String` headers cannot carry byte for byte.
enum RawExchange {
    struct Answer {
        var head: HTTPResponseHead
        var body: ByteBuffer
        var truncated: Bool
    }

    /// Sends `plan` and returns the answer; throws NIO, NIOSSL or `RawExchangeError` errors
    /// (`HTTPReplayer.describe` puts them in plain words).
    static func send(_ plan: ReplayPlan, tls: NIOSSLContext?, timeout: Duration, maxBody: Int) async throws -> Answer {
        let target = plan.target
        let amount = TimeAmount.nanoseconds(HTTPReplayer.nanoseconds(timeout))
        var bytes = ByteBuffer(bytes: plan.requestHeadBytes)
        if plan.contentLength != nil { bytes.writeBytes(plan.body) }
        let request = bytes
        let method = HTTPMethod(rawValue: plan.method)
        let requestTarget = plan.requestTarget
        let secure = target.scheme == "https"
        if secure && tls == nil { throw RawExchangeError.tlsUnavailable }
        // SNI and name checks take a host name; for an IP address NIOSSL checks the peer's address instead.
        let serverName: String? = isIPAddress(target.host) ? nil : target.host

        let group = MultiThreadedEventLoopGroup.singleton
        // Completed by the collector with the answer or the first error (TLS, reset, timeout).
        let answer = group.next().makePromise(of: Answer.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(amount)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        if secure, let tls {
                            try sync.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverName))
                        }
                        try sync.addHandler(RawRequestWriter(request: request))
                        try sync.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)))
                        try sync.addHandler(ResponseCollector(answer: answer, maxBody: maxBody, timeout: amount))
                    }
                }
                .connect(host: target.host, port: target.port).get()
        } catch {
            answer.fail(error)
            throw error
        }
        // The decoder sees the method (a HEAD answer has no body); the writer sends the exact bytes instead.
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: requestTarget)
        channel.writeAndFlush(HTTPClientRequestPart.head(head), promise: nil)
        return try await answer.futureResult.get()
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}

enum RawExchangeError: Error, CustomStringConvertible {
    case timedOut
    case closedEarly
    case tlsUnavailable

    var description: String {
        switch self {
        case .timedOut: "timed out"
        case .closedEarly: "the connection closed before the answer was complete"
        case .tlsUnavailable: "TLS is not available"
        }
    }
}

/// Turns the request head part into the plan's exact bytes (head and body); drops the other parts.
final class RawRequestWriter: ChannelOutboundHandler {
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = ByteBuffer

    let request: ByteBuffer

    init(request: ByteBuffer) { self.request = request }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head: context.write(wrapOutboundOut(request), promise: promise)
        case .body, .end: promise?.succeed(())
        }
    }
}

/// Collects one response (skipping 1xx interim answers), cuts the body at `maxBody`, fails after
/// `timeout` from the start, and closes the connection when done.
final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    let maxBody: Int
    let timeout: TimeAmount
    private let promise: EventLoopPromise<RawExchange.Answer>
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()
    private var deadline: Scheduled<Void>?
    private var done = false

    init(answer: EventLoopPromise<RawExchange.Answer>, maxBody: Int, timeout: TimeAmount) {
        self.promise = answer
        self.maxBody = maxBody
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loop = context.eventLoop.assumeIsolated()
        deadline = loop.scheduleTask(in: timeout) { [self] in
            finish(context, .failure(RawExchangeError.timedOut))
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        if !done {
            done = true
            promise.fail(RawExchangeError.closedEarly)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let received):
            if received.status.code >= 100 && received.status.code < 200 && received.status.code != 101 { return }
            head = received
        case .body(var part):
            let room = maxBody - body.readableBytes
            if part.readableBytes > room {
                if room > 0, let slice = part.readSlice(length: room) { body.writeImmutableBuffer(slice) }
                complete(context, truncated: true)
                return
            }
            body.writeBuffer(&part)
        case .end:
            complete(context, truncated: false)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(context, .failure(error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context, .failure(RawExchangeError.closedEarly))
        context.fireChannelInactive()
    }

    private func complete(_ context: ChannelHandlerContext, truncated: Bool) {
        guard let head else {
            finish(context, .failure(RawExchangeError.closedEarly))
            return
        }
        finish(context, .success(RawExchange.Answer(head: head, body: body, truncated: truncated)))
    }

    private func finish(_ context: ChannelHandlerContext, _ result: Result<RawExchange.Answer, any Error>) {
        guard !done else { return }
        done = true
        deadline?.cancel()
        promise.completeWith(result)
        context.close(promise: nil)
    }
}

extension ReplayPlan {
    /// The path and query of the request line.
    public var requestTarget: String {
        let base = "\(target.scheme)://\(target.authority)"
        let rest = url.hasPrefix(base) ? String(url.dropFirst(base.count)) : url
        return rest.isEmpty ? "/" : rest
    }

    /// The request line and headers exactly as they go out: every header value's bytes as captured,
    /// `Content-Length` last (when the plan has one), then the blank line.
    public var requestHeadBytes: [UInt8] {
        var bytes = Array("\(method) \(requestTarget) HTTP/1.1\r\n".utf8)
        for field in headers {
            bytes += Array(field.name.utf8)
            bytes += [UInt8(ascii: ":"), UInt8(ascii: " ")]
            bytes += field.rawValue
            bytes += [0x0D, 0x0A]
        }
        if let contentLength { bytes += Array("Content-Length: \(contentLength)\r\n".utf8) }
        bytes += [0x0D, 0x0A]
        return bytes
    }
}
