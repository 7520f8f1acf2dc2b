import Foundation
import HookCore
import HookStore
import Testing
import TermUI
@testable import HookApp

@Suite struct MainScreenTests {
    @Test func rendersEmptyStateAt80x24() async throws {
        let h = await AppHarness(store: InMemoryRequestStore())
        let screen = h.screen()
        #expect(screen.count == 24)
        #expect(screen[0].hasPrefix("┌ Requests 0 following "))
        #expect(screen[2].contains("waiting for requests on http://127.0.0.1:9777"))
        #expect(screen[23].hasPrefix("http://127.0.0.1:9777 │ 0 captures"))
        #expect(screen[23].contains("? help"))
        #expect(screen.allSatisfy { DisplayWidth.columns($0) <= 80 })
    }

    /// Issue #20: a request refused for its head is kept with the head as received as its body;
    /// the body pane shows those bytes (escaped) instead of saying the body was not kept.
    @Test func aRefusedHeadIsShownInTheBodyPane() async throws {
        var refused = Sample.request("/esc", headers: [], status: 400)
        refused.body = Data("POST /esc HTTP/1.1\r\nHost: x\r\nX-Evil: a\u{1b}[2Jb\r\n\r\n".utf8)
        refused.bodySize = refused.body.count
        refused.refusal = .malformedHead
        let h = await AppHarness(store: try await Sample.store([refused]), size: Size(width: 120, height: 40))
        let text = h.screenText()
        #expect(!text.contains("body not kept"), "\(text)")
        // An escape byte makes the hex dump the best view: the bytes, and `.` in the text column.
        #expect(text.contains("76 69 6c 3a 20 61 1b 5b  32 4a 62 0d 0a 0d 0a     |vil: a.["), "\(text)")
        #expect(!text.contains("\u{1b}"))
    }

    /// The report's line that repeats the detail and adds to it replaces the detail, so an unsigned
    /// capture does not say "no signature header recognised" twice.
    @Test func theSignaturePaneSaysTheDetailOnce() async throws {
        let store = try await Sample.store([Sample.request("/hooks/plain", method: "GET")])
        let h = await AppHarness(
            store: store, size: Size(width: 100, height: 40),
            explain: { _ in ["no signature header recognised (see `hookscope providers`)", "verdict: unsigned"] })
        let text = h.screenText()
        #expect(text.components(separatedBy: "no signature header recognised").count - 1 == 1, "\(text)")
        #expect(text.contains("no signature header recognised (see `"))
        #expect(text.contains("verdict: unsigned"))
    }

    /// A verdict stored during a flood says its cause was not looked for; the pane looks for it in
    /// the report below, so that note is left out there.
    @Test func thePaneLeavesOutTheNoteThatTheCauseWasNotLookedFor() async throws {
        let note = "(cause not looked for: too many wrong signatures at once; the signature pane and `hookscope verify` explain it)"
        let stored = SignatureSummary(provider: "stripe", status: .invalid, detail: "signature mismatch \(note)", diagnosis: .skipped)
        let store = try await Sample.store([Sample.request("/hooks/stripe", signature: stored)])
        let h = await AppHarness(
            store: store, size: Size(width: 120, height: 40),
            explain: { _ in ["provider: Stripe (stripe)", "why: the signature matches the body re-serialized with spaces"] })
        let text = h.screenText()
        #expect(!text.contains("cause not looked for"), "\(text)")
        #expect(text.contains("signature mismatch"))
        #expect(text.contains("why: the signature matches the body"))
    }

    /// The key line, once cut to `(1 s…` in a 6-row pane: the pane grows and wraps it.
    @Test func theSignaturePaneWrapsAndShowsTheWholeDetail() async throws {
        let detail = "signature mismatch: wrong secret or altered body (1 secret tried: whsec_…a1b2); the body is not the one signed, or the secret is another endpoint's"
        let stored = SignatureSummary(provider: "stripe", status: .invalid, detail: detail)
        for size in [Size(width: 80, height: 24), Size(width: 120, height: 40)] {
            let store = try await Sample.store([Sample.request("/hooks/stripe", signature: stored)])
            let h = await AppHarness(store: store, size: size, explain: { _ in (1...10).map { "diagnosis line \($0)" } })
            let pane = h.state.layout.signature
            let rows = h.screen()[(pane.y + 1)..<(pane.maxY - 1)].map { String($0.dropFirst(pane.x + 1).prefix(pane.width - 2)) }
            let squeezed = rows.joined().replacingOccurrences(of: " ", with: "")
            #expect(squeezed.contains(detail.replacingOccurrences(of: " ", with: "")), "\(size): \(rows)")
            #expect(rows[0].hasPrefix("✗ invalid · stripe"))
        }
    }

    @Test func theHeadersPaneWrapsLongValuesAndScrollsByRow() async throws {
        let long = (1...40).map { "part\($0)" }.joined(separator: ",")
        let store = try await Sample.store([Sample.request("/h", headers: [HeaderField("X-Long", long), HeaderField("X-Last", "end")])])
        var h = await AppHarness(store: store, size: Size(width: 80, height: 24))
        let pane = h.state.layout.headers
        let text = h.screen()[(pane.y + 1)..<(pane.maxY - 1)].map { String($0.dropFirst(pane.x + 1).prefix(pane.width - 2)) }.joined()
        #expect(text.contains("X-Long: part1,part2,"))
        #expect(!text.contains("…"), "\(text)")
        // Scrolling goes down to the last row, which holds the last header.
        await h.type("<tab>G")
        let bottom = h.screen()[(pane.y + 1)..<(pane.maxY - 1)].joined()
        #expect(bottom.contains("X-Last: end"), "\(bottom)")
        #expect(bottom.contains("part40"), "\(bottom)")
    }

    @Test func theSignatureColumnNamesTheProviderWhereItFits() async throws {
        let store = try await Sample.store([
            Sample.request("/hooks/stripe", signature: SignatureSummary(provider: "stripe", status: .invalid, detail: "mismatch")),
            Sample.request("/plain", second: 1),
        ])
        let wide = await AppHarness(store: store, size: Size(width: 120, height: 40))
        #expect(wide.screen()[1].contains("SIGNATURE"))
        #expect(wide.screen()[2].contains(" invalid · stripe"), "\(wide.screen()[2])")
        #expect(wide.screen()[3].contains(" unsigned"))
        let narrow = await AppHarness(store: store, size: Size(width: 80, height: 24))
        #expect(narrow.screen()[2].contains(" invalid"))
        #expect(!narrow.screen()[2].contains("· stripe"))
    }

    @Test func rendersCapturesAt80x24() async throws {
        let store = try await Sample.store([
            Sample.request("/hooks/stripe", signature: SignatureSummary(provider: "stripe", status: .valid, detail: "v1 matches")),
            Sample.request("/hooks/github?x=1", method: "GET", status: 404, second: 1),
        ])
        let h = await AppHarness(store: store)
        let expected = """
        ┌ Requests 2 following ────────────────────────────────────────────────────────┐
        │     ID TIME         METHOD  TARGET                         SIZE ST  SIGNATURE│
        │      1 hh:mm:ss.mmm POST    /hooks/stripe                    9B 200 valid    │
        │      2 hh:mm:ss.mmm GET     /hooks/github?x=1                9B 404 unsigned │
        │                                                                              │
        │                                                                              │
        └──────────────────────────────────────────────────────────────────────────────┘
        ┌ Headers 1 ───────────────────────────────────────────────────────────────────┐
        │GET /hooks/github?x=1 HTTP/1.1                                                │
        │#2 from 127.0.0.1:50000 at YYYY-MM-DDThh:mm:ss.uuuuuuZ · answered 404         │
        │Content-Type: text/plain                                                      │
        └──────────────────────────────────────────────────────────────────────────────┘
        ┌ Body 9B [text 1/3] ──────────────────────────────────────────────────────────┐
        │ping body                                                                     │
        │                                                                              │
        │                                                                              │
        │                                                                              │
        │                                                                              │
        └──────────────────────────────────────────────────────────────────────────────┘
        ┌ Signature ───────────────────────────────────────────────────────────────────┐
        │- unsigned · no provider recognised                                           │
        │no signature header recognised                                                │
        └──────────────────────────────────────────────────────────────────────────────┘
        """
        let lines = h.screen()
        #expect(Array(lines.prefix(23)) == expected.components(separatedBy: "\n").map { line in
            var l = line; while l.hasSuffix(" ") { l.removeLast() }; return l
        })
        #expect(lines[23].hasPrefix("http://127.0.0.1:9777 │ 2 captures"))
        #expect(lines[23].hasSuffix("? help q quit"))
        #expect(lines[2].contains("valid"))
    }

    @Test func rendersSideBySideAt120x40() async throws {
        let store = try await Sample.store([Sample.request("/a")])
        let h = await AppHarness(store: store, size: Size(width: 120, height: 40))
        let lines = h.screen()
        #expect(lines.count == 40)
        // Headers and body share rows: side by side.
        let headerRow = try #require(lines.firstIndex { $0.contains("┌ Headers") })
        #expect(lines[headerRow].contains("┌ Body"))
        #expect(lines.contains { $0.contains("┌ Signature") })
        #expect(lines[39].hasPrefix("http://127.0.0.1:9777 │ 1 capture "))
        #expect(h.grid().textLines().allSatisfy { DisplayWidth.columns($0) <= 120 })
    }

    @Test func saysSoWhenTheTerminalIsTooSmall() async throws {
        let h = await AppHarness(store: InMemoryRequestStore(), size: Size(width: 30, height: 6))
        #expect(h.screen().prefix(3) == ["Terminal too small", "30x6, need 40x10", "q quits"])
        let tiny = await AppHarness(store: InMemoryRequestStore(), size: Size(width: 5, height: 1))
        #expect(tiny.screen() == ["Term…"])
    }

    @Test func hostileTargetsAndHeadersAreEscapedInEveryPane() async throws {
        let evil = Sample.request("/x\u{1b}]0;pwned\u{07}\u{202E}gpj", body: "line\u{1b}[2J\r\u{200B}end",
                                  headers: [HeaderField(name: "X-Evil", rawValue: [0x1b, 0x5b, 0x32, 0x4a, 0x0d, 0xff])])
        var h = await AppHarness(store: try await Sample.store([evil]))
        let text = h.screenText()
        #expect(text.contains("/x\\x1b]0;pwned\\x07\\u{202E}gpj"))
        #expect(text.contains("X-Evil: \\x1b[2J\\r\\xff"))
        // Whatever view the formatter picks for this body, the raw view shows the bytes escaped.
        await h.type("b")
        let raw = h.screenText()
        #expect(raw.contains("line\\x1b[2J"))
        #expect(raw.contains("\\u{200B}end"))
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(!text.unicodeScalars.contains { $0.value == 0x202E || $0.value == 0x200B })
    }
}
