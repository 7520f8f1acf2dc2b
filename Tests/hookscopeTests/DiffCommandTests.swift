import Foundation
import HookTestSupport
import Testing

@Suite struct DiffCommandTests {
    static func raw(_ path: String, headers: [String], body: [UInt8]) -> [UInt8] {
        let head = "POST \(path) HTTP/1.1\r\nHost: test\r\n" + headers.map { $0 + "\r\n" }.joined() + "Content-Length: \(body.count)\r\n\r\n"
        return Array(head.utf8) + body
    }

    /// 1: a Stripe delivery (the providers.md vector); 2: its re-serialized twin with the same
    /// signature; 3: the same as 1; 4 and 5: binary bodies, invalid UTF-8, a header whose name's case changed.
    static func store() async throws -> String {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("c.sqlite").path
        let listener = try await ListenerProcess(["--db", db, "--secret", "stripe=test_secret"])
        let stripe = ["Content-Type: application/json", "Stripe-Signature: \(stripeVectorHeader)"]
        var binary = [UInt8](0..<64) + [0xFF, 0xFE]
        let first = binary
        binary[20] = 0x1B
        binary += [0xC3]
        let requests = [
            raw("/stripe", headers: stripe, body: Array(#"{"hello":"world"}"#.utf8)),
            raw("/stripe", headers: stripe, body: Array("{\n  \"hello\": \"world\"\n}".utf8)),
            raw("/stripe", headers: stripe, body: Array(#"{"hello":"world"}"#.utf8)),
            raw("/bin", headers: ["Content-Type: application/octet-stream", "X-Trace: 1"], body: first),
            raw("/bin", headers: ["Content-Type: application/octet-stream", "x-trace: 1"], body: binary),
        ]
        let statuses = await onOwnThread { () -> [Int?] in
            guard let client = try? RawClient(port: listener.port) else { return [] }
            return requests.map { client.exchange($0) }
        }
        #expect(statuses == [200, 200, 200, 200, 200])
        listener.kill(SIGTERM)
        _ = await listener.waitForExit()
        return db
    }

    func run(_ arguments: [String], _ db: String) async throws -> (status: Int32, stdout: String, stderr: String) {
        var environment = cleanEnvironment()
        environment["HOOKSCOPE_SECRET_STRIPE"] = "test_secret"
        let result = try await runHookscope(["diff"] + arguments + ["--db", db], environment: environment)
        return (result.status, String(decoding: result.stdout, as: UTF8.self), result.stderr)
    }

    @Test func comparesCapturesAndExitsAsDiffDoes() async throws {
        let db = try await Self.store()

        let same = try await run(["1", "3"], db)
        #expect(same.status == 0)
        #expect(same.stdout.hasPrefix("no differences between #1 and #3"), "\(same.stdout)")

        // The re-serialized twin: the body is named a whitespace-only change, and the signature
        // side by side agrees with `hookscope verify`'s diagnosis of it.
        let twin = try await run(["1", "2"], db)
        #expect(twin.status == 1)
        #expect(twin.stdout.contains("* whitespace only: the same JSON values in the same key order, re-serialized (compact → pretty-printed, 2-space indent)"), "\(twin.stdout)")
        var environment = cleanEnvironment()
        environment["HOOKSCOPE_SECRET_STRIPE"] = "test_secret"
        let verified = try await runHookscope(["verify", "2", "--db", db], environment: environment)
        let verdict = String(decoding: verified.stdout, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        let detail = verdict.components(separatedBy: "invalid - ").last ?? "?"
        #expect(detail.contains("whitespace between JSON tokens removed"), "\(verdict)")
        #expect(twin.stdout.contains("B: invalid — \(detail)"), "\(twin.stdout)")
        // In a pipe: no colour.
        #expect(!twin.stdout.contains("\u{1B}"))

        let json = try await run(["1", "2", "--json"], db)
        #expect(json.status == 1)
        let object = try #require(jsonObject(json.stdout))
        #expect(object["identical"] as? Bool == false)
        let differences = try #require(object["differences"] as? [[String: Any]])
        #expect(differences.contains { $0["section"] as? String == "body" && $0["kind"] as? String == "whitespace" })
        #expect(differences.contains { $0["section"] as? String == "signature" && $0["path"] as? String == "verdict" })

        // Binary bodies and invalid UTF-8: the first differing byte and the sizes, every byte escaped.
        let binary = try await run(["4", "5"], db)
        #expect(binary.status == 1)
        #expect(binary.stdout.contains("first difference at byte 20 (0x14); sizes 66 and 67 bytes"), "\(binary.stdout)")
        #expect(binary.stdout.contains("* x-trace: name case X-Trace → x-trace"), "\(binary.stdout)")
        #expect(!binary.stdout.utf8.contains(0x1B))
        #expect(String(validating: Array(binary.stdout.utf8), as: UTF8.self) != nil)
    }

    @Test func errorsAndUsage() async throws {
        let db = try await Self.store()
        let unknown = try await run(["1", "99"], db)
        #expect(unknown.status == 3)
        #expect(unknown.stderr.contains("no capture with id 99"))
        #expect(unknown.stderr.split(separator: "\n").count == 1)
        #expect(try await run(["1"], db).status == 64)
        #expect(try await run(["1", "x"], db).status == 64)
        #expect(try await run(["1", "2", "--bogus"], db).status == 64)
        let missing = try await run(["1", "2"], "/nonexistent/none.sqlite")
        #expect(missing.status == 3)
        #expect(missing.stderr.hasPrefix("hookscope: no captures yet"))
    }
}
