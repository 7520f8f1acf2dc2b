import Foundation
import HookCore
import NIOCore
import NIOPosix
import Synchronization

/// A test target written with NIO: records the raw bytes of every request it receives and answers
/// each with a fixed response (or never answers, when `respond` is false).
final class RecordingServer: Sendable {
    let respond: Bool
    let response: [UInt8]
    /// When set, written to every new connection at once (a peer that speaks neither TLS nor HTTP first).
    let greeting: [UInt8]?
    private let recorded = Mutex<[[UInt8]]>([])
    private let children = Mutex<[any Channel]>([])
    private let serverChannel = Mutex<(any Channel)?>(nil)

    init(respond: Bool = true, status: String = "201 Created", headers: [(String, String)] = [("X-Reply", "yes"), ("x-REPLY", "twice")], body: [UInt8] = Array("ok\n".utf8), greeting: [UInt8]? = nil, rawResponse: [UInt8]? = nil) {
        self.respond = respond
        self.greeting = greeting
        var text = "HTTP/1.1 \(status)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(body.count)\r\n\r\n"
        response = rawResponse ?? (Array(text.utf8) + body)
    }

    /// Binds 127.0.0.1 on a free port and returns the port.
    func start() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                self.children.withLock { $0.append(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RecordingHandler(server: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        serverChannel.withLock { $0 = channel }
        return channel.localAddress!.port!
    }

    /// Closes the listening socket and every open connection.
    func stop() async {
        let server = serverChannel.withLock { $0 }
        let open = children.withLock { $0 }
        try? await server?.close()
        for child in open { try? await child.close() }
    }

    var requests: [[UInt8]] { recorded.withLock { $0 } }

    func record(_ bytes: [UInt8]) { recorded.withLock { $0.append(bytes) } }
}

/// Splits the byte stream into requests (head up to CRLFCRLF plus Content-Length bytes).
final class RecordingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let server: RecordingServer
    var pending: [UInt8] = []

    init(server: RecordingServer) { self.server = server }

    func channelActive(context: ChannelHandlerContext) {
        if let greeting = server.greeting {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: greeting)), promise: nil)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        while let end = RawHTTP.headEnd(pending) {
            let head = RawHTTP.parseHead(Array(pending[..<end]))
            let length = Int(head.headers.value(named: "Content-Length") ?? "0") ?? 0
            guard pending.count >= end + 4 + length else { return }
            let whole = Array(pending[..<(end + 4 + length)])
            pending.removeFirst(end + 4 + length)
            server.record(whole)
            if server.respond {
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: server.response)), promise: nil)
            }
        }
    }
}

/// Parsing of recorded raw requests, for assertions.
enum RawHTTP {
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    static func parseHead(_ head: [UInt8]) -> (requestLine: String, headers: [HeaderField]) {
        var lines: [[UInt8]] = []
        var current: [UInt8] = []
        var i = 0
        while i < head.count {
            if head[i] == 13 && i + 1 < head.count && head[i + 1] == 10 {
                lines.append(current); current = []; i += 2
            } else {
                current.append(head[i]); i += 1
            }
        }
        lines.append(current)
        let requestLine = String(decoding: lines.first ?? [], as: UTF8.self)
        let headers = lines.dropFirst().compactMap { line -> HeaderField? in
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            var value = Array(line[(colon + 1)...])
            while value.first == 32 { value.removeFirst() }
            return HeaderField(name: String(decoding: line[..<colon], as: UTF8.self), rawValue: value)
        }
        return (requestLine, headers)
    }

    /// A recorded request as a capture, to run the signature verifier on what the target received.
    static func capture(_ raw: [UInt8]) -> CapturedRequest {
        let end = headEnd(raw)!
        let (line, headers) = parseHead(Array(raw[..<end]))
        let parts = line.split(separator: " ")
        return CapturedRequest(
            receivedAt: .now(), method: String(parts[0]), rawTarget: Array(parts[1].utf8), headers: headers,
            remoteAddress: "127.0.0.1:1", body: Data(raw[(end + 4)...]), response: CapturedResponse(status: 200))
    }
}
