import Foundation
import HookCore
import HookReplay
import HookSignatures
import Synchronization
import HookTestSupport
import Testing

@Suite("Header values that are not UTF-8 go out byte for byte (RawExchange)")
struct RawBytesReplayTests {
    static let obsText: [UInt8] = Array("caf".utf8) + [0xE9, 0x20, 0xFF, 0x80] + Array("ok".utf8)

    @Test("the exact head and body reach the target and the answer comes back")
    func exactBytes() async throws {
        let server = RecordingServer()
        let port = try await server.start()
        let replayer = HTTPReplayer()
        let body: [UInt8] = [0x00, 0xFF, 0x0D, 0x0A, 0x41]
        let request = capture(
            target: "/latin1?q=%E9",
            headers: [
                HeaderField("Host", "old.example"), HeaderField(name: "X-Latin1", rawValue: Self.obsText),
                HeaderField("x-DUP", "1"), HeaderField("X-Dup", "2"), HeaderField("Transfer-Encoding", "chunked"),
            ],
            body: body)
        let attempt = await replayer.replay(request, to: "http://127.0.0.1:\(port)")
        await replayer.shutdown()
        await server.stop()
        #expect(attempt.error == nil)
        let expected = Array("POST /latin1?q=%E9 HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nX-Latin1: ".utf8) + Self.obsText
            + Array("\r\nx-DUP: 1\r\nX-Dup: 2\r\nContent-Length: 5\r\n\r\n".utf8) + body
        #expect(server.requests == [expected])
        #expect(attempt.changedHeaders == ["Host", "Transfer-Encoding", "Content-Length"])
        let response = try #require(attempt.response)
        #expect(response.status == 201)
        #expect(response.headers.map(\.name) == ["X-Reply", "x-REPLY", "Content-Length"])
        #expect(response.body == Data("ok\n".utf8))
        #expect(attempt.durationNanoseconds > 0)
    }

    @Test("a HEAD answer announces a length but has no body: it completes at once")
    func head() async throws {
        let server = RecordingServer(rawResponse: Array("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n".utf8))
        let port = try await server.start()
        // A replay that waited for the announced body would end in this timeout (an error); 5 s
        // was once too short for the request to even arrive in a loaded fresh-clone run.
        let replayer = HTTPReplayer(timeout: .seconds(30))
        let request = capture(method: "HEAD", headers: [HeaderField(name: "X-Latin1", rawValue: Self.obsText)], body: [])
        let attempt = await replayer.replay(request, to: "http://127.0.0.1:\(port)")
        await replayer.shutdown()
        await server.stop()
        #expect(attempt.error == nil)
        #expect(attempt.response?.status == 200)
        #expect(attempt.response?.body.isEmpty == true)
        #expect(server.requests.first.map { text($0).hasPrefix("HEAD /hooks/x HTTP/1.1\r\n") } == true)
    }

    @Test("failures are worded as for other replays")
    func failures() async throws {
        let request = capture(headers: [HeaderField(name: "X-Latin1", rawValue: Self.obsText)], body: Array("x".utf8))
        // Refused: a bound socket that never listens.
        let (fd, closedPort) = refusingPort()
        defer { close(fd) }
        let replayer = HTTPReplayer(timeout: .milliseconds(300))
        let refused = await replayer.replay(request, to: "http://127.0.0.1:\(closedPort)")
        #expect(refused.error == "connection refused by 127.0.0.1:\(closedPort)")
        #expect(refused.failure == .refused)

        let silent = RecordingServer(respond: false)
        let silentPort = try await silent.start()
        let timedOut = await replayer.replay(request, to: "http://127.0.0.1:\(silentPort)")
        #expect(timedOut.response == nil)
        #expect(timedOut.error == "timed out after 300 ms waiting for 127.0.0.1:\(silentPort)")
        #expect(timedOut.failure == .timeout)
        // (Whether the silent server read the request before the 300 ms ran out depends on the load.)
        await silent.stop()

        let notTLS = RecordingServer(greeting: Array("SSH-2.0-OpenSSH_9.6\r\nnot tls at all\r\n\r\n".utf8))
        let notTLSPort = try await notTLS.start()
        let tls = await replayer.replay(request, to: "https://127.0.0.1:\(notTLSPort)")
        #expect(tls.error == "TLS handshake failed with 127.0.0.1:\(notTLSPort): the target does not speak TLS (plain http?)")
        #expect(tls.failure == .tls)
        await notTLS.stop()
        await replayer.shutdown()
    }
}
