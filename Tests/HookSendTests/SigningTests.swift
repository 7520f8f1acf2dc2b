import Foundation
import HookCore
import HookSignatures
import Testing

@testable import HookSend

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
