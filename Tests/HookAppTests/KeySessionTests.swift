import Foundation
import HookCore
import HookStore
import Testing
import TermUI
@testable import HookApp

@Suite struct KeySessionTests {
    func threeRequests() async throws -> InMemoryRequestStore {
        try await Sample.store([
            Sample.request("/hooks/stripe", second: 0),
            Sample.request("/hooks/github", second: 1),
            Sample.request("/hooks/stripe/2", second: 2),
        ])
    }

    @Test func eachRequestGetsItsBestViewUnlessTheUserPickedRawOrHex() async throws {
        let json = Sample.request("/json", body: "{\"a\":1}", headers: [HeaderField("Content-Type", "application/json")], second: 0)
        let binary = Sample.request("/bin", body: "\u{1b}[2J\u{0}\u{1}binary", headers: [], second: 1)
        var h = await AppHarness(store: try await Sample.store([json, binary]))
        // The newest (binary) is shown as hex because that is its best view...
        #expect(h.state.detail.request?.id == 2)
        let binaryView = h.state.detail.body.currentView
        #expect(binaryView == BodyFormatterRegistry.views(for: binary).first)
        // ...which must not stick to the JSON request.
        await h.type("k")
        #expect(h.state.detail.request?.id == 1)
        #expect(h.state.detail.body.currentView == .json)
        // A view the user picks (raw) stays for the next request.
        await h.type("b")
        #expect(h.state.detail.body.currentView == .raw)
        await h.type("j")
        #expect(h.state.detail.request?.id == 2)
        #expect(h.state.detail.body.currentView == .raw)
    }

    @Test func followsTheNewestAndMovesWithJK() async throws {
        var h = await AppHarness(store: try await threeRequests())
        #expect(h.state.list.selected == 2 && h.state.list.follow)
        #expect(h.state.detail.request?.id == 3)
        await h.type("kk")
        #expect(h.state.list.selected == 0 && !h.state.list.follow)
        #expect(h.state.detail.request?.id == 1)
        await h.type("j")
        #expect(h.state.detail.request?.id == 2)
        await h.type("G")
        #expect(h.state.detail.request?.id == 3)
        await h.type("g")
        #expect(h.state.detail.request?.id == 1)
        // A new capture does not move the selection while not following…
        try await h.capture(Sample.request("/new", second: 3))
        #expect(h.state.detail.request?.id == 1 && h.state.list.total == 4)
        // …and does once following again.
        await h.type("f")
        #expect(h.state.list.selected == 3 && h.state.detail.request?.id == 4)
        try await h.capture(Sample.request("/newer", second: 4))
        #expect(h.state.detail.request?.id == 5)
        #expect(h.screenText().contains("/newer"))
    }

    /// `G` on the list goes to the newest request and follows again: the next capture is selected.
    @Test func gFollowsTheNewestAgain() async throws {
        var h = await AppHarness(store: try await threeRequests())
        await h.type("k")
        #expect(!h.state.list.follow)
        await h.type("G")
        #expect(h.state.list.follow, "G leaves follow mode off")
        #expect(h.screen()[0].contains("following"))
        try await h.capture(Sample.request("/new", second: 3))
        #expect(h.state.list.selected == 3 && h.state.detail.request?.id == 4)
        // In a pane, G scrolls that pane and leaves following as it is.
        await h.type("k<tab>G")
        #expect(!h.state.list.follow)
    }

    @Test func filterNarrowsTheListLiveAndEscClearsIt() async throws {
        var h = await AppHarness(store: try await threeRequests(), scanBatchSize: 2)
        await h.type("/str")
        #expect(h.state.modal.prompt?.kind == .filter)
        #expect(h.state.filter.matches.map(\.id) == [1, 3])
        #expect(h.screen()[23].contains("filter: str"))
        await h.type("ipe<enter>")
        #expect(h.state.modal.prompt == nil)
        #expect(h.state.filter.matches.map(\.id) == [1, 3])
        let screen = h.screenText()
        #expect(screen.contains("/hooks/stripe/2"))
        #expect(!screen.contains("/hooks/github"))
        #expect(screen.contains("Requests 2 of 3"))
        // New captures are checked against the filter.
        try await h.capture(Sample.request("/hooks/github/2", second: 5))
        try await h.capture(Sample.request("/stripe/3", second: 6))
        #expect(h.state.filter.matches.map(\.id) == [1, 3, 5])
        await h.type("<esc>")
        #expect(h.state.filter.parsed == nil && h.state.rowCount == 5)
        #expect(h.screenText().contains("/hooks/github"))
    }

    /// Ctrl-W deletes the last word (and the spaces after it) and Ctrl-U the whole line, in the
    /// filter, search and replay URL prompts, as in a shell.
    @Test func ctrlWAndCtrlUEditThePrompts() async throws {
        var h = await AppHarness(store: try await threeRequests(), size: Size(width: 120, height: 40), replayTo: "http://127.0.0.1:3000/hook")
        await h.type("/method:POST  github")
        #expect(h.state.filter.matches.map(\.id) == [2])
        await h.type("<c-w>")
        #expect(h.state.filter.text == "method:POST  ")
        #expect(h.state.filter.matches.map(\.id) == [1, 2, 3])
        await h.type("<c-w>")
        #expect(h.state.filter.text == "")
        await h.type("github<c-u>stripe")
        #expect(h.state.filter.text == "stripe")
        #expect(h.state.filter.matches.map(\.id) == [1, 3])
        #expect(h.screen()[39].contains("filter: stripe"))
        #expect(h.screen()[39].hasSuffix("Enter keep Esc clear"))
        await h.type("<enter>")
        // The replay prompt comes pre-filled: Ctrl-U clears it for another target.
        await h.type("r<c-u>")
        #expect(h.state.modal.prompt?.text == "")
        #expect(h.screen()[39].hasSuffix("Enter send Esc cancel"))
        await h.type("http://127.0.0.1:4000/a/b<c-w>")
        #expect(h.state.modal.prompt?.text == "")  // a URL has no spaces: it is one word
        await h.type("<esc><tab><tab>/ping bo<c-w>")
        #expect(h.state.detail.body.query == "ping ")
        await h.type("<c-u>")
        #expect(h.state.detail.body.query == "")
    }

    /// Text typed past the width of the status bar scrolls: the end, where the cursor is, stays
    /// in sight (a long replay URL, a long filter), and the hints give way to it.
    @Test func aLongPromptShowsItsEnd() async throws {
        var h = await AppHarness(store: try await threeRequests(), replayTo: "http://127.0.0.1:3000/hook")
        let url = "http://127.0.0.1:4000/" + (1...12).map { "segment\($0)" }.joined(separator: "/")
        await h.type("r<c-u>\(url)")
        #expect(h.state.modal.prompt?.text == url)
        // A short URL leaves room for the hints, whole ones only.
        await h.type("<c-u>http://h/a")
        #expect(h.screen()[23].hasSuffix(" Esc cancel"), "\(h.screen()[23])")
        #expect(h.screen()[23].contains("to: http://h/a▏ "), "\(h.screen()[23])")
        #expect(!h.screen()[23].contains("Enter"), "\(h.screen()[23])")
        await h.type("<c-u>\(url)")
        let footer = h.screen()[23]
        #expect(footer.hasSuffix("segment11/segment12▏"), "\(footer)")
        #expect(footer.contains("replay #3 to: …"), "\(footer)")
        await h.type("<esc>/" + String(repeating: "stripe ", count: 12) + "end")
        #expect(h.screen()[23].contains("stripe end▏"), "\(h.screen()[23])")
    }

    @Test func filterThatMatchesNothingSaysSo() async throws {
        var h = await AppHarness(store: try await threeRequests())
        await h.type("/nothing-here<enter>")
        #expect(h.state.rowCount == 0)
        #expect(h.screenText().contains("no request matches the filter"))
        #expect(h.state.detail.request == nil)
    }

    @Test func tabCyclesFocusAndEnterZooms() async throws {
        var h = await AppHarness(store: try await threeRequests())
        await h.type("<tab><tab>")
        #expect(h.state.detail.focus == .body)
        await h.type("<enter>")
        #expect(h.state.detail.zoomed)
        let zoomed = h.screen()
        #expect(zoomed[0].hasPrefix("┌ Body"))
        #expect(!h.screenText().contains("┌ Requests"))
        await h.type("<enter><s-tab>")
        #expect(!h.state.detail.zoomed && h.state.detail.focus == .headers)
    }

    @Test func bodySearchFindsMatchesAndNJumps() async throws {
        let lines = (0..<100).map { $0 % 25 == 0 ? "needle \($0)" : "hay \($0)" }.joined(separator: "\n")
        var h = await AppHarness(store: try await Sample.store([Sample.request("/big", body: lines)]))
        await h.type("<tab><tab>/NEEDLE<enter>")
        #expect(h.state.detail.body.matches == [0, 25, 50, 75])
        #expect(h.state.detail.body.currentMatch == 0)
        await h.type("nn")
        #expect(h.state.detail.body.currentMatch == 2)
        #expect(h.screenText().contains("needle 50"))
        await h.type("N")
        #expect(h.state.detail.body.currentMatch == 1)
        #expect(h.screenText().contains("/NEEDLE 2/4"))
        let grid = h.grid()
        let row = try #require((0..<grid.height).first { grid.row($0).contains("needle 25") })
        let x = try #require(Array(grid.row(row)).firstIndex(of: "n"))
        #expect(grid[x, row].style.role == .searchMatch)
    }

    @Test func vCyclesViewsAndBTogglesRaw() async throws {
        var h = await AppHarness(store: try await threeRequests())
        #expect(h.state.detail.body.currentView == .text)
        await h.type("v")
        #expect(h.state.detail.body.currentView == .hex)
        await h.type("b")
        #expect(h.state.detail.body.currentView == .raw)
        #expect(h.screenText().contains("[raw 3/3]"))
        await h.type("b")
        #expect(h.state.detail.body.currentView == .hex)
    }

    @Test func longBodyLinesScrollSideways() async throws {
        let long = String(repeating: "a", count: 100) + "TAIL"
        var h = await AppHarness(store: try await Sample.store([Sample.request("/long", body: long)]))
        #expect(!h.screenText().contains("TAIL"))
        await h.type("l")
        #expect(h.state.status?.text.contains("does not scroll sideways") == true)
        await h.type("<tab><tab>ll")
        #expect(h.screenText().contains("TAIL"))
        await h.type("hh")
        #expect(h.state.detail.horizontalScroll[.body] == 0)
    }

    @Test func dAsksBeforeDeletingTheSelectedRequest() async throws {
        var h = await AppHarness(store: try await threeRequests())
        await h.type("d")
        #expect(try await h.store.count() == 3)
        #expect(h.screen()[23].contains("delete #3? y/n"))
        await h.type("n")
        #expect(try await h.store.count() == 3)
        #expect(h.state.list.total == 3)
        #expect(h.screen()[23].contains("nothing deleted"))
        // Any key but y is no, also one that would act on its own.
        await h.type("dD")
        #expect(try await h.store.count() == 3)
        #expect(h.state.modal == .none)
    }

    @Test func deleteAndClearAllWithConfirmation() async throws {
        var h = await AppHarness(store: try await threeRequests())
        await h.type("dy")
        #expect(h.state.list.total == 2)
        #expect(try await h.store.count() == 2)
        #expect(h.screenText().contains("deleted request #3"))
        await h.type("Dn")
        #expect(try await h.store.count() == 2)
        await h.type("D")
        #expect(h.screen()[23].contains("delete all 2 requests? y/n"))
        await h.type("y")
        #expect(try await h.store.count() == 0)
        #expect(h.state.list.total == 0 && h.state.detail.request == nil)
    }

    @Test func unavailableActionsSayWhy() async throws {
        var h = await AppHarness(store: InMemoryRequestStore())
        await h.type("r")
        #expect(h.screen()[23].contains("replay: no request selected"))
        var h2 = await AppHarness(store: try await threeRequests(), replayTo: "http://localhost:3000/hook")
        await h2.type("r")
        #expect(h2.state.modal.prompt?.kind == .replayURL(id: 3, mode: .exact))
        #expect(h2.screen()[23].contains("replay #3 to: http://localhost:3000/hook"))
        await h2.type("<bs><bs><bs><bs>x<enter>")
        #expect(h2.state.status?.text.contains("replay is not available here") == true)
        #expect(h2.state.replay.lastTarget == "http://localhost:3000/x")
        await h2.type("r")
        #expect(h2.state.modal.prompt?.text == "http://localhost:3000/x")
        await h2.type("<esc>")
        #expect(h2.state.modal.prompt == nil && h2.state.status?.text == "replay cancelled")
        await h2.type("n")
        #expect(h2.state.status?.text.contains("does nothing here") == true)
        await h2.type("<tab><tab>n")
        #expect(h2.state.status?.text.contains("no search") == true)
    }

    @Test func helpShowsBindingsAndEscCloses() async throws {
        var h = await AppHarness(store: InMemoryRequestStore(), size: Size(width: 120, height: 40))
        await h.type("?")
        let text = h.screenText()
        #expect(text.contains("Help: keys"))
        #expect(text.contains("quit (restoring the terminal)"))
        await h.type("q")
        #expect(!h.state.modal.isHelp && !h.state.quitRequested)
        await h.type("q")
        #expect(h.state.quitRequested)
    }

    @Test func mouseClickSelectsAndWheelScrolls() async throws {
        var h = await AppHarness(store: try await threeRequests())
        // Row 2 of the screen is the first request (border, column header).
        await h.send(.input(.mouse(MouseEvent(button: .left, x: 10, y: 2))))
        #expect(h.state.detail.request?.id == 1 && !h.state.list.follow)
        await h.send(.input(.mouse(MouseEvent(button: .wheelDown, x: 10, y: 3))))
        #expect(h.state.list.selected == 2)
        let bodyY = h.state.layout.body.y + 1
        await h.send(.input(.mouse(MouseEvent(button: .left, x: 5, y: bodyY))))
        #expect(h.state.detail.focus == .body)
    }

    @Test func captureDeletedElsewhereRefreshesTheListInsteadOfLooping() async throws {
        let store = try await threeRequests()
        var h = await AppHarness(store: store)
        await h.type("k")
        #expect(h.state.detail.request?.id == 2)
        try await store.delete(id: 1)
        await h.type("k")  // the window still lists #1; loading it finds nothing
        #expect(h.state.list.total == 2)
        #expect(!h.screenText().contains("/hooks/stripe "))
        #expect(h.state.selectedSummary?.id == 2)
    }

    @Test func resizeRelaysOutAndTerminationQuits() async throws {
        var h = await AppHarness(store: try await threeRequests())
        await h.send(.input(.resize(Size(width: 120, height: 40))))
        #expect(h.screen().count == 40)
        await h.send(.input(.terminate(signal: 15)))
        #expect(h.state.quitRequested)
    }
}
