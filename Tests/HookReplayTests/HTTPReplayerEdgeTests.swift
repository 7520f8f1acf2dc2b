import Foundation
import HookCore
import HookReplay
import HookSignatures
import Synchronization
import HookTestSupport
import Testing

@Suite("HTTPReplayer edge cases")
struct HTTPReplayerEdgeTests {
    @Test("https to a peer that does not speak TLS is a TLS handshake failure, also with --insecure")
    func tlsFailure() async throws {
        let server = RecordingServer(greeting: Array("SSH-2.0-OpenSSH_9.6\r\nnot tls at all\r\n\r\n".utf8))
        let port = try await server.start()
        for insecure in [false, true] {
            let replayer = HTTPReplayer(insecure: insecure, timeout: .seconds(5))
            let attempt = await replayer.replay(capture(headers: [], body: []), to: "https://127.0.0.1:\(port)")
            await replayer.shutdown()
            #expect(attempt.response == nil)
            #expect(attempt.error == "TLS handshake failed with 127.0.0.1:\(port): the target does not speak TLS (plain http?)")
            #expect(attempt.failure == .tls)
        }
        await server.stop()
    }

    @Test("a response body over the cap is cut off with a note")
    func bodyCap() async throws {
        let big = [UInt8](repeating: UInt8(ascii: "z"), count: HTTPReplayer.maxResponseBody + 4096)
        let server = RecordingServer(status: "200 OK", headers: [], body: big)
        let port = try await server.start()
        let replayer = HTTPReplayer()
        let attempt = await replayer.replay(capture(headers: [], body: []), to: "http://127.0.0.1:\(port)")
        await replayer.shutdown()
        await server.stop()
        let response = try #require(attempt.response)
        #expect(response.body.count == HTTPReplayer.maxResponseBody)
        #expect(attempt.error?.contains("cut off at 10 MiB") == true)
        #expect(attempt.failure == nil)
    }

    @Test("unusual but legal target characters go out as captured")
    func oddTarget() async throws {
        let server = RecordingServer()
        let port = try await server.start()
        let replayer = HTTPReplayer()
        let target = "/a/%7Bb%7D;p=1/c:d@e!$&'()*+,?q=a/b?c&e=%E2%82%AC&f"
        let attempt = await replayer.replay(capture(method: "PUT", target: target, headers: [], body: Array("x".utf8)), to: "http://127.0.0.1:\(port)")
        await replayer.shutdown()
        await server.stop()
        #expect(attempt.error == nil)
        let received = try #require(server.requests.first)
        #expect(RawHTTP.parseHead(Array(received[..<RawHTTP.headEnd(received)!])).requestLine == "PUT \(target) HTTP/1.1")
    }
}
