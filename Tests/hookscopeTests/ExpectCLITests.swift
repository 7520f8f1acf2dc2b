import Foundation
import HookTestSupport
import Testing

/// `hookscope expect` as a CI step uses it: a listener in one process, `expect` in another, the
/// webhooks sent by a third (`hookscope send`, signed as Stripe signs).
@Suite struct ExpectCLITests {
    static let secret = "whsec_expect_secret"

    /// `expect` started with stderr on a pipe; `ready()` returns once it printed its waiting line
    /// (its starting point is read and its watcher runs), `finish()` its status and output.
    final class ExpectProcess: @unchecked Sendable {
        let process = ChildProcess()
        let stdout = Pipe()
        let stderr = Pipe()

        init(_ arguments: [String]) throws {
            process.executableURL = try hookscopeBinary()
            process.arguments = ["expect"] + arguments
            process.environment = cleanEnvironment()
            process.standardOutput = stdout
            process.standardError = stderr
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        /// The stderr lines up to and including the one that starts with `prefix` (all of them when
        /// stderr ends first).
        func lines(through prefix: String) async -> [String] {
            let fd = stderr.fileHandleForReading.fileDescriptor
            return await onOwnThread {
                var lines: [String] = []
                while true {
                    let line = readLine(fd)
                    if line.isEmpty { break }
                    lines.append(line)
                    if line.hasPrefix(prefix) { break }
                }
                return lines
            }
        }

        func ready() async -> [String] { await lines(through: "hookscope: waiting for") }

        func finish() async -> (status: Int32, stdout: String, stderr: String) {
            let out = stdout.fileHandleForReading.fileDescriptor
            let err = stderr.fileHandleForReading.fileDescriptor
            return await onOwnThread {
                let output = String(decoding: readToEnd(out), as: UTF8.self)
                let errors = String(decoding: readToEnd(err), as: UTF8.self)
                self.process.waitUntilExit()
                return (self.process.terminationStatus, output, errors)
            }
        }
    }

    func send(_ port: Int, path: String, secret: String? = nil) async throws {
        var arguments = ["send", "--to", "http://127.0.0.1:\(port)\(path)"]
        if let secret {
            arguments += ["--sample", "stripe/invoice.paid", "--secret", "stripe=\(secret)"]
        } else {
            arguments += ["--sample", "generic/json"]
        }
        let sent = try await runHookscope(arguments, environment: cleanEnvironment())
        #expect(sent.status == 0, "\(sent.stderr)")
    }

    @Test func waitsForTwoMatchingCapturesFromAListenerInAnotherProcessAndPrintsOnlyThem() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("captures.sqlite").path
        let listener = try await ListenerProcess(["--db", db, "--secret", "stripe=\(Self.secret)"])
        defer { listener.process.terminate() }
        // Older than expect's start: not counted, though it matches.
        try await send(listener.port, path: "/stripe", secret: Self.secret)
        #expect(await listener.nextLine().contains("stripe valid"))

        let expect = try ExpectProcess(["--db", db, "--filter", "event:invoice.* sig:valid", "--count", "2", "--timeout", "20", "--json"])
        let ready = await expect.ready()
        #expect(ready.last?.contains("waiting for 2 captures matching 'event:invoice.* sig:valid' after #1") == true, "\(ready)")

        try await send(listener.port, path: "/stripe", secret: Self.secret)
        try await send(listener.port, path: "/stripe", secret: "whsec_another_secret")
        try await send(listener.port, path: "/other")
        try await send(listener.port, path: "/stripe")
        try await send(listener.port, path: "/stripe", secret: Self.secret)
        let lines = await listener.lines(count: 5, within: .seconds(20))
        #expect(lines.count == 5)
        let validIDs = lines.filter { $0.contains("stripe valid") }.compactMap { Int($0.dropFirst().prefix { $0 != " " }) }
        #expect(validIDs.count == 2)

        let result = await expect.finish()
        #expect(result.status == 0, "\(result.stderr)")
        let printed = result.stdout.split(separator: "\n").compactMap { jsonObject($0) }
        #expect(printed.count == 2)
        #expect(printed.compactMap { $0["id"] as? Int } == validIDs)
        #expect(printed.allSatisfy { ($0["signature"] as? [String: Any])?["status"] as? String == "valid" })
        #expect(printed.allSatisfy { $0["event"] as? String == "invoice.paid" })
    }

    /// On a shared PostgreSQL store, expect hears the commits of every listener writing it (LISTEN/NOTIFY).
    @Test(.enabled(if: TestPostgresServer.wanted))
    func onPostgresItHearsEveryListenerOfTheStore() async throws {
        let url = try TestPostgresServer.freshSchemaURL()
        let first = try await ListenerProcess(["--db", url, "--secret", "stripe=\(Self.secret)"])
        let second = try await ListenerProcess(["--db", url, "--secret", "stripe=\(Self.secret)"])
        defer {
            first.process.terminate()
            second.process.terminate()
        }
        let expect = try ExpectProcess(["--db", url, "--filter", "sig:valid", "--count", "2", "--timeout", "20", "--json"])
        let ready = await expect.ready()
        #expect(ready.last?.contains("waiting for 2 captures matching 'sig:valid' after #0") == true, "\(ready)")
        try await send(first.port, path: "/other")
        try await send(first.port, path: "/stripe", secret: Self.secret)
        try await send(second.port, path: "/stripe", secret: Self.secret)
        let result = await expect.finish()
        #expect(result.status == 0, "\(result.stderr)")
        let printed = result.stdout.split(separator: "\n").compactMap { jsonObject($0) }
        #expect(printed.compactMap { $0["id"] as? Int } == [2, 3])
    }

    @Test func aTimeoutExitsOneAndSaysHowManyMatched() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("captures.sqlite").path
        let listener = try await ListenerProcess(["--db", db])
        try await send(listener.port, path: "/hooks/one")
        try await send(listener.port, path: "/elsewhere")
        _ = await listener.lines(count: 2, within: .seconds(20))
        listener.process.terminate()
        listener.process.waitUntilExit()

        // From the first capture on: one of the two wanted is there, the second never comes.
        let result = try await runHookscope(
            ["expect", "--db", db, "--since-id", "0", "--filter", "path:/hooks", "--count", "2", "--timeout", "0.5"],
            environment: cleanEnvironment())
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("timed out after 0.5 s: 1 of 2 captures matching 'path:/hooks' arrived"), "\(result.stderr)")
    }

    @Test func withListenItIsTheWholeCIStep() async throws {
        let expect = try ExpectProcess(["--listen", "--memory", "--port", "0", "--filter", "method:POST", "--count", "2", "--timeout", "20"])
        let ready = await expect.ready()
        let listening = try #require(ready.first { $0.hasPrefix("listening on http://127.0.0.1:") })
        let port = try #require(Int(listening.split(separator: ":").last ?? ""))
        let client = try #require(try? RawClient(port: port))
        #expect(client.exchange(Array("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".utf8)) == 200)
        #expect(client.post(path: "/one", body: "a=1") == 200)
        #expect(client.post(path: "/two", body: "a=2") == 200)
        let result = await expect.finish()
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.contains("POST /one") == true && lines.last?.contains("POST /two") == true, "\(lines)")
    }

    @Test(arguments: [
        (["--filter", "bogus:x"], "--filter: unknown field"),
        (["--count", "0"], "--count must be at least 1"),
        (["--timeout", "-1"], "--timeout must be more than 0"),
        (["--port", "9"], "--host, --port and --memory go with --listen"),
    ])
    func badInputIsAUsageErrorOnOneLine(arguments: [String], message: String) async throws {
        let result = try await runHookscope(["expect", "--db", "/nonexistent/x.sqlite"] + arguments, environment: cleanEnvironment())
        #expect(result.status == 64)
        #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func aMissingStoreIsAnErrorOfItsOwn() async throws {
        let result = try await runHookscope(["expect", "--db", "/nonexistent/x.sqlite", "--timeout", "1"], environment: cleanEnvironment())
        #expect(result.status == 3)
        #expect(result.stderr.contains("does not exist"), "\(result.stderr)")
    }
}
