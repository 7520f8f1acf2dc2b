import Foundation
import HookCore
import Testing
@testable import HookSignatures

/// `CaptureDiff` fed with each side's signature report, as `hookscope diff` and the TUI do.
@Suite struct CaptureDiffSignatureTests {
    let stripeHeader = ("Stripe-Signature", "t=1700000000,v1=a5d9de1d23a233e086ce2cd0940311c91c3039e7d92c0d96a82fda4881746747")

    func diff(_ a: CapturedRequest, _ b: CapturedRequest, verifier: SignatureVerifier) -> CaptureDiff {
        var a = a, b = b
        a.id = 1
        b.id = 2
        let now = time(1_700_000_100)
        return CaptureDiff(a, b, signatureLines: (verifier.verify(a, now: now).lines, verifier.verify(b, now: now).lines))
    }

    @Test func stripeDeliveryAndItsReserializedTwin() {
        let stripe = verifier("stripe", "test_secret")
        let delivered = makeRequest(headers: [("Content-Type", "application/json"), stripeHeader], body: #"{"hello":"world"}"#, receivedAt: 1_700_000_005)
        let twin = makeRequest(headers: [("Content-Type", "application/json"), stripeHeader], body: "{\n  \"hello\": \"world\"\n}", receivedAt: 1_700_000_009)
        let result = diff(delivered, twin, verifier: stripe)

        // The body: the same JSON, only re-serialized.
        let body = result.differences.filter { $0.section == .body }
        #expect(body.map(\.kind) == [.whitespace])
        #expect(body.first?.note?.hasPrefix("whitespace only: the same JSON values in the same key order, re-serialized (compact → pretty-printed") == true)

        // The signature: the twin's verdict says why it fails, and it is the same re-formatting.
        let twinReport = stripe.verify(twin, now: time(1_700_000_100))
        #expect(twinReport.summary.status == .invalid)
        let verdict = result.signatureRows.first { $0.name == "verdict" }
        #expect(verdict?.differs == true)
        #expect(verdict?.a == "valid — signature matches")
        #expect(verdict?.b == "invalid — \(twinReport.summary.detail)")
        #expect(verdict?.b?.contains("whitespace between JSON tokens removed") == true)
        // Same provider, same timestamp (only its age differs), same signed string's shape.
        for name in ["provider", "timestamp", "signed string"] {
            let row = result.signatureRows.first { $0.name == name }
            #expect(row != nil && row?.differs == false, "\(name)")
        }
        #expect(result.signatureRows.first { $0.name == "timestamp" }.map { $0.a != $0.b } == true)
        let text = CaptureDiffText.terminalText(CaptureDiffText.lines(result), colour: false)
        #expect(text.contains("whitespace only"))
        #expect(text.contains("B: invalid — "))
        // The secret, and the signatures computed from it, stay out of the diff.
        #expect(!text.contains("test_secret"))
        #expect(!text.contains("expected"))
    }

    @Test func sameDeliveryTwiceIsIdentical() {
        let stripe = verifier("stripe", "test_secret")
        let first = makeRequest(headers: [stripeHeader], body: #"{"hello":"world"}"#, receivedAt: 1_700_000_005)
        let again = makeRequest(headers: [stripeHeader], body: #"{"hello":"world"}"#, receivedAt: 1_700_000_050)
        let result = diff(first, again, verifier: stripe)
        #expect(result.identical)
        #expect(CaptureDiffText.lines(result).count > 1)
    }

    @Test func providerAndSignedStringShapeSideBySide() {
        let github = ("X-Hub-Signature-256", "sha256=00")
        let result = diff(
            makeRequest(headers: [stripeHeader], body: "{}"),
            makeRequest(headers: [("X-GitHub-Event", "push"), github], body: "{}"),
            verifier: SignatureVerifier(secrets: SecretBook([])))
        let names = result.differences.filter { $0.section == .signature }.map(\.path)
        #expect(names.contains("provider"))
        #expect(names.contains("signed string"))
        #expect(result.signatureRows.first { $0.name == "provider" }?.b?.contains("github") == true)
    }
}
