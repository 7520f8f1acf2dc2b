import HookCore
import NIOCore

/// State shared by the two handlers of one connection (both run on its event loop).
final class ConnectionState {
    /// Raw heads recorded by the guard, taken in order by the capture handler.
    private var rawHeads: [RawRequestHead] = []
    private var rawHeadIndex = 0
    /// The framer could not follow the stream: no raw heads any more, close after the current response.
    var framingLost = false
    /// The guard's framer. The capture handler reads it only when NIO's decoder rejects a head the
    /// framer did not hand over (one it could not read, or one still incomplete, e.g. with bare
    /// LFs): the bytes of that head are then the framer's `head`.
    var framer = RequestFramer(maxHeadSize: 0, maxTargetLength: 0, maxHeaderCount: 0)

    func pushRawHead(_ head: RawRequestHead) {
        rawHeads.append(head)
    }

    func popRawHead() -> RawRequestHead? {
        guard rawHeadIndex < rawHeads.count else { return nil }
        let head = rawHeads[rawHeadIndex]
        rawHeadIndex += 1
        if rawHeadIndex == rawHeads.count {
            rawHeads.removeAll(keepingCapacity: true)
            rawHeadIndex = 0
        }
        return head
    }
}

/// First handler of a connection: records each request head's exact bytes before NIO's decoder
/// sees them, refuses oversized heads, runs the head, body and idle timers and takes part in the
/// connection cap.
///
/// It and the capture handler talk through the pipeline only: a `Notice` goes up to the capture
/// handler as a user inbound event (a refusal of the guard's own, a timer that ran out: the capture
/// handler's state machine decides what follows), and `ResponseFinished` and `Refusal` come down
/// from it as user outbound events.
final class ConnectionGuard: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What the guard tells the capture handler.
    enum Notice: Equatable {
        /// The guard refuses on its own (431, 414, 503) and closes after the refusal. With a head
        /// (431, 414) the capture handler keeps it as a refused capture and then sends the refusal
        /// down as a `Refusal`; without one (503, too many connections) the guard has written it.
        case refusing(RefusedHead?)
        /// A timer ran out: while a head was arriving and nothing was being answered (`slowHead`,
        /// answered 408), or on an idle connection or a stalled body (closed).
        case timedOut(slowHead: Bool)
    }

    /// A head the guard refused (431, 414): what to answer, and its bytes as received, cut at the
    /// head size limit.
    struct RefusedHead: Equatable {
        var refusal: HookCore.Refusal
        var status: String
        var message: String
        var bytes: [UInt8]
    }

    /// From the capture handler: it finished writing a response.
    struct ResponseFinished {}

    /// From the capture handler: answer with this minimal response, written below the HTTP codec,
    /// then close (ignored while a refusal is being written).
    struct Refusal {
        var status: String
        var message: String
    }

    private let configuration: ListenerConfiguration
    private let registry: ConnectionRegistry
    private let state: ConnectionState
    private var framer: RequestFramer {
        get { state.framer }
        _modify { yield &state.framer }
    }
    private var context: ChannelHandlerContext?
    /// Input is ignored: a refusal is being kept or written.
    private var closing = false
    /// A refusal was written (the connection closes after it).
    private var refusalSent = false
    /// The timers are stopped for good: the connection ends with a refusal or is being closed.
    private var timersStopped = false
    /// When the body being received began (its head's end), for the minimum rate.
    private var bodyStartedAt: NIODeadline?
    /// Requests whose head arrived and whose response is not finished yet.
    private var outstanding = 0
    private var headStartedAt: NIODeadline?
    private var deadline: NIODeadline?
    private var timer: Scheduled<Void>?
    private var timerFiresAt: NIODeadline?

    init(configuration: ListenerConfiguration, registry: ConnectionRegistry, state: ConnectionState) {
        self.configuration = configuration
        self.registry = registry
        self.state = state
        state.framer = RequestFramer(
            maxHeadSize: configuration.maxHeadSize,
            maxTargetLength: configuration.maxTargetLength,
            maxHeaderCount: configuration.maxHeaderCount)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        guard registry.admit(context.channel) else {
            closing = true
            refusalSent = true
            context.fireUserInboundEventTriggered(Notice.refusing(nil))
            sendRaw(status: "503 Service Unavailable", message: "too many connections", context: context)
            return
        }
        arm(now + TimeAmount(configuration.idleTimeout))
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        registry.remove(context.channel)
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let buffer = unwrapInboundIn(data)
        if framer.phase == .lost {
            state.framingLost = true
            context.fireChannelRead(data)
            return
        }
        let events = buffer.withUnsafeReadableBytes { framer.feed($0) }
        for event in events {
            switch event {
            case .head(let head):
                state.pushRawHead(head)
                outstanding += 1
                headStartedAt = nil
                bodyStartedAt = nil
                registry.markBusy(context.channel)
            case .headTooLarge:
                refuseHead(.headTooLarge, status: "431 Request Header Fields Too Large", message: "request header section too large", context: context)
                return
            case .tooManyHeaders:
                refuseHead(.tooManyHeaders, status: "431 Request Header Fields Too Large", message: "too many header fields", context: context)
                return
            case .targetTooLong:
                refuseHead(.targetTooLong, status: "414 URI Too Long", message: "request target too long", context: context)
                return
            case .lost:
                state.framingLost = true
            }
        }
        if framer.isInHead && headStartedAt == nil {
            headStartedAt = now
            registry.markBusy(context.channel)
        }
        if framer.isInBody && bodyStartedAt == nil {
            bodyStartedAt = now
        }
        updateDeadline()
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        if event is ResponseFinished {
            responseFinished(context: context)
            promise?.succeed(())
        } else if let refusal = event as? Refusal {
            refuse(status: refusal.status, message: refusal.message, context: context)
            promise?.succeed(())
        } else {
            context.triggerUserOutboundEvent(event, promise: promise)
        }
    }

    private func responseFinished(context: ChannelHandlerContext) {
        outstanding = max(0, outstanding - 1)
        if outstanding == 0, !framer.isInHead, !framer.isInBody {
            registry.markIdle(context.channel)
        }
        updateDeadline()
    }

    /// Answers with a minimal response written below the HTTP codec, then closes.
    private func refuse(status: String, message: String, context: ChannelHandlerContext) {
        guard !refusalSent else { return }
        closing = true
        refusalSent = true
        stopTimers()
        sendRaw(status: status, message: message, context: context)
    }

    /// Refuses a head of its own accord (431, 414): reading stops, and the capture handler keeps
    /// the head as a refused capture, then has the refusal written (a `Refusal` comes down), so the
    /// sender sees the answer once the capture is stored, as with 413.
    private func refuseHead(_ refusal: HookCore.Refusal, status: String, message: String, context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        stopTimers()
        let bytes = Array(framer.head.prefix(configuration.maxHeadSize))
        context.fireUserInboundEventTriggered(
            Notice.refusing(RefusedHead(refusal: refusal, status: status, message: message, bytes: bytes)))
    }

    private func sendRaw(status: String, message: String, context: ChannelHandlerContext) {
        let body = message + "\n"
        let text = "HTTP/1.1 \(status)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        let buffer = context.channel.allocator.buffer(string: text)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    // MARK: timeouts

    /// The event loop's clock (an embedded loop's in tests).
    private var now: NIODeadline { context?.eventLoop.now ?? .now() }

    private func updateDeadline() {
        if framer.isInHead, let started = headStartedAt {
            arm(started + TimeAmount(configuration.headTimeout))
        } else if framer.isInBody {
            var next = now + TimeAmount(configuration.bodyIdleTimeout)
            if let started = bodyStartedAt, let allowed = bodyAllowance(bytes: framer.bodyBytes) {
                next = min(next, started + allowed)
            }
            arm(next)
        } else if outstanding > 0 {
            arm(nil)
        } else {
            arm(now + TimeAmount(configuration.idleTimeout))
        }
    }

    /// How long a body that has received `bytes` may have taken since its first byte:
    /// `bodyTimeout` plus one second per `bodyMinimumRate` bytes (nil: no minimum rate).
    private func bodyAllowance(bytes: Int) -> TimeAmount? {
        let rate = configuration.bodyMinimumRate
        guard rate > 0 else { return nil }
        // Nanoseconds for the bytes received, kept well inside Int64 (a year at most).
        let earned = min(Double(bytes) / Double(rate), 365 * 86_400)
        return TimeAmount(configuration.bodyTimeout) + .nanoseconds(Int64(earned * 1e9))
    }

    private func stopTimers() {
        timersStopped = true
        deadline = nil
        timer?.cancel()
        timer = nil
        timerFiresAt = nil
    }

    private func arm(_ newDeadline: NIODeadline?) {
        guard !timersStopped else { return }
        deadline = newDeadline
        guard let newDeadline, let context else { return }
        if let firesAt = timerFiresAt, timer != nil, firesAt <= newDeadline { return }
        timer?.cancel()
        timerFiresAt = newDeadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: newDeadline) { [self] in
            self.timerFired()
        }
    }

    private func timerFired() {
        timer = nil
        timerFiresAt = nil
        guard let deadline, let context else { return }
        if now < deadline {
            arm(deadline)
            return
        }
        // The capture handler answers 408 (a slow head through a `Refusal`, a slow body as a refused
        // capture) or closes: either way the connection ends, so the timers stop here.
        let slowHead = framer.isInHead && outstanding == 0
        stopTimers()
        context.fireUserInboundEventTriggered(Notice.timedOut(slowHead: slowHead))
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
