import Foundation
import HookTestSupport
import Testing

@Suite struct InsecureTLSTests {
    /// Captures one request with duplicate headers and a binary body; returns the database.
    func capturedRequest() async throws -> String {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("source.sqlite").path
        let source = try await ListenerProcess(["--db", db])
        let sent = await onOwnThread {
            try? RawClient(port: source.port).exchange(
                Array("POST /hook?a=%41 HTTP/1.1\r\nHost: test\r\nX-Dup: 1\r\nx-dup: 2\r\nContent-Length: 4\r\n\r\n".utf8) + [0x00, 0xff, 0x0a, 0x41])
        }
        #expect(sent == 200)
        source.kill(SIGTERM)
        _ = await source.waitForExit()
        return db
    }

    @Test func replayToASelfSignedTargetNeedsInsecure() async throws {
        let db = try await capturedRequest()
        let server = TLSRecordingServer()
        let port = try await server.start()
        let url = "https://127.0.0.1:\(port)"

        let refused = try await runHookscope(["replay", "1", "--to", url, "--db", db], environment: cleanEnvironment())
        #expect(refused.status != 0)
        #expect(refused.stderr.split(separator: "\n").count == 1)
        #expect(refused.stderr.hasPrefix("hookscope: TLS handshake failed with 127.0.0.1:\(port): certificate not trusted"), "\(refused.stderr)")
        #expect(refused.stderr.contains("use --insecure"))
        #expect(server.requests.isEmpty)

        let accepted = try await runHookscope(["replay", "1", "--to", url, "--insecure", "--db", db], environment: cleanEnvironment())
        #expect(accepted.status == 0, "\(accepted.stderr)")
        let output = String(decoding: accepted.stdout, as: UTF8.self)
        #expect(output.contains("HTTP/1.1 201 Created"))
        #expect(output.contains("X-Target: tls"))
        #expect(output.contains("tls ok"))
        let received = try #require(server.requests.first)
        #expect(RawRequest.lines(received) == [
            "POST /hook?a=%41 HTTP/1.1", "Host: 127.0.0.1:\(port)", "X-Dup: 1", "x-dup: 2", "Content-Length: 4",
        ])
        #expect(RawRequest.body(received) == [0x00, 0xff, 0x0a, 0x41])

        // `insecure = true` in the config file does the same.
        let config = try temporaryDirectory().appendingPathComponent("config.toml")
        try Data("insecure = true\n".utf8).write(to: config)
        let fromConfig = try await runHookscope(["replay", "1", "--to", url, "--db", db, "--config", config.path], environment: cleanEnvironment())
        #expect(fromConfig.status == 0, "\(fromConfig.stderr)")
        #expect(server.requests.count == 2)
        #expect(server.requests.last == received)
        await server.stop()
    }

    @Test func forwardToASelfSignedTargetNeedsInsecure() async throws {
        let server = TLSRecordingServer()
        let port = try await server.start()
        let url = "https://127.0.0.1:\(port)"
        let body: [UInt8] = [0x7B, 0x00, 0xFE, 0x7D]
        let head = Array("POST /fwd HTTP/1.1\r\nHost: test\r\nX-Dup: 1\r\nx-dup: 2\r\nContent-Length: 4\r\n\r\n".utf8)

        let strict = try await ListenerProcess(["--memory", "--json", "--forward-to", url])
        #expect(await onOwnThread { try? RawClient(port: strict.port).exchange(head + body) } == 200)
        let failed = try #require(jsonObject(await strict.nextLine()))
        let error = (failed["replay"] as? [String: Any])?["error"] as? String
        #expect(error?.hasPrefix("TLS handshake failed with 127.0.0.1:\(port): certificate not trusted") == true, "\(String(describing: error))")
        strict.kill(SIGTERM)
        _ = await strict.waitForExit()
        #expect(server.requests.isEmpty)

        let insecure = try await ListenerProcess(["--memory", "--forward-to", url, "--insecure"])
        #expect(await onOwnThread { try? RawClient(port: insecure.port).exchange(head + body) } == 200)
        let line = await insecure.nextLine()
        #expect(line.contains(" => 201 in "), "\(line)")
        insecure.kill(SIGTERM)
        _ = await insecure.waitForExit()
        let received = try #require(server.requests.first)
        #expect(RawRequest.lines(received) == ["POST /fwd HTTP/1.1", "Host: 127.0.0.1:\(port)", "X-Dup: 1", "x-dup: 2", "Content-Length: 4"])
        #expect(RawRequest.body(received) == body)
        await server.stop()
    }

    @Test func headerValuesThatAreNotUTF8GoOutExactlyOverTLSWithTheSameTrustRules() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("source.sqlite").path
        let source = try await ListenerProcess(["--db", db])
        let latin1: [UInt8] = Array("caf".utf8) + [0xE9, 0x20, 0xFF]
        let head = Array("PUT /obs HTTP/1.1\r\nHost: test\r\nX-Latin1: ".utf8) + latin1 + Array("\r\nContent-Length: 2\r\n\r\nhi".utf8)
        #expect(await onOwnThread { try? RawClient(port: source.port).exchange(head) } == 200)
        source.kill(SIGTERM)
        _ = await source.waitForExit()
        let server = TLSRecordingServer()
        let port = try await server.start()
        let url = "https://127.0.0.1:\(port)"

        let refused = try await runHookscope(["replay", "1", "--to", url, "--db", db], environment: cleanEnvironment())
        #expect(refused.status != 0)
        #expect(refused.stderr.hasPrefix("hookscope: TLS handshake failed with 127.0.0.1:\(port): certificate not trusted"), "\(refused.stderr)")
        #expect(server.requests.isEmpty)

        let accepted = try await runHookscope(["replay", "1", "--to", url, "--insecure", "--db", db], environment: cleanEnvironment())
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(String(decoding: accepted.stdout, as: UTF8.self).contains("tls ok"))
        let expected = Array("PUT /obs HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nX-Latin1: ".utf8) + latin1
            + Array("\r\nContent-Length: 2\r\n\r\nhi".utf8)
        #expect(server.requests == [expected])
        await server.stop()
    }
}
