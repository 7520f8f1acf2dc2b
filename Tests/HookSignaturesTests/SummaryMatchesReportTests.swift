import Crypto
import Foundation
import HookCore
import Testing
@testable import HookSignatures

/// The listener stores `summary(for:)`, which skips the report lines: it must give the same verdict,
/// provider and detail as the full `verify`, whatever the outcome.
@Suite struct SummaryMatchesReportTests {
    @Test(arguments: SignedFixture.all)
    func summaryEqualsTheReportsSummary(_ fixture: SignedFixture) {
        let tampered = fixture.body.replacingOccurrences(of: "o", with: "0").replacingOccurrences(of: "2", with: "3")
        let late = fixture.timestamp + (fixture.expiresAfter ?? 0) + 60
        let shouted = fixture.headers.map { ($0.0.uppercased(), $0.1) }
        let cases: [(SignatureVerifier, CapturedRequest, CaptureTime)] = [
            (verifier(fixture.provider, fixture.secret), fixture.request(), time(fixture.timestamp + 5)),
            (verifier(fixture.provider, fixture.wrongSecret), fixture.request(), time(fixture.timestamp + 5)),
            (verifier(fixture.provider, fixture.wrongSecret, fixture.secret), fixture.request(), time(fixture.timestamp + 5)),
            (verifier(fixture.provider, fixture.secret), fixture.request(body: tampered), time(fixture.timestamp + 5)),
            (verifier(fixture.provider, fixture.secret), fixture.request(receivedAt: late), time(late)),
            (verifier(fixture.provider, fixture.secret), fixture.request(receivedAt: fixture.timestamp - 3600), time(fixture.timestamp)),
            (SignatureVerifier(secrets: SecretBook()), fixture.request(), time(fixture.timestamp + 5)),
            (SignatureVerifier(secrets: SecretBook()), makeRequest(target: fixture.target, headers: shouted, body: fixture.body, receivedAt: fixture.timestamp), time(fixture.timestamp)),
            (verifier(fixture.provider, fixture.secret), makeRequest(target: fixture.target, headers: shouted, body: fixture.body, receivedAt: fixture.timestamp), time(fixture.timestamp)),
        ]
        for (index, (verifier, request, now)) in cases.enumerated() {
            let report = verifier.verify(request, now: now)
            #expect(verifier.summary(for: request, now: now) == report.summary, "case \(index): \(report.text)")
        }
    }

    @Test func headerDetectionIgnoresCaseAndNeedsTheWholeName() {
        let verifier = SignatureVerifier(secrets: SecretBook())
        let upper = makeRequest(headers: [("STRIPE-SIGNATURE", "t=1,v1=00")], body: "{}")
        #expect(verifier.summary(for: upper).provider == "stripe")
        let longer = makeRequest(headers: [("Stripe-Signature-X", "t=1,v1=00"), ("X-Stripe-Signature", "t=1,v1=00")], body: "{}")
        #expect(verifier.summary(for: longer) == .unsigned)
    }
}
