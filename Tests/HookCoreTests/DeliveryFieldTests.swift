import Foundation
import Testing
@testable import HookCore

/// The `event:`, `delivery:` and `attempt:` filter fields, the JSON fields and the attempts line.
@Suite struct DeliveryFieldTests {
    func capture(event: String?, delivery: String?, attempt: Int) -> CapturedRequest {
        var request = makeRequest(text: "{}")
        request.event = event
        request.deliveryID = delivery
        request.attempt = attempt
        return request
    }

    @Test(arguments: [
        ("event:issues.opened", true, false, false),
        ("event:issues.*", true, false, false),
        ("event:*.opened", true, false, false),
        ("event:*", true, true, false),            // any event; a capture without one has none to match
        ("event:Issues.*", false, false, false),   // case-sensitive
        ("event:issues", false, false, false),     // the whole type, not a part of it
        ("event:payment_intent.*eeded", false, true, false),
        ("-event:issues.*", false, true, true),
        ("delivery:d-1", true, false, false),
        ("delivery:d-", false, false, false),      // exactly, not a prefix
        ("-delivery:d-1", false, true, true),
        ("attempt:1", true, false, false),
        ("attempt:2", false, true, false),
        ("attempt:2-", false, true, true),
        ("attempt:3-", false, false, true),
        ("attempt:1-2", true, true, false),
        ("event:payment_intent.succeeded attempt:2-", false, true, false),
    ])
    func filtersDecideFromTheSummary(filter: String, first: Bool, retry: Bool, third: Bool) throws {
        let parsed = try RequestFilter.parse(filter)
        let captures = [
            capture(event: "issues.opened", delivery: "d-1", attempt: 1),
            capture(event: "payment_intent.succeeded", delivery: "evt_1", attempt: 2),
            capture(event: nil, delivery: "tok", attempt: 5),
        ]
        #expect(captures.map { parsed.matches($0) } == [first, retry, third])
        // Decidable from the summary alone: the list filters without reading bodies.
        #expect(captures.map { parsed.matchesSummary($0.summary) } == [first, retry, third])
    }

    @Test(arguments: ["attempt:0", "attempt:x", "attempt:-2", "attempt:3-1", "attempt:2-x", "attempt:", "event:", "delivery:"])
    func badValuesAreFilterErrors(filter: String) {
        #expect(throws: FilterError.self) { try RequestFilter.parse(filter) }
    }

    @Test func theFieldsAreListedInTheUnknownFieldMessage() {
        #expect(throws: FilterError.self) { try RequestFilter.parse("evnt:x") }
        do {
            _ = try RequestFilter.parse("evnt:x")
        } catch {
            #expect(error.description.contains("event:, delivery:, attempt:"), "\(error)")
        }
    }

    @Test(arguments: [
        ("a*b*c", "abc", true), ("a*b*c", "axxbyyc", true), ("a*b*c", "acb", false), ("*", "", true),
        ("", "", true), ("", "x", false), ("a**", "a", true), ("*x", "xxx", true), ("é*", "éclair", true),
        ("a?c", "abc", false), ("a[b]c", "abc", false),  // only `*` is special
    ])
    func globsMatchOnlyWithStar(glob: String, text: String, expected: Bool) {
        #expect(RequestFilter.globMatches(text, glob) == expected)
    }

    @Test func jsonCarriesEventDeliveryIDAndAttempt() throws {
        let line = CaptureJSON.line(for: capture(event: "issues.opened\u{1b}[31m", delivery: "72d3162e", attempt: 3))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["event"] as? String == "issues.opened\u{1b}[31m")
        #expect(object["delivery_id"] as? String == "72d3162e")
        #expect(object["attempt"] as? Int == 3)
        #expect(!line.contains("\u{1b}"), "the escape is written as \\u001b")
        let none = CaptureJSON.line(for: makeRequest(text: "{}"))
        let plain = try #require(try JSONSerialization.jsonObject(with: Data(none.utf8)) as? [String: Any])
        #expect(plain["event"] is NSNull)
        #expect(plain["delivery_id"] is NSNull)
        #expect(plain["attempt"] as? Int == 1)
    }

    @Test func harKeepsTheIdentityForAnImport() throws {
        let request = capture(event: "orders/create", delivery: "b54557e4", attempt: 2)
        let data = try HARExporter.data(for: [request], baseURL: nil)
        let imported = try #require(try HARImporter.requests(from: data).first)
        #expect(imported.event == "orders/create")
        #expect(imported.deliveryID == "b54557e4")
        #expect(imported.attempt == 1, "the importing store numbers the attempts")
    }

    @Test func theAttemptsLineShowsTheBackoffSchedule() {
        func summary(_ id: Int64, after nanoseconds: Int64) -> RequestSummary {
            RequestSummary(
                id: id, receivedAt: CaptureTime(nanosecondsSince1970: 1_700_000_000_000_000_000 + nanoseconds), method: "POST",
                rawTarget: [], bodySize: 0, responseStatus: 500, refusal: nil, signature: .unsigned, deliveryID: "d", attempt: Int(id))
        }
        let attempts = [summary(1, after: 0), summary(2, after: 4_120_000_000), summary(3, after: 20_300_000_000)]
        #expect(DeliveryAttempts.summary(attempt: 3, of: attempts) == "attempt 3 of 3 · +0s, +4.1s, +20.3s")
        #expect(DeliveryAttempts.summary(attempt: 1, of: [attempts[0]]) == "attempt 1 of 1")
        #expect(DeliveryAttempts.offset(nanoseconds: 302_000_000_000) == "+5m02s")
        #expect(DeliveryAttempts.offset(nanoseconds: 92_400_000) == "+92ms")
        #expect(DeliveryAttempts.offset(nanoseconds: 400_000) == "+0s")
        #expect(DeliveryAttempts.offset(nanoseconds: 7_500_000_000_000) == "+2h05m")
        let many = (1...25).map { summary(Int64($0), after: Int64($0) * 1_000_000_000) }
        #expect(DeliveryAttempts.summary(attempt: 2, of: many).hasSuffix(", … (5 more)"))
    }
}
