import Foundation
import HookTestSupport
import Testing

/// `hookscope replay --edit [--resign]`, and the attempts it leaves in `show`, `list --json` and HAR.
@Suite struct EditReplayCLITests {
    /// An editor for the tests: a shell script run as `$EDITOR FILE`.
    func editor(_ script: String, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("editor-\(UUID().uuidString).sh").path
        try Data("#!/bin/sh\n\(script)\n".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
        return path
    }

    @Test func anEditedBodyReSignedIsValidAtTheTargetAndMarkedEdited() async throws {
        let db = try await SignatureCLITests().capturedStripeRequests()
        let directory = try temporaryDirectory()
        let targetDB = directory.appendingPathComponent("target.sqlite").path
        let target = try await ListenerProcess(["--db", targetDB, "--secret", "stripe=test_secret"])
        var environment = cleanEnvironment()
        environment["VISUAL"] = try editor(#"sed -i 's/world/edited/' "$1""#, in: directory)

        let replay = try await runHookscope(
            ["replay", "1", "--edit", "--resign", "--to", "http://127.0.0.1:\(target.port)", "--db", db, "--secret", "stripe=test_secret"],
            environment: environment)
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(String(decoding: replay.stdout, as: UTF8.self).contains("(edited, re-signed)"))
        // Edited without re-signing: the old signature does not match the new body.
        let unsigned = try await runHookscope(
            ["replay", "1", "--edit", "--to", "http://127.0.0.1:\(target.port)", "--db", db], environment: environment)
        #expect(unsigned.status == 0, "\(unsigned.stderr)")
        target.kill(SIGTERM)
        _ = await target.waitForExit()

        let received = String(decoding: try await runHookscope(["list", "--json", "--db", targetDB]).stdout, as: UTF8.self)
            .split(separator: "\n").compactMap(jsonObject)
        #expect(received.count == 2)
        #expect(received.map { ($0["signature"] as? [String: Any])?["status"] as? String } == ["valid", "invalid"])
        #expect(received.map { Data(base64Encoded: $0["body_base64"] as? String ?? "") } == Array(repeating: Data("{\"hello\":\"edited\"}".utf8), count: 2))
        // The capture itself is unchanged.
        let source = String(decoding: try await runHookscope(["list", "--json", "--db", db]).stdout, as: UTF8.self)
            .split(separator: "\n").compactMap(jsonObject)
        #expect(Data(base64Encoded: source.first?["body_base64"] as? String ?? "") == Data("{\"hello\":\"world\"}".utf8))
        let newest = try #require(source.first?["replay"] as? [String: Any])
        #expect(newest["edited"] as? Bool == true)
        #expect(newest["resigned"] as? Bool == false)

        // `show` lists both attempts, oldest first, with how each was sent.
        let show = String(decoding: try await runHookscope(["show", "1", "--db", db]).stdout, as: UTF8.self)
        #expect(show.contains("attempts (2, oldest first):"), "\(show)")
        let attempts = show.split(separator: "\n").filter { $0.hasPrefix("  #") }
        #expect(attempts.count == 2)
        #expect(attempts.first?.contains(" replay (edited, re-signed) → http://127.0.0.1:\(target.port)/stripe: 200 in ") == true, "\(attempts)")
        #expect(attempts.last?.contains(" replay (edited) → http://127.0.0.1:\(target.port)/stripe: 200 in ") == true, "\(attempts)")

        // HAR lists them in `_hookscope.replays`.
        let har = try await runHookscope(["export", "--har", "--db", db])
        let document = try #require(try JSONSerialization.jsonObject(with: har.stdout) as? [String: Any])
        let entries = try #require((document["log"] as? [String: Any])?["entries"] as? [[String: Any]])
        let replays = try #require((entries.first?["_hookscope"] as? [String: Any])?["replays"] as? [[String: Any]])
        #expect(replays.map { $0["edited"] as? Bool } == [true, true])
        #expect(replays.map { $0["resigned"] as? Bool } == [true, false])
        #expect(replays.map { $0["status"] as? Int } == [200, 200])
        #expect((entries[1]["_hookscope"] as? [String: Any])?["replays"] == nil)
    }

    @Test(arguments: [
        ("true", "edit: nothing was changed in the editor; nothing sent"),
        (#"printf '\n' >> "$1""#, "edit: nothing was changed in the editor; nothing sent"),
        ("exit 1", "edit: the editor exited with an error; nothing sent"),
    ])
    func nothingIsSentWhenTheEditorChangesNothingOrFails(script: String, message: String) async throws {
        let db = try await SignatureCLITests().capturedStripeRequests()
        let directory = try temporaryDirectory()
        let target = try await ListenerProcess(["--memory", "--json"])
        var environment = cleanEnvironment()
        environment["VISUAL"] = try editor(script, in: directory)
        let replay = try await runHookscope(
            ["replay", "3", "--edit", "--to", "http://127.0.0.1:\(target.port)", "--db", db], environment: environment)
        #expect(replay.status != 0)
        #expect(replay.stderr == "hookscope: \(message)\n")
        #expect(replay.stdout.isEmpty)
        let show = String(decoding: try await runHookscope(["show", "3", "--db", db]).stdout, as: UTF8.self)
        #expect(!show.contains("attempts"))
        target.kill(SIGTERM)
        _ = await target.waitForExit()
        #expect(await target.remainingOutput().isEmpty)
    }
}
