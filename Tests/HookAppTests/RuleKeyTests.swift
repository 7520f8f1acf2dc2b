import Foundation
import HookCore
import HookStore
import Synchronization
import Testing
import TermUI
@testable import HookApp

@Suite struct RuleKeyTests {
    /// The session's override as the listener would hold it.
    final class Overrides: Sendable {
        let current = Mutex<AnswerOverride?>(nil)
        func set(_ override: AnswerOverride?) { current.withLock { $0 = override } }
        func get() -> AnswerOverride? { current.withLock { $0 } }
    }

    func harness(_ overrides: Overrides, requests: [CapturedRequest]) async throws -> AppHarness {
        let store = try await Sample.store(requests)
        return await AppHarness(
            store: store, size: Size(width: 120, height: 30),
            rules: { [RuleStatus(label: "stripe-down", summary: "/stripe/* -> sequence 500,500,200", matched: 3)] },
            setOverride: { overrides.set($0) }, currentOverride: { overrides.get() })
    }

    /// `!` puts the endpoint down (every request gets 503) and shows it in the status bar until it
    /// is pressed again.
    @Test func bangTogglesEndpointDown() async throws {
        let overrides = Overrides()
        var h = try await harness(overrides, requests: [Sample.request("/stripe/hook")])
        await h.type("!")
        #expect(overrides.get() == .endpointDown(failure: nil))
        #expect(h.screen()[29].contains("⚠ endpoint down (503)"), "\(h.screen()[29])")
        await h.type("!")
        #expect(overrides.get() == nil)
        #expect(!h.screen()[29].contains("endpoint down"))
    }

    /// `F` fails the next N requests on the selected request's path (or every path with `all`),
    /// with a status or a failure; a mistyped entry changes nothing and says why.
    @Test func fFailsTheNextRequestsOnTheSelectedPath() async throws {
        let overrides = Overrides()
        var h = try await harness(overrides, requests: [Sample.request("/stripe/hook?x=1")])
        await h.type("F")
        #expect(h.state.modal.prompt?.kind == .failNext(path: "/stripe/hook"))
        await h.type("<c-u>2 reset<enter>")
        #expect(overrides.get() == .failNext(remaining: 2, status: 500, failure: .reset, pathPrefix: "/stripe/hook"))
        #expect(h.screen()[29].contains("⚠ next 2 on /stripe/hook fail (reset)"), "\(h.screen()[29])")
        await h.type("F<c-u>3 502 all<enter>")
        #expect(overrides.get() == .failNext(remaining: 3, status: 502, failure: nil, pathPrefix: nil))
        await h.type("F<c-u>down reset<enter>")
        #expect(overrides.get() == .endpointDown(failure: .reset))
        await h.type("F<c-u>2 teapot<enter>")
        #expect(h.state.status?.isError == true)
        #expect(h.state.status?.text == "fail next: 'teapot' is not a status (100–599), timeout, reset, close or all")
        #expect(overrides.get() == .endpointDown(failure: .reset))
    }

    /// `u` shows the rules with how often each matched; Esc closes the view.
    @Test func uShowsTheRulesWithTheirMatchCounts() async throws {
        let overrides = Overrides()
        var h = try await harness(overrides, requests: [Sample.request("/stripe/hook")])
        await h.type("u")
        let text = h.screenText()
        #expect(text.contains("Response rules"))
        #expect(text.contains("stripe-down      3×  /stripe/* -> sequence 500,500,200"), "\(text)")
        await h.type("<esc>")
        #expect(h.state.modal == .none)
    }

    /// A capture a rule answered is marked in the list; one whose sender got no response shows what
    /// it got instead of a status.
    @Test func theListMarksRuleAnswersAndFailures() async throws {
        var reset = Sample.request("/reset", status: 0)
        reset.rule = "1"
        reset.failure = .reset
        var answered = Sample.request("/answered", status: 500)
        answered.rule = "stripe-down"
        let overrides = Overrides()
        let h = try await harness(overrides, requests: [Sample.request("/plain"), reset, answered])
        let rows = h.screen()
        let plain = try #require(rows.first { $0.contains("/plain") })
        let resetRow = try #require(rows.first { $0.contains("/reset") })
        let answeredRow = try #require(rows.first { $0.contains("/answered") })
        #expect(!plain.contains("⚑"))
        #expect(resetRow.contains("⚑2"))
        #expect(resetRow.contains("RST"))
        #expect(answeredRow.contains("⚑3"))
        #expect(answeredRow.contains("500"))
    }

    /// A rule's forward: the row shows the handler's status once its answer is stored, and keeps the
    /// rule's own when the handler could not be reached.
    @Test func aRuleForwardsAnswerReplacesTheRowsStatus() async throws {
        var forwarded = Sample.request("/github", status: 202)
        forwarded.rule = "to-handler"
        var down = Sample.request("/stripe", status: 202)
        down.rule = "handler-down"
        var h = try await harness(Overrides(), requests: [forwarded, down])
        func attempt(_ id: Int64, _ response: CapturedResponse?) -> ReplayAttempt {
            ReplayAttempt(
                kind: .forward, requestID: id, startedAt: .now(), targetURL: "http://127.0.0.1:4000", resigned: false, changedHeaders: [],
                response: response, error: response == nil ? "connection refused" : nil, failure: response == nil ? .refused : nil,
                durationNanoseconds: 1_000_000)
        }
        await h.send(.replayRecorded(attempt(1, CapturedResponse(status: 201))))
        await h.send(.replayRecorded(attempt(2, nil)))
        #expect(h.state.list.window.items.map(\.responseStatus) == [201, 202])
    }
}
