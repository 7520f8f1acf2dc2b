import Foundation
import HookCore
import HookSignatures
import Testing

@testable import HookSend

/// A secret per provider with a sample, in the form each provider issues them.
let sampleSecrets: [String: String] = [
    "stripe": "whsec_test_secret",
    "github": "It's a Secret to Everybody",
    "shopify": "hush",
    "slack": "8f742231b10e8888abcd99yyyzzz85a5",
    "standardwebhooks": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "svix": "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    "twilio": "12345",
    "paddle": "pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI",
    "linear": "lin_wh_secret",
]

func verifier(_ entries: [(String, String)]) -> SignatureVerifier {
    SignatureVerifier(secrets: SecretBook(entries.map { (provider: $0.0, secret: $0.1) }))
}

@Suite struct SampleTests {
    @Test func everySampleHasAProviderSecretHereOrIsTheGenericOne() {
        for sample in Samples.all {
            if let provider = sample.provider {
                #expect(sampleSecrets[provider] != nil, "\(sample.name)")
                #expect(sample.name.hasPrefix(provider + "/"))
            } else {
                #expect(sample.name == "generic/json")
            }
        }
        #expect(Set(Samples.all.map(\.name)).count == Samples.all.count)
    }

    /// The issue's list: these must exist.
    @Test func theListedEventsAreThere() {
        for name in [
            "stripe/payment_intent.succeeded", "stripe/invoice.paid", "stripe/checkout.session.completed",
            "stripe/customer.subscription.updated", "github/push", "github/pull_request.opened", "github/issues.opened",
            "github/ping", "shopify/orders/create", "shopify/app/uninstalled", "slack/event_callback", "slack/url_verification",
            "standardwebhooks/invoice.paid", "svix/user.created", "twilio/sms.incoming", "paddle/transaction.completed",
            "linear/issue.create", "generic/json",
        ] {
            #expect(Samples.named(name) != nil, "\(name)")
        }
    }

    /// Every JSON sample renders to JSON, with no placeholder left, and two deliveries differ in
    /// their ids.
    @Test(arguments: Samples.all.map(\.name))
    func rendersToValidJSONWithFreshIDs(_ name: String) throws {
        let sample = try #require(Samples.named(name))
        let builder = DeliveryBuilder(
            source: DeliverySource(sample: sample), verifier: verifier(sampleSecrets.map { ($0.key, $0.value) }),
            targetURL: "http://127.0.0.1:9777/\(sample.provider ?? "hook")")
        let first = try builder.make(n: 1).get()
        let second = try builder.make(n: 2).get()
        #expect(first.deliveryID != second.deliveryID)
        let text = String(decoding: first.request.body, as: UTF8.self)
        #expect(!text.contains("{{"), "\(text)")
        for field in first.request.headers { #expect(!field.value.contains("{{"), "\(field.name): \(field.value)") }
        #expect(text.contains(first.deliveryID) || first.request.headers.contains { $0.value == first.deliveryID } || name == "slack/url_verification")
        if first.request.headers.value(named: "Content-Type")?.hasPrefix("application/json") == true {
            #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: first.request.body) }
        }
    }
}

@Suite struct SigningTests {
    /// Signed with a provider's secret, every sample verifies `valid` with that secret in a
    /// verifier of its own, and `invalid` with another.
    @Test(arguments: Samples.all.filter { $0.provider != nil }.map(\.name))
    func aSignedSampleVerifiesWithItsSecretOnly(_ name: String) throws {
        let sample = try #require(Samples.named(name))
        let provider = try #require(sample.provider)
        let secret = try #require(sampleSecrets[provider])
        let now = CaptureTime.now()
        let builder = DeliveryBuilder(
            source: DeliverySource(sample: sample), verifier: verifier([(provider, secret)]),
            targetURL: "http://127.0.0.1:9777/\(provider)")
        let delivery = try builder.make(n: 1, now: now).get()
        let right = verifier([(provider, secret)]).summary(for: delivery.request, now: now)
        #expect(right.status == .valid, "\(right.detail)")
        #expect(right.provider == provider)
        let otherSecret = provider == "standardwebhooks" || provider == "svix" ? "whsec_dGhlIG90aGVyIHNlY3JldCBvZiAzMiBieXRlcyE=" : secret + "x"
        let wrong = verifier([(provider, otherSecret)]).summary(for: delivery.request, now: now)
        #expect(wrong.status == .invalid, "\(wrong.detail)")
    }

    /// Without a secret for the provider nothing is built, and the message says where secrets come from.
    @Test func withoutASecretItRefusesAndSaysWhere() throws {
        let sample = try #require(Samples.named("stripe/invoice.paid"))
        let builder = DeliveryBuilder(source: DeliverySource(sample: sample), verifier: verifier([("github", "x")]), targetURL: "http://127.0.0.1:1/")
        guard case .failure(let error) = builder.make(n: 1) else {
            Issue.record("signed without a secret")
            return
        }
        #expect(error.description.contains("--secret stripe="))
        #expect(error.description.contains("HOOKSCOPE_SECRET_STRIPE"))
    }

    /// A body of one's own in a provider's envelope, also for a provider without a sample (its
    /// scheme's headers), is signed so that it verifies; the bytes are sent as they are.
    @Test(arguments: ["stripe", "zoom", "twitch", "calendly", "bitbucket"])
    func anOwnBodyIsSignedInTheProvidersEnvelope(_ provider: String) throws {
        let body = Data(#"{"type":"custom.event","note":"{{uuid}} stays as written"}"#.utf8)
        let signer = verifier([(provider, "own-secret")])
        let source = try DeliverySource(body: body, provider: provider, verifier: signer)
        let now = CaptureTime.now()
        let delivery = try DeliveryBuilder(source: source, verifier: signer, targetURL: "http://127.0.0.1:9777/x").make(n: 1, now: now).get()
        #expect(delivery.request.body == body)
        let check = signer.summary(for: delivery.request, now: now)
        #expect(check.status == .valid, "\(check.detail)")
        #expect(check.provider == provider)
    }

    @Test(arguments: ["discord", "sendgrid", "gitlab"])
    func providersHookscopeCannotSignAsAreRefusedWithAReason(_ provider: String) {
        guard case .failure(let error) = verifier([]).headersToSign(for: provider, messageID: "m") else {
            Issue.record("\(provider) gave headers")
            return
        }
        #expect(error.description.contains("cannot sign as \(provider)"))
    }

    /// `--header` replaces a header of any case in place, or adds it; it is signed over.
    @Test func extraHeadersReplaceOrAdd() throws {
        let sample = try #require(Samples.named("github/push"))
        let builder = DeliveryBuilder(
            source: DeliverySource(sample: sample), verifier: verifier([("github", "s")]), targetURL: "http://127.0.0.1:9777/github",
            extraHeaders: [HeaderField("x-github-event", "release"), HeaderField("X-Extra", "1")])
        let request = try builder.make(n: 1).get().request
        #expect(request.headers.filter { $0.name.lowercased() == "x-github-event" }.map(\.value) == ["release"])
        let names = request.headers.map(\.name)
        #expect(names.firstIndex(of: "x-github-event")! < names.firstIndex(of: "X-Hub-Signature-256")!)
        #expect(names.last == "X-Extra")
    }
}

@Suite struct BurstPlanTests {
    @Test func copiesFollowTheirDeliveryUnlessShuffled() {
        var generator = SystemRandomNumberGenerator()
        let plain = BurstPlan(count: 3, duplicates: 2).order(using: &generator)
        #expect(plain.map(\.n) == [1, 1, 1, 2, 2, 2, 3, 3, 3])
        #expect(plain.map(\.copy) == [0, 1, 2, 0, 1, 2, 0, 1, 2])
        let shuffled = BurstPlan(count: 50, duplicates: 1, shuffle: true).order(using: &generator)
        #expect(shuffled.count == 100)
        #expect(Set(shuffled.map { "\($0.n)/\($0.copy)" }).count == 100)
        #expect(shuffled.map(\.n) != plain.map(\.n))
        #expect(shuffled.map(\.n) != shuffled.map(\.n).sorted())
    }

    @Test func theSummaryCountsStatusesFailuresCopiesAndPercentiles() {
        var summary = BurstSummary()
        for (n, ms) in (1...100).map({ ($0, Int64($0)) }) {
            summary.add(SendResult(n: n, copy: 0, deliveryID: "d\(n)", status: 200, error: nil, failure: nil, durationNanoseconds: ms * 1_000_000))
        }
        summary.add(SendResult(n: 1, copy: 1, deliveryID: "d1", status: 200, error: nil, failure: nil, durationNanoseconds: 1))
        summary.add(SendResult(n: 2, copy: 1, deliveryID: "d2", status: 409, error: nil, failure: nil, durationNanoseconds: 1))
        #expect(summary.copies == 2)
        #expect(summary.copiesAnswered2xx == 1)
        #expect(!summary.allAnswered2xx)
        #expect(summary.statuses == [200: 101, 409: 1])
        #expect(summary.percentile(50) == 49_000_000)
        #expect(summary.percentile(99) == 99_000_000)  // rank ⌈0.99 × 102⌉ = 101 of the sorted 102
        summary.add(SendResult(n: 3, copy: 1, deliveryID: "d3", status: nil, error: "connection refused", failure: .refused, durationNanoseconds: 1))
        #expect(summary.failures == [.refused: 1])
        #expect(summary.deliveries.count == 100)
    }
}

@Suite struct TemplateTests {
    @Test func placeholdersAreFilledAndOthersKept() {
        var generator = SystemRandomNumberGenerator()
        let values = Template.Values(deliveryID: "evt_1", now: Date(timeIntervalSince1970: 1_700_000_000.25))
        let text = Template("{{delivery_id}} {{now}} {{now_ms}} {{now_iso}} {{hex:4}} {{digits:3}} {{unknown}} {{hex:999}} {{").render(values, using: &generator)
        let parts = text.split(separator: " ")
        #expect(parts[0] == "evt_1")
        #expect(parts[1] == "1700000000")
        #expect(parts[2] == "1700000000250")
        #expect(parts[3] == "2023-11-14T22:13:20Z")
        #expect(parts[4].count == 4 && parts[4].allSatisfy(\.isHexDigit))
        #expect(parts[5].count == 3 && parts[5].allSatisfy(\.isNumber))
        #expect(parts[6] == "{{unknown}}")
        #expect(parts[7] == "{{hex:999}}")
        #expect(parts[8] == "{{")
        let uuid = Template("{{uuid}}").render(values, using: &generator)
        #expect(UUID(uuidString: uuid) != nil)
        #expect(uuid == uuid.lowercased())
    }
}

/// What a listener reads back from a sent delivery: the provider's event type and delivery id,
/// where that provider puts them.
@Suite struct DeliveryIdentityTests {
    @Test(arguments: Samples.all.filter { $0.provider != nil }.map(\.name))
    func aSentSampleIsRecognisedByItsEventAndDeliveryID(_ name: String) throws {
        let sample = try #require(Samples.named(name))
        let provider = try #require(sample.provider)
        let delivery = try DeliveryBuilder(
            source: DeliverySource(sample: sample), verifier: verifier([(provider, sampleSecrets[provider]!)]),
            targetURL: "http://127.0.0.1:9777/\(provider)"
        ).make(n: 1).get()
        let identity = DeliveryIdentity.of(delivery.request, provider: provider)
        let expectedEvent: String? = switch name {
        case "slack/event_callback": "app_mention"
        case "linear/issue.create": "Issue.create"
        case "twilio/sms.incoming": nil
        default: sample.event
        }
        #expect(identity.event == expectedEvent)
        switch name {
        case "slack/url_verification": #expect(identity.deliveryID == nil)
        case "twilio/sms.incoming": #expect(identity.deliveryID == delivery.request.headers.value(named: "I-Twilio-Idempotency-Token"))
        default: #expect(identity.deliveryID == delivery.deliveryID)
        }
    }

    @Test func otherBodiesAndProvidersGiveNothingOrTheirHeaders() {
        let request = CapturedRequest(
            receivedAt: CaptureTime(nanosecondsSince1970: 0), method: "POST", rawTarget: Array("/x".utf8),
            headers: [HeaderField("X-Delivery-Id", "d-1")], remoteAddress: "127.0.0.1:1", body: Data("not json".utf8),
            response: CapturedResponse(status: 200))
        #expect(DeliveryIdentity.of(request, provider: "stripe") == DeliveryIdentity())
        #expect(DeliveryIdentity.of(request, provider: nil) == DeliveryIdentity(deliveryID: "d-1"))
    }
}
