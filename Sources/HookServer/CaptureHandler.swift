import Foundation
import HookCore
import Logging
import NIOCore
import NIOHTTP1

/// Turns decoded request parts into a `CapturedRequest`, has it committed, then answers.
///
/// It also keeps pipelined requests in order (what NIO's `HTTPServerPipelineHandler` would do):
/// parts that arrive while a request is being stored wait in `queued` and are taken up once its
/// response is written. Reading stops only when that queue grows large, so an ordinary keep-alive
/// sender costs no epoll re-registration per request. Responses are written as bytes, one buffer
/// each, with no HTTP encoder in the pipeline.
final class CaptureHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Pipelined parts held while a request is stored, before reading is paused.
    static let maxQueuedParts = 64
    static let maxQueuedBytes = 256 * 1024

    private struct Pending {
        var capture: CapturedRequest
        /// With Content-Length: one buffer of that capacity. Chunked: the parts as received, joined
        /// once at the end (growing one buffer by doubling would briefly hold twice the body).
        var body: ByteBuffer?
        var parts: [ByteBuffer] = []
        var bodyBytes = 0
        var reserved = 0
        var keepAlive: Bool
        var isHeadRequest: Bool
        /// Set once the request was refused (413/503): the rest of its body is read and discarded.
        var refused = false
        var discarded = 0
        var responded = false
    }

    private let configuration: ListenerConfiguration
    private let sink: any CaptureSink
    private let budget: BodyBudget
    private let state: ConnectionState
    private let logger: Logger
    private let storeErrors: LogThrottle
    private var pending: Pending?
    /// The peer's "ip:port", formatted once per connection.
    private var remoteAddress: String?
    /// A refused request whose response is written: close once its body stops coming.
    private var closeWhenRequestEnds = false
    /// The output is half-closed after a refusal and the rest of its body is being discarded.
    private var lingering = false
    /// A complete request is being stored or answered: what arrives now waits in `queued`.
    private var answering = false
    private var queued = CircularBuffer<Queued>()
    private var queuedBytes = 0
    /// A read was asked for while the queue was full: it is passed on once the queue drains.
    private var readHeld = false

    /// What waits behind the request being answered: its successors' parts, or the decoder's error
    /// on them (answered 400 once the requests before it are answered, as if they had come later).
    /// Queued body bytes count against the listener's in-flight body budget like stored bodies do
    /// (`reserved`: the bytes of this part that could be reserved).
    private enum Queued {
        case part(HTTPServerRequestPart, reserved: Int)
        case error(any Error)
    }
    /// Queued body parts whose bytes the budget could not take: reading waits until they are gone.
    private var unreservedParts = 0
    /// The sender ended its side of the stream: close once every request it sent is answered.
    private var inputClosed = false
    /// Responses handed to the channel whose write has not completed (a close would drop them).
    private var writesInFlight = 0

    init(
        configuration: ListenerConfiguration, sink: any CaptureSink, budget: BodyBudget, state: ConnectionState, logger: Logger,
        storeErrors: LogThrottle
    ) {
        self.configuration = configuration
        self.sink = sink
        self.budget = budget
        self.state = state
        self.logger = logger
        self.storeErrors = storeErrors
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if answering || !queued.isEmpty {
            var reserved = 0
            if case .body(let buffer) = part {
                let bytes = buffer.readableBytes
                queuedBytes += bytes
                if budget.reserve(bytes) { reserved = bytes } else { unreservedParts += 1 }
            }
            queued.append(.part(part, reserved: reserved))
            return
        }
        handle(part, context: context)
    }

    func read(context: ChannelHandlerContext) {
        if queueIsFull {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// Takes up the queued parts in order until one of them starts answering again.
    private func drainQueue(context: ChannelHandlerContext) {
        while !answering, let next = queued.popFirst() {
            switch next {
            case .part(let part, let reserved):
                if case .body(let buffer) = part {
                    queuedBytes -= buffer.readableBytes
                    if reserved == 0 && buffer.readableBytes > 0 { unreservedParts -= 1 }
                }
                budget.release(reserved)
                handle(part, context: context)
            case .error(let error):
                handleError(error, context: context)
            }
        }
        if readHeld, !queueIsFull {
            readHeld = false
            context.read()
        }
    }

    private var queueIsFull: Bool {
        queued.count >= Self.maxQueuedParts || queuedBytes >= Self.maxQueuedBytes || unreservedParts > 0
    }

    /// Gives the budget back for everything still queued (the connection is gone).
    private func dropQueue() {
        for case .part(_, let reserved) in queued { budget.release(reserved) }
        queued.removeAll()
        queuedBytes = 0
        unreservedParts = 0
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            receivedHead(head, context: context)
        case .body(let buffer):
            receivedBody(buffer, context: context)
        case .end:
            receivedEnd(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let pending, !pending.responded {
            budget.release(pending.reserved)
        }
        pending = nil
        dropQueue()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The decoder has seen the end of the stream: a request cut short is already queued
            // or handled as its error (400).
            inputClosed = true
            closeIfAllAnswered(context.channel)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// After the sender's end of stream: closes once nothing is being stored, answered or waiting.
    /// A refusal being written closes the connection itself (the guard's, or a 413/503 once its
    /// answer is out).
    private func closeIfAllAnswered(_ channel: any Channel) {
        guard inputClosed, !answering, queued.isEmpty, writesInFlight == 0, state.connectionGuard?.isClosing != true else { return }
        if let pending, pending.refused, !pending.responded { return }
        channel.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        if answering || !queued.isEmpty {
            queued.append(.error(error))
            return
        }
        handleError(error, context: context)
    }

    private func handleError(_ error: any Error, context: ChannelHandlerContext) {
        if pending == nil || pending?.responded == false && pending?.refused == false {
            if let pending { budget.release(pending.reserved) }
            pending = nil
            state.connectionGuard?.refuse(status: "400 Bad Request", message: "malformed HTTP request: \(Self.describe(error))")
        } else if let pending, pending.refused, !pending.responded {
            // The rest of a refused body is malformed or cut short: the refusal (413/503), being
            // stored, is still written, and the connection closes after it.
            closeWhenRequestEnds = true
        } else {
            context.close(promise: nil)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let parserError = error as? HTTPParserError { return "\(parserError)" }
        return "\(type(of: error))"
    }

    // MARK: request parts

    private func receivedHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let raw = state.popRawHead()
        let method = raw?.method ?? head.method.rawValue
        let target = raw?.target ?? Array(head.uri.utf8)
        let headers = raw?.headers ?? head.headers.map { HeaderField($0.name, $0.value) }
        if method == "CONNECT" || !(target.first == UInt8(ascii: "/") || target == Array("*".utf8)) {
            state.connectionGuard?.refuse(
                status: "400 Bad Request", message: "hookscope captures webhooks; proxy requests (CONNECT, absolute URLs) are refused")
            return
        }
        let hasUpgrade = headers.first(named: "Upgrade") != nil
        let capture = CapturedRequest(
            receivedAt: .now(),
            method: method,
            rawTarget: target,
            httpVersion: Self.versionText(head.version),
            headers: headers,
            remoteAddress: peerAddress(context),
            body: Data(),
            bodyWasChunked: raw?.framing == .chunked || head.headers[canonicalForm: "transfer-encoding"].contains { $0.lowercased() == "chunked" },
            response: configuration.response)
        pending = Pending(
            capture: capture, keepAlive: head.isKeepAlive && !state.framingLost && !hasUpgrade,
            isHeadRequest: method == "HEAD")

        if let lengthText = head.headers.first(name: "content-length"), Int(lengthText) == nil,
           !lengthText.isEmpty, lengthText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            // All digits but beyond Int: certainly over any body limit.
            refuse(.bodyTooLarge, size: Int.max, context: context)
            return
        }
        if let lengthText = head.headers.first(name: "content-length"), let length = Int(lengthText) {
            if length > configuration.maxBodySize {
                refuse(.bodyTooLarge, size: length, context: context)
                return
            }
            if budget.reserve(length) {
                pending?.reserved = length
                pending?.body = context.channel.allocator.buffer(capacity: length)
            } else {
                refuse(.overloaded, size: length, context: context)
                return
            }
        }
        if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            let text: StaticString = head.version == .http1_0 ? "HTTP/1.0 100 Continue\r\n\r\n" : "HTTP/1.1 100 Continue\r\n\r\n"
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(staticString: text)), promise: nil)
        }
    }

    private func receivedBody(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        guard var current = pending else { return }
        let bytes = buffer.readableBytes
        if current.refused {
            current.discarded += bytes
            pending = current
            if current.responded {
                if current.discarded > configuration.refusedBodyLingerLimit {
                    context.close(promise: nil)
                } else if current.discarded > configuration.refusedBodyDrainLimit, !lingering {
                    lingering = true
                    Self.linger(context.channel, for: TimeAmount(configuration.refusedBodyDrainTime))
                }
            } else if current.discarded > configuration.refusedBodyDrainLimit {
                // The refusal is still being stored: stop reading until it is answered, so a
                // fast sender is held back by TCP instead of streaming the rest of its body.
                _ = context.channel.setOption(ChannelOptions.autoRead, value: false)
            }
            return
        }
        let total = current.bodyBytes + bytes
        if total > configuration.maxBodySize {
            refuse(.bodyTooLarge, size: total, context: context)
            return
        }
        if total > current.reserved {
            let extra = total - current.reserved
            guard budget.reserve(extra) else {
                refuse(.overloaded, size: total, context: context)
                return
            }
            current.reserved += extra
        }
        current.bodyBytes = total
        pending = nil  // avoid a copy-on-write of the buffer while appending
        if var body = current.body {
            var incoming = buffer
            body.writeBuffer(&incoming)
            current.body = body
        } else {
            current.parts.append(buffer)
        }
        pending = current
    }

    private func receivedEnd(context: ChannelHandlerContext) {
        guard var current = pending else { return }
        if current.refused {
            // The connection ends with this request: whatever is pipelined after it waits, unread.
            answering = true
            if current.responded {
                context.close(promise: nil)
            } else {
                closeWhenRequestEnds = true
            }
            return
        }
        if let body = current.body {
            current.capture.body = body.withUnsafeReadableBytes { Data($0) }
            current.body = nil
        } else if !current.parts.isEmpty {
            var data = Data(capacity: current.bodyBytes)
            for part in current.parts { part.withUnsafeReadableBytes { data.append(contentsOf: $0) } }
            current.capture.body = data
            current.parts = []
        }
        current.capture.bodySize = current.capture.body.count
        if let handshake = sink.handshakeResponse(for: current.capture) {
            current.capture.response = handshake
        }
        pending = current
        answering = true
        commitAndRespond(current, context: context)
    }

    /// Refuses the current request (413 or 503): it is kept without its body, and answered at once.
    private func refuse(_ refusal: Refusal, size: Int, context: ChannelHandlerContext) {
        guard var current = pending else { return }
        budget.release(current.reserved)
        current.reserved = 0
        current.body = nil
        current.parts = []
        current.refused = true
        current.keepAlive = false
        current.capture.refusal = refusal
        current.capture.bodySize = size
        switch refusal {
        case .bodyTooLarge:
            current.capture.response = CapturedResponse(
                status: 413, headers: [HeaderField("Content-Type", "text/plain; charset=utf-8")],
                body: Data("body larger than --max-body (\(configuration.maxBodySize) bytes)\n".utf8))
        case .overloaded:
            current.capture.response = CapturedResponse(
                status: 503, headers: [HeaderField("Content-Type", "text/plain; charset=utf-8"), HeaderField("Retry-After", "1")],
                body: Data("too many request bodies in flight; retry later\n".utf8))
        }
        pending = current
        commitAndRespond(current, context: context)
    }

    private func commitAndRespond(_ current: Pending, context: ChannelHandlerContext) {
        let capture = current.capture
        let sink = self.sink
        let loop = context.eventLoop
        sink.record(capture, on: loop).assumeIsolated().whenComplete { [self] result in
            budget.release(current.reserved)
            var response = capture.response
            var keepAlive = current.keepAlive
            switch result {
            case .success(let stored):
                // The sink may answer with something else (e.g. the forward target's response).
                response = stored.response
            case .failure(let error):
                if let quiet = storeErrors.admit() {
                    var metadata: Logger.Metadata = ["error": "\(error)"]
                    if quiet > 0 { metadata["not_logged_since_last"] = "\(quiet)" }
                    logger.error("could not store a capture", metadata: metadata)
                }
                response = CapturedResponse(
                    status: 500, headers: [HeaderField("Content-Type", "text/plain; charset=utf-8")],
                    body: Data("hookscope could not store this request: \(error)\n".utf8))
                keepAlive = false
            }
            let delay = TimeAmount(configuration.delay)
            if delay > .zero {
                loop.assumeIsolated().scheduleTask(in: delay) { [self] in
                    self.write(response, keepAlive: keepAlive, isHeadRequest: current.isHeadRequest, refused: current.refused, context: context)
                }
            } else {
                write(response, keepAlive: keepAlive, isHeadRequest: current.isHeadRequest, refused: current.refused, context: context)
            }
        }
    }

    private func write(_ response: CapturedResponse, keepAlive: Bool, isHeadRequest: Bool, refused: Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        // The raw framer may have given up during this request's body: then the next request's head
        // could not be kept exactly, so this connection ends here.
        let keepAlive = keepAlive && !state.framingLost
        let buffer = Self.encode(response, keepAlive: keepAlive, isHeadRequest: isHeadRequest, allocator: context.channel.allocator)
        let channel = context.channel
        let connectionGuard = state.connectionGuard
        let closeNow = !keepAlive && (!refused || closeWhenRequestEnds || pending?.discarded ?? 0 > configuration.refusedBodyDrainLimit)
        if refused {
            pending?.responded = true
        } else {
            pending = nil
        }
        let drainTime = TimeAmount(configuration.refusedBodyDrainTime)
        // A refused body still coming after the drain limit: half-close and linger instead of closing
        // with unread bytes (a reset that can make the sender lose the 413).
        let lingerAfter = refused && !closeWhenRequestEnds && pending?.discarded ?? 0 > configuration.refusedBodyDrainLimit && !lingering
        if lingerAfter { lingering = true }
        writesInFlight += 1
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
            self.writesInFlight -= 1
            connectionGuard?.responseFinished()
            if lingerAfter {
                Self.linger(channel, for: drainTime)
            } else if closeNow {
                channel.close(promise: nil)
            } else if refused {
                // Let the sender read the refusal rather than a reset, but not for long (at once if
                // the sender has already finished).
                if self.inputClosed {
                    channel.close(promise: nil)
                } else {
                    channel.eventLoop.scheduleTask(in: drainTime) { channel.close(promise: nil) }
                }
            } else {
                self.closeIfAllAnswered(channel)
            }
        }
        if !refused {
            answering = false
            if keepAlive {
                drainQueue(context: context)
            }
            // The write may have completed already, before `answering` was cleared.
            closeIfAllAnswered(channel)
        }
    }

    /// The response as bytes: status line, the response's own headers (without framing headers,
    /// and without any field a header could not carry), Content-Length, Connection: close when
    /// the connection ends, and the body unless the request was HEAD or the status has none.
    static func encode(_ response: CapturedResponse, keepAlive: Bool, isHeadRequest: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        let status = response.status
        let bodyAllowed = !(100..<200).contains(status) && status != 204 && status != 304
        let sendsBody = bodyAllowed && !isHeadRequest && !response.body.isEmpty
        var buffer = allocator.buffer(capacity: 128 + response.headers.count * 48 + (sendsBody ? response.body.count : 0))
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeString(String(status))
        buffer.writeStaticString(" ")
        buffer.writeString(HTTPResponseStatus(statusCode: status).reasonPhrase)
        buffer.writeStaticString("\r\n")
        for field in response.headers where isSendable(field) && !isFramingHeader(field) {
            buffer.writeString(field.name)
            buffer.writeStaticString(": ")
            buffer.writeBytes(field.rawValue)
            buffer.writeStaticString("\r\n")
        }
        if bodyAllowed {
            buffer.writeStaticString("Content-Length: ")
            buffer.writeString(String(response.body.count))
            buffer.writeStaticString("\r\n")
        }
        if !keepAlive {
            buffer.writeStaticString("Connection: close\r\n")
        }
        buffer.writeStaticString("\r\n")
        if sendsBody {
            buffer.writeBytes(response.body)
        }
        return buffer
    }

    /// Content-Length, Connection and Transfer-Encoding are the listener's own.
    static func isFramingHeader(_ field: HeaderField) -> Bool {
        field.hasName("content-length") || field.hasName("connection") || field.hasName("transfer-encoding")
    }

    /// A field that can go on the wire as it is: a token name, and a value without CR, LF or NUL.
    /// The listener's own and the configured headers always are (`--response-header` is checked);
    /// this keeps a forwarded target's answer from ever splitting the response.
    static func isSendable(_ field: HeaderField) -> Bool {
        field.hasTokenName && field.lineBreakOrNUL == nil
    }

    /// Ends the output (the sender reads the answer, then the end of the stream), reads and discards
    /// what still comes (the refused body; `receivedBody` counts it against the linger limit), and
    /// closes after `time` at the latest.
    private static func linger(_ channel: any Channel, for time: TimeAmount) {
        channel.close(mode: .output, promise: nil)
        _ = channel.setOption(ChannelOptions.autoRead, value: true)
        channel.read()
        channel.eventLoop.scheduleTask(in: time) { channel.close(promise: nil) }
    }

    private func peerAddress(_ context: ChannelHandlerContext) -> String {
        if let remoteAddress { return remoteAddress }
        let text = Self.format(context.channel.remoteAddress)
        remoteAddress = text
        return text
    }

    static func versionText(_ version: HTTPVersion) -> String {
        switch (version.major, version.minor) {
        case (1, 1): "HTTP/1.1"
        case (1, 0): "HTTP/1.0"
        default: "HTTP/\(version.major).\(version.minor)"
        }
    }

    static func format(_ address: SocketAddress?) -> String {
        guard let address else { return "unknown" }
        let ip = address.ipAddress ?? "unknown"
        let port = address.port.map(String.init) ?? "0"
        if case .v6 = address { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }
}
