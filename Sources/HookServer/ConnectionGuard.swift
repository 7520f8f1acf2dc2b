import HookCore
import NIOCore

/// State shared by the two handlers of one connection (both run on its event loop).
final class ConnectionState {
    /// Raw heads recorded by the guard, taken in order by the capture handler.
    private var rawHeads: [RawRequestHead] = []
    private var rawHeadIndex = 0
    /// The framer could not follow the stream: no raw heads any more, close after the current response.
    var framingLost = false
    /// Weak: the capture handler may see an error while the pipeline is being torn down, after the
    /// guard is gone.
    weak var connectionGuard: ConnectionGuard?

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
/// sees them, refuses oversized heads, enforces the head, body and idle timeouts and takes part
/// in the connection cap.
final class ConnectionGuard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let configuration: ListenerConfiguration
    private let registry: ConnectionRegistry
    private let state: ConnectionState
    private var framer: RequestFramer
    private var context: ChannelHandlerContext?
    private var closing = false
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
        self.framer = RequestFramer(
            maxHeadSize: configuration.maxHeadSize,
            maxTargetLength: configuration.maxTargetLength,
            maxHeaderCount: configuration.maxHeaderCount)
        state.connectionGuard = self
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
            sendRaw(status: "503 Service Unavailable", message: "too many connections", context: context)
            return
        }
        arm(.now() + TimeAmount(configuration.idleTimeout))
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
                registry.markBusy(context.channel)
            case .headTooLarge, .tooManyHeaders:
                refuse(status: "431 Request Header Fields Too Large", message: "request header section too large", context: context)
                return
            case .targetTooLong:
                refuse(status: "414 URI Too Long", message: "request target too long", context: context)
                return
            case .lost:
                state.framingLost = true
            }
        }
        if framer.isInHead && headStartedAt == nil {
            headStartedAt = .now()
            registry.markBusy(context.channel)
        }
        updateDeadline()
        context.fireChannelRead(data)
    }

    /// The capture handler finished writing a response.
    func responseFinished() {
        outstanding = max(0, outstanding - 1)
        if outstanding == 0, !framer.isInHead, !framer.isInBody, let context {
            registry.markIdle(context.channel)
        }
        updateDeadline()
    }

    /// A refusal is being written: the connection closes once it is.
    var isClosing: Bool { closing }

    /// Answers with a minimal response written below the HTTP codec, then closes.
    func refuse(status: String, message: String, context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        sendRaw(status: status, message: message, context: context)
    }

    /// Same, for the capture handler, which has no access to this handler's context.
    func refuse(status: String, message: String) {
        guard let context else { return }
        refuse(status: status, message: message, context: context)
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

    private func updateDeadline() {
        if framer.isInHead, let started = headStartedAt {
            arm(started + TimeAmount(configuration.headTimeout))
        } else if framer.isInBody {
            arm(.now() + TimeAmount(configuration.bodyIdleTimeout))
        } else if outstanding > 0 {
            arm(nil)
        } else {
            arm(.now() + TimeAmount(configuration.idleTimeout))
        }
    }

    private func arm(_ newDeadline: NIODeadline?) {
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
        if NIODeadline.now() < deadline {
            arm(deadline)
            return
        }
        if framer.isInHead && outstanding == 0 {
            refuse(status: "408 Request Timeout", message: "request head not received in time", context: context)
        } else {
            closing = true
            context.close(promise: nil)
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
