import Foundation
import HookCore
import HookStore
import Testing
import TermUI
@testable import HookApp

/// The EVENT column, the retry marker and the detail's attempts of a delivery.
@Suite struct DeliveryScreenTests {
    /// A GitHub delivery retried twice (at +4.1 s and +20.3 s), a Stripe event whose type holds an
    /// escape sequence, and a capture no provider names.
    static func delivery(_ n: Int, milliseconds: Int64, status: Int = 500) -> CapturedRequest {
        var request = Sample.request(
            "/github", body: #"{"action":"opened"}"#,
            headers: [HeaderField("X-GitHub-Event", "issues"), HeaderField("X-GitHub-Delivery", "72d3162e-cc78")], status: status,
            signature: SignatureSummary(provider: "github", status: .valid, detail: "signature matches"))
        request.receivedAt.nanosecondsSince1970 += 10_000_000_000 + milliseconds * 1_000_000
        request.event = "issues.opened"
        request.deliveryID = "72d3162e-cc78"
        return request
    }

    static func store() async throws -> InMemoryRequestStore {
        var stripe = Sample.request("/stripe", signature: SignatureSummary(provider: "stripe", status: .noSecret, detail: "no secret for stripe"))
        stripe.event = "invoice.paid\u{1b}[2J"
        stripe.deliveryID = "evt_1"
        return try await Sample.store([
            stripe,
            Sample.request("/plain", second: 1),
            delivery(1, milliseconds: 0),
            delivery(2, milliseconds: 4_100),
            delivery(3, milliseconds: 20_300, status: 200),
        ])
    }

    @Test func eventColumnAndAttemptsAt120x40() async throws {
        let h = await AppHarness(store: try await Self.store(), size: Size(width: 120, height: 40))
        try Snapshot.check(h.screen(), named: "deliveries_120x40", expected: Snapshots.deliveries_120x40)
    }

    @Test func eventColumnAndAttemptsAt80x24() async throws {
        let h = await AppHarness(store: try await Self.store())
        try Snapshot.check(h.screen(), named: "deliveries_80x24", expected: Snapshots.deliveries_80x24)
    }

    @Test func theAttemptsLineNamesEachAttemptsTimeSinceTheFirst() async throws {
        var h = await AppHarness(store: try await Self.store(), size: Size(width: 120, height: 40))
        #expect(h.screenText().contains("attempt 3 of 3 · +0s, +4.1s, +20.3s"), "\(h.screenText())")
        // The first attempt: the same delivery, seen from its start.
        await h.type("kk")
        #expect(h.screenText().contains("attempt 1 of 3 · +0s, +4.1s, +20.3s"), "\(h.screenText())")
        // Another attempt arrives while the delivery is on show (not followed): its list grows.
        await h.type("jj")
        try await h.capture(Self.delivery(4, milliseconds: 80_300))
        #expect(h.screenText().contains("attempt 3 of 4 · +0s, +4.1s, +20.3s, +1m20s"), "\(h.screenText())")
        #expect(h.screenText().contains("×4 issues.opened"), "\(h.screenText())")
    }

    @Test func aCaptureWithoutEventsShowsNoEventColumn() async throws {
        let h = await AppHarness(store: try await Sample.store([Sample.request("/plain")]), size: Size(width: 120, height: 40))
        #expect(!h.screenText().contains("EVENT"))
        #expect(!h.screenText().contains("attempt 1"))
    }

    @Test func theRetriesFilter() async throws {
        var h = await AppHarness(store: try await Self.store(), size: Size(width: 120, height: 40))
        await h.type("/attempt:2-<enter>")
        let rows = h.screen().filter { $0.contains("hh:mm:ss.mmm POST") }
        #expect(rows.count == 2, "\(rows)")
        #expect(rows.allSatisfy { $0.contains("×") }, "\(rows)")
        await h.type("/" + String(repeating: "<bs>", count: 10) + "event:invoice.*<enter>")
        #expect(h.screenText().contains("1 of 5"), "\(h.screenText())")
    }
}
