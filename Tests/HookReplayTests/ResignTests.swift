import Foundation
import HookCore
import HookReplay
import HookSignatures
import Synchronization
import Testing

@Suite("Re-signed replays verify at the target")
struct ResignTests {
    static let stripeSecret = "whsec_test_0123456789abcdef"
    static let standardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    @Test("Stripe: a stale capture re-signed now verifies; the original does not")
    func stripe() async throws {
        let verifier = SignatureVerifier(secrets: SecretBook([(provider: "stripe", secret: Self.stripeSecret)]))
        let body = Array(#"{"id":"evt_1","type":"charge.succeeded"}"#.utf8)
        let request = capture(
            target: "/hooks/stripe",
            headers: [
                HeaderField("Host", "old.example"), HeaderField("Content-Type", "application/json"),
                HeaderField("Stripe-Signature", "t=1600000000,v1=" + String(repeating: "ab", count: 32)),
            ],
            body: body)
        #expect(verifier.verify(request, now: .now()).summary.status == .invalid)
        try await roundTrip(request, verifier: verifier, signatureHeaders: ["Stripe-Signature"])
    }

    @Test("Standard Webhooks: a stale capture re-signed now verifies")
    func standardWebhooks() async throws {
        let verifier = SignatureVerifier(secrets: SecretBook([(provider: "standardwebhooks", secret: Self.standardSecret)]))
        let body = Array(#"{"type":"user.created","data":{"id":1}}"#.utf8)
        let request = capture(
            target: "/hooks/std",
            headers: [
                HeaderField("webhook-id", "msg_2Lq1"), HeaderField("webhook-timestamp", "1600000000"),
                HeaderField("webhook-signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
                HeaderField("Content-Type", "application/json"),
            ],
            body: body)
        #expect(verifier.verify(request, now: .now()).summary.status == .invalid)
        try await roundTrip(request, verifier: verifier, signatureHeaders: ["webhook-timestamp", "webhook-signature"])
    }

    func roundTrip(_ request: CapturedRequest, verifier: SignatureVerifier, signatureHeaders: Set<String>) async throws {
        let server = RecordingServer()
        let port = try await server.start()
        let replayer = HTTPReplayer()
        let attempt = await replayer.replay(request, to: "http://127.0.0.1:\(port)", options: ReplayOptions(resign: true, verifier: verifier))
        await replayer.shutdown()
        await server.stop()
        #expect(attempt.error == nil)
        #expect(attempt.resigned)
        #expect(signatureHeaders.isSubset(of: Set(attempt.changedHeaders)))
        let received = RawHTTP.capture(try #require(server.requests.first))
        #expect(received.body == request.body)
        let report = verifier.verify(received, now: .now())
        #expect(report.summary.status == .valid, "\(report.summary.detail)")
    }

    @Test("without a secret nothing is sent and the error says why, without secrets")
    func noSecret() async throws {
        let server = RecordingServer()
        let port = try await server.start()
        let replayer = HTTPReplayer()
        let verifier = SignatureVerifier(secrets: SecretBook([(provider: "github", secret: "gh-secret-value")]))
        let request = capture(headers: [HeaderField("Stripe-Signature", "t=1600000000,v1=00")], body: Array("{}".utf8))
        let attempt = await replayer.replay(request, to: "http://127.0.0.1:\(port)", options: ReplayOptions(resign: true, verifier: verifier))
        await replayer.shutdown()
        await server.stop()
        #expect(attempt.response == nil)
        #expect(attempt.error?.contains("no secret for stripe") == true)
        #expect(attempt.error?.contains("gh-secret-value") == false)
        #expect(attempt.failure == .unsent)
        #expect(server.requests.isEmpty)
    }
}
