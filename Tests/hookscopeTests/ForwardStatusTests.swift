import Foundation
import HookTestSupport
import Testing

@Suite struct ForwardStatusTests {
    @Test func headlessLinesAndListCarryTheTargetsStatusAndTime() async throws {
        let directory = try temporaryDirectory()
        let sourceDB = directory.appendingPathComponent("source.sqlite").path
        let target = try await ListenerProcess(["--memory", "--status", "202"])
        let source = try await ListenerProcess([
            "--db", sourceDB, "--max-body", "16", "--forward-to", "http://127.0.0.1:\(target.port)",
        ])
        let statuses = await onOwnThread { () -> [Int?] in
            guard let client = try? RawClient(port: source.port) else { return [] }
            return [
                client.post(path: "/one", body: "1"),
                try? RawClient(port: source.port).post(path: "/too-big", body: String(repeating: "x", count: 64)),
                client.post(path: "/three", body: "3"),
            ]
        }
        #expect(statuses == [200, 413, 200])
        // Each line is written once its forward is done, while the listener runs, in arrival order;
        // the refused capture is not forwarded and its line has no answer.
        let lines = [await source.nextLine(), await source.nextLine(), await source.nextLine()]
        #expect(lines[0].hasPrefix("#1 "))
        #expect(lines[0].range(of: #" -> 200 unsigned => 202 in \d+\.\d ms$"#, options: .regularExpression) != nil, "\(lines[0])")
        #expect(lines[1].hasPrefix("#2 "))
        #expect(lines[1].hasSuffix("-> 413 refused (body-too-large) unsigned"), "\(lines[1])")
        #expect(lines[2].hasPrefix("#3 "))
        #expect(lines[2].contains(" => 202 in "))
        // A replay someone asks for is told apart from the forwards.
        let replayed = try await runHookscope(["replay", "3", "--db", sourceDB, "--to", "http://127.0.0.1:\(target.port)"])
        #expect(replayed.status == 0)
        source.kill(SIGTERM)
        #expect(await source.waitForExit() == 0)
        target.kill(SIGTERM)
        _ = await target.waitForExit()

        let list = String(decoding: try await runHookscope(["list", "--db", sourceDB]).stdout, as: UTF8.self)
        let listed = list.split(separator: "\n")
        #expect(listed.count == 3)
        #expect(listed[0].contains(" => 202 in "))
        #expect(!listed[1].contains("=>"))
        #expect(listed[2].range(of: #" => replay: 202 in \d+\.\d ms$"#, options: .regularExpression) != nil, "\(listed[2])")
        let json = try await runHookscope(["list", "--json", "--db", sourceDB])
        let objects = String(decoding: json.stdout, as: UTF8.self).split(separator: "\n").compactMap(jsonObject)
        #expect(objects.count == 3)
        let replay = try #require(objects.first?["replay"] as? [String: Any])
        #expect(replay["kind"] as? String == "forward")
        #expect(replay["status"] as? Int == 202)
        #expect(replay["target"] as? String == "http://127.0.0.1:\(target.port)/one")
        #expect((objects[2]["replay"] as? [String: Any])?["kind"] as? String == "replay")
        #expect(replay["error"] is NSNull)
        #expect((replay["duration_ms"] as? Double ?? 0) > 0)
        // Fields that were there before are unchanged; a capture without a replay has `"replay": null`.
        #expect(objects[1]["replay"] is NSNull)
        #expect(objects[1]["refused"] as? String == "body-too-large")
        #expect(objects[0]["response_status"] as? Int == 200)
    }

    @Test func jsonLinesSayWhyAForwardFailed() async throws {
        let refusing = refusingPort()
        defer { close(refusing.fd) }
        let source = try await ListenerProcess([
            "--memory", "--json", "--forward-to", "http://127.0.0.1:\(refusing.port)/in",
        ])
        let status = await onOwnThread { try? RawClient(port: source.port).post(path: "/x", body: "{}") }
        #expect(status == 200)
        let object = try #require(jsonObject(await source.nextLine()))
        #expect(object["target"] as? String == "/x")
        let replay = try #require(object["replay"] as? [String: Any])
        #expect(replay["status"] is NSNull)
        #expect(replay["error"] as? String == "connection refused by 127.0.0.1:\(refusing.port)")
        source.kill(SIGTERM)
        #expect(await source.waitForExit() == 0)
    }
}
