import Foundation
import HookTestSupport
import Testing

/// HMAC-SHA256 through the system's openssl would add a dependency; the Stripe vector of
/// providers.md Appendix B (secret `test_secret`, body `{"hello":"world"}`, t=1700000000) is used instead.
let stripeVectorHeader = "t=1700000000,v1=a5d9de1d23a233e086ce2cd0940311c91c3039e7d92c0d96a82fda4881746747"

@Suite struct SignatureCLITests {
    /// Captures a request signed with the Stripe vector and one with a tampered body.
    func capturedStripeRequests(extraArguments: [String] = []) async throws -> String {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("c.sqlite").path
        let listener = try await ListenerProcess(["--db", db, "--json", "--secret", "stripe=test_secret"] + extraArguments)
        let statuses = await onOwnThread { () -> [Int?] in
            guard let client = try? RawClient(port: listener.port) else { return [] }
            return [
                client.post(path: "/stripe", body: "{\"hello\":\"world\"}", headers: ["Stripe-Signature: \(stripeVectorHeader)"]),
                client.post(path: "/stripe", body: "{\"hello\":\"world!\"}", headers: ["Stripe-Signature: \(stripeVectorHeader)"]),
                client.post(path: "/plain", body: "nothing signed"),
            ]
        }
        #expect(statuses == [200, 200, 200])
        listener.kill(SIGTERM)
        _ = await listener.waitForExit()
        let lines = await listener.remainingOutput().split(separator: "\n")
        let signatures = lines.compactMap { line -> [String: Any]? in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["signature"] as? [String: Any]
        }
        // The 2023 timestamp is far outside Stripe's tolerance when received: both are invalid,
        // and the detail says it is the timestamp for the first, the body for the second.
        #expect(signatures.map { $0["provider"] as? String } == ["stripe", "stripe", nil])
        #expect(signatures.map { $0["status"] as? String } == ["invalid", "invalid", "unsigned"])
        #expect((signatures.first?["detail"] as? String)?.contains("old") == true)
        return db
    }

    @Test func largeBodiesAreVerifiedToo() async throws {
        // Bodies over 64 KiB are verified on a queue of their own (not on the event loop or the
        // cooperative pool) and answered before a mismatch is explained; their verdicts must be
        // the same as for small bodies.
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("c.sqlite").path
        // Lines, not --json: a JSON line carries the body, and nothing reads the pipe until the end.
        let listener = try await ListenerProcess(["--db", db, "--secret", "stripe=test_secret"])
        let items = (0..<4000).map { "{\"n\":\($0),\"name\":\"item \($0)\"}" }.joined(separator: ",")
        let body = "{\"id\":\"evt_big\",\"items\":[\(items)]}"
        #expect(body.utf8.count > 64 * 1024)
        let statuses = await onOwnThread { () -> [Int?] in
            guard let client = try? RawClient(port: listener.port) else { return [] }
            return [
                client.post(path: "/stripe", body: body, headers: ["Stripe-Signature: \(stripeVectorHeader)"]),
                client.post(path: "/stripe", body: body, headers: ["Stripe-Signature: t=\(Int(Date().timeIntervalSince1970)),v1=00"]),
                client.post(path: "/plain", body: body),
            ]
        }
        #expect(statuses == [200, 200, 200])
        // The senders were answered before the mismatches were explained; the listener explains
        // them right after, and the stored detail ends up as for a small body: the timestamp is
        // too old. (The deadline only bounds a failing run.)
        let deadline = ContinuousClock.now + .seconds(120)
        var details: [String] = []
        while true {
            let shown = try await runHookscope(["list", "--db", db, "--json"])
            details = String(decoding: shown.stdout, as: UTF8.self).split(separator: "\n").compactMap { jsonObject($0) }
                .compactMap { ($0["signature"] as? [String: Any])?["detail"] as? String }
            guard details.contains(where: { $0.contains("cause looked for after the answer") }), ContinuousClock.now < deadline else { break }
            // Each explanation waits for the diagnosis budget to refill (seconds in a debug build).
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(details.count == 3)
        #expect(details.first?.contains("old") == true, "\(details)")
        #expect(!details.contains(where: { $0.contains("cause looked for") }), "\(details)")
        listener.kill(SIGTERM)
        _ = await listener.waitForExit()
        let lines = await listener.remainingOutput().split(separator: "\n").filter { $0.hasPrefix("#") }
        #expect(lines.count == 3)
        // The verdict, then the delivery's attempt: the body's `id` makes the second a retry of the first.
        #expect(lines.map { $0.contains(" stripe invalid") } == [true, true, false])
        #expect(lines.map { $0.hasSuffix(" attempt 2") } == [false, true, false])
        #expect(lines.last?.hasSuffix(" unsigned") == true)
    }

    @Test func verifyExitCodesFollowTheSpec() async throws {
        let db = try await capturedStripeRequests()
        // With the right secret: invalid (expired timestamp) is exit 1, and the output says why.
        let expired = try await runHookscope(["verify", "1", "--db", db, "--secret", "stripe=test_secret"])
        #expect(expired.status == 1)
        let text = String(decoding: expired.stdout, as: UTF8.self)
        #expect(text.contains("invalid"))
        #expect(text.contains("{timestamp}.{body}"))
        #expect(!text.contains("test_secret"))
        // No secret: undetermined, exit 2. Unsigned: exit 2. Unknown id: exit 3.
        let noSecret = try await runHookscope(["verify", "1", "--db", db], environment: ["HOME": "/nonexistent"])
        #expect(noSecret.status == 2)
        #expect(String(decoding: noSecret.stdout, as: UTF8.self).contains("no secret"))
        let unsigned = try await runHookscope(["verify", "3", "--db", db])
        #expect(unsigned.status == 2)
        // Said once: the report line that adds to the detail takes its place.
        #expect(String(decoding: unsigned.stdout, as: UTF8.self) == "unsigned - no signature header recognised (see `hookscope providers`)\n  verdict: unsigned\n")
        // The stored verdicts drive `list --filter`.
        let invalid = try await runHookscope(["list", "--db", db, "--filter", "sig:invalid"])
        #expect(String(decoding: invalid.stdout, as: UTF8.self).split(separator: "\n").count == 2)
        let unsignedOnly = try await runHookscope(["list", "--db", db, "--filter", "sig:unsigned path:/plain"])
        #expect(String(decoding: unsignedOnly.stdout, as: UTF8.self).hasPrefix("#3 "))
        let unknown = try await runHookscope(["verify", "99", "--db", db])
        #expect(unknown.status == 3)
        #expect(unknown.stderr.contains("no capture with id 99"))
    }

    @Test func secretsComeFromTheEnvironmentAndTheConfigFile() async throws {
        let db = try await capturedStripeRequests()
        var environment = ProcessInfo.processInfo.environment
        environment["HOOKSCOPE_SECRET_STRIPE"] = "test_secret"
        let fromEnvironment = try await runHookscope(["verify", "2", "--db", db], environment: environment)
        #expect(fromEnvironment.status == 1)
        #expect(String(decoding: fromEnvironment.stdout, as: UTF8.self).contains("expected"))

        let directory = try temporaryDirectory()
        let config = directory.appendingPathComponent("config.toml")
        try Data("[secrets]\nstripe = [\"old_secret\", \"test_secret\"]\n".utf8).write(to: config)
        let fromFile = try await runHookscope(["verify", "1", "--db", db, "--config", config.path])
        #expect(fromFile.status == 1)
        #expect(!String(decoding: fromFile.stdout, as: UTF8.self).contains("no secret"))
    }

    @Test func aValidSignatureVerifiesThroughTheListener() async throws {
        // A custom scheme from the config file whose signature we can compute here with a known
        // vector: the GitHub docs vector (HMAC-SHA256 hex of the body).
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("c.sqlite").path
        let config = directory.appendingPathComponent("config.toml")
        try Data("""
            [secrets]
            acme = "It's a Secret to Everybody"

            [[custom]]
            id = "acme"
            header = "X-Acme-Signature"
            template = "{body}"
            algorithm = "hmac-sha256"
            encoding = "hex"
            prefix = "sha256="
            """.utf8).write(to: config)
        let listener = try await ListenerProcess(["--db", db, "--config", config.path])
        let status = await onOwnThread {
            try? RawClient(port: listener.port).post(
                path: "/acme", body: "Hello, World!",
                headers: ["X-Acme-Signature: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"])
        }
        #expect(status == 200)
        listener.kill(SIGTERM)
        _ = await listener.waitForExit()
        let output = await listener.remainingOutput()
        #expect(output.contains("/acme 13 B -> 200 acme valid"))
        let verify = try await runHookscope(["verify", "1", "--db", db, "--config", config.path])
        #expect(verify.status == 0)
    }

    @Test func handshakesAreAnsweredByTheListener() async throws {
        let listener = try await ListenerProcess(["--memory"])
        let body = await onOwnThread {
            try? RawClient(port: listener.port).postReturningBody(
                path: "/slack", body: "{\"type\":\"url_verification\",\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\",\"token\":\"x\"}",
                headers: ["Content-Type: application/json"])
        }
        #expect(body?.contains("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P") == true)
        listener.kill(SIGTERM)
        _ = await listener.waitForExit()
    }

    @Test func providersListsEverySpecID() async throws {
        let result = try await runHookscope(["providers"])
        #expect(result.status == 0)
        let text = String(decoding: result.stdout, as: UTF8.self)
        for id in ["standardwebhooks", "svix", "clerk", "resend", "stripe", "github", "slack", "shopify", "twilio", "discord",
                   "paddle", "square", "zoom", "twitch", "linear", "mailgun", "sendgrid", "intercom", "gitlab", "bitbucket",
                   "typeform", "hubspot", "pagerduty", "calendly", "razorpay", "meta", "vercel", "sentry", "trello", "dropbox",
                   "mollie", "coinbase"] {
            #expect(text.contains("\n\(id) "), "missing \(id)")
        }
        #expect(text.contains("Stripe-Signature"))
    }

    @Test(arguments: [
        ("port = \"x\"\n", "'port' must be an integer"),
        ("prot = 1\n", "unknown setting 'prot'"),
        ("port = [\n", ":1:"),
        ("[secrets]\nnope = \"x\"\n", "unknown provider 'nope'"),
        ("delay = 99999999999999999\n", "delay must be between 0 and 3600000"),
        ("delay = -1\n", "delay must be between 0 and 3600000"),
        ("max_body = -1\n", "max_body must be 0 or more"),
        ("keep = 0\n", "keep must be at least 1"),
        // Int64.min crashed the listener at its first request with a timestamp.
        ("[[custom]]\nid = \"acme\"\nheader = \"X-Acme\"\ntemplate = \"{timestamp}.{body}\"\ntimestamp_header = \"X-T\"\ntolerance = -9223372036854775808\n",
         "tolerance must be between 0 and 315360000 seconds"),
    ])
    func badConfigFilesGetAOneLineError(content: String, mention: String) async throws {
        let directory = try temporaryDirectory()
        let config = directory.appendingPathComponent("config.toml")
        try Data(content.utf8).write(to: config)
        let result = try await runHookscope(["listen", "--headless", "--memory", "--port", "0", "--config", config.path])
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains(mention), "stderr: \(result.stderr)")
    }
}
