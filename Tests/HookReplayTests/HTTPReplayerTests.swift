import Foundation
import HookCore
import HookReplay
import HookSignatures
import Synchronization
import HookTestSupport
import Testing

func capture(
    id: Int64 = 1, method: String = "POST", target: String = "/hooks/x", headers: [HeaderField], body: [UInt8]
) -> CapturedRequest {
    sampleCapture(
        id: id, method: method, rawTarget: Array(target.utf8), headers: headers, remoteAddress: "10.0.0.9:5555",
        body: Data(body))
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

@Suite("HTTPReplayer against a recording NIO server")
struct HTTPReplayerTests {
    @Test("body, header order, case and duplicates go out byte for byte; the response comes back in order")
    func byteExact() async throws {
        let server = RecordingServer()
        let port = try await server.start()
        let replayer = HTTPReplayer()
        let body: [UInt8] = [0x00, 0xFF, 0xC3, 0x28, 0x0D, 0x0A, 0x80] + Array("{\"a\":1}\r\n".utf8) + [0xFE, 0xED]
        let request = capture(
            target: "/hooks/x?a=%41&b=1&c=%2F",
            headers: [
                HeaderField("Host", "old.example"), HeaderField("X-Dup", "1"), HeaderField("x-dup", "2"),
                HeaderField("X-CaSe", "MiXed  value"), HeaderField("Content-Type", "application/octet-stream"),
                HeaderField("Content-Length", String(body.count)), HeaderField("X-Dup", "3"),
            ],
            body: body)
        let attempt = await replayer.replay(request, to: "http://127.0.0.1:\(port)")
        await replayer.shutdown()
        await server.stop()

        #expect(attempt.error == nil)
        #expect(attempt.failure == nil)
        #expect(attempt.targetURL == "http://127.0.0.1:\(port)/hooks/x?a=%41&b=1&c=%2F")
        #expect(attempt.requestID == 1)
        let expectedHead = "POST /hooks/x?a=%41&b=1&c=%2F HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nX-Dup: 1\r\nx-dup: 2\r\n"
            + "X-CaSe: MiXed  value\r\nContent-Type: application/octet-stream\r\nX-Dup: 3\r\nContent-Length: \(body.count)\r\n\r\n"
        #expect(server.requests.count == 1)
        let received = try #require(server.requests.first)
        #expect(text(Array(received.prefix(expectedHead.utf8.count))) == expectedHead)
        #expect(received == Array(expectedHead.utf8) + body)
        // Only Host changed; Content-Length has the same value as captured, just moved to the end.
        #expect(attempt.changedHeaders == ["Host"])

        let response = try #require(attempt.response)
        #expect(response.status == 201)
        #expect(response.headers.map(\.name) == ["X-Reply", "x-REPLY", "Content-Length"])
        #expect(response.headers.map(\.value) == ["yes", "twice", "3"])
        #expect(response.body == Data("ok\n".utf8))
        #expect(attempt.durationNanoseconds > 0)
    }

    @Test("hop-by-hop and hostile framing headers are dropped; one correct Content-Length goes out")
    func framing() async throws {
        let server = RecordingServer()
        let port = try await server.start()
        let replayer = HTTPReplayer()
        let body = Array("5\r\nhello\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n".utf8)
        let request = capture(
            headers: [
                HeaderField("Host", "a.example"), HeaderField("Host", "b.example"),
                HeaderField("Content-Length", "4"), HeaderField("Transfer-Encoding", "chunked"),
                HeaderField("Content-Length", "999"), HeaderField("Connection", "keep-alive, X-Hop"),
                HeaderField("X-Hop", "secret"), HeaderField("Keep-Alive", "timeout=5"), HeaderField("TE", "trailers"),
                HeaderField("Upgrade", "websocket"), HeaderField("Proxy-Authorization", "Basic eDp5"),
                HeaderField("Trailer", "X-T"), HeaderField("X-Kept", "yes"),
            ],
            body: body)
        let attempt = await replayer.replay(request, to: "http://127.0.0.1:\(port)/other/path")
        await replayer.shutdown()
        await server.stop()

        #expect(attempt.error == nil)
        let received = try #require(server.requests.first)
        let end = try #require(RawHTTP.headEnd(received))
        let (line, headers) = RawHTTP.parseHead(Array(received[..<end]))
        #expect(line == "POST /other/path HTTP/1.1")
        #expect(headers.map(\.name) == ["Host", "X-Kept", "Content-Length"])
        #expect(headers.map(\.value) == ["127.0.0.1:\(port)", "yes", String(body.count)])
        #expect(Array(received[(end + 4)...]) == body)
        #expect(server.requests.count == 1)  // the body was not read as a second request
        #expect(Set(attempt.changedHeaders) == [
            "Host", "Content-Length", "Transfer-Encoding", "Connection", "X-Hop", "Keep-Alive", "TE", "Upgrade",
            "Proxy-Authorization", "Trailer",
        ])
        #expect(!attempt.changedHeaders.contains("X-Kept"))
    }

    @Test("--keep-host sends the captured Host; an empty GET carries no Content-Length")
    func keepHost() async throws {
        let server = RecordingServer()
        let port = try await server.start()
        let replayer = HTTPReplayer()
        let request = capture(method: "GET", target: "/status", headers: [HeaderField("host", "Orig.Example:8080"), HeaderField("Accept", "*/*")], body: [])
        let attempt = await replayer.replay(request, to: "http://127.0.0.1:\(port)/", options: ReplayOptions(keepHost: true))
        await replayer.shutdown()
        await server.stop()
        #expect(attempt.error == nil)
        #expect(attempt.changedHeaders == [])
        let received = try #require(server.requests.first)
        #expect(text(received) == "GET /status HTTP/1.1\r\nhost: Orig.Example:8080\r\nAccept: */*\r\n\r\n")
    }

    @Test("a request without Host gets the target's Host first")
    func addsHost() async throws {
        let server = RecordingServer()
        let port = try await server.start()
        let replayer = HTTPReplayer()
        let request = capture(headers: [HeaderField("X-A", "1")], body: [])
        let attempt = await replayer.replay(request, to: "http://127.0.0.1:\(port)")
        await replayer.shutdown()
        await server.stop()
        #expect(attempt.changedHeaders == ["Host", "Content-Length"])
        #expect(text(try #require(server.requests.first)) == "POST /hooks/x HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n")
    }

    @Test("a 5xx answer is a response, not an error")
    func serverError() async throws {
        let server = RecordingServer(status: "503 Service Unavailable", headers: [], body: Array("down".utf8))
        let port = try await server.start()
        let replayer = HTTPReplayer()
        let attempt = await replayer.replay(capture(headers: [], body: Array("x".utf8)), to: "http://127.0.0.1:\(port)")
        await replayer.shutdown()
        await server.stop()
        #expect(attempt.error == nil)
        #expect(attempt.response?.status == 503)
        #expect(attempt.response?.body == Data("down".utf8))
    }

    @Test("header values with CR, LF or NUL are refused and nothing is sent")
    func injectionRefused() async throws {
        let server = RecordingServer()
        let port = try await server.start()
        let replayer = HTTPReplayer()
        for bad: [UInt8] in [Array("a\r\nX-Evil: 1".utf8), Array("a\nb".utf8), [0x61, 0x00, 0x62]] {
            let request = capture(headers: [HeaderField(name: "X-Bad", rawValue: bad)], body: [])
            let attempt = await replayer.replay(request, to: "http://127.0.0.1:\(port)")
            #expect(attempt.response == nil)
            #expect(attempt.error?.contains("refusing to send: the value of header X-Bad contains") == true)
            #expect(attempt.failure == .unsent)
        }
        await replayer.shutdown()
        await server.stop()
        #expect(server.requests.isEmpty)
    }

    @Test("a port nobody listens on gives 'connection refused'")
    func refused() async throws {
        let (fd, port) = refusingPort()
        defer { close(fd) }
        #expect(port > 0)
        let replayer = HTTPReplayer(timeout: .seconds(10))
        let attempt = await replayer.replay(capture(headers: [], body: []), to: "http://127.0.0.1:\(port)")
        await replayer.shutdown()
        #expect(attempt.response == nil)
        #expect(attempt.error == "connection refused by 127.0.0.1:\(port)")
        #expect(attempt.failure == .refused)
    }

    @Test("a target that never answers times out with a plain message")
    func timeout() async throws {
        let server = RecordingServer(respond: false)
        let port = try await server.start()
        let replayer = HTTPReplayer(timeout: .milliseconds(300))
        let attempt = await replayer.replay(capture(headers: [], body: Array("x".utf8)), to: "http://127.0.0.1:\(port)")
        await replayer.shutdown()
        await server.stop()
        #expect(attempt.response == nil)
        #expect(attempt.error?.hasPrefix("timed out after 300 ms") == true)
        #expect(attempt.failure == .timeout)
        #expect(server.requests.count == 1)
    }

    @Test("bad URLs are refused in plain words without sending", arguments: [
        "ftp://127.0.0.1/x", "127.0.0.1:3000", "http://", "http://host:99999/", "http://host:abc", "http://a b/",
        "http://[::1/x", "", "http://user@host/",
    ])
    func badURL(_ url: String) async {
        let replayer = HTTPReplayer(timeout: .seconds(2))
        let attempt = await replayer.replay(capture(headers: [], body: []), to: url)
        await replayer.shutdown()
        #expect(attempt.response == nil)
        #expect(attempt.error?.hasPrefix("invalid URL") == true)
        #expect(attempt.failure == .unsent)
    }

    @Test("an unknown host name says it cannot be resolved")
    func unresolvable() async {
        let replayer = HTTPReplayer(timeout: .seconds(10))
        let attempt = await replayer.replay(capture(headers: [], body: []), to: "http://no-such-host.invalid:8080/")
        await replayer.shutdown()
        #expect(attempt.response == nil)
        #expect(attempt.error == "cannot resolve host no-such-host.invalid")
        #expect(attempt.failure == .dns)
    }
}
