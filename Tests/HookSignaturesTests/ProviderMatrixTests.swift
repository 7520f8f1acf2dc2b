import Crypto
import Foundation
import HookCore
import Testing
@testable import HookSignatures

/// One provider fixture: a request signed by the provider's scheme (Appendix B of providers.md unless noted).
struct SignedFixture: Sendable, CustomStringConvertible {
    var provider: String
    var headers: [(String, String)]
    var body: String = #"{"hello":"world"}"#
    var target: String = "/webhook"
    var secret: String = "test_secret"
    var wrongSecret: String = "other_secret"
    var timestamp: Int64 = 1_700_000_000
    /// Seconds after `timestamp` at which the request is too old; nil when the scheme has no timestamp.
    var expiresAfter: Int64?

    var description: String { provider }

    func request(body: String? = nil, receivedAt: Int64? = nil) -> CapturedRequest {
        makeRequest(target: target, headers: headers, body: body ?? self.body, receivedAt: receivedAt ?? timestamp)
    }

    static let hex256 = "b7b1e7e190c7aace9efb076f2394f2408bf389ed0398c526b97101ab2c84fed3"
    static let hex1 = "3cf4f6de54c71fe21f03b5918c4b48bb83e3897a"
    static let b64 = "t7Hn4ZDHqs6e+wdvI5TyQIvzie0DmMUmuXEBqyyE/tM="

    static let mailgunSignature: String = {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("1700000000abc123token".utf8), using: SymmetricKey(data: Data("test_secret".utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }()

    static let all: [SignedFixture] = [
        SignedFixture(provider: "stripe", headers: [("Stripe-Signature", "t=1700000000,v1=a5d9de1d23a233e086ce2cd0940311c91c3039e7d92c0d96a82fda4881746747")], expiresAfter: 300),
        SignedFixture(provider: "calendly", headers: [("Calendly-Webhook-Signature", "t=1700000000,v1=a5d9de1d23a233e086ce2cd0940311c91c3039e7d92c0d96a82fda4881746747")], expiresAfter: 180),
        SignedFixture(provider: "github", headers: [("X-GitHub-Event", "push"), ("X-Hub-Signature-256", "sha256=" + hex256)]),
        SignedFixture(provider: "meta", headers: [("X-Hub-Signature-256", "sha256=" + hex256)]),
        SignedFixture(provider: "bitbucket", headers: [("X-Event-Key", "repo:push"), ("X-Hub-Signature", "sha256=" + hex256)]),
        SignedFixture(provider: "razorpay", headers: [("X-Razorpay-Signature", hex256)]),
        SignedFixture(provider: "coinbase", headers: [("X-CC-Webhook-Signature", hex256)]),
        SignedFixture(provider: "sentry", headers: [("Sentry-Hook-Signature", hex256)]),
        SignedFixture(provider: "dropbox", headers: [("X-Dropbox-Signature", hex256)]),
        SignedFixture(provider: "linear", headers: [("Linear-Signature", hex256)]),
        SignedFixture(provider: "mollie", headers: [("X-Mollie-Signature", "sha256=" + hex256)]),
        SignedFixture(provider: "pagerduty", headers: [("X-PagerDuty-Signature", "v1=" + hex256)]),
        SignedFixture(provider: "intercom", headers: [("X-Hub-Signature", "sha1=" + hex1)]),
        SignedFixture(provider: "vercel", headers: [("x-vercel-signature", hex1)]),
        SignedFixture(provider: "shopify", headers: [("X-Shopify-Hmac-Sha256", b64)]),
        SignedFixture(provider: "typeform", headers: [("Typeform-Signature", "sha256=" + b64)]),
        SignedFixture(provider: "zoom", headers: [("x-zm-request-timestamp", "1700000000"), ("x-zm-signature", "v0=3f9194a49468d3e83cf85860c062ae6b4a77012cabc1bda8af279244e5bdf3a5")], expiresAfter: 300),
        SignedFixture(provider: "slack", headers: [("X-Slack-Request-Timestamp", "1700000000"), ("X-Slack-Signature", "v0=3f9194a49468d3e83cf85860c062ae6b4a77012cabc1bda8af279244e5bdf3a5")], expiresAfter: 300),
        SignedFixture(provider: "twitch", headers: [
            ("Twitch-Eventsub-Message-Id", "56ac5fa7-d372-f93c-74b6-4e8c1b99ae5c"),
            ("Twitch-Eventsub-Message-Timestamp", "2023-11-14T22:13:20.000000000Z"),
            ("Twitch-Eventsub-Message-Signature", "sha256=47020d18f3a9e49881f9c323b96601cddc2efefd6cc7c553023682aaef8367e9"),
        ], expiresAfter: 600),
        SignedFixture(provider: "square", headers: [("x-square-hmacsha256-signature", "OcXhCAKfHZgR6TFzwpKBiotcpWLt4Hljr4ARcSE3+CA=")]),
        SignedFixture(provider: "trello", headers: [("X-Trello-Webhook", "PtSEzO5+lVSVfH4dJxGFeznyFfs=")]),
        SignedFixture(provider: "hubspot", headers: [("X-HubSpot-Signature-v3", "9xS5ZE6dvvD6YaZoBFtWV1pDbspZuJFCACkdrllRKzM="), ("X-HubSpot-Request-Timestamp", "1700000000000")], expiresAfter: 300),
        SignedFixture(provider: "twilio", headers: [("Content-Type", "application/json"), ("X-Twilio-Signature", "4CaL89v8UYlCo9KPwrplQLA3Rds=")],
                      target: "/webhook?bodySHA256=93a23971a914e5eacbf0a8d25154cda309c3c1c72fbb9914d47c60f3cb681588"),
        SignedFixture(provider: "discord", headers: [
            ("X-Signature-Ed25519", "67e183618272d961f55606e9378991f74170c2327bb00f40dc47376e2425a53fef8947138f415e5aaec49ac35b9707bd41e5eb009ed8834890c8c85472f41203"),
            ("X-Signature-Timestamp", "1700000000"),
        ], secret: "3a768b2426484599ff5e4754ad4a3d4b2d8329eb727242674a6e5990811fe05f",
           wrongSecret: Hex.encode(Curve25519.Signing.PrivateKey().publicKey.rawRepresentation)),
        // Appendix A vectors for the schemes Appendix B does not cover.
        SignedFixture(provider: "standardwebhooks", headers: [
            ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"), ("webhook-timestamp", "1614265330"),
            ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        ], body: #"{"test": 2432232314}"#, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", wrongSecret: "whsec_dGhpcyBpcyBhbm90aGVyIGtleQ==",
           timestamp: 1_614_265_330, expiresAfter: 300),
        SignedFixture(provider: "paddle", headers: [("Paddle-Signature", "ts=1696195954;h1=d96299976a6eb066f484d7fde011ac56fc32b38fc9940bc419d6e537fdc6ef02")],
                      body: "hello-world", secret: "pdl_ntf_01hbpjmytsa32fhr36nqgc3kgb_WvRO0eL4Bj9rgYYIBZY6wZhG4EHy9jzh",
                      wrongSecret: "pdl_ntf_01hbpjmytsa32fhr36nqgc3kgb_other000000000000000000", timestamp: 1_696_195_954, expiresAfter: 5),
        // Mailgun signs timestamp + token inside the body; tampering means changing the token.
        SignedFixture(provider: "mailgun", headers: [("Content-Type", "application/json")],
                      body: #"{"signature":{"timestamp":"1700000000","token":"abc123token","signature":""# + mailgunSignature + #""},"event-data":{"event":"delivered"}}"#,
                      expiresAfter: 900),
        SignedFixture(provider: "gitlab", headers: [("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", "test_secret")]),
    ]
}

@Suite struct ProviderMatrixTests {
    @Test(arguments: SignedFixture.all)
    func validSignatureVerifies(_ fixture: SignedFixture) {
        let report = verifier(fixture.provider, fixture.secret).verify(fixture.request(), now: time(fixture.timestamp + 5))
        #expect(report.summary.status == .valid, "\(report.text)")
        #expect(report.summary.provider == fixture.provider)
        #expect(!report.text.contains("test_secret"))
        #expect(report.lines.last?.hasPrefix("verdict: valid") == true)
    }

    @Test(arguments: SignedFixture.all)
    func tamperedBodyIsInvalid(_ fixture: SignedFixture) {
        let tampered = fixture.provider == "mailgun"
            ? fixture.body.replacingOccurrences(of: "abc123token", with: "abc123tokeN")
            : fixture.body.replacingOccurrences(of: "o", with: "0").replacingOccurrences(of: "2", with: "3")
        #expect(tampered != fixture.body)
        let report = verifier(fixture.provider, fixture.secret).verify(fixture.request(body: tampered))
        if fixture.provider == "gitlab" {
            // The token scheme does not cover the body: nothing can detect the change.
            #expect(report.summary.status == .valid)
        } else {
            #expect(report.summary.status == .invalid, "\(report.text)")
            #expect(report.summary.provider == fixture.provider)
        }
    }

    @Test(arguments: SignedFixture.all)
    func wrongSecretIsInvalid(_ fixture: SignedFixture) {
        let report = verifier(fixture.provider, fixture.wrongSecret).verify(fixture.request())
        #expect(report.summary.status == .invalid, "\(report.text)")
        #expect(report.summary.provider == fixture.provider)
        #expect(!report.text.contains(fixture.wrongSecret) || fixture.provider == "discord")
    }

    @Test(arguments: SignedFixture.all.filter { $0.expiresAfter != nil && $0.provider != "gitlab" })
    func expiredTimestampIsInvalid(_ fixture: SignedFixture) {
        let late = fixture.timestamp + fixture.expiresAfter! + 60
        let report = verifier(fixture.provider, fixture.secret).verify(fixture.request(receivedAt: late), now: time(late))
        #expect(report.summary.status == .invalid, "\(report.text)")
        #expect(report.summary.detail.contains("too old"))
        #expect(report.summary.detail.contains("signature matches"))
    }

    @Test(arguments: SignedFixture.all)
    func missingSecretIsNoSecret(_ fixture: SignedFixture) {
        let report = SignatureVerifier(secrets: SecretBook()).verify(fixture.request())
        #expect(report.summary.status == .noSecret, "\(report.text)")
        #expect(report.summary.detail.contains(SecretBook.environmentVariable(for: report.summary.provider ?? "")))
    }

    @Test func storedCaptureStaysValidLater() {
        let fixture = SignedFixture.all.first { $0.provider == "stripe" }!
        let report = verifier("stripe", "test_secret").verify(fixture.request(receivedAt: 1_700_000_010), now: time(1_700_086_400))
        #expect(report.summary.status == .valid)
        #expect(report.text.contains("a replay of this request would be rejected as too old"))
        #expect(report.text.contains("10s old when received"))
    }

    @Test func futureTimestampIsReported() {
        let fixture = SignedFixture.all.first { $0.provider == "slack" }!
        let report = verifier("slack", "test_secret").verify(fixture.request(receivedAt: 1_700_000_000 - 1000))
        #expect(report.summary.status == .invalid)
        #expect(report.summary.detail.contains("in the future"))
        #expect(report.summary.detail.contains("16m 40s ahead"))
    }

    @Test func unsignedRequest() {
        let report = verifier("stripe", "x").verify(makeRequest(headers: [("Content-Type", "application/json")], body: "{}"))
        #expect(report.summary == .unsigned)
    }
}
