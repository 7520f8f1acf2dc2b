import Foundation
import HookCore
import Logging
import NIOCore
import NIOHTTP1

/// Turns decoded request parts into a `CapturedRequest`, has it committed, then answers.
///
/// What happens to the connection (answer, wait, close, linger) is decided by a
/// `ConnectionStateMachine`: this handler feeds it what happens and carries out what it returns.
/// It also keeps pipelined requests in order (what NIO's `HTTPServerPipelineHandler` would do):
/// parts that arrive while a request is being stored wait in `queued` and are taken up once its
/// response is written. Reading stops only when that queue grows large, so an ordinary keep-alive
/// sender costs no epoll re-registration per request. Responses are written as bytes, one buffer
/// each, with no HTTP encoder in the pipeline.
///
/// It talks to the `ConnectionGuard` in front of the decoder through the pipeline: the guard's
/// `Notice`s come in as user inbound events, and `ResponseFinished` and `Refusal` go out as user
/// outbound events.
final class CaptureHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Pipelined parts held while a request is stored, before reading is paused.
    static let maxQueuedParts = 64
    static let maxQueuedBytes = 256 * 1024

    /// The request being received, until it is committed.
    private struct Pending {
        var capture: CapturedRequest
        /// With Content-Length: one buffer of that capacity. Chunked: the parts as received, joined
        /// once at the end (growing one buffer by doubling would briefly hold twice the body).
        var body: ByteBuffer?
        var parts: [ByteBuffer] = []
        var bodyBytes = 0
        /// Body bytes the budget holds for this request.
        var reserved = 0
        var isHeadRequest: Bool
    }

    /// What waits behind the request being answered: its successors' parts, or the decoder's error
    /// on them (answered 400 once the requests before it are answered, as if they had come later).
    /// Queued body bytes count against the listener's in-flight body budget like stored bodies do
    /// (`reserved`: the bytes of this part that could be reserved).
    private enum Queued {
        case part(HTTPServerRequestPart, reserved: Int)
        case error(any Error)
    }

    private let configuration: ListenerConfiguration
    private let sink: any CaptureSink
    private let budget: BodyBudget
    private let state: ConnectionState
    private let logger: Logger
    private let storeErrors: LogThrottle
    private var machine: ConnectionStateMachine
    private var pending: Pending?
    private var queued = CircularBuffer<Queued>()
    /// The peer's "ip:port", formatted once per connection.
    private var remoteAddress: String?
    private var localAddress: String?

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
        self.machine = ConnectionStateMachine(limits: Self.limits(configuration))
    }

    static func limits(_ configuration: ListenerConfiguration) -> ConnectionStateMachine.Limits {
        ConnectionStateMachine.Limits(
            maxQueuedParts: maxQueuedParts, maxQueuedBytes: maxQueuedBytes,
            refusedBodyDrainLimit: configuration.refusedBodyDrainLimit, refusedBodyLingerLimit: configuration.refusedBodyLingerLimit)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        var bodyBytes = 0
        if case .body(let buffer) = part { bodyBytes = buffer.readableBytes }
        switch machine.receive(.arrived(bodyBytes: bodyBytes)) {
        case .process:
            handle(part, context: context)
        case .enqueue:
            var reserved = 0
            if bodyBytes > 0 {
                if budget.reserve(bodyBytes) {
                    reserved = bodyBytes
                } else {
                    _ = machine.receive(.enqueuedBeyondBudget)
                }
            }
            queued.append(.part(part, reserved: reserved))
        default:
            break
        }
    }

    func read(context: ChannelHandlerContext) {
        if case .read = machine.receive(.readRequested) {
            context.read()
        }
    }

    /// Takes up the queued parts in order until one of them starts answering again.
    private func drainQueue(context: ChannelHandlerContext) {
        while !machine.isAnswering, let next = queued.popFirst() {
            switch next {
            case .part(let part, let reserved):
                var bodyBytes = 0
                if case .body(let buffer) = part { bodyBytes = buffer.readableBytes }
                _ = machine.receive(.dequeued(bodyBytes: bodyBytes, reserved: reserved > 0))
                budget.release(reserved)
                handle(part, context: context)
            case .error(let error):
                _ = machine.receive(.dequeued(bodyBytes: 0, reserved: true))
                handleError(error, context: context)
            }
        }
        perform(machine.receive(.drained), context: context)
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
        if let pending { budget.release(pending.reserved) }
        pending = nil
        for case .part(_, let reserved) in queued { budget.release(reserved) }
        queued.removeAll()
        _ = machine.receive(.channelInactive)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let notice = event as? ConnectionGuard.Notice {
            switch notice {
            case .refusing:
                perform(machine.receive(.guardRefused), context: context)
            case .timedOut(let slowHead):
                perform(machine.receive(.timedOut(slowHead: slowHead)), context: context)
            }
            return
        }
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The decoder has seen the end of the stream: a request cut short is already queued
            // or handled as its error (400).
            perform(machine.receive(.inputClosed), context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        switch machine.receive(.arrived(bodyBytes: 0)) {
        case .process:
            handleError(error, context: context)
        case .enqueue:
            queued.append(.error(error))
        default:
            break
        }
    }

    private func handleError(_ error: any Error, context: ChannelHandlerContext) {
        refuseMalformed("malformed HTTP request: \(Self.describe(error))", context: context)
    }

    static func describe(_ error: any Error) -> String {
        if let parserError = error as? HTTPParserError { return "\(parserError)" }
        return "\(type(of: error))"
    }

    /// Carries out an action that needs nothing but the channel.
    private func perform(_ action: ConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none, .process, .enqueue, .drop, .keepBody, .commit, .write:
            // Returned only for the events whose callers carry them out.
            break
        case .pauseReading:
            _ = context.channel.setOption(ChannelOptions.autoRead, value: false)
        case .read:
            context.read()
        case .linger:
            Self.linger(context.channel, for: TimeAmount(configuration.refusedBodyDrainTime))
        case .closeAfterDrainTime:
            // Let the sender read the refusal rather than a reset, but not for long.
            let channel = context.channel
            channel.eventLoop.scheduleTask(in: TimeAmount(configuration.refusedBodyDrainTime)) { channel.close(promise: nil) }
        case .close:
            context.close(promise: nil)
        case .refuseMalformed:
            sendMalformedRefusal("malformed HTTP request", context: context)
        case .refuseSlowHead:
            context.triggerUserOutboundEvent(
                ConnectionGuard.Refusal(status: "408 Request Timeout", message: "request head not received in time"), promise: nil)
        }
    }

    /// The stream is malformed, or the request is not one hookscope takes: unless a refused body is
    /// being discarded, the guard answers 400 and closes.
    private func refuseMalformed(_ message: @autoclosure () -> String, context: ChannelHandlerContext) {
        let action = machine.receive(.malformed)
        guard case .refuseMalformed = action else {
            perform(action, context: context)
            return
        }
        sendMalformedRefusal(message(), context: context)
    }

    private func sendMalformedRefusal(_ message: String, context: ChannelHandlerContext) {
        if let pending { budget.release(pending.reserved) }
        pending = nil
        context.triggerUserOutboundEvent(ConnectionGuard.Refusal(status: "400 Bad Request", message: message), promise: nil)
    }

    // MARK: request parts

    private func receivedHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let raw = state.popRawHead()
        let method = raw?.method ?? head.method.rawValue
        let target = raw?.target ?? Array(head.uri.utf8)
        let headers = raw?.headers ?? head.headers.map { HeaderField($0.name, $0.value) }
        if method == "CONNECT" || !(target.first == UInt8(ascii: "/") || target == Array("*".utf8)) {
            refuseMalformed("hookscope captures webhooks; proxy requests (CONNECT, absolute URLs) are refused", context: context)
            return
        }
        let hasUpgrade = headers.first(named: "Upgrade") != nil
        let keepAlive = head.isKeepAlive && !state.framingLost && !hasUpgrade
        guard case .process = machine.receive(.head(keepAlive: keepAlive)) else { return }
        let capture = CapturedRequest(
            receivedAt: .now(),
            method: method,
            rawTarget: target,
            httpVersion: Self.versionText(head.version),
            headers: headers,
            remoteAddress: peerAddress(context),
            localAddress: ownAddress(context),
            body: Data(),
            bodyWasChunked: raw?.framing == .chunked || head.headers[canonicalForm: "transfer-encoding"].contains { $0.lowercased() == "chunked" },
            response: configuration.response)
        pending = Pending(capture: capture, isHeadRequest: method == "HEAD")

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
        let action = machine.receive(.body(bytes: buffer.readableBytes))
        guard case .keepBody = action else {
            perform(action, context: context)
            return
        }
        guard var current = pending else { return }
        let total = current.bodyBytes + buffer.readableBytes
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
        let action = machine.receive(.end)
        guard case .commit = action else {
            perform(action, context: context)
            return
        }
        guard var current = pending else { return }
        pending = nil
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
        commit(current.capture, reserved: current.reserved, isHeadRequest: current.isHeadRequest, context: context)
    }

    /// Refuses the current request (413 or 503): it is kept without its body, and answered at once.
    private func refuse(_ refusal: Refusal, size: Int, context: ChannelHandlerContext) {
        guard var current = pending, case .commit = machine.receive(.refused) else { return }
        pending = nil
        budget.release(current.reserved)
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
        commit(current.capture, reserved: 0, isHeadRequest: current.isHeadRequest, context: context)
    }

    /// Has the sink commit the capture; its answer is written once it is committed (after `--delay`).
    /// `reserved`: the body bytes the budget holds for it, given back once the sink is done.
    private func commit(_ capture: CapturedRequest, reserved: Int, isHeadRequest: Bool, context: ChannelHandlerContext) {
        let loop = context.eventLoop
        sink.record(capture, on: loop).assumeIsolated().whenComplete { [self] result in
            budget.release(reserved)
            let response: CapturedResponse
            let failed: Bool
            switch result {
            case .success(let stored):
                // The sink may answer with something else (e.g. the forward target's response).
                response = stored.response
                failed = false
            case .failure(let error):
                if let quiet = storeErrors.admit() {
                    var metadata: Logger.Metadata = ["error": "\(error)"]
                    if quiet > 0 { metadata["not_logged_since_last"] = "\(quiet)" }
                    logger.error("could not store a capture", metadata: metadata)
                }
                response = CapturedResponse(
                    status: 500, headers: [HeaderField("Content-Type", "text/plain; charset=utf-8")],
                    body: Data("hookscope could not store this request: \(error)\n".utf8))
                failed = true
            }
            let delay = TimeAmount(configuration.delay)
            if delay > .zero {
                loop.assumeIsolated().scheduleTask(in: delay) { [self] in
                    self.answer(response, failed: failed, isHeadRequest: isHeadRequest, context: context)
                }
            } else {
                answer(response, failed: failed, isHeadRequest: isHeadRequest, context: context)
            }
        }
    }

    private func answer(_ response: CapturedResponse, failed: Bool, isHeadRequest: Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        // The raw framer may have given up during this request's body: then the next request's head
        // could not be kept exactly, so this connection ends here.
        let event: ConnectionStateMachine.Event = failed ? .commitFailed : .committed(framingLost: state.framingLost)
        guard case .write(let keepAlive) = machine.receive(event) else { return }
        let buffer = Self.encode(response, keepAlive: keepAlive, isHeadRequest: isHeadRequest, allocator: context.channel.allocator)
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { [self] _ in
            context.triggerUserOutboundEvent(ConnectionGuard.ResponseFinished(), promise: nil)
            perform(machine.receive(.responseWritten), context: context)
        }
        if keepAlive {
            drainQueue(context: context)
        }
    }

    /// Ends the output (the sender reads the answer, then the end of the stream), reads and discards
    /// what still comes (the refused body; the state machine counts it against the linger limit), and
    /// closes after `time` at the latest.
    private static func linger(_ channel: any Channel, for time: TimeAmount) {
        channel.close(mode: .output, promise: nil)
        _ = channel.setOption(ChannelOptions.autoRead, value: true)
        channel.read()
        channel.eventLoop.scheduleTask(in: time) { channel.close(promise: nil) }
    }

    /// The listener's end of the connection, as `peerAddress` formats it.
    private func ownAddress(_ context: ChannelHandlerContext) -> String {
        if let localAddress { return localAddress }
        let text = Self.format(context.channel.localAddress)
        localAddress = text
        return text
    }

    private func peerAddress(_ context: ChannelHandlerContext) -> String {
        if let remoteAddress { return remoteAddress }
        let text = Self.format(context.channel.remoteAddress)
        remoteAddress = text
        return text
    }
}
