import Foundation
import HookCore
import HookTestSupport
import Testing
@testable import HookSignatures

/// A sender's timestamp can be any number. One past the year 2262 (where nanoseconds since 1970
/// leave Int64) crashed every verdict with report lines: `hookscope verify`, and the TUI as soon
/// as it showed the capture, so the interactive listener died at once and at every start after.
@Suite struct FarTimestampTests {
    @Test(arguments: SignedFixture.all.filter { $0.expiresAfter != nil && $0.provider != "gitlab" })
    func timestampsPastTheYear2262AreReportedNotFatal(_ fixture: SignedFixture) {
        let original = String(fixture.timestamp)
        let carriesIt = fixture.headers.contains { $0.1.contains(original) } || fixture.body.contains(original)
        guard carriesIt else { return }  // an RFC 3339 timestamp has four digits of year at most
        for far in ["99999999999999", "9223372036854775807"] {
            let headers = fixture.headers.map { ($0.0, $0.1.replacingOccurrences(of: original, with: far)) }
            let body = fixture.body.replacingOccurrences(of: original, with: far)
            let request = makeRequest(target: fixture.target, headers: headers, body: body, receivedAt: fixture.timestamp)
            let verifier = verifier(fixture.provider, fixture.secret)
            let report = verifier.verify(request, now: time(fixture.timestamp + 5))
            #expect(report.summary.status == .invalid, "\(report.text)")
            // Int64.max seconds, or HubSpot's milliseconds past Int64: not a time at all.
            let unreadable = report.text.contains("cannot be read as a time") && far.count == 19
            #expect(unreadable || report.text.contains("after the year 2262"), "\(report.text)")
            #expect(unreadable || report.text.contains("in the future when received"), "\(report.text)")
            #expect(!report.text.contains("a replay would still be inside the tolerance"), "\(report.text)")
            #expect(verifier.summary(for: request, now: time(fixture.timestamp + 5)) == report.summary)
        }
    }

    /// An imported capture can say it arrived at any time from 1677 on: one from before 1970 with
    /// a timestamp near Int64.max made `received - timestamp` overflow (found by reading the code
    /// after the crash above); `hookscope listen` then crashed at every start once the catch-up
    /// looked at it. Verifying, the stored verdict and re-signing must all cope.
    @Test(arguments: SignedFixture.all.filter { $0.expiresAfter != nil && $0.provider != "gitlab" })
    func capturesFromBefore1970WithAnyTimestampAreReported(_ fixture: SignedFixture) {
        let original = String(fixture.timestamp)
        guard fixture.headers.contains(where: { $0.1.contains(original) }) || fixture.body.contains(original) else { return }
        for far in ["9223372036854775807", "0", "1"] {
            for receivedAt: Int64 in [-1, -60, -9_223_372_036] {
                let headers = fixture.headers.map { ($0.0, $0.1.replacingOccurrences(of: original, with: far)) }
                let body = fixture.body.replacingOccurrences(of: original, with: far)
                let request = makeRequest(target: fixture.target, headers: headers, body: body, receivedAt: receivedAt)
                let verifier = verifier(fixture.provider, fixture.secret)
                let report = verifier.verify(request, now: time(receivedAt))
                #expect(verifier.summary(for: request, now: time(receivedAt)) == report.summary, "\(report.text)")
                #expect(report.text.contains("timestamp"), "\(report.text)")
                _ = verifier.resign(request, now: time(1_800_000_000))
            }
        }
    }
}
