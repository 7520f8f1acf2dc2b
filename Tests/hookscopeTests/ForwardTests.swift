import Foundation
import HookTestSupport
import Testing

@Suite struct ForwardTests {
    @Test func everyCaptureIsForwardedInOrderAndRecordedAsAReplay() async throws {
        let directory = try temporaryDirectory()
        let targetDB = directory.appendingPathComponent("target.sqlite").path
        let sourceDB = directory.appendingPathComponent("source.sqlite").path
        let target = try await ListenerProcess(["--db", targetDB, "--status", "202"])
        let source = try await ListenerProcess(["--db", sourceDB, "--forward-to", "http://127.0.0.1:\(target.port)"])
        let statuses = await onOwnThread { () -> [Int?] in
            guard let client = try? RawClient(port: source.port) else { return [] }
            return (0..<50).map { client.post(path: "/burst/\($0)", body: "{\"n\":\($0)}") }
        }
        // The sender gets the listener's own answer (200), not the target's.
        #expect(statuses == Array(repeating: 200, count: 50))
        // SIGTERM drains the forward queue before exiting.
        source.kill(SIGTERM)
        #expect(await source.waitForExit() == 0)
        target.kill(SIGTERM)
        _ = await target.waitForExit()
        let received = try await runHookscope(["list", "--json", "--db", targetDB])
        let targets = String(decoding: received.stdout, as: UTF8.self).split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["target"] as? String
        }
        #expect(targets == (0..<50).map { "/burst/\($0)" })
    }

    @Test func proxyResponseAnswersWithTheTargetsResponse() async throws {
        let directory = try temporaryDirectory()
        let target = try await ListenerProcess(["--memory", "--status", "418", "--response-body", "from the target"])
        let source = try await ListenerProcess([
            "--db", directory.appendingPathComponent("s.sqlite").path,
            "--forward-to", "http://127.0.0.1:\(target.port)", "--proxy-response",
        ])
        let answer = await onOwnThread { try? RawClient(port: source.port).postReturningBody(path: "/p", body: "x") }
        #expect(answer == "from the target")
        // With the target gone, the sender gets a 502 that says why.
        target.kill(SIGTERM)
        _ = await target.waitForExit()
        let status = await onOwnThread { try? RawClient(port: source.port).post(path: "/p2", body: "y") }
        #expect(status == 502)
        source.kill(SIGTERM)
        _ = await source.waitForExit()
    }

    /// With --proxy-response the sender gets the target's answer, and that is what is recorded:
    /// the headless line, `list` and `show` say 400 (and 502 once the target is gone), not the
    /// listener's own 200 that was stored at commit.
    @Test func proxyResponseRecordsWhatTheSenderGot() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("s.sqlite").path
        let target = try await ListenerProcess(["--memory", "--status", "400", "--response-body", "bad signature"])
        let source = try await ListenerProcess(["--db", db, "--json", "--forward-to", "http://127.0.0.1:\(target.port)", "--proxy-response"])
        let first = await onOwnThread { try? RawClient(port: source.port).post(path: "/p", body: "x") }
        #expect(first == 400)
        let line = try #require(jsonObject(await source.nextLine()))
        #expect(line["response_status"] as? Int == 400, "\(line)")
        #expect((line["replay"] as? [String: Any])?["status"] as? Int == 400)
        target.kill(SIGTERM)
        _ = await target.waitForExit()
        let second = await onOwnThread { try? RawClient(port: source.port).post(path: "/p2", body: "y") }
        #expect(second == 502)
        let secondLine = try #require(jsonObject(await source.nextLine()))
        #expect(secondLine["response_status"] as? Int == 502, "\(secondLine)")
        source.kill(SIGTERM)
        _ = await source.waitForExit()
        let list = try await runHookscope(["list", "--db", db])
        let lines = String(decoding: list.stdout, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.contains(" -> 400 ") == true, "\(lines)")
        #expect(lines.first?.contains(" => 400 in ") == true, "\(lines)")
        #expect(lines.last?.contains(" -> 502 ") == true, "\(lines)")
        let show = try await runHookscope(["show", "1", "--db", db])
        let shown = String(decoding: show.stdout, as: UTF8.self)
        #expect(shown.contains("response: 400\n"), "\(shown)")
        #expect(shown.contains("bad signature"), "\(shown)")
    }

    @Test func replayCommandSendsTheCaptureAgain() async throws {
        let directory = try temporaryDirectory()
        let sourceDB = directory.appendingPathComponent("source.sqlite").path
        let source = try await ListenerProcess(["--db", sourceDB])
        let sent = await onOwnThread {
            try? RawClient(port: source.port).exchange(Array("POST /hook?a=%41 HTTP/1.1\r\nHost: test\r\nX-Dup: 1\r\nx-dup: 2\r\nContent-Length: 4\r\n\r\n".utf8) + [0x00, 0xff, 0x0a, 0x41])
        }
        #expect(sent == 200)
        source.kill(SIGTERM)
        _ = await source.waitForExit()
        let targetDB = directory.appendingPathComponent("target.sqlite").path
        let target = try await ListenerProcess(["--db", targetDB, "--status", "503"])
        let replay = try await runHookscope(["replay", "1", "--to", "http://127.0.0.1:\(target.port)", "--db", sourceDB])
        // The target answered 5xx: the command says so and exits non-zero.
        #expect(replay.status != 0)
        #expect(String(decoding: replay.stdout, as: UTF8.self).contains("503"))
        target.kill(SIGTERM)
        _ = await target.waitForExit()
        let original = try await runHookscope(["show", "1", "--raw", "--db", sourceDB])
        let replayed = try await runHookscope(["show", "1", "--raw", "--db", targetDB])
        #expect(replayed.stdout == original.stdout)
        #expect(replayed.stdout == Data([0x00, 0xff, 0x0a, 0x41]))
        let list = try await runHookscope(["list", "--json", "--db", targetDB])
        let line = try #require(try JSONSerialization.jsonObject(with: list.stdout.split(separator: 0x0a).first.map { Data($0) } ?? Data()) as? [String: Any])
        #expect(line["target"] as? String == "/hook?a=%41")
        let headers = (line["headers"] as? [[String]] ?? []).filter { $0[0].lowercased() == "x-dup" }
        #expect(headers == [["X-Dup", "1"], ["x-dup", "2"]])
        let refused = try await runHookscope(["replay", "1", "--to", "http://127.0.0.1:1", "--db", sourceDB])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("refused"))
    }
}
