import Foundation
import HookCore
import HookStore
import Testing
import TermUI
@testable import HookApp

/// `m` marks a capture (A), `=` on another (B) shows their diff in the body pane.
@Suite struct DiffKeyTests {
    static func store() async throws -> InMemoryRequestStore {
        let json = [HeaderField("Content-Type", "application/json")]
        return try await Sample.store([
            Sample.request("/hooks/stripe", body: #"{"data":{"object":{"amount":2000,"currency":"usd"}}}"#, headers: json),
            Sample.request("/hooks/stripe", body: #"{"data":{"object":{"amount":2500,"currency":"usd"}}}"#,
                           headers: [HeaderField("content-type", "application/json"), HeaderField("X-Forwarded-For", "10.0.0.1")], second: 1),
            Sample.request("/hooks/other", body: "plain",
                           headers: [HeaderField("Content-Type", "text/plain"), HeaderField(name: "X-Evil", rawValue: Array("\u{1B}[2Jgone".utf8))], second: 2),
        ])
    }

    @Test func markThenEqualsShowsTheDiffScrollableSearchableAndZoomable() async throws {
        var h = await AppHarness(store: try await Self.store(), size: Size(width: 100, height: 30))
        await h.type("kk")
        #expect(h.state.selectedSummary?.id == 1)
        await h.type("m")
        #expect(h.state.diffMark == 1)
        #expect(h.screen().contains { $0.contains("◆1") }, "\(h.screenText())")
        await h.type("j=")
        #expect(h.state.detail.body.diff == DiffPair(a: 1, b: 2))
        #expect(h.state.detail.focus == .body)
        let screen = h.screenText()
        #expect(screen.contains("Diff A #1 ↔ B #2"), "\(screen)")
        #expect(screen.contains("~ data.object.amount: 2000 → 2500"), "\(screen)")
        #expect(screen.contains("+ X-Forwarded-For: 10.0.0.1"), "\(screen)")
        #expect(screen.contains("* content-type: name case Content-Type → content-type"), "\(screen)")
        // Searchable like a body.
        await h.type("/amount<enter>")
        #expect(h.state.detail.body.matches.count == 1)
        // Zoomable, and scrollable.
        await h.type("<enter>")
        #expect(h.state.detail.zoomed)
        #expect(h.screenText().contains("Diff A #1 ↔ B #2"))
        let lines = h.state.detail.body.formatted?.lineCount ?? 0
        await h.type("G")
        #expect(h.state.detail.body.scroll == max(0, lines - h.state.layout.textRows(.body)))
        // = again: back to the body.
        await h.type("<enter>=")
        #expect(h.state.detail.body.diff == nil)
        #expect(h.screenText().contains("Body"))
        #expect(!h.screenText().contains("Diff A"))
    }

    @Test func equalsWithoutAMarkOrOnTheMarkedCaptureSaysWhatToDo() async throws {
        var h = await AppHarness(store: try await Self.store())
        await h.type("=")
        #expect(h.state.detail.body.diff == nil)
        #expect(h.state.status?.text == "diff: mark a request with m first, then select another and press =")
        await h.type("m=")
        #expect(h.state.status?.text.contains("#3 is the marked request (A)") == true)
        #expect(h.state.detail.body.diff == nil)
        // m again unmarks.
        await h.type("m")
        #expect(h.state.diffMark == nil)
    }

    @Test func identicalCapturesSayNoDifferences() async throws {
        let store = try await Sample.store([Sample.request("/same"), Sample.request("/same", second: 5)])
        var h = await AppHarness(store: store)
        await h.type("kmj=")
        #expect(h.screenText().contains("no differences between #1 and #2"), "\(h.screenText())")
        #expect(h.state.status?.text == "#1 and #2: no differences")
    }

    @Test func selectingAnotherCaptureLeavesTheDiff() async throws {
        var h = await AppHarness(store: try await Self.store())
        await h.type("kkmj=")
        #expect(h.state.detail.body.diff != nil)
        await h.type("<tab><tab>j")
        #expect(h.state.detail.focus == .list)
        #expect(h.state.selectedSummary?.id == 3)
        #expect(h.state.detail.body.diff == nil)
    }

    @Test func escapeSequencesInAHeaderAreShownEscaped() async throws {
        var h = await AppHarness(store: try await Self.store(), size: Size(width: 100, height: 30))
        await h.type("kmj=")
        #expect(h.state.detail.body.diff == DiffPair(a: 2, b: 3))
        #expect(h.screenText().contains("+ X-Evil: \\x1b[2Jgone"), "\(h.screenText())")
        #expect(!h.grid().textLines().joined().unicodeScalars.contains { $0.value == 0x1B })
    }
}
