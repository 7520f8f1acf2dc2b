import Foundation
import HookCore
import HookStore
import Testing
import TermUI
@testable import HookApp

@Suite struct ReplayKeyTests {
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var sent: [(Int64, String, Bool)] = []
        func record(_ id: Int64, _ target: String, _ resign: Bool) { lock.withLock { sent.append((id, target, resign)) } }
        var calls: [String] { lock.withLock { sent.map { "\($0.0) \($0.1)" + ($0.2 ? " resigned" : "") } } }
    }

    func harness(_ recorder: Recorder, replayTo: String? = nil) async throws -> AppHarness {
        let store = try await Sample.store([Sample.request("/hooks/stripe"), Sample.request("/hooks/github", second: 1)])
        return await AppHarness(store: store, replayTo: replayTo, replay: { id, target, resign in
            recorder.record(id, target, resign)
            let response = target.contains("fail") ? nil : CapturedResponse(status: 204)
            return ReplayAttempt(
                requestID: id, startedAt: CaptureTime(nanosecondsSince1970: 0), targetURL: target, resigned: resign,
                changedHeaders: ["Host"], response: response, error: response == nil ? "connection refused by 127.0.0.1:9" : nil,
                durationNanoseconds: 3_000_000)
        })
    }

    @Test func aReplayInFlightShowsPendingUntilItsAnswerOrFailure() async throws {
        let recorder = Recorder()
        var h = try await harness(recorder, replayTo: "http://127.0.0.1:3000/hook")
        await h.type("r")
        // Enter without running the effect yet: the replay is in flight.
        var effects: [Effect] = []
        for key in Key.parseSequence("<enter>") { effects += h.state.apply(.input(.key(key))) }
        #expect(h.state.replay.pendingReplays == [2])
        #expect(h.screen().contains { $0.contains(" 2 ") && $0.contains("→…") }, "\(h.screenText())")
        await h.run(effects)
        #expect(h.state.replay.pendingReplays.isEmpty)
        #expect(!h.screenText().contains("→…"))
        #expect(h.screen().contains { $0.contains("↻2") && $0.contains("→204") }, "\(h.screenText())")
        // Editing is not available in this harness: the failure ends the pending state too.
        await h.type("e")
        effects = []
        for key in Key.parseSequence("<enter>") { effects += h.state.apply(.input(.key(key))) }
        #expect(h.state.replay.pendingReplays == [2])
        // Another effect's failure leaves the replay pending.
        _ = h.state.apply(.failed("export: disk full"))
        #expect(h.state.replay.pendingReplays == [2])
        await h.run(effects)
        #expect(h.state.replay.pendingReplays.isEmpty)
        #expect(h.state.status?.isError == true)
        #expect(h.state.status?.text.contains("editing is not available") == true)
    }

    @Test func rSendsTheSelectedRequestToTheURLAndReportsTheAnswer() async throws {
        let recorder = Recorder()
        var h = try await harness(recorder, replayTo: "http://127.0.0.1:3000/hook")
        _ = h.state
        await h.type("r")
        #expect(h.state.modal.prompt?.text == "http://127.0.0.1:3000/hook")
        await h.type("<enter>")
        #expect(recorder.calls == ["2 http://127.0.0.1:3000/hook"])
        #expect(h.state.status?.text.contains("replayed #2 → 204") == true)
        #expect(h.screenText().contains("replayed #2"))
        // The list marks the replayed capture.
        #expect(h.screen()[3].contains("↻2"))
        #expect(!h.screen()[2].contains("↻"))
        // The last URL is offered next time; a failure is said in plain words.
        await h.type("k")
        await h.type("r")
        #expect(h.state.modal.prompt?.text == "http://127.0.0.1:3000/hook")
        await h.type("<bs><bs><bs><bs>")
        await h.type("fail<enter>")
        #expect(recorder.calls.last == "1 http://127.0.0.1:3000/fail")
        #expect(h.state.status?.isError == true)
        #expect(h.state.status?.text.contains("connection refused") == true)
    }

    @Test func capitalRReSignsUpDownWalkTheHistoryAndTheResultShowsInTheSignaturePane() async throws {
        let recorder = Recorder()
        var h = try await harness(recorder)
        await h.type("rhttp://127.0.0.1:3000/a<enter>")
        await h.type("r" + String(repeating: "<bs>", count: 30) + "http://127.0.0.1:4000/b<enter>")
        await h.type("R")
        #expect(h.state.modal.prompt?.kind == .replayURL(id: 2, mode: .resigned))
        #expect(h.screen()[23].contains("re-signed"))
        await h.type("<up><up>")
        #expect(h.state.modal.prompt?.text == "http://127.0.0.1:3000/a")
        await h.type("<down>")
        #expect(h.state.modal.prompt?.text == "http://127.0.0.1:4000/b")
        await h.type("<enter>")
        #expect(recorder.calls.last == "2 http://127.0.0.1:4000/b resigned")
        #expect(h.state.status?.text.contains("(re-signed) → 204") == true)
        // Zoom the signature pane to read the whole replay result.
        while h.state.detail.focus != .signature { await h.type("<tab>") }
        await h.type("<enter>")
        let pane = h.screenText()
        #expect(pane.contains("replay (re-signed) → http://127.0.0.1:4000/b"))
        #expect(pane.contains("204 No Content"))
    }

    @Test func replaysStoredEarlierAreMarkedInTheList() async throws {
        let store = try await Sample.store([Sample.request("/a"), Sample.request("/b", second: 1)])
        _ = try await store.addReplay(ReplayAttempt(
            requestID: 1, startedAt: CaptureTime(nanosecondsSince1970: 0), targetURL: "http://127.0.0.1:1/", resigned: false,
            changedHeaders: [], response: nil, error: "connection refused", failure: .refused, durationNanoseconds: 1))
        var h = await AppHarness(store: store)
        #expect(Set(h.state.replay.marks.keys) == [1])
        #expect(h.screen()[2].contains("↻1"))
        #expect(!h.screen()[3].contains("↻"))
        // The REPLAY column says how the newest one went.
        #expect(h.screen()[1].hasSuffix("SIGNATURE REPLAY    │"))
        #expect(h.screen()[2].contains("→refused"))
        // Selecting it loads its stored replays: the newest shows in the signature pane.
        await h.type("k")
        #expect(h.state.replay.last?.requestID == 1)
        #expect(h.state.replay.last?.error == "connection refused")
    }

    @Test func aNonLoopbackTargetAsksOncePerHost() async throws {
        let recorder = Recorder()
        var h = try await harness(recorder)
        await h.type("rhttps://example.com/hook<enter>")
        #expect(recorder.calls.isEmpty)
        #expect(h.state.modal.confirmation?.pendingReplay?.host == "example.com")
        #expect(h.screen()[23].contains("example.com?"))
        await h.type("n")
        #expect(recorder.calls.isEmpty)
        // Declined: the URL did not become the prompt's default.
        await h.type("r")
        #expect(h.state.modal.prompt?.text == "")
        await h.type("https://example.com/hook<enter>")
        await h.type("y")
        #expect(recorder.calls == ["2 https://example.com/hook"])
        // Confirmed once: the same host is not asked again.
        await h.type("r<enter>")
        #expect(recorder.calls.count == 2)
        #expect(h.state.modal.confirmation == nil)
        await h.type("r" + String(repeating: "<bs>", count: 30) + "ftp://x<enter>")
        #expect(h.state.status?.isError == true)
    }

    /// With `--forward-to` and no `--replay-to`, `r` offers the forward target.
    @Test func thePromptOffersTheForwardTarget() async throws {
        let store = try await Sample.store([Sample.request("/hooks/stripe")])
        var h = await AppHarness(store: store, forwardTarget: "http://127.0.0.1:3000/hooks")
        await h.type("r")
        #expect(h.state.modal.prompt?.text == "http://127.0.0.1:3000/hooks")
        // --replay-to, when given, comes first.
        var both = await AppHarness(store: store, replayTo: "http://127.0.0.1:4000/", forwardTarget: "http://127.0.0.1:3000/hooks")
        await both.type("r")
        #expect(both.state.modal.prompt?.text == "http://127.0.0.1:4000/")
    }

    /// Targets used are kept in the store: after a restart the prompt offers the last one, and
    /// Up walks the older ones. A declined or invalid target is not kept.
    @Test func targetsUsedAreOfferedAfterARestart() async throws {
        let recorder = Recorder()
        var h = try await harness(recorder)
        await h.type("rhttp://127.0.0.1:3000/a<enter>")
        await h.type("r<c-u>http://127.0.0.1:4000/b<enter>")
        await h.type("r<c-u>https://example.com/no<enter>n")
        await h.type("r<c-u>ftp://x<enter>")
        #expect(try await h.store.replayTargets(limit: 10) == ["http://127.0.0.1:4000/b", "http://127.0.0.1:3000/a"])
        var again = await AppHarness(store: h.store)
        await again.type("r")
        #expect(again.state.modal.prompt?.text == "http://127.0.0.1:4000/b")
        await again.type("<up><up>")
        #expect(again.state.modal.prompt?.text == "http://127.0.0.1:3000/a")
    }
}
