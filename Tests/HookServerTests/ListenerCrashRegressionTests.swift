import Foundation
import HookCore
import HookStore
import HookTestSupport
import Logging
import NIOCore
import Testing

@testable import HookServer

@Suite struct ListenerCrashRegressionTests {
    /// Both once crashed the process: an overlong chunk size overflowed the framer's arithmetic,
    /// and a request line without a version reached a released connection guard during teardown.
    @Test(arguments: [
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\nabc",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nabc",
        "GET /\r\nHost: x\r\n\r\n",
    ])
    func hostileRequestsAreRefusedAndTheListenerSurvives(request: String) async throws {
        try await withListener { listener, sink in
            var clients: [RawClient] = []
            for _ in 0..<20 {
                let client = try RawClient(port: listener.port)
                client.send(request)
                clients.append(client)
            }
            // Whatever each hostile connection gets (400, or a wait for a chunk that never comes),
            // the process must still serve a normal request meanwhile.
            let next = try RawClient(port: listener.port)
            next.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await next.readResponses(1).first?.status == 200)
            #expect(try await sink.all().filter { $0.refusal == nil }.map(\.target) == ["/ok"])
            withExtendedLifetime(clients) {}
        }
    }

    @Test func overlongChunkSizesStopTheFramerInsteadOfOverflowing() {
        var framer = RequestFramer(maxHeadSize: 1024, maxTargetLength: 100, maxHeaderCount: 10)
        let bytes = Array("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n".utf8)
        let events = bytes.withUnsafeBytes { framer.feed($0) }
        #expect(events.last == .lost)
        #expect(framer.phase == .lost)
    }
}
