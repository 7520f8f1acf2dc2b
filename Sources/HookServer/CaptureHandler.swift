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
    /// A body with a Content-Length starts in a buffer of at most this size, which grows as bytes
    /// arrive: a sender that declares 25 MB and sends nothing holds next to no memory.
    static let initialBodyCapacity = 64 * 1024

    /// The request being received, until it is committed.
    private struct Pending {
        var capture: CapturedRequest
        /// With Content-Length: one buffer, grown (by `realloc`) as the body arrives. Chunked: the
        /// parts as received, joined once at the end.
        var body: ByteBuffer?
        var parts: [ByteBuffer] = []
        var bodyBytes = 0
        /// Body bytes the budget holds for this request: those that have arrived, not those declared.
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
            case .refusing(let head):
                perform(machine.receive(.guardRefused), context: context)
                if let head { keepRefusedHead(head, context: context) }
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

    /// The decoder rejected the stream: the request it was reading is kept as refused (its head,
    /// or its head's bytes when the head itself was rejected) and answered 400.
    private func handleError(_ error: any Error, context: ChannelHandlerContext) {
        refuseMalformed("malformed HTTP request: \(Self.describe(error))", context: context) { [self] in
            if var capture = pending?.capture {
                capture.refusal = .malformedBody
                capture.bodySize = pending?.bodyBytes ?? 0
                return capture
            }
            // The head never reached this handler: the framer has its bytes (handed over, or still
            // its own when it could not read it or it never ended), unless the framer had stopped
            // following the stream before it (then there is nothing but the refusal to keep).
            let framer = state.framer
            let bytes = state.popRawHead()?.bytes
                ?? (framer.headUnreadable || framer.isInHead ? Array(framer.head.prefix(configuration.maxHeadSize)) : [])
            return Self.refusedHeadCapture(
                bytes, refusal: .malformedHead, targetLimit: configuration.maxTargetLength, remoteAddress: peerAddress(context))
        }
    }

    /// A capture for a request refused for its head: the head's bytes as received (cut at the head
    /// size limit) are its body, and the method, target and version are read from its request line
    /// as far as they can be. Only what a request line can carry goes in those: a method that is no
    /// token becomes `-`, and bytes of the target no request line can hold are percent-encoded
    /// (exports and imports of the store keep working); the exact bytes are in the body.
    static func refusedHeadCapture(_ bytes: [UInt8], refusal: Refusal, targetLimit: Int, remoteAddress: String) -> CapturedRequest {
        let lineEnd = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
        var line = bytes[..<lineEnd]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: false)
        let methodBytes = parts.first ?? []
        let method = !methodBytes.isEmpty && methodBytes.count <= 32 && methodBytes.allSatisfy(isHTTPTokenByte)
            ? String(decoding: methodBytes, as: UTF8.self) : "-"
        var target: [UInt8] = []
        if parts.count > 1 {
            let hex = Array("0123456789ABCDEF".utf8)
            for byte in parts[1].prefix(targetLimit) {
                if byte < 0x21 || byte >= 0x7F {
                    target += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
                } else {
                    target.append(byte)
                }
            }
        }
        let version = parts.count > 2 && Array(parts[2]) == Array("HTTP/1.0".utf8) ? "HTTP/1.0" : "HTTP/1.1"
        return CapturedRequest(
            receivedAt: .now(), method: method, rawTarget: target, httpVersion: version, headers: [],
            remoteAddress: remoteAddress, body: Data(bytes), refusal: refusal,
            response: CapturedResponse(status: 400))
    }

    /// Keeps a head the guard refused (431, 414), then has the guard write its refusal.
    private func keepRefusedHead(_ head: ConnectionGuard.RefusedHead, context: ChannelHandlerContext) {
        if let pending { budget.release(pending.reserved) }
        pending = nil
        var capture = Self.refusedHeadCapture(
            head.bytes, refusal: head.refusal, targetLimit: configuration.maxTargetLength, remoteAddress: peerAddress(context))
        capture.response = Self.refusalResponse(status: head.status, message: head.message)
        keepRefused(capture, then: ConnectionGuard.Refusal(status: head.status, message: head.message), context: context)
    }

    /// The response the guard writes for a refusal, as the capture records it.
    static func refusalResponse(status: String, message: String) -> CapturedResponse {
        CapturedResponse(
            status: Int(status.prefix(3)) ?? 400, headers: [HeaderField("Content-Type", "text/plain; charset=utf-8")],
            body: Data((message + "\n").utf8))
    }

    /// Has the sink store a refused capture, then the guard write the refusal and close: the sender
    /// sees the answer once the request is kept (or could not be), and a connection holds at most
    /// one such capture, so a flood of refused heads waits for the store like any other.
    private func keepRefused(_ capture: CapturedRequest, then refusal: ConnectionGuard.Refusal, context: ChannelHandlerContext) {
        sink.record(capture, on: context.eventLoop).assumeIsolated().whenComplete { [self] result in
            if case .failure(let error) = result { logStoreError(error) }
            context.triggerUserOutboundEvent(refusal, promise: nil)
        }
    }

    private func logStoreError(_ error: any Error) {
        if let quiet = storeErrors.admit() {
            var metadata: Logger.Metadata = ["error": "\(error)"]
            if quiet > 0 { metadata["not_logged_since_last"] = "\(quiet)" }
            logger.error("could not store a capture", metadata: metadata)
        }
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
        case .refuseSlowBody:
            refuse(.bodyTimeout, size: pending?.bodyBytes ?? 0, context: context)
        }
    }

    /// The stream is malformed, or the request is not one hookscope takes: unless a refused body is
    /// being discarded, the request is kept as refused (`keeping`), then the guard answers 400 and closes.
    private func refuseMalformed(
        _ message: @autoclosure () -> String, context: ChannelHandlerContext, keeping capture: () -> CapturedRequest?
    ) {
        let action = machine.receive(.malformed)
        guard case .refuseMalformed = action else {
            perform(action, context: context)
            return
        }
        let text = message()
        guard var kept = capture() else {
            sendMalformedRefusal(text, context: context)
            return
        }
        if let pending { budget.release(pending.reserved) }
        pending = nil
        kept.response = Self.refusalResponse(status: "400 Bad Request", message: text)
        keepRefused(kept, then: ConnectionGuard.Refusal(status: "400 Bad Request", message: text), context: context)
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
            refuseMalformed("hookscope captures webhooks; proxy requests (CONNECT, absolute URLs) are refused", context: context) {
                CapturedRequest(
                    receivedAt: .now(), method: method, rawTarget: target, httpVersion: Self.versionText(head.version),
                    headers: headers, remoteAddress: peerAddress(context), body: Data(), refusal: .proxyRequest,
                    response: CapturedResponse(status: 400))
            }
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
            if length > budget.limit {
                // It could never fit, even with nothing else in flight.
                refuse(.overloaded, size: length, context: context)
                return
            }
            // The budget is charged as the body arrives (`receivedBody`): charging the declared
            // length let a few senders that declare large bodies and trickle them hold it all.
            pending?.body = context.channel.allocator.buffer(capacity: min(length, Self.initialBodyCapacity))
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
        default:
            // `.bodyTimeout`: the others are refused for their head, not here.
            current.capture.response = Self.refusalResponse(status: "408", message: "request body not received in time")
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
            // A response rule's own delay was waited out by the sink; `--delay` is for the listener's answer.
            var delay = TimeAmount(configuration.delay)
            switch result {
            case .success(let stored):
                if let failure = stored.failure {
                    fail(failure, context: context)
                    return
                }
                // The sink may answer with something else (e.g. the forward target's response).
                response = stored.response
                failed = false
                if stored.rule != nil { delay = .zero }
            case .failure(let error):
                logStoreError(error)
                // A store that cannot be reached for now: 503, so that the sender retries later.
                response = error is StoreUnavailableError
                    ? CapturedResponse(
                        status: 503, headers: [HeaderField("Content-Type", "text/plain; charset=utf-8"), HeaderField("Retry-After", "1")],
                        // Without the error: it names the database server, which is no business of the sender's.
                        body: Data("hookscope could not store this request: its database cannot be reached; retry later\n".utf8))
                    : CapturedResponse(
                        status: 500, headers: [HeaderField("Content-Type", "text/plain; charset=utf-8")],
                        body: Data("hookscope could not store this request: \(error)\n".utf8))
                failed = true
            }
            if delay > .zero {
                loop.assumeIsolated().scheduleTask(in: delay) { [self] in
                    self.answer(response, failed: failed, isHeadRequest: isHeadRequest, context: context)
                }
            } else {
                answer(response, failed: failed, isHeadRequest: isHeadRequest, context: context)
            }
        }
    }

    /// Gives the sender no HTTP response, as a response rule asked: the connection is closed, reset
    /// (SO_LINGER 0 makes the kernel send RST), or held without an answer until the sender gives up
    /// (closed after the idle timeout at the latest). Requests pipelined behind it are not answered.
    private func fail(_ failure: AnswerFailure, context: ChannelHandlerContext) {
        let channel = context.channel
        guard channel.isActive else { return }
        switch failure {
        case .close:
            channel.close(promise: nil)
        case .reset:
            if let options = channel as? any SocketOptionProvider {
                options.setSoLinger(NIOLinger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
            } else {
                channel.close(promise: nil)
            }
        case .timeout:
            channel.eventLoop.scheduleTask(in: TimeAmount(configuration.idleTimeout)) { channel.close(promise: nil) }
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
