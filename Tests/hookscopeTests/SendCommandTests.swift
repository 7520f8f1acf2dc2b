import Foundation
import HookTestSupport
import Testing

/// `hookscope send` against a real listener: the sender and the listener are separate processes,
/// and the listener's own verdicts say whether the deliveries are signed as the providers sign.
@Suite struct SendCommandTests {
    /// A secret per provider with a sample, in the form each provider issues them.
    static let secrets: [(provider: String, secret: String)] = [
        ("stripe", "whsec_test_secret"),
        ("github", "It's a Secret to Everybody"),
        ("shopify", "hush"),
        ("slack", "8f742231b10e8888abcd99yyyzzz85a5"),
        ("standardwebhooks", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        ("svix", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"),
        ("twilio", "12345"),
        ("paddle", "pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI"),
        ("linear", "lin_wh_secret"),
        ("acme", "acme-secret"),
    ]

    static let customScheme = """
        [[custom]]
        id = "acme"
        header = "X-Acme-Signature"
        template = "{timestamp}.{body}"
        algorithm = "hmac-sha256"
        encoding = "hex"
        prefix = "sha256="
        timestamp_header = "X-Acme-Timestamp"
        tolerance = 300
        """

    func config(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("config.toml").path
        try Self.customScheme.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The samples' names from `--list-samples`, with the provider each is signed as.
    func samples() async throws -> [(name: String, provider: String?)] {
        let listed = try await runHookscope(["send", "--list-samples"])
        #expect(listed.status == 0)
        return String(decoding: listed.stdout, as: UTF8.self).split(separator: "\n").map { line in
            let name = String(line.split(separator: " ")[0])
            let provider = String(name.split(separator: "/")[0])
            return (name, provider == "generic" ? nil : provider)
        }
    }

    @Test func everySampleAndACustomSchemeVerifyAtTheListenerWithTheSameSecretOnly() async throws {
        let directory = try temporaryDirectory()
        let config = try config(in: directory)
        let secretFlags = Self.secrets.flatMap { ["--secret", "\($0.provider)=\($0.secret)"] }
        let listener = try await ListenerProcess(["--memory", "--config", config] + secretFlags)
        defer { listener.process.terminate() }
        let samples = try await samples()
        #expect(samples.count >= 18)
        for sample in samples {
            let to = "http://127.0.0.1:\(listener.port)/\(sample.provider ?? "hook")"
            var arguments = ["send", "--sample", sample.name, "--to", to, "--config", config]
            if let provider = sample.provider {
                let secret = Self.secrets.first { $0.provider == provider }!.secret
                arguments += ["--secret", "\(provider)=\(secret)"]
            }
            let sent = try await runHookscope(arguments)
            #expect(sent.status == 0, "\(sample.name): \(sent.stderr)")
            // The verdict, before the event type the line names last.
            let line = await listener.nextLine().components(separatedBy: " event ")[0]
            if let provider = sample.provider {
                #expect(line.hasSuffix("\(provider) valid"), "\(sample.name): \(line)")
            } else {
                #expect(line.hasSuffix("unsigned"), "\(sample.name): \(line)")
            }
        }
        // The same deliveries signed with another secret: the listener says invalid.
        for sample in samples {
            guard let provider = sample.provider else { continue }
            let other = provider == "standardwebhooks" || provider == "svix" ? "whsec_dGhlIG90aGVyIHNlY3JldCBvZiAzMiBieXRlcyE=" : "another-secret"
            let sent = try await runHookscope([
                "send", "--sample", sample.name, "--to", "http://127.0.0.1:\(listener.port)/\(provider)", "--secret", "\(provider)=\(other)",
            ])
            #expect(sent.status == 0, "\(sample.name): \(sent.stderr)")
            let line = await listener.nextLine().components(separatedBy: " event ")[0]
            #expect(line.hasSuffix("\(provider) invalid"), "\(sample.name): \(line)")
        }
        // A body of one's own, signed with the config file's custom scheme.
        let body = directory.appendingPathComponent("body.json")
        try Data(#"{"event":"acme.thing","n":1}"#.utf8).write(to: body)
        let custom = try await runHookscope([
            "send", "--body", body.path, "--provider", "acme", "--secret", "acme=acme-secret", "--config", config,
            "--to", "http://127.0.0.1:\(listener.port)/acme",
        ])
        #expect(custom.status == 0, "\(custom.stderr)")
        let line = await listener.nextLine()
        #expect(line.hasSuffix("acme valid"), "\(line)")
    }

    /// A sample of the user's own, in the samples directory: listed, sent with fresh placeholders,
    /// signed as its directory's provider, and valid at the listener; a broken one is named.
    @Test func aSampleOfYourOwnIsListedSentAndSigned() async throws {
        let directory = try temporaryDirectory()
        let samples = directory.appendingPathComponent("hookscope/samples/stripe")
        try FileManager.default.createDirectory(at: samples, withIntermediateDirectories: true)
        let file = """
            # summary: our own invoice, paid
            # delivery-id: evt_ 10
            POST
            Content-Type: application/json
            X-Our-Header: {{uuid}}

            {"id":"{{delivery_id}}","type":"invoice.paid","created":{{now}},"note":"caf\u{e9}"}
            """
        try Data(file.utf8).write(to: samples.appendingPathComponent("our_invoice.http"))
        var environment = cleanEnvironment()
        environment["XDG_CONFIG_HOME"] = directory.path

        let listed = try await runHookscope(["send", "--list-samples"], environment: environment)
        #expect(listed.status == 0, "\(listed.stderr)")
        let line = String(decoding: listed.stdout, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("stripe/our_invoice ") }
        #expect(line?.hasSuffix("our own invoice, paid") == true, "\(String(decoding: listed.stdout, as: UTF8.self))")

        let db = directory.appendingPathComponent("c.sqlite").path
        let listener = try await ListenerProcess(["--db", db, "--secret", "stripe=whsec_own"])
        defer { listener.process.terminate() }
        let sent = try await runHookscope(
            ["send", "--sample", "stripe/our_invoice", "--secret", "stripe=whsec_own", "--to", "http://127.0.0.1:\(listener.port)/stripe"],
            environment: environment)
        try #require(sent.status == 0, "\(sent.stderr)")
        #expect(await listener.nextLine().contains("stripe valid"))
        let body = try await runHookscope(["show", "1", "--raw", "--db", db])
        let object = try #require(try JSONSerialization.jsonObject(with: body.stdout) as? [String: Any])
        let id = try #require(object["id"] as? String)
        #expect(id.hasPrefix("evt_") && id.count == 14, "\(id)")
        #expect((object["created"] as? Int).map { abs($0 - Int(Date().timeIntervalSince1970)) < 600 } == true)
        #expect(object["note"] as? String == "caf\u{e9}")
        let shown = String(decoding: try await runHookscope(["show", "1", "--db", db]).stdout, as: UTF8.self)
        #expect(shown.contains("X-Our-Header: ") && !shown.contains("{{uuid}}"), "\(shown)")

        // A broken sample file: one line naming it, nothing sent; an unknown name is a usage error.
        try Data("# summary: x\nnot a method\n".utf8).write(to: samples.appendingPathComponent("broken.http"))
        let broken = try await runHookscope(["send", "--list-samples"], environment: environment)
        #expect(broken.status == 3)
        #expect(broken.stderr.contains("broken.http: the first line after the settings must be the method"), "\(broken.stderr)")
        try FileManager.default.removeItem(at: samples.appendingPathComponent("broken.http"))
        let unknown = try await runHookscope(["send", "--sample", "stripe/nope", "--to", "http://127.0.0.1:9/x"], environment: environment)
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("unknown sample 'stripe/nope'"), "\(unknown.stderr)")
    }

    /// A burst with copies, shuffled, 20 at a time: every request is captured, each copy with its
    /// delivery's id, and the summary's counts are what the listener stored.
    @Test func aBurstWithCopiesIsCapturedWholeAndCountedRight() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("burst.sqlite").path
        let listener = try await ListenerProcess(["--db", db, "--secret", "github=burst-secret"])
        let sent = try await runHookscope([
            "send", "--sample", "github/push", "--secret", "github=burst-secret", "--to", "http://127.0.0.1:\(listener.port)/github",
            "--count", "1000", "--duplicate", "1", "--shuffle", "--concurrency", "20", "--json",
        ])
        #expect(sent.status == 0, "\(sent.stderr)")
        let lines = String(decoding: sent.stdout, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2000)
        let objects = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects.allSatisfy { $0["status"] as? Int == 200 })
        #expect(objects.filter { $0["copy"] as? Int == 1 }.count == 1000)
        // Shuffled: the numbers are not in order.
        let numbers = objects.map { $0["n"] as? Int ?? 0 }
        #expect(numbers != numbers.sorted())
        #expect(sent.stderr.contains("sent 2000 requests (1000 deliveries + 1000 copies)"), "\(sent.stderr)")
        #expect(sent.stderr.contains("answers: 2000 × 200"), "\(sent.stderr)")
        #expect(sent.stderr.contains("copies answered 2xx: 1000 of 1000"), "\(sent.stderr)")

        // Every request stored, with verdicts, two per delivery id.
        _ = await listener.lines(count: 2000, within: .seconds(120))
        listener.process.terminate()
        let listed = try await runHookscope(["list", "--db", db, "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        var perDelivery: [String: Int] = [:]
        var valid = 0
        for line in String(decoding: listed.stdout, as: UTF8.self).split(separator: "\n") {
            let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let headers = object["headers"] as? [[String]] ?? []
            let id = try #require(headers.first { $0.first == "X-GitHub-Delivery" }?.last)
            perDelivery[id, default: 0] += 1
            if (object["signature"] as? [String: Any])?["status"] as? String == "valid" { valid += 1 }
        }
        #expect(perDelivery.count == 1000)
        #expect(perDelivery.values.allSatisfy { $0 == 2 })
        #expect(valid == 2000)
        let sentIDs = Set(objects.compactMap { $0["delivery_id"] as? String })
        #expect(sentIDs == Set(perDelivery.keys))
    }

    /// Bad input: one line, exit 64, nothing sent (the listener's next capture is the good one).
    @Test func badInputIsOneLineAndExit64AndSendsNothing() async throws {
        let directory = try temporaryDirectory()
        let listener = try await ListenerProcess(["--memory"])
        defer { listener.process.terminate() }
        let to = "http://127.0.0.1:\(listener.port)/x"
        let unreadable = directory.appendingPathComponent("missing.json").path
        let cases: [([String], String)] = [
            (["--sample", "stripe/no.such.event"], "unknown sample"),
            (["--body", unreadable, "--provider", "stripe", "--secret", "stripe=s"], "cannot read"),
            (["--sample", "generic/json", "--provider", "nosuchprovider"], "unknown provider"),
            (["--sample", "stripe/invoice.paid"], "no secret for stripe"),
            (["--sample", "stripe/invoice.paid", "--secret", "stripe=s", "--to", "ftp://127.0.0.1/x"], "http://"),
            (["--sample", "stripe/invoice.paid", "--secret", "stripe=s", "--count", "0"], "--count"),
            (["--sample", "stripe/invoice.paid", "--secret", "stripe=s", "--count", "2000000"], "--count"),
            (["--sample", "stripe/invoice.paid", "--secret", "stripe=s", "--rate", "0"], "--rate"),
            (["--sample", "stripe/invoice.paid", "--secret", "stripe=s", "--concurrency", "0"], "--concurrency"),
            (["--sample", "stripe/invoice.paid", "--secret", "stripe=s", "--duplicate", "-1"], "--duplicate"),
            (["--sample", "stripe/invoice.paid", "--secret", "nosuch"], "--secret"),
            (["--sample", "stripe/invoice.paid", "--body", unreadable], "one of"),
            (["--sample", "discord/x"], "unknown sample"),
            (["--body", "/etc/hostname", "--provider", "discord", "--secret", "discord=" + String(repeating: "ab", count: 32)], "cannot sign as discord"),
        ]
        for (arguments, words) in cases {
            let result = try await runHookscope(["send", "--to", to] + arguments)
            #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(words), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(arguments)")
        }
        let good = try await runHookscope(["send", "--sample", "generic/json", "--to", to])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(await listener.nextLine().hasPrefix("#1 "))
    }

    /// A target that answers 5xx or cannot be reached: exit 1, the summary says so.
    @Test func answersOtherThan2xxExit1() async throws {
        let (fd, port) = refusingPort()
        defer { close(fd) }
        let result = try await runHookscope(["send", "--sample", "generic/json", "--to", "http://127.0.0.1:\(port)/x", "--count", "2"])
        #expect(result.status == 1)
        let text = String(decoding: result.stdout, as: UTF8.self)
        #expect(text.contains("failures: 2 refused"), "\(text)")
    }
}
