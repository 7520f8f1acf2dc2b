import Foundation
import HookTestSupport
import Testing

/// `--db postgres://…`: a listener in one process writes, the reading commands in others read.
@Suite struct PostgresCLITests {
    func post(_ port: Int, _ target: String, _ body: String) async -> String {
        let request = Array("POST \(target) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8)
        let answer = await onOwnThread { exchangeOnce(port: port, request: request) }
        return answer.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// The password of the test server's URL, if it has one: it must never be shown.
    func password(of url: String) -> String? {
        guard let start = url.range(of: "://")?.upperBound, let at = url[start...].lastIndex(of: "@") else { return nil }
        let credentials = url[start..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return nil }
        return String(credentials[credentials.index(after: colon)...])
    }

    @Test(.enabled(if: TestPostgresServer.wanted))
    func aListenerWritesAndListAndShowRead() async throws {
        let url = try TestPostgresServer.freshSchemaURL()
        let listener = try await ListenerProcess(["--db", url])
        defer { listener.process.terminate() }
        let bodies = ["{\"n\":1}", "{\"n\":2}", "binary \u{1}\u{2}"]
        for (n, body) in bodies.enumerated() {
            let answer = await post(listener.port, "/hook/\(n + 1)?x=y", body)
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
        }
        // Each line comes once its capture is committed.
        var lines: [String] = []
        for _ in bodies { lines.append(await listener.nextLine()) }
        #expect(lines.map { $0.split(separator: " ").first ?? "" } == ["#1", "#2", "#3"], "\(lines)")

        let list = try await runHookscope(["list", "--db", url])
        #expect(list.status == 0, "\(list.stderr)")
        let listed = String(decoding: list.stdout, as: UTF8.self)
        for n in 1...3 { #expect(listed.contains("/hook/\(n)?x=y"), "\(listed)") }
        #expect(listed.split(separator: "\n").count == 3, "\(listed)")

        // The body byte for byte, out of PostgreSQL.
        let show = try await runHookscope(["show", "3", "--db", url, "--raw"])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout == Data(bodies[2].utf8))
        if let password = password(of: url), !password.isEmpty {
            #expect(!listed.contains(password))
            #expect(!list.stderr.contains(password))
        }
    }

    /// The body `send` posts as request `n` to the `index`th port: each capture's own.
    static func body(_ index: Int, _ n: Int) -> String { "{\"from\":\(index),\"n\":\(n)}" }

    /// Sends `count` requests to each port at once (a thread per port); the statuses, per port.
    func send(_ count: Int, toEach ports: [Int]) async -> [[Int]] {
        await withTaskGroup(of: (Int, [Int]).self) { group in
            for (index, port) in ports.enumerated() {
                group.addTask {
                    await onOwnThread {
                        (index, (0..<count).map { n in
                            let body = Self.body(index, n)
                            let request = Array("POST /from/\(index)/\(n) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8)
                            let answer = exchangeOnce(port: port, request: request).map { String(decoding: $0, as: UTF8.self) } ?? ""
                            return Int(answer.dropFirst("HTTP/1.1 ".count).prefix(3)) ?? 0
                        })
                    }
                }
            }
            var statuses = Array(repeating: [Int](), count: ports.count)
            for await (index, answered) in group { statuses[index] = answered }
            return statuses
        }
    }

    /// Two listeners writing one database at once: every capture once, with ids of its own, and
    /// `list` shows them all, in id order.
    @Test(.enabled(if: TestPostgresServer.wanted))
    func twoListenersWriteOneDatabase() async throws {
        let url = try TestPostgresServer.freshSchemaURL()
        let first = try await ListenerProcess(["--db", url])
        defer { first.process.terminate() }
        let second = try await ListenerProcess(["--db", url])
        defer { second.process.terminate() }
        first.discardOutput()
        second.discardOutput()
        let statuses = await send(300, toEach: [first.port, second.port])
        #expect(statuses.allSatisfy { $0 == Array(repeating: 200, count: 300) })
        let list = try await runHookscope(["list", "--db", url, "--json"])
        #expect(list.status == 0, "\(list.stderr)")
        let lines = String(decoding: list.stdout, as: UTF8.self).split(separator: "\n")
        let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        let ids = objects.compactMap { ($0["id"] as? NSNumber)?.int64Value }
        let targets = objects.compactMap { $0["target"] as? String }
        #expect(ids.count == 600)
        #expect(ids == ids.sorted() && Set(ids).count == 600)
        #expect(Set(targets) == Set((0..<2).flatMap { index in (0..<300).map { "/from/\(index)/\($0)" } }))
        // Each capture holds the bytes sent with it.
        let mismatched = objects.filter { object in
            let parts = (object["target"] as? String ?? "").split(separator: "/")
            guard parts.count == 3, let index = Int(parts[1]), let n = Int(parts[2]),
                let body = (object["body_base64"] as? String).flatMap({ Data(base64Encoded: $0) })
            else { return true }
            return body != Data(Self.body(index, n).utf8)
        }
        #expect(mismatched.isEmpty, "\(mismatched.count) capture(s) with other bytes than sent")
    }

    /// `--keep` counts both listeners' captures: the store ends with exactly that many, the newest.
    @Test(.enabled(if: TestPostgresServer.wanted))
    func keepHoldsWithTwoWriters() async throws {
        let url = try TestPostgresServer.freshSchemaURL()
        let first = try await ListenerProcess(["--db", url, "--keep", "50"])
        defer { first.process.terminate() }
        let second = try await ListenerProcess(["--db", url, "--keep", "50"])
        defer { second.process.terminate() }
        first.discardOutput()
        second.discardOutput()
        let statuses = await send(200, toEach: [first.port, second.port])
        #expect(statuses.allSatisfy { $0 == Array(repeating: 200, count: 200) })
        let list = try await runHookscope(["list", "--db", url, "--json"])
        let lines = String(decoding: list.stdout, as: UTF8.self).split(separator: "\n")
        let ids = lines.compactMap { line in
            ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]).flatMap { ($0["id"] as? NSNumber)?.int64Value }
        }
        #expect(ids.count == 50, "\(ids.count) kept")
        #expect(ids == Array(351...400))
    }

    /// The server going away under a listener (a relay in between is cut): every capture is answered
    /// 503, never 2xx, while it is away; once it is back the listener reconnects by itself; every
    /// capture answered 200 is in the database.
    @Test(.enabled(if: TestPostgresServer.wanted))
    func aServerThatGoesAwayGets503AndTheListenerRecovers() async throws {
        let url = try TestPostgresServer.freshSchemaURL()
        let relay = try TCPRelay(to: TestPostgresServer.port(of: url))
        defer { relay.stop() }
        let relayed = TestPostgresServer.url(url, throughPort: relay.port)
        let errors = try temporaryDirectory().appendingPathComponent("stderr")
        let listener = try await ListenerProcess(["--db", relayed], errors: errors)
        defer { listener.process.terminate() }
        listener.discardOutput()
        func status(_ answer: String) -> Int { Int(answer.dropFirst("HTTP/1.1 ".count).prefix(3)) ?? 0 }

        var acknowledged: Set<String> = []
        for n in 0..<5 {
            let answer = await post(listener.port, "/before/\(n)", "b")
            #expect(status(answer) == 200, "\(answer)")
            if status(answer) == 200 { acknowledged.insert("/before/\(n)") }
        }
        relay.cut()
        for n in 0..<5 {
            let answer = await post(listener.port, "/during/\(n)", "d")
            #expect(status(answer) == 503, "\(answer)")
            #expect(answer.contains("Retry-After: 1"), "\(answer)")
            if status(answer) == 200 { acknowledged.insert("/during/\(n)") }
        }
        relay.restore()
        // Reconnecting waits at most 5 s after a failed attempt; senders retry meanwhile.
        var recovered = false
        let deadline = ContinuousClock.now + .seconds(20)
        var n = 0
        while !recovered, ContinuousClock.now < deadline {
            let answer = await post(listener.port, "/after/\(n)", "a")
            if status(answer) == 200 {
                acknowledged.insert("/after/\(n)")
                recovered = true
            } else {
                #expect(status(answer) == 503, "\(answer)")
                try await Task.sleep(for: .milliseconds(100))
            }
            n += 1
        }
        #expect(recovered, "no capture was stored within 20 s of the server coming back")
        // stderr says once that storing works again, after the failures it logged.
        func said() -> [Substring] {
            String(decoding: (try? Data(contentsOf: errors)) ?? Data(), as: UTF8.self).split(separator: "\n")
        }
        let noticeDeadline = ContinuousClock.now + .seconds(10)
        while !said().contains(where: { $0.contains("storing captures works again") }), ContinuousClock.now < noticeDeadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let lines = said()
        #expect(lines.filter { $0.contains("storing captures works again after ") }.count == 1, "\(lines)")
        #expect(lines.contains { $0.contains("capture(s) were refused meanwhile") && !$0.contains(" 0 capture(s)") }, "\(lines)")
        #expect(lines.contains { $0.contains("could not store a capture") }, "\(lines)")

        // Read straight from the server, not through the relay.
        let list = try await runHookscope(["list", "--db", url, "--json"])
        #expect(list.status == 0, "\(list.stderr)")
        let targets = Set(String(decoding: list.stdout, as: UTF8.self).split(separator: "\n").compactMap { line in
            ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["target"] as? String
        })
        #expect(acknowledged.isSubset(of: targets), "missing: \(acknowledged.subtracting(targets))")
        #expect(!targets.contains { $0.hasPrefix("/during/") })
    }

    /// Two listeners on one database under load, one killed with SIGKILL: every capture either
    /// acknowledged is in the database, each once, and the other listener kept storing.
    @Test(.enabled(if: TestPostgresServer.wanted))
    func killingOneOfTwoListenersLosesNoAcknowledgedCapture() async throws {
        let url = try TestPostgresServer.freshSchemaURL()
        let killed = try await ListenerProcess(["--db", url])
        let survivor = try await ListenerProcess(["--db", url])
        defer { survivor.process.terminate() }
        killed.discardOutput()
        survivor.discardOutput()
        let acknowledged = LockedList()
        let senders: [Task<Void, Never>] = [(killed.port, "k"), (survivor.port, "s")].flatMap { port, name in
            (0..<2).map { sender -> Task<Void, Never> in
                Task { () async -> Void in
                    await onOwnThread { () -> Void in
                        guard let client = try? RawClient(port: port) else { return }
                        // The survivor's senders stop after 400 each; the killed one's when it dies.
                        for n in 0..<(name == "s" ? 400 : 100_000) {
                            let path = "/\(name)\(sender)/n\(n)"
                            guard client.post(path: path, body: "{\"n\":\(n)}") == 200 else { return }
                            acknowledged.append(path)
                        }
                    }
                }
            }
        }
        // Killed once it acknowledged 200 (the senders keep going meanwhile).
        await onOwnThread {
            let deadline = ContinuousClock.now + .seconds(60)
            while acknowledged.items.filter({ $0.hasPrefix("/k") }).count < 200, ContinuousClock.now < deadline { usleep(1000) }
        }
        killed.kill(SIGKILL)
        _ = await killed.waitForExit()
        for sender in senders { await sender.value }
        let acked = acknowledged.items
        #expect(acked.filter { $0.hasPrefix("/s") }.count == 800)

        let list = try await runHookscope(["list", "--json", "--db", url])
        #expect(list.status == 0, "\(list.stderr)")
        let objects = String(decoding: list.stdout, as: UTF8.self).split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        let targets = objects.compactMap { $0["target"] as? String }
        let stored = Set(targets)
        #expect(targets.count == stored.count, "a capture stored twice")
        let missing = acked.filter { !stored.contains($0) }
        #expect(missing.isEmpty, "acknowledged but missing after kill -9: \(missing.prefix(10))")
    }

    /// A server that does not answer: one line, no password, a failure status.
    @Test func anUnreachableServerIsOneLineWithoutThePassword() async throws {
        let (fd, port) = refusingPort()
        defer { close(fd) }
        let har = try temporaryDirectory().appendingPathComponent("one.har")
        try Data(#"{"log":{"entries":[{"startedDateTime":"2026-11-29T10:00:00.000Z","request":{"method":"POST","url":"http://h/x"}}]}}"#.utf8)
            .write(to: har)
        let db = "postgres://alice:hunter2@127.0.0.1:\(port)/hooks?sslmode=disable"
        for arguments in [["list", "--db", db], ["import", har.path, "--db", db]] {
            let result = try await runHookscope(arguments)
            #expect(result.status == 3, "\(arguments[0])")
            #expect(result.stderr.hasPrefix("hookscope: "), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(result.stderr.contains("postgres://alice@127.0.0.1:\(port)/hooks"), "\(result.stderr)")
            #expect(result.stderr.contains("connection refused"), "\(result.stderr)")
            #expect(!result.stderr.contains("hunter2"))
        }
    }

    /// Taken as a path, `mysql://…` once made a local directory named `mysql:`.
    @Test func anotherSchemeIsAUsageError() async throws {
        let directory = try temporaryDirectory()
        for arguments in [["list", "--db", "mysql://u@h/db"], ["listen", "--headless", "--port", "0", "--db", "redis://h:6379"]] {
            let result = try await runHookscope(arguments + [], environment: ["HOME": directory.path, "PATH": "/usr/bin:/bin"])
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("unsupported scheme"), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("mysql:").path))
        #expect(!FileManager.default.fileExists(atPath: "mysql:"))
    }
}
