import Foundation
import HookCore
import Testing
@testable import HookSignatures

@Suite struct ResignTests {
    static let resignable = SignedFixture.all.filter { !["discord", "sendgrid", "mailgun"].contains($0.provider) }

    @Test(arguments: resignable)
    func resignedRequestVerifiesLater(_ fixture: SignedFixture) throws {
        let v = verifier(fixture.provider, fixture.secret)
        let later = fixture.timestamp + 86_400
        let original = fixture.request()
        let headers = try v.resign(original, now: time(later)).get()
        var replayed = original
        replayed.headers = headers
        replayed.receivedAt = time(later)
        let report = v.verify(replayed, now: time(later))
        #expect(report.summary.status == .valid, "\(report.text)")
        #expect(headers.count == original.headers.count)
        #expect(headers.map(\.name) == original.headers.map(\.name))
        if fixture.expiresAfter != nil {
            // The original, replayed a day later without re-signing, is too old.
            var stale = original
            stale.receivedAt = time(later)
            #expect(v.verify(stale, now: time(later)).summary.status == .invalid)
        }
    }

    @Test func stripeHeaderShape() throws {
        let fixture = SignedFixture.all.first { $0.provider == "stripe" }!
        let headers = try verifier("stripe", "test_secret").resign(fixture.request(), now: time(1_800_000_000)).get()
        let value = headers.value(named: "Stripe-Signature") ?? ""
        #expect(value.hasPrefix("t=1800000000,v1="))
        #expect(value.count == "t=1800000000,v1=".count + 64)
    }

    @Test func twitchTimestampKeepsNanosecondFormat() throws {
        let fixture = SignedFixture.all.first { $0.provider == "twitch" }!
        let headers = try verifier("twitch", "test_secret").resign(fixture.request(), now: CaptureTime(nanosecondsSince1970: 1_800_000_000_123_456_789)).get()
        #expect(headers.value(named: "Twitch-Eventsub-Message-Timestamp") == "2027-01-15T08:00:00.123456789Z")
    }

    @Test func urlSignedSchemesSignTheReplayTarget() throws {
        let fixture = SignedFixture.all.first { $0.provider == "square" }!
        let v = verifier("square", "test_secret")
        let headers = try v.resign(fixture.request(), now: time(1_800_000_000), targetURL: "https://staging.example.org/webhook").get()
        var replayed = makeRequest(target: "/webhook", host: "staging.example.org", headers: [], body: fixture.body)
        replayed.headers += headers.filter { $0.name != "Host" }
        #expect(v.verify(replayed).summary.status == .valid)
    }

    @Test func twilioResignsForANewURL() throws {
        let original = makeRequest(target: "/myapp.php?foo=1&bar=2", host: "mycompany.com", headers: [
            ("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ], body: OfficialVectorTests.twilioForm)
        let v = verifier("twilio", "12345")
        let headers = try v.resign(original, now: time(1_800_000_000), targetURL: "https://staging.example.org/myapp.php?foo=1&bar=2").get()
        #expect(headers.value(named: "X-Twilio-Signature") != "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        var replayed = original
        replayed.headers = headers.map { $0.name == "Host" ? HeaderField("Host", "staging.example.org") : $0 }
        #expect(v.verify(replayed).summary.status == .valid)
        #expect(v.verify(original).summary.status == .valid)
    }

    /// A capture without its timestamp header (Slack, Zoom, Twitch, HubSpot v3) was re-signed over
    /// a timestamp it did not carry, so the re-signed replay never verified. The header is added.
    @Test(arguments: ["slack", "zoom", "twitch", "hubspot"])
    func aMissingTimestampHeaderIsAddedWhenReSigning(_ provider: String) throws {
        let fixture = SignedFixture.all.first { $0.provider == provider }!
        let signatureHeader = fixture.headers.first { $0.0.lowercased().contains("signature") }!
        let timestampHeader = fixture.headers.first { $0.0.lowercased().contains("timestamp") }!.0
        let original = makeRequest(target: fixture.target, headers: fixture.headers.filter { $0.0 != timestampHeader }, body: fixture.body)
        let v = verifier(provider, fixture.secret)
        let later = fixture.timestamp + 86_400
        let headers = try v.resign(original, now: time(later)).get()
        let names = headers.map { $0.name.lowercased() }
        let at = try #require(names.firstIndex(of: timestampHeader.lowercased()))
        #expect(names[at - 1] == signatureHeader.0.lowercased())
        var replayed = original
        replayed.headers = headers
        replayed.receivedAt = time(later)
        #expect(v.verify(replayed, now: time(later)).summary.status == .valid)
    }

    /// Twilio signs a JSON body through its hash in the URL, which re-signing cannot change.
    @Test func twilioRefusesWhenTheURLHashIsNotTheBodys() throws {
        let fixture = SignedFixture.all.first { $0.provider == "twilio" }!
        let edited = fixture.request(body: #"{"hello":"edited"}"#)
        let result = verifier("twilio", fixture.secret).resign(edited, now: time(1_800_000_000))
        let expected = "put bodySHA256=" + sha256Hex(Array(#"{"hello":"edited"}"#.utf8)) + " in the URL"
        #expect(throws: ResignError.self) { try result.get() }
        if case .failure(let error) = result { #expect(error.description.contains(expected), "\(error)") }
        #expect(try verifier("twilio", fixture.secret).resign(fixture.request(), now: time(1_800_000_000)).get().isEmpty == false)
    }

    /// GitLab's token is the secret itself: a capture with the wrong one cannot be fixed without
    /// writing the secret into the replay, which re-signing does not do.
    @Test func gitlabWithTheWrongTokenIsNotReSigned() throws {
        let fixture = SignedFixture.all.first { $0.provider == "gitlab" }!
        let v = verifier("gitlab", fixture.secret)
        #expect(try v.resign(fixture.request(), now: time(1_800_000_000)).get() == fixture.request().headers)
        let wrong = makeRequest(headers: [("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", "not_the_token")], body: fixture.body)
        let result = v.resign(wrong, now: time(1_800_000_000))
        if case .failure(let error) = result {
            #expect(error.description.contains("not the configured secret token"))
            #expect(!error.description.contains(fixture.secret))
        } else {
            Issue.record("re-signed a GitLab capture with the wrong token: \(result)")
        }
    }

    @Test(arguments: ["discord", "sendgrid", "mailgun"])
    func asymmetricAndBodySignedSchemesExplainWhy(_ provider: String) {
        let fixture = provider == "sendgrid"
            ? SignedFixture(provider: "sendgrid", headers: [("X-Twilio-Email-Event-Webhook-Signature", "MEUC"), ("X-Twilio-Email-Event-Webhook-Timestamp", "1")], secret: OfficialVectorTests.sendgridKey)
            : SignedFixture.all.first { $0.provider == provider }!
        let result = verifier(provider, fixture.secret).resign(fixture.request(), now: time(1_800_000_000))
        guard case .failure(let error) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.description.contains("cannot re-sign \(provider)"))
    }

    @Test func noSecretOrNoScheme() {
        let fixture = SignedFixture.all.first { $0.provider == "stripe" }!
        let none = SignatureVerifier(secrets: SecretBook())
        #expect(throws: ResignError.self) { try none.resign(fixture.request(), now: time(1)).get() }
        #expect(throws: ResignError.self) { try none.resign(makeRequest(headers: [], body: "{}"), now: time(1)).get() }
    }

    @Test func customSchemeResigns() throws {
        let scheme = CustomScheme(id: "acme", signatureHeader: "X-Acme-Signature", template: try CustomScheme.parseTemplate("{timestamp}.{body}"),
                                  prefix: "sha256=", timestampHeader: "X-Acme-Timestamp", tolerance: 60)
        let v = SignatureVerifier(secrets: SecretBook([("acme", "acme_secret_value")]), customSchemes: [scheme])
        var request = makeRequest(headers: [("X-Acme-Timestamp", "1700000000"), ("X-Acme-Signature", "sha256=00")], body: "{}")
        request.headers = try v.resign(request, now: time(1_700_000_500)).get()
        request.receivedAt = time(1_700_000_500)
        #expect(request.headers.value(named: "X-Acme-Timestamp") == "1700000500")
        #expect(v.verify(request).summary.status == .valid)
    }
}
