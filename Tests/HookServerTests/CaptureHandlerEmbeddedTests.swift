import Foundation
import HookCore
import HookStore
import HookTestSupport
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import HookServer

/// A sink whose commits complete when the test says so.
final class ManualSink: CaptureSink, @unchecked Sendable {
    struct Commit {
        var request: CapturedRequest
        var promise: EventLoopPromise<CapturedRequest>
    }

    /// Commits asked for and not completed yet, oldest first (touched on the embedded loop only).
    private(set) var waiting: [Commit] = []
    private(set) var recorded: [CapturedRequest] = []

    func handshakeResponse(for request: CapturedRequest) -> CapturedResponse? { nil }

    func record(_ request: CapturedRequest) async throws -> CapturedRequest { request }

    func record(_ request: CapturedRequest, on loop: any EventLoop) -> EventLoopFuture<CapturedRequest> {
        let promise = loop.makePromise(of: CapturedRequest.self)
        waiting.append(Commit(request: request, promise: promise))
        return promise.futureResult
    }

    /// Completes the oldest commit waiting: stored, or failed with `error`.
    func completeNext(failing error: (any Error)? = nil) {
        let commit = waiting.removeFirst()
        if let error {
            commit.promise.fail(error)
        } else {
            recorded.append(commit.request)
            commit.promise.succeed(commit.request)
        }
    }
}

/// The listener's pipeline (guard, decoder, capture handler) on an `EmbeddedChannel`: bytes in,
/// commits completed by hand, the bytes written out, without sockets or threads.
struct EmbeddedConnection {
    let channel = EmbeddedChannel()
    let sink = ManualSink()
    let budget: BodyBudget

    init(_ configure: (inout ListenerConfiguration) -> Void = { _ in }) throws {
        var configuration = ListenerConfiguration()
        configure(&configuration)
        budget = BodyBudget(limit: configuration.inFlightBodyBudget)
        try HTTPListener.addConnectionHandlers(
            to: channel.pipeline.syncOperations, configuration: configuration, sink: sink,
            registry: ConnectionRegistry(limit: configuration.maxConnections), budget: budget, logger: Logger(label: "test"),
            storeErrors: LogThrottle(interval: .seconds(1)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40_000)).wait()
    }

    func send(_ text: String) throws {
        try channel.writeInbound(channel.allocator.buffer(string: text))
    }

    /// The sender ends its side of the stream.
    func halfClose() {
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
    }

    /// Everything written so far, as responses.
    func responses() throws -> [TestResponse] {
        var bytes: [UInt8] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
        }
        var responses: [TestResponse] = []
        var rest = bytes[...]
        while let (response, used) = TestResponse.parse(Array(rest)) {
            responses.append(response)
            rest = rest.dropFirst(used)
        }
        #expect(rest.isEmpty, "bytes that are no response: \(String(decoding: rest, as: UTF8.self).debugDescription)")
        return responses
    }

    var isOpen: Bool {
        channel.embeddedEventLoop.run()
        return channel.isActive
    }
}

@Suite struct CaptureHandlerEmbeddedTests {
    @Test func aRequestIsAnsweredOnceItsCommitCompletesAndTheConnectionStays() throws {
        let connection = try EmbeddedConnection()
        try connection.send("POST /hook?a=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        #expect(try connection.responses().isEmpty, "answered before the commit completed")
        #expect(connection.sink.waiting.map(\.request.target) == ["/hook?a=1"])
        #expect(connection.sink.waiting.first?.request.body == Data("hello".utf8))
        #expect(connection.budget.inUse == 5)

        connection.sink.completeNext()
        let responses = try connection.responses()
        #expect(responses.map(\.status) == [200])
        #expect(responses.first?.header("Connection") == nil)
        #expect(connection.isOpen)
        #expect(connection.budget.inUse == 0)

        // The next request on the same connection.
        try connection.send("GET /second HTTP/1.1\r\nHost: x\r\n\r\n")
        connection.sink.completeNext()
        #expect(try connection.responses().map(\.status) == [200])
        #expect(connection.sink.recorded.map(\.target) == ["/hook?a=1", "/second"])
        #expect(connection.isOpen)
    }

    @Test func pipelinedRequestsWaitForTheAnswerBeforeThem() throws {
        let connection = try EmbeddedConnection()
        try connection.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nAGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(connection.sink.waiting.map(\.request.target) == ["/a"])
        connection.sink.completeNext()
        #expect(connection.sink.waiting.map(\.request.target) == ["/b"])
        connection.sink.completeNext()
        #expect(try connection.responses().map(\.status) == [200, 200])
        #expect(connection.isOpen)
    }

    @Test func aSenderThatHalfClosesGetsItsAnswerThenTheConnectionCloses() throws {
        let connection = try EmbeddedConnection()
        try connection.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        connection.halfClose()
        #expect(connection.isOpen, "closed while the request was being committed")
        connection.sink.completeNext()
        #expect(try connection.responses().map(\.status) == [200])
        #expect(!connection.isOpen)
    }

    @Test func aFailedCommitIsAnswered500AndCloses() throws {
        let connection = try EmbeddedConnection()
        try connection.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx")
        connection.sink.completeNext(failing: StoreError("disk full (simulated)"))
        let responses = try connection.responses()
        #expect(responses.map(\.status) == [500])
        #expect(responses.first?.header("Connection") == "close")
        #expect(!connection.isOpen)
    }

    @Test func aTooLargeBodyIsAnswered413AndTheConnectionClosesAfterTheDrainTime() throws {
        let connection = try EmbeddedConnection {
            $0.maxBodySize = 10
            $0.refusedBodyDrainTime = .milliseconds(100)
        }
        try connection.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n0123456789")
        let refused = try #require(connection.sink.waiting.first?.request)
        #expect(refused.refusal == .bodyTooLarge)
        #expect(refused.bodySize == 50)
        #expect(refused.body.isEmpty)
        #expect(connection.budget.inUse == 0)

        connection.sink.completeNext()
        let responses = try connection.responses()
        #expect(responses.map(\.status) == [413])
        #expect(responses.first?.header("Connection") == "close")
        // The rest of the body may still come for a moment, so that the sender reads the 413.
        try connection.send("0123456789")
        #expect(connection.isOpen)
        connection.channel.embeddedEventLoop.advanceTime(by: .milliseconds(100))
        #expect(!connection.isOpen)
    }

    @Test func aTooLargeBodyFromASenderThatHalfClosedClosesOnceAnswered() throws {
        let connection = try EmbeddedConnection { $0.maxBodySize = 10 }
        try connection.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n0123456789")
        connection.halfClose()
        #expect(connection.isOpen)
        connection.sink.completeNext()
        #expect(try connection.responses().map(\.status) == [413])
        #expect(!connection.isOpen)
    }

    /// The request is kept, refused with its head's bytes, and answered 400 once it is stored.
    @Test func aMalformedRequestIsKeptThenAnswered400ByTheGuardAndCloses() throws {
        let connection = try EmbeddedConnection()
        try connection.send("GARBAGE \u{1}\r\n\r\n")
        let kept = try #require(connection.sink.waiting.first?.request)
        #expect(connection.sink.waiting.count == 1)
        #expect(kept.refusal == .malformedHead)
        #expect(kept.body == Data("GARBAGE \u{1}\r\n\r\n".utf8))
        #expect(kept.method == "GARBAGE")
        #expect(kept.target == "%01")
        #expect(kept.response.status == 400)
        #expect(try connection.responses().isEmpty)
        connection.sink.completeNext()
        #expect(try connection.responses().map(\.status) == [400])
        #expect(!connection.isOpen)
        #expect(connection.sink.waiting.isEmpty)
    }

    @Test func aSlowHeadIsAnswered408AndAnIdleConnectionIsClosed() throws {
        let slow = try EmbeddedConnection { $0.headTimeout = .seconds(1) }
        try slow.send("POST /slow HTTP/1.1\r\nHost: x\r\nX-Slow")
        slow.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try slow.responses().map(\.status) == [408])
        #expect(!slow.isOpen)

        let idle = try EmbeddedConnection { $0.idleTimeout = .seconds(1) }
        try idle.send("GET /once HTTP/1.1\r\nHost: x\r\n\r\n")
        idle.sink.completeNext()
        #expect(try idle.responses().map(\.status) == [200])
        idle.channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
        #expect(idle.isOpen)
        idle.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!idle.isOpen)
        #expect(try idle.responses().isEmpty)
    }
}
