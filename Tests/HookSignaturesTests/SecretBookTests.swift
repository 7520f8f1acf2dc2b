import Foundation
import HookCore
import Testing
@testable import HookSignatures

@Suite struct SecretBookTests {
    @Test func parseFlagAcceptsKnownAndCustomIDs() throws {
        let parsed = try SecretBook.parseFlag("stripe=whsec_abc=def")
        #expect(parsed.provider == "stripe")
        #expect(parsed.secret == "whsec_abc=def")
        #expect(try SecretBook.parseFlag("GitHub=x").provider == "github")
        #expect(try SecretBook.parseFlag("acme=s3cret", extraIDs: ["acme"]).provider == "acme")
    }

    @Test(arguments: ["stripe", "nosuch=hunter2hunter2", "=hunter2hunter2", "stripe="])
    func parseFlagRejectsBadValuesWithoutEchoingTheSecret(_ value: String) {
        do {
            _ = try SecretBook.parseFlag(value)
            Issue.record("expected an error for \(value)")
        } catch let error as SecretError {
            #expect(!error.description.contains("hunter2"))
            #expect(!error.description.contains("\n"))
            #expect(!error.description.isEmpty)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func unknownProviderListsKnownIDs() {
        #expect(throws: SecretError.self) { try SecretBook.parseFlag("acme=x") }
        let message = (try? SecretBook.parseFlag("acme=x")).map { _ in "" } ?? {
            do { _ = try SecretBook.parseFlag("acme=x"); return "" } catch { return "\(error)" }
        }()
        #expect(message.contains("unknown provider 'acme'"))
        #expect(message.contains("stripe"))
    }

    @Test func environmentWithRotationSuffixes() {
        let env = [
            "HOOKSCOPE_SECRET_STRIPE": "whsec_one", "HOOKSCOPE_SECRET_STRIPE_2": "whsec_two",
            "HOOKSCOPE_SECRET_GITHUB_3": "gh3", "HOOKSCOPE_SECRET_ACME": "acme-secret", "OTHER": "x",
        ]
        let book = SecretBook.fromEnvironment(env, knownIDs: ProviderCatalog.ids + ["acme"])
        #expect(book.secrets(for: "stripe") == ["whsec_one", "whsec_two"])
        #expect(book.secrets(for: "github") == ["gh3"])
        #expect(book.secrets(for: "acme") == ["acme-secret"])
        #expect(book.secrets(for: "slack").isEmpty)
        #expect(SecretBook.environmentVariable(for: "my-scheme") == "HOOKSCOPE_SECRET_MY_SCHEME")
    }

    @Test func mergingKeepsReceiverFirst() {
        let flags = SecretBook([("stripe", "from_flag"), ("github", "gh")])
        let env = SecretBook([("stripe", "from_env"), ("stripe", "from_flag"), ("slack", "sl")])
        let merged = flags.merging(env)
        #expect(merged.secrets(for: "stripe") == ["from_flag", "from_env"])
        #expect(merged.secrets(for: "slack") == ["sl"])
        #expect(merged.secrets(for: "github") == ["gh"])
    }

    @Test func masking() {
        #expect(maskSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == "whsec_…LaSw")
        #expect(maskSecret("pdl_ntf_01hbpjmytsa32fhr36nqgc3kgb_WvRO0eL4Bj9rgYYIBZY6wZhG4EHy9jzh") == "pdl_ntf_…9jzh")
        #expect(maskSecret("8f742231b10e8888abcd99yyyzzz85a5") == "…85a5")
        #expect(maskSecret("short") == "(5 chars)")
    }

    @Test func noReportLineContainsAConfiguredSecret() {
        let secrets = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "a-fairly-long-signing-secret-1234"]
        for fixture in SignedFixture.all {
            let book = SecretBook(secrets.map { (fixture.provider, $0) } + [(fixture.provider, fixture.secret)])
            for body in [fixture.body, fixture.body + "\n"] {
                let report = SignatureVerifier(secrets: book).verify(fixture.request(body: body))
                for secret in secrets + (fixture.provider == "discord" ? [] : [fixture.secret]) {
                    #expect(!report.text.contains(secret), "\(fixture.provider) leaks a secret")
                    #expect(!report.summary.detail.contains(secret))
                }
            }
        }
    }
}

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
