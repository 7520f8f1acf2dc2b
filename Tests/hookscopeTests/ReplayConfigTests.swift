import Foundation
import HookTestSupport
import Testing

@Suite struct ReplayConfigTests {
    @Test func replayReadsSecretsAndTargetFromTheConfigFileAndFlagsWin() async throws {
        let db = try await SignatureCLITests().capturedStripeRequests()
        let directory = try temporaryDirectory()
        let targetDB = directory.appendingPathComponent("target.sqlite").path
        let target = try await ListenerProcess(["--db", targetDB, "--secret", "stripe=test_secret"])
        let config = directory.appendingPathComponent("config.toml")
        try Data("replay_to = \"http://127.0.0.1:\(target.port)\"\n\n[secrets]\nstripe = \"test_secret\"\n".utf8).write(to: config)
        let empty = directory.appendingPathComponent("empty.toml")
        try Data().write(to: empty)
        let environment = cleanEnvironment()

        // Without the config file there is no secret to re-sign with: nothing is sent, and it says why.
        let noSecret = try await runHookscope(
            ["replay", "1", "--resign", "--to", "http://127.0.0.1:\(target.port)", "--db", db, "--config", empty.path],
            environment: environment)
        #expect(noSecret.status != 0)
        #expect(noSecret.stderr.contains("no secret for stripe"), "\(noSecret.stderr)")

        // The secret and the target come from the config file only.
        let replay = try await runHookscope(["replay", "1", "--resign", "--db", db, "--config", config.path], environment: environment)
        #expect(replay.status == 0, "\(replay.stderr)")
        let output = String(decoding: replay.stdout, as: UTF8.self)
        #expect(output.contains("(re-signed)"))
        #expect(!output.contains("test_secret"))
        #expect(!replay.stderr.contains("test_secret"))

        // A flag wins over the file: signed with the wrong secret, the target finds it invalid.
        let flagged = try await runHookscope(
            ["replay", "1", "--resign", "--db", db, "--config", config.path, "--secret", "stripe=wrong_secret"],
            environment: environment)
        #expect(flagged.status == 0, "\(flagged.stderr)")
        target.kill(SIGTERM)
        _ = await target.waitForExit()

        let received = try await runHookscope(["list", "--json", "--db", targetDB])
        let verdicts = String(decoding: received.stdout, as: UTF8.self).split(separator: "\n").compactMap { line in
            (jsonObject(line)?["signature"] as? [String: Any])?["status"] as? String
        }
        #expect(verdicts == ["valid", "invalid"])
    }

    @Test(arguments: [
        ("port = \"x\"\n", "'port' must be an integer"),
        ("insecure = \"yes\"\n", "'insecure' must be true or false"),
        ("[secrets]\nnope = \"x\"\n", "unknown provider 'nope'"),
    ])
    func aBadConfigFileIsAOneLineError(content: String, mention: String) async throws {
        let directory = try temporaryDirectory()
        let config = directory.appendingPathComponent("config.toml")
        try Data(content.utf8).write(to: config)
        let result = try await runHookscope(
            ["replay", "1", "--to", "http://127.0.0.1:1", "--db", directory.appendingPathComponent("none.sqlite").path,
             "--config", config.path],
            environment: cleanEnvironment())
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.hasPrefix("hookscope: "))
        #expect(result.stderr.contains(mention), "stderr: \(result.stderr)")
        let missing = try await runHookscope(
            ["replay", "1", "--to", "http://127.0.0.1:1", "--config", directory.appendingPathComponent("nope.toml").path],
            environment: cleanEnvironment())
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("does not exist"))
    }

    @Test func withoutATargetReplaySaysHowToGiveOne() async throws {
        let directory = try temporaryDirectory()
        let empty = directory.appendingPathComponent("empty.toml")
        try Data().write(to: empty)
        let result = try await runHookscope(["replay", "1", "--config", empty.path], environment: cleanEnvironment())
        #expect(result.status != 0)
        #expect(result.stderr == "hookscope: no target: pass --to URL (or set replay_to in the config file)\n")
    }
}
