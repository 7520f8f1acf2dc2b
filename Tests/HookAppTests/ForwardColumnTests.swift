import Foundation
import HookCore
import HookStore
import Testing
import TermUI
@testable import HookApp

/// The list's FORWARD / REPLAY column: the target's status and time for forwarded and replayed captures.
@Suite struct ForwardColumnTests {
    static let target = "http://127.0.0.1:3000"

    static func attempt(_ id: Int64, status: Int?, error: String? = nil, failure: ReplayFailure? = nil, milliseconds: Double = 12,
                        headers: [HeaderField] = [], body: [UInt8] = [], kind: ReplayKind = .forward) -> ReplayAttempt {
        ReplayAttempt(
            kind: kind, requestID: id, startedAt: CaptureTime(nanosecondsSince1970: 0), targetURL: target + "/x", resigned: false,
            changedHeaders: ["Host"], response: status.map { CapturedResponse(status: $0, headers: headers, body: Data(body)) },
            error: error, failure: failure, durationNanoseconds: Int64(milliseconds * 1_000_000))
    }

    /// The row of the list that shows capture `id` (the id is right-aligned in the first column),
    /// without the right border and the padding before it.
    static func row(_ screen: [String], id: Int64) -> String? {
        screen.first { $0.range(of: #"^│ *↻?\#(id) "#, options: .regularExpression) != nil }
            .map { String($0.dropLast()).replacingOccurrences(of: #" +$"#, with: "", options: .regularExpression) }
    }

    /// With --proxy-response the sender got the target's answer: once the forward is done the row's
    /// STATUS and the loaded capture say 400 (or 502 when the target could not be reached), not the
    /// listener's own 200 stored at commit.
    @Test func withProxyResponseTheRowShowsWhatTheSenderGot() async throws {
        let store = try await Sample.store([])
        var h = await AppHarness(store: store, size: Size(width: 120, height: 24), forwardTarget: Self.target)
        h.state.proxyResponse = true
        try await h.capture(Sample.request("/bad-signature"))
        try await h.capture(Sample.request("/down", second: 1))
        #expect(Self.row(h.screen(), id: 1)?.contains(" 200 ") == true)
        await h.send(.replayRecorded(Self.attempt(1, status: 400)))
        await h.send(.replayRecorded(Self.attempt(2, status: nil, error: "connection refused by 127.0.0.1:3000", failure: .refused)))
        #expect(Self.row(h.screen(), id: 1)?.contains(" 400 ") == true, "\(Self.row(h.screen(), id: 1) ?? "")")
        #expect(Self.row(h.screen(), id: 1)?.contains(" 200 ") == false)
        #expect(Self.row(h.screen(), id: 2)?.contains(" 502 ") == true, "\(Self.row(h.screen(), id: 2) ?? "")")
        #expect(h.state.detail.request?.id == 2 && h.state.detail.request?.response.status == 502)
        // Without --proxy-response the sender got the listener's answer: the row keeps it.
        var plain = await AppHarness(store: try await Sample.store([Sample.request("/x")]), size: Size(width: 120, height: 24), forwardTarget: Self.target)
        await plain.send(.replayRecorded(Self.attempt(1, status: 400)))
        #expect(Self.row(plain.screen(), id: 1)?.contains(" 200 ") == true)
    }

    @Test func forwardsShowPendingThenTheTargetsStatusAndTime() async throws {
        let store = try await Sample.store([Sample.request("/old")])
        var h = await AppHarness(store: store, forwardTarget: Self.target)
        // Forwarding is on: the column is there from the start, named FORWARD.
        #expect(h.screen()[1].contains("SIGNATURE FORWARD"))
        #expect(Self.row(h.screen(), id: 1)?.contains("→") == false)

        try await h.capture(Sample.request("/new", second: 1))
        try await h.capture(Sample.request("/refused", status: 413, second: 2).refused(.bodyTooLarge))
        #expect(h.state.replay.pendingForwards == [2])
        #expect(Self.row(h.screen(), id: 2)?.hasSuffix(" →…") == true)
        // A refused capture is not forwarded: nothing pending for it.
        #expect(Self.row(h.screen(), id: 3)?.contains("→") == false)

        _ = try await store.addReplay(Self.attempt(2, status: 201, milliseconds: 12.4))
        await h.send(.replayRecorded(Self.attempt(2, status: 201, milliseconds: 12.4)))
        #expect(h.state.replay.pendingForwards.isEmpty)
        #expect(Self.row(h.screen(), id: 2)?.contains("↻2") == true)
        #expect(Self.row(h.screen(), id: 2)?.hasSuffix(" →201 12ms") == true)

        try await h.capture(Sample.request("/down", second: 3))
        await h.send(.replayRecorded(Self.attempt(4, status: nil, error: "connection refused by 127.0.0.1:3000", failure: .refused, milliseconds: 0.3)))
        #expect(Self.row(h.screen(), id: 4)?.hasSuffix(" →refused") == true)
        try await h.capture(Sample.request("/slow", second: 4))
        await h.send(.replayRecorded(Self.attempt(5, status: 503, milliseconds: 1_520)))
        #expect(Self.row(h.screen(), id: 5)?.hasSuffix(" →503 1.5s") == true)
        // The selected capture's forward shows in the signature pane at once.
        #expect(h.state.detail.request?.id == 5)
        #expect(h.state.replay.last?.response?.status == 503)
        // The signature pane's lines about it say it was a forward; a replay someone asked for says so.
        func heading(_ attempt: ReplayAttempt?) -> String? {
            attempt.flatMap { MainScreen.replayLines($0).first }.map { String(decoding: $0.spans.flatMap(\.bytes), as: UTF8.self) }
        }
        #expect(heading(h.state.replay.last) == "forward → http://127.0.0.1:3000/x")
        await h.send(.replayRecorded(Self.attempt(5, status: 200, kind: .replay)))
        #expect(heading(h.state.replay.last) == "replay → http://127.0.0.1:3000/x")

        // A restart reads the results back from the store.
        let again = await AppHarness(store: store, forwardTarget: Self.target)
        #expect(Self.row(again.screen(), id: 2)?.hasSuffix(" →201 12ms") == true)
        #expect(again.state.replay.pendingForwards.isEmpty)
    }

    /// Seven stored attempts of one capture: the signature pane lists each (newest first, with
    /// its target, status, time and how it was sent), and the FORWARD column keeps the forward's
    /// answer when replays are made after it.
    @Test func everyAttemptIsListedAndTheForwardKeepsItsColumn() async throws {
        let store = try await Sample.store([Sample.request("/a")])
        _ = try await store.addReplay(Self.attempt(1, status: 200, milliseconds: 5))
        for n in 0..<6 {
            var replay = Self.attempt(1, status: 400 + n, milliseconds: 7, kind: .replay)
            replay.edited = n == 5
            replay.resigned = n >= 4
            _ = try await store.addReplay(replay)
        }
        var h = await AppHarness(store: store, size: Size(width: 120, height: 40), forwardTarget: Self.target)
        #expect(Self.row(h.screen(), id: 1)?.hasSuffix(" →200 5ms") == true)
        #expect(h.state.replay.attempts.count == 7)
        while h.state.detail.focus != .signature { await h.type("<tab>") }
        await h.type("<enter>")
        let screen = h.screen()
        #expect(screen[0].contains("Signature · 7 attempts"))
        let listed = screen.filter { $0.contains("hh:mm:ss.mmm ") && $0.contains("→ http://127.0.0.1:3000/x ") }
        #expect(listed.count == 7, "\(h.screenText())")
        #expect(listed.first?.contains("replay (edited, re-signed) → http://127.0.0.1:3000/x 405 7ms") == true, "\(listed)")
        #expect(listed[1].contains("replay (re-signed) → http://127.0.0.1:3000/x 404 7ms"))
        #expect(listed.last?.contains("forward → http://127.0.0.1:3000/x 200 5ms") == true)
        await h.type("<enter>")

        // A replay made now: listed too, and the column still shows the forward.
        await h.send(.replayed(Self.attempt(1, status: 500, kind: .replay)))
        #expect(h.state.replay.attempts.count == 8)
        #expect(Self.row(h.screen(), id: 1)?.hasSuffix(" →200 5ms") == true)
        // Without forwarding the column is REPLAY and shows the newest replay.
        let plain = await AppHarness(store: store, size: Size(width: 120, height: 40))
        #expect(Self.row(plain.screen(), id: 1)?.hasSuffix(" →405 7ms") == true)
    }

    @Test func aResultThatComesBeforeItsCaptureIsNotShownAsPending() async throws {
        let store = try await Sample.store([])
        var h = await AppHarness(store: store, forwardTarget: Self.target)
        await h.send(.replayRecorded(Self.attempt(1, status: 200)))
        try await h.capture(Sample.request("/a"))
        #expect(h.state.replay.pendingForwards.isEmpty)
        #expect(Self.row(h.screen(), id: 1)?.contains("→200") == true)
    }

    @Test func theColumnGoesBeforeTheOthersWhenNarrowAndTimeGoesFirst() async throws {
        let store = try await Sample.store([Sample.request("/a/very/long/path/of/the/capture")])
        _ = try await store.addReplay(Self.attempt(1, status: 204))
        let wide = await AppHarness(store: store, size: Size(width: 120, height: 24))
        #expect(wide.screen()[1].contains("TIME"))
        #expect(wide.screen()[1].range(of: "SIGNATURE +REPLAY", options: .regularExpression) != nil)
        #expect(Self.row(wide.screen(), id: 1)?.contains("→204 12ms") == true)
        // 80 columns: the replay column stays, TIME goes.
        let standard = await AppHarness(store: store, size: Size(width: 80, height: 24))
        #expect(!standard.screen()[1].contains("TIME"))
        #expect(standard.screen()[1].contains("REPLAY"))
        // 50 columns: the column goes too; the ↻ mark, id, method and target stay.
        let narrow = await AppHarness(store: store, size: Size(width: 50, height: 24))
        #expect(!narrow.screen()[1].contains("REPLAY"))
        let row = try #require(Self.row(narrow.screen(), id: 1))
        #expect(row.contains("↻1"))
        #expect(row.contains("POST"))
        #expect(row.contains("/a/very"))
        #expect(!row.contains("→"))
        // Without replays and without forwarding there is no column at all.
        let plain = await AppHarness(store: try await Sample.store([Sample.request("/a")]), size: Size(width: 120, height: 24))
        #expect(!plain.screen()[1].contains("REPLAY"))
        #expect(!plain.screen()[1].contains("FORWARD"))
    }

    @Test func theFilteredListShowsTheColumnToo() async throws {
        let store = try await Sample.store([Sample.request("/a"), Sample.request("/b", second: 1)])
        _ = try await store.addReplay(Self.attempt(2, status: 202))
        var h = await AppHarness(store: store, forwardTarget: Self.target)
        await h.type("/path:/b")
        #expect(h.state.filter.matches.map(\.id) == [2])
        #expect(Self.row(h.screen(), id: 2)?.contains("→202 12ms") == true)
    }

    @Test func whatTheTargetSentIsDrawnEscaped() async throws {
        let store = try await Sample.store([Sample.request("/a")])
        var h = await AppHarness(store: store, forwardTarget: Self.target)
        let hostile = Self.attempt(
            1, status: 200, headers: [HeaderField(name: "X-Evil", rawValue: Array("a\u{1b}[2Jb".utf8) + [0xFF])],
            body: Array("ok\u{202E}gnp.exe\n\u{1b}]52;c;aGk=\u{07}".utf8))
        await h.send(.replayRecorded(hostile))
        while h.state.detail.focus != .signature { await h.type("<tab>") }
        await h.type("<enter>")
        let text = h.screenText()
        #expect(text.contains(#"X-Evil: a\x1b[2Jb\xff"#))
        #expect(text.contains(#"ok\u{202E}gnp.exe"#))
        #expect(text.contains(#"\x1b]52;c;aGk=\x07"#))
        let cells = h.grid().textLines().joined()
        #expect(!cells.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x202E || $0.value == 0x07 })
    }

    @Test func replayOutcomeWords() {
        // The word comes from the kind; the message is only shown elsewhere.
        func word(_ error: String, _ failure: ReplayFailure?) -> String? {
            ReplayOutcome(requestID: 1, targetURL: "", status: nil, error: error, failure: failure, durationNanoseconds: 0).failureWord
        }
        #expect(word("connection refused by 127.0.0.1:1", .refused) == "refused")
        #expect(word("connection reset by 127.0.0.1:1", .reset) == "reset")
        #expect(word("timed out after 30 s waiting for h:1", .timeout) == "timeout")
        #expect(word("TLS handshake failed with h:1: certificate not trusted", .tls) == "TLS")
        #expect(word("cannot resolve host nope.invalid", .dns) == "DNS")
        #expect(word("forward queue full (10000 waiting for x): not forwarded (1 dropped so far)", .dropped) == "dropped")
        #expect(word("cannot re-sign: no secret for stripe", .unsent) == "unsent")
        #expect(word("something else", .other) == "ERR")
        #expect(word("no kind known", nil) == "ERR")
        #expect(word("connection refused, reworded", .other) == "ERR")
        #expect(ReplayOutcome(requestID: 1, targetURL: "", status: 200, error: "cut off", durationNanoseconds: 0).failureWord == nil)
        func duration(_ ms: Double) -> String {
            ReplayOutcome(requestID: 1, targetURL: "", status: 200, error: nil, durationNanoseconds: Int64(ms * 1_000_000)).shortDuration
        }
        #expect(duration(0.2) == "0ms")
        #expect(duration(999.4) == "999ms")
        #expect(duration(999.6) == "1.0s")
        #expect(duration(9_940) == "9.9s")
        #expect(duration(31_200) == "31s")
    }
}

extension CapturedRequest {
    func refused(_ refusal: Refusal) -> CapturedRequest {
        var copy = self
        copy.refusal = refusal
        return copy
    }
}
