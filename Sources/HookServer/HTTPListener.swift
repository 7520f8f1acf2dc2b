import Foundation
import HookCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// A listener error with a message meant for the user.
public struct ListenerError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The embedded HTTP/1.1 listener: captures every request that reaches it.
public final class HTTPListener: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: any Channel
    private let registry: ConnectionRegistry
    private let budget: BodyBudget
    /// The address actually bound (with the real port when 0 was asked for).
    public let host: String
    public let port: Int

    /// `http://HOST:PORT`, with IPv6 hosts in brackets.
    public var url: String {
        host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
    }

    private init(
        group: MultiThreadedEventLoopGroup, serverChannel: any Channel, registry: ConnectionRegistry, budget: BodyBudget, host: String,
        port: Int
    ) {
        self.group = group
        self.serverChannel = serverChannel
        self.registry = registry
        self.budget = budget
        self.host = host
        self.port = port
    }

    /// Binds and starts serving. Throws a `ListenerError` saying why when it cannot bind.
    public static func start(configuration: ListenerConfiguration, sink: any CaptureSink, logger: Logger) async throws -> HTTPListener {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.threads))
        let registry = ConnectionRegistry(limit: configuration.maxConnections)
        let budget = BodyBudget(limit: configuration.inFlightBodyBudget)
        let storeErrors = LogThrottle(interval: configuration.storeErrorLogInterval)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // A sender may end its side once the request is written (`nc -N`, `printf … | nc`):
            // the connection stays open for the answers, and `CaptureHandler` closes it after them.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try addConnectionHandlers(
                        to: channel.pipeline.syncOperations, configuration: configuration, sink: sink, registry: registry,
                        budget: budget, logger: logger, storeErrors: storeErrors)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw ListenerError(description: "cannot listen on \(configuration.host):\(configuration.port): \(describe(error))")
        }
        let bound = channel.localAddress
        let listener = HTTPListener(
            group: group, serverChannel: channel, registry: registry, budget: budget,
            host: bound?.ipAddress ?? configuration.host, port: bound?.port ?? configuration.port)
        logger.info("listening", metadata: ["url": "\(listener.url)"])
        return listener
    }

    /// The handlers of one connection, in order: the guard (raw heads, limits, timers), NIO's
    /// request decoder, and the capture handler.
    static func addConnectionHandlers(
        to operations: ChannelPipeline.SynchronousOperations, configuration: ListenerConfiguration, sink: any CaptureSink,
        registry: ConnectionRegistry, budget: BodyBudget, logger: Logger, storeErrors: LogThrottle
    ) throws {
        let state = ConnectionState()
        try operations.addHandler(ConnectionGuard(configuration: configuration, registry: registry, state: state))
        try operations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
        try operations.addHandler(
            CaptureHandler(
                configuration: configuration, sink: sink, budget: budget, state: state, logger: logger, storeErrors: storeErrors))
    }

    private static func describe(_ error: any Error) -> String {
        if let ioError = error as? IOError {
            switch ioError.errnoCode {
            case EADDRINUSE: return "the address is already in use (another hookscope? try --port 0 for a free port)"
            case EACCES: return "permission denied (ports below 1024 need privileges)"
            case EADDRNOTAVAIL: return "no such local address"
            default: return ioError.description
            }
        }
        return "\(error)"
    }

    /// Open connections right now.
    public var connectionCount: Int { registry.count }
    /// Connections waiting for their next request (the ones the cap may close to make room).
    var idleConnectionCount: Int { registry.idleCount }
    /// Body bytes the in-flight budget holds right now.
    var bodyBytesInFlight: Int { budget.inUse }

    /// Stops accepting, lets the answers of requests already received be written (up to a second),
    /// then closes every connection and the event loops.
    public func shutdown() async {
        try? await serverChannel.close()
        await registry.closeGracefully(grace: .seconds(1))
        try? await group.shutdownGracefully()
    }
}
