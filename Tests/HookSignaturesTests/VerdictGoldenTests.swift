import Foundation
import HookCore
import Testing
@testable import HookSignatures

/// The full report (summary and every line) and the listener's `summary(for:)` for a corpus of
/// requests, compared with VerdictGolden.swift, recorded before the verdict path was made cheaper:
/// header lookups, detection, parsing and the diagnosis may change how they work, not what they say.
///
/// Regenerate (only when a report is meant to change) with
///     UPDATE_GOLDEN=1 swift test --filter VerdictGoldenTests
@Suite struct VerdictGoldenTests {
    struct Case {
        var name: String
        var verifier: SignatureVerifier
        var request: CapturedRequest
        var now: CaptureTime
    }

    static let stripeSig = "t=1700000000,v1=a5d9de1d23a233e086ce2cd0940311c91c3039e7d92c0d96a82fda4881746747"

    static func request(
        _ headers: [(String, String)], body: String = #"{"hello":"world"}"#, target: String = "/webhook",
        host: String? = "example.com", method: String = "POST"
    ) -> CapturedRequest {
        makeRequest(method: method, target: target, host: host, headers: headers, body: body, receivedAt: 1_700_000_005)
    }

    static func rawRequest(_ headers: [HeaderField], body: String = #"{"hello":"world"}"#) -> CapturedRequest {
        CapturedRequest(
            receivedAt: time(1_700_000_005), method: "POST", rawTarget: Array("/webhook".utf8),
            headers: [HeaderField("Host", "example.com")] + headers, remoteAddress: "127.0.0.1:50000",
            body: Data(body.utf8), response: CapturedResponse(status: 200))
    }

    static var cases: [Case] {
        let none = SignatureVerifier(secrets: SecretBook())
        let now = time(1_700_000_010)
        var out: [Case] = []
        func add(_ name: String, _ verifier: SignatureVerifier, _ request: CapturedRequest) {
            out.append(Case(name: name, verifier: verifier, request: request, now: now))
        }
        // Every provider fixture: right secret, wrong secret, two secrets, no secret, names upper-cased.
        for fixture in SignedFixture.all {
            let p = fixture.provider
            let req = makeRequest(target: fixture.target, headers: fixture.headers, body: fixture.body, receivedAt: fixture.timestamp + 5)
            add("\(p) valid", verifier(p, fixture.secret), req)
            add("\(p) wrong secret", verifier(p, fixture.wrongSecret), req)
            add("\(p) two secrets", verifier(p, fixture.wrongSecret, fixture.secret), req)
            add("\(p) no secret", none, req)
            let shouted = fixture.headers.map { ($0.0.uppercased(), $0.1) }
            add("\(p) shouted, no secret", none, makeRequest(target: fixture.target, headers: shouted, body: fixture.body, receivedAt: fixture.timestamp + 5))
            let lower = fixture.headers.map { ($0.0.lowercased(), $0.1) }
            add("\(p) lower-case, valid", verifier(p, fixture.secret), makeRequest(target: fixture.target, headers: lower, body: fixture.body, receivedAt: fixture.timestamp + 5))
        }
        // Stripe-Signature shapes: spacing, extra and empty entries, several v1, no t, duplicates, non-ASCII.
        let v1 = "a5d9de1d23a233e086ce2cd0940311c91c3039e7d92c0d96a82fda4881746747"
        let stripeValues = [
            " t=1700000000 , v1=\(v1) ", "t=1700000000,v0=abc,v1=\(v1),x", ",,t=1700000000,,v1=\(v1),,",
            "t=1700000000,v1=00,v1=\(v1)", "v1=\(v1)", "t=1700000000", "t=1700000000,v1=", "t=1700000000,\tv1=\(v1)\t",
            "t=1700000000,v1=\(v1),note=é", "t=1700000000,\u{00A0}v1=\(v1)", "t=abc,v1=\(v1)", "t=1699990000,v1=\(v1)",
            "T=1700000000,V1=\(v1)", "t==1700000000,v1==\(v1)", "", "t=1700000000;v1=\(v1)",
        ]
        for (i, value) in stripeValues.enumerated() {
            add("stripe value #\(i), valid secret", verifier("stripe", "test_secret"), request([("Stripe-Signature", value)]))
            add("stripe value #\(i), no secret", none, request([("Stripe-Signature", value)]))
        }
        add("stripe two headers", verifier("stripe", "test_secret"), request([("Stripe-Signature", "t=1700000000,v1=00"), ("stripe-signature", stripeSig)]))
        add("stripe two headers, no secret", none, request([("Stripe-Signature", "t=1700000000"), ("STRIPE-SIGNATURE", "v1=00")]))
        add("stripe non-UTF-8 value", verifier("stripe", "test_secret"),
            rawRequest([HeaderField(name: "Stripe-Signature", rawValue: Array("t=1700000000,v1=".utf8) + [0xff, 0xc3, 0x28])]))
        add("stripe non-UTF-8 value, no secret", none,
            rawRequest([HeaderField(name: "Stripe-Signature", rawValue: [0xff] + Array(",t=1700000000,v1=00".utf8))]))
        add("paddle", verifier("paddle", "test_secret"), request([("Paddle-Signature", "ts=1700000000; h1=abcd;x=1")]))
        add("paddle no secret", none, request([("Paddle-Signature", "ts=1700000000;h1=abcd")]))
        add("calendly no secret", none, request([("Calendly-Webhook-Signature", stripeSig)]))
        add("pagerduty two", verifier("pagerduty", "test_secret"), request([("X-PagerDuty-Signature", "v1=00, v1=\(SignedFixture.hex256)")]))
        // Header names that almost match, and non-ASCII names.
        add("near names", none, request([("Stripe-Signatur", stripeSig), ("Stripe-Signature2", stripeSig), ("X-Stripe-Signature", stripeSig)]))
        add("non-ASCII name", none, request([("Stripe-Signaturé", stripeSig), ("Ｓtripe-Signature", stripeSig)]))
        add("kelvin name", none, request([("X-Hub-Signature-256", "sha256=00"), ("X-\u{212A}ey", "x")]))
        // X-Hub-Signature and its companions.
        for (name, headers) in [
            ("hub sha256", [("X-Hub-Signature", "sha256=" + SignedFixture.hex256)]),
            ("hub SHA256 upper", [("X-Hub-Signature", "SHA256=" + SignedFixture.hex256)]),
            ("hub sha1 github", [("X-GitHub-Event", "push"), ("X-Hub-Signature", "sha1=" + SignedFixture.hex1)]),
            ("hub sha1 delivery", [("x-github-delivery", "1"), ("X-Hub-Signature", "sha1=" + SignedFixture.hex1)]),
            ("hub sha1 event key", [("X-Event-Key", "repo:push"), ("X-Hub-Signature", "sha1=" + SignedFixture.hex1)]),
            ("hub sha1 alone", [("X-Hub-Signature", "sha1=" + SignedFixture.hex1)]),
            ("hub no prefix", [("X-Hub-Signature", SignedFixture.hex1)]),
            ("hub both", [("X-Hub-Signature", "sha1=" + SignedFixture.hex1), ("X-Hub-Signature-256", "sha256=" + SignedFixture.hex256)]),
            ("github hook id", [("X-GitHub-Hook-ID", "1"), ("X-Hub-Signature-256", "sha256=" + SignedFixture.hex256)]),
            ("gitlab token", [("X-Gitlab-Token", "tok"), ("X-Gitlab-Event", "Push Hook")]),
            ("gitlab signed", [("X-Gitlab-Event", "Push Hook"), ("webhook-id", "msg_1"), ("webhook-timestamp", "1700000000"), ("webhook-signature", "v1,AAAA")]),
            ("svix", [("svix-id", "msg_1"), ("svix-timestamp", "1700000000"), ("svix-signature", "v1,AAAA v1a,BBBB v2,x")]),
            ("standard webhooks no id", [("webhook-timestamp", "1700000000"), ("webhook-signature", "v1,AAAA")]),
            ("twilio", [("X-Twilio-Signature", "abc=")]),
            ("discord", [("X-Signature-Ed25519", "00"), ("X-Signature-Timestamp", "1700000000")]),
            ("sendgrid", [("X-Twilio-Email-Event-Webhook-Signature", "abc"), ("X-Twilio-Email-Event-Webhook-Timestamp", "1700000000")]),
            ("hubspot legacy", [("X-HubSpot-Signature", "abc")]),
            ("square legacy", [("x-square-signature", "abc=")]),
            ("shopify alt name", [("shopify-hmac-sha256", SignedFixture.b64)]),
            ("many providers", [("Stripe-Signature", stripeSig), ("X-Slack-Signature", "v0=00"), ("X-Slack-Request-Timestamp", "1700000000"), ("Linear-Signature", "00")]),
        ] as [(String, [(String, String)])] {
            add("\(name), no secret", none, request(headers))
            add("\(name), github+intercom+bitbucket+stripe secrets", SignatureVerifier(secrets: SecretBook([
                ("github", "test_secret"), ("intercom", "other"), ("bitbucket", "test_secret"), ("stripe", "test_secret"),
                ("gitlab", "tok"), ("svix", "whsec_dGVzdA=="), ("standardwebhooks", "whsec_dGVzdA=="),
            ])), request(headers))
        }
        // Bodies: Mailgun (JSON and form), bodies that only mention the words, unsigned.
        let mailgunJSON = #"{"signature":{"timestamp":"1700000000","token":"abc123token","signature":"\#(SignedFixture.mailgunSignature)"},"event-data":{}}"#
        add("mailgun json", verifier("mailgun", "test_secret"), request([("Content-Type", "application/json")], body: mailgunJSON))
        add("mailgun json, no secret", none, request([], body: mailgunJSON))
        add("mailgun form", verifier("mailgun", "test_secret"),
            request([], body: "timestamp=1700000000&token=abc123token&signature=\(SignedFixture.mailgunSignature)&event=delivered"))
        add("words only", none, request([], body: #"{"signature":"none","token":"x"}"#))
        add("unsigned", none, request([("Content-Type", "application/json")]))
        add("unsigned, secrets", verifier("stripe", "x"), request([("Content-Type", "application/json")]))
        add("unsigned, no headers", none, request([], host: nil))
        // Pins and custom schemes.
        let pinned = SignatureVerifier(secrets: SecretBook([("stripe", "test_secret")]), pins: [ProviderPin(pathPrefix: "/stripe", provider: "stripe"), ProviderPin(pathPrefix: "/stripe/x", provider: "github")])
        add("pinned, matching", pinned, request([("Stripe-Signature", stripeSig)], target: "/stripe/hook"))
        add("pinned, header missing", pinned, request([], target: "/stripe/hook"))
        add("pinned, other provider", pinned, request([("Stripe-Signature", stripeSig)], target: "/stripe/x/1"))
        add("not pinned", pinned, request([("Stripe-Signature", stripeSig)], target: "/other"))
        let custom = CustomScheme(id: "acme", signatureHeader: "X-Acme-Sig", template: [.body], prefix: "sha256=")
        let withCustom = SignatureVerifier(secrets: SecretBook([("acme", "test_secret")]), customSchemes: [custom])
        add("custom", withCustom, request([("x-acme-sig", "sha256=" + SignedFixture.hex256)]))
        add("custom and stripe", withCustom, request([("X-ACME-SIG", "00"), ("Stripe-Signature", stripeSig)]))
        let keyedCustom = CustomScheme(id: "keyed", signatureHeader: "X-Keyed", template: [.timestamp, .literal("."), .body], timestampHeader: "X-Keyed-Ts", tolerance: 300)
        add("custom with timestamp", SignatureVerifier(secrets: SecretBook(), customSchemes: [keyedCustom]), request([("X-Keyed", "00"), ("x-keyed-ts", "1700000000")]))
        // The benchmark request (2 KB Stripe-like body) in its three shapes and with the right secret.
        let bench = VerdictBenchmark.request(signed: true)
        add("bench no secret", none, bench)
        add("bench wrong secret", verifier("stripe", "whsec_benchmark_secret_not_the_signer"), bench)
        add("bench unsigned", none, VerdictBenchmark.request(signed: false))
        add("bench right secret", verifier("stripe", VerdictBenchmark.secret), VerdictBenchmark.request(signed: true, signature: VerdictBenchmark.validSignature))
        return out
    }

    static func render(_ c: Case) -> String {
        let report = c.verifier.verify(c.request, now: c.now)
        let summary = c.verifier.summary(for: c.request, now: c.now)
        func text(_ s: SignatureSummary) -> String { "\(s.provider ?? "-") | \(s.status.rawValue) | \(s.detail)" }
        var out = ["## \(c.name)", "summary: \(text(report.summary))"]
        if summary != report.summary { out.append("summary(for:): \(text(summary))") }
        out += report.lines.map { "  \($0)" }
        return out.joined(separator: "\n")
    }

    static let goldenPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("VerdictGolden.swift")

    @Test func reportsMatchTheRecordedOnes() throws {
        let rendered = Self.cases.map(Self.render)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] != nil {
            var file = "// Generated by VerdictGoldenTests (UPDATE_GOLDEN=1); do not edit by hand.\n"
            file += "let verdictGolden: [String] = [\n"
            for text in rendered { file += "    #\"\"\"\n\(text)\n\"\"\"#,\n" }
            file += "]\n"
            try file.write(to: Self.goldenPath, atomically: true, encoding: .utf8)
            return
        }
        #expect(rendered.count == verdictGolden.count)
        for (got, want) in zip(rendered, verdictGolden) {
            #expect(got == want)
        }
    }
}
