import Foundation
import HookCore
import Testing
@testable import HookSignatures

@Suite struct DetectionTests {
    let hex = "b7b1e7e190c7aace9efb076f2394f2408bf389ed0398c526b97101ab2c84fed3"
    let body = #"{"hello":"world"}"#

    @Test func hubSignature256WithGitHubEventIsGitHub() {
        let request = makeRequest(headers: [("X-GitHub-Event", "push"), ("X-Hub-Signature-256", "sha256=" + hex)], body: body)
        #expect(SignatureVerifier(secrets: SecretBook()).verify(request).summary.provider == "github")
    }

    @Test func hubSignature256AloneIsMeta() {
        let request = makeRequest(headers: [("X-Hub-Signature-256", "sha256=" + hex)], body: body)
        let report = SignatureVerifier(secrets: SecretBook()).verify(request)
        #expect(report.summary.provider == "meta")
        #expect(report.text.contains("also possible from the headers: github (no secret configured)"))
        let both = SignatureVerifier(secrets: SecretBook([("meta", "nope_nope_nope"), ("github", "nada_nada_nada")])).verify(request)
        #expect(both.summary.status == .invalid)
        #expect(both.text.contains("github (their secrets do not verify either)"))
    }

    @Test func theSecretThatVerifiesDecides() {
        // GitHub-looking headers, but only the Meta secret verifies: Meta wins.
        let request = makeRequest(headers: [("X-GitHub-Event", "push"), ("X-Hub-Signature-256", "sha256=" + hex)], body: body)
        let book = SecretBook([("github", "not_the_secret"), ("meta", "test_secret")])
        let report = SignatureVerifier(secrets: book).verify(request)
        #expect(report.summary.provider == "meta")
        #expect(report.summary.status == .valid)
    }

    @Test func legacyHubSignature() {
        let sha1 = "sha1=3cf4f6de54c71fe21f03b5918c4b48bb83e3897a"
        let none = SignatureVerifier(secrets: SecretBook())
        #expect(none.verify(makeRequest(headers: [("X-Hub-Signature", sha1)], body: body)).summary.provider == "intercom")
        #expect(none.verify(makeRequest(headers: [("X-GitHub-Event", "push"), ("X-Hub-Signature", sha1)], body: body)).summary.provider == "github")
        #expect(none.verify(makeRequest(headers: [("X-Event-Key", "repo:push"), ("X-Hub-Signature", "sha256=" + hex)], body: body)).summary.provider == "bitbucket")
        let github = verifier("github", "test_secret").verify(makeRequest(headers: [("X-Hub-Signature", sha1)], body: body))
        #expect(github.summary.provider == "github")
        #expect(github.summary.status == .valid)
    }

    @Test func unbrandedWebhookHeadersFromGitLab() {
        let sig = hmacBase64(Array("gl-signing-token".utf8), "id1.1700000000." + body)
        let request = makeRequest(headers: [("X-Gitlab-Event", "Push Hook"), ("webhook-id", "id1"), ("webhook-timestamp", "1700000000"), ("webhook-signature", "v1," + sig)], body: body)
        let report = verifier("gitlab", "gl-signing-token").verify(request)
        #expect(report.summary.provider == "gitlab")
        #expect(report.summary.status == .valid)
    }

    @Test func pinnedPathOverridesDetection() {
        let request = makeRequest(target: "/hooks/fb", headers: [("X-GitHub-Event", "push"), ("X-Hub-Signature-256", "sha256=" + hex)], body: body)
        let pins = [try! ProviderPin.parse("/hooks/fb=meta")]
        let report = SignatureVerifier(secrets: SecretBook([("github", "test_secret"), ("meta", "test_secret")]), pins: pins).verify(request)
        #expect(report.summary.provider == "meta")
        #expect(report.summary.status == .valid)
    }

    @Test func pinnedProviderWithoutItsHeader() {
        let request = makeRequest(target: "/hooks/stripe/x", headers: [("X-Hub-Signature-256", "sha256=" + hex)], body: body)
        let report = SignatureVerifier(secrets: SecretBook([("stripe", "sk")]), pins: [ProviderPin(pathPrefix: "/hooks/stripe", provider: "stripe")]).verify(request)
        #expect(report.summary.provider == "stripe")
        #expect(report.summary.status == .unsigned)
        #expect(report.summary.detail.contains("Stripe-Signature"))
    }

    @Test func pinParsing() throws {
        #expect(throws: SecretError.self) { try ProviderPin.parse("hooks=stripe") }
        #expect(throws: SecretError.self) { try ProviderPin.parse("/hooks=nosuch") }
        #expect(try ProviderPin.parse("/a=b=stripe").pathPrefix == "/a=b")
    }

    @Test func mailgunDetectedFromBody() {
        let fixture = SignedFixture.all.first { $0.provider == "mailgun" }!
        #expect(SignatureVerifier(secrets: SecretBook()).verify(fixture.request()).summary.provider == "mailgun")
    }

    @Test func headerNamesAreCaseInsensitive() {
        let request = makeRequest(headers: [("stripe-signature", "t=1700000000,v1=a5d9de1d23a233e086ce2cd0940311c91c3039e7d92c0d96a82fda4881746747")], body: body)
        #expect(verifier("stripe", "test_secret").verify(request).summary.status == .valid)
    }

    @Test func catalogCoversEverySpecID() {
        let spec = ["standardwebhooks", "svix", "clerk", "resend", "stripe", "github", "slack", "shopify", "twilio", "discord", "paddle",
                    "square", "zoom", "twitch", "linear", "mailgun", "sendgrid", "intercom", "gitlab", "bitbucket", "typeform", "hubspot",
                    "pagerduty", "calendly", "razorpay", "meta", "vercel", "sentry", "trello", "dropbox", "mollie", "coinbase"]
        #expect(ProviderCatalog.ids == spec)
        for id in spec { #expect(!Candidate.defaults(for: id).isEmpty, "\(id) has no scheme") }
    }
}
