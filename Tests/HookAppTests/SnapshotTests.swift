import Foundation
import HookCore
import HookStore
import Testing
import TermUI
@testable import HookApp

@Suite struct SnapshotTests {
    func store() async throws -> InMemoryRequestStore {
        try await Sample.store([
            Sample.request("/hooks/stripe", headers: [HeaderField("Content-Type", "text/plain"), HeaderField("Stripe-Signature", "t=1,v1=abc")],
                           signature: SignatureSummary(provider: "stripe", status: .valid, detail: "v1 signature matches the secret")),
            Sample.request("/hooks/github?delivery=日本", method: "PUT", body: "línea uno\n\tindented 🎉\nthird",
                           signature: SignatureSummary(provider: "github", status: .invalid, detail: "X-Hub-Signature-256 does not match"), second: 1),
            Sample.request("/slack/events", status: 500, signature: SignatureSummary(provider: "slack", status: .noSecret, detail: "no secret for slack"), second: 2),
        ])
    }

    @Test func mainScreenAt120x40() async throws {
        var h = await AppHarness(store: try await store(), size: Size(width: 120, height: 40),
                                 explain: { r in ["expected header X-Hub-Signature-256", "computed sha256=… over \(r.body.count) bytes"] })
        await h.type("k")
        try Snapshot.check(h.screen(), named: "main_120x40", expected: Snapshots.main_120x40)
    }

    @Test func mainScreenAt80x24WithFilterPrompt() async throws {
        var h = await AppHarness(store: try await store())
        await h.type("/hooks")
        try Snapshot.check(h.screen(), named: "filter_80x24", expected: Snapshots.filter_80x24)
    }

    @Test func zoomedBodyAt80x24() async throws {
        var h = await AppHarness(store: try await store())
        await h.type("k<tab><tab><enter>")
        try Snapshot.check(h.screen(), named: "zoomed_body_80x24", expected: Snapshots.zoomed_body_80x24)
    }

    @Test func zoomedDiffAt80x24() async throws {
        var h = await AppHarness(store: try await DiffKeyTests.store())
        await h.type("kkmj=<enter>")
        try Snapshot.check(h.screen(), named: "diff_zoomed_80x24", expected: Snapshots.diff_zoomed_80x24)
    }

    @Test func helpAt80x24() async throws {
        var h = await AppHarness(store: try await store())
        await h.type("?")
        try Snapshot.check(h.screen(), named: "help_80x24", expected: Snapshots.help_80x24)
    }

    @Test func forwardingAt80x24() async throws {
        let store = try await store()
        _ = try await store.addReplay(ForwardColumnTests.attempt(1, status: 200, milliseconds: 4.2))
        var h = await AppHarness(store: store, forwardTarget: ForwardColumnTests.target)
        try await h.capture(Sample.request("/hooks/new", second: 3))
        await h.send(.replayRecorded(ForwardColumnTests.attempt(2, status: nil, error: "timed out after 30 s waiting for 127.0.0.1:3000", failure: .timeout, milliseconds: 30_000)))
        try Snapshot.check(h.screen(), named: "forwarding_80x24", expected: Snapshots.forwarding_80x24)
    }

    @Test func tinyTerminal() async throws {
        let h = await AppHarness(store: try await store(), size: Size(width: 39, height: 9))
        try Snapshot.check(h.screen(), named: "tiny_39x9", expected: Snapshots.tiny_39x9)
    }
}
