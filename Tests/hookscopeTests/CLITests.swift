import Foundation
import HookTestSupport
import Synchronization
import Testing

@Suite struct CLITests {
    @Test func headlessJSONLinesCarryTheSpecFields() async throws {
        let listener = try await ListenerProcess(["--memory", "--json"])
        let status = await onOwnThread { try? RawClient(port: listener.port).post(path: "/j?x=%41", body: "{\"a\":1}") }
        #expect(status == 200)
        listener.kill(SIGINT)
        #expect(await listener.waitForExit() == 0)
        let output = await listener.remainingOutput()
        let line = try #require(output.split(separator: "\n").first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["id"] as? Int == 1)
        #expect(object["method"] as? String == "POST")
        #expect(object["target"] as? String == "/j?x=%41")
        #expect(object["body_size"] as? Int == 7)
        #expect(object["body_base64"] as? String == Data("{\"a\":1}".utf8).base64EncodedString())
        #expect(object["response_status"] as? Int == 200)
        #expect((object["remote"] as? String)?.hasPrefix("127.0.0.1:") == true)
        #expect((object["received_at"] as? String)?.hasSuffix("Z") == true)
        let headers = try #require(object["headers"] as? [[String]])
        #expect(headers.first == ["Host", "test"])
        let signature = try #require(object["signature"] as? [String: Any])
        #expect(signature["status"] as? String == "unsigned")
    }

    /// `listen --json | jq`: stdout carries one JSON object per line and nothing else; the
    /// listening line is on stderr (ListenerProcess reads it there), readable mode keeps it on stdout.
    @Test func jsonModesStdoutIsOnlyJSONObjects() async throws {
        let listener = try await ListenerProcess(["--memory", "--json"])
        let statuses = await onOwnThread { () -> [Int?] in
            guard let client = try? RawClient(port: listener.port) else { return [] }
            return [client.post(path: "/one", body: "{}"), client.post(path: "/two", body: "{}")]
        }
        #expect(statuses == [200, 200])
        listener.kill(SIGINT)
        #expect(await listener.waitForExit() == 0)
        let lines = await listener.remainingOutput().split(separator: "\n")
        #expect(lines.count == 2, "stdout: \(lines)")
        #expect(lines.map { jsonObject($0)?["target"] as? String } == ["/one", "/two"], "stdout: \(lines)")
    }

    @Test func readableLinesEscapeControlCharacters() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("c.sqlite").path
        let listener = try await ListenerProcess(["--db", db])
        // %1B stays percent-encoded in the target; a raw ESC is refused by the strict parser, so
        // check escaping through a header and the body in `show`.
        let fd = await onOwnThread { () -> Int? in
            guard let client = try? RawClient(port: listener.port) else { return nil }
            return client.post(path: "/evil", body: "\u{1b}]0;pwned\u{07}\u{202e}txt.exe\r\n")
        }
        #expect(fd == 200)
        listener.kill(SIGTERM)
        _ = await listener.waitForExit()
        let output = await listener.remainingOutput()
        #expect(output.contains("POST /evil"))
        let show = try await runHookscope(["show", "1", "--db", db])
        let text = String(decoding: show.stdout, as: UTF8.self)
        #expect(show.status == 0)
        // The body holds control characters, so its best view is the hex dump; either way no raw
        // escape or bidi character may reach the terminal.
        #expect(text.contains("1b 5d 30 3b 70 77 6e 65"))
        #expect(!text.contains("\u{1b}"))
        #expect(!text.contains("\u{202e}"))
        let raw = try await runHookscope(["show", "1", "--raw", "--db", db])
        #expect(raw.status == 0)
        #expect(raw.stdout == Data("\u{1b}]0;pwned\u{07}\u{202e}txt.exe\r\n".utf8))
    }

    @Test(arguments: [
        (["--bogus"], "Unknown option"),
        (["listen", "--port", "70000"], "--port"),
        (["listen", "--status", "42"], "--status"),
        // Past Int64 nanoseconds this crashed the listener at its first request.
        (["listen", "--delay", "99999999999999999"], "--delay must be between 0 and 3600000"),
        (["listen", "--delay", "-5"], "--delay must be between 0 and 3600000 milliseconds (one hour), not -5"),
        (["listen", "--keep", "-3"], "--keep must be at least 1"),
        // Reported before the config file is read, even when that file cannot be read.
        (["listen", "--keep", "0", "--config", "/dev/null"], "--keep must be at least 1"),
        (["list", "--last", "-5"], "--last must be at least 1"),
        (["listen", "--response-header", "nocolon"], "--response-header"),
        (["show", "notanumber"], "notanumber"),
        (["list", "--db", "/nonexistent/dir/c.sqlite"], "does not exist"),
    ])
    func badInputGetsAOneLineErrorAndANonZeroExit(arguments: [String], mention: String) async throws {
        let result = try await runHookscope(arguments)
        // A missing store is not a usage error: 3, as every other error that is not one (SPEC).
        #expect(result.status == (mention == "does not exist" ? 3 : 64), "\(arguments): \(result.status)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.hasPrefix("hookscope: "))
        #expect(result.stderr.contains(mention))
    }

    /// Every usage error (an unknown flag, a bad option value, a bad filter) exits 64 with one line,
    /// in every command (SPEC, "Exit codes"): commands × bad options. The store named does not
    /// exist: the usage error is reported before anything is opened.
    @Test(arguments: { () -> [[String]] in
        let db = ["--db", "/nonexistent/dir/c.sqlite"]
        var cases: [[String]] = []
        let commands: [(name: String, arguments: [String], signatures: Bool)] = [
            ("listen", ["--memory"], true), ("list", db, false), ("show", ["1"] + db, false),
            ("verify", ["1"] + db, true), ("export", db, true), ("import", ["/nonexistent/x.har"] + db, true),
            ("replay", ["1", "--to", "http://127.0.0.1:9"] + db, true), ("providers", [], false),
        ]
        for command in commands {
            cases.append([command.name] + command.arguments + ["--bogus"])
            guard command.signatures else { continue }
            for bad in [
                ["--secret", "foo=bar"], ["--secret", "stripe"], ["--secret", "=x"], ["--secret", "stripe="],
                ["--provider", "nopath"], ["--public-url", "ftp://example.com"], ["--config", "/nonexistent/config.toml"],
            ] {
                cases.append([command.name] + command.arguments + bad)
            }
        }
        cases += [
            ["listen", "--delay", "-5"], ["listen", "--port", "70000"], ["listen", "--forward-to", "ftp://x"],
            ["listen", "--proxy-response"], ["listen", "--memory", "--db", "/tmp/x.sqlite"], ["listen", "--status", "42"],
            ["list", "--last", "0"] + db, ["list", "--filter", "bogus:x"] + db, ["list", "--filter", "sig:"] + db,
            ["export", "--filter", "method:"] + db, ["export", "--base-url", "ftp://x"] + db, ["export", "--id", "x"] + db,
            ["show", "abc"] + db, ["verify", "abc"] + db, ["replay", "abc", "--to", "http://127.0.0.1:9"] + db,
            ["replay", "1", "--to", "notaurl"] + db, ["replay", "1", "--to", "ftp://x"] + db,
            ["replay", "1"] + db, ["replay", "1", "--to", "http://127.0.0.1:9", "--timeout", "0"] + db,
        ]
        return cases
    }())
    func everyUsageErrorExits64WithOneLine(arguments: [String]) async throws {
        let result = try await runHookscope(arguments, environment: cleanEnvironment())
        #expect(result.status == 64, "\(arguments): exit \(result.status), stderr: \(result.stderr)")
        #expect(result.stderr.hasPrefix("hookscope: "), "\(arguments): \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    /// `--json` implies `--headless`; the help says so rather than that it needs it.
    @Test func listenHelpSaysJSONImpliesHeadless() async throws {
        let result = try await runHookscope(["listen", "--help"], environment: cleanEnvironment())
        #expect(result.status == 0)
        // The help's words, whatever its line breaks.
        let help = String(decoding: result.stdout, as: UTF8.self).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("--json JSON lines instead of readable lines (implies --headless)"), "\(help)")
        #expect(!help.contains("With --headless: JSON"))
    }

    @Test func aCorruptDatabaseGivesAClearMessage() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("bad.sqlite")
        try Data(repeating: 0x42, count: 4096).write(to: db)
        let result = try await runHookscope(["listen", "--headless", "--port", "0", "--db", db.path])
        #expect(result.status == 3)
        #expect(result.stderr.contains("not an SQLite database"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func helpAndVersionExitZero() async throws {
        let version = try await runHookscope(["--version"])
        #expect(version.status == 0)
        #expect(!version.stdout.isEmpty)
        for command in [["--help"], ["listen", "--help"], ["show", "--help"]] {
            let help = try await runHookscope(command)
            #expect(help.status == 0)
            #expect(String(decoding: help.stdout, as: UTF8.self).contains("USAGE"))
        }
    }
}

final class LockedList: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ item: String) { storage.withLock { $0.append(item) } }
    var count: Int { storage.withLock { $0.count } }
    var items: [String] { storage.withLock { $0 } }
}
