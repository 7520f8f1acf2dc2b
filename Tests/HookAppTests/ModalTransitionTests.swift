import HookCore
import Testing
import TermUI
@testable import HookApp

/// The help screen, prompts and questions take the keyboard one at a time: a key goes to the one
/// open, and none opens over another.
@Suite struct ModalTransitionTests {
    /// What the modal is after the keys, with a prompt's text.
    enum Expected: Sendable, Equatable {
        case none
        case help(scroll: Int)
        case prompt(PromptKind, text: String)
        case confirm(HookApp.Confirmation)

        init(_ modal: Modal) {
            switch modal {
            case .none: self = .none
            case .help(let scroll): self = .help(scroll: scroll)
            case .prompt(let prompt): self = .prompt(prompt.kind, text: prompt.text)
            case .confirm(let confirmation): self = .confirm(confirmation)
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var keys: String
        var modal: Expected
        var status: String?
        var testDescription: String { keys }
    }

    static let replayTo = "http://127.0.0.1:3000/hook"

    @Test(arguments: [
        // The help screen.
        Case(keys: "?", modal: .help(scroll: 0)),
        Case(keys: "?jj", modal: .help(scroll: 2)),
        Case(keys: "?<pgdn>k", modal: .help(scroll: 9)),
        Case(keys: "?k", modal: .help(scroll: 0)),
        Case(keys: "?<esc>", modal: .none),
        Case(keys: "?q", modal: .none),
        Case(keys: "??", modal: .none),
        Case(keys: "?/D", modal: .help(scroll: 0)),
        // Help does not open over a prompt: "?" is typed.
        Case(keys: "/?", modal: .prompt(.filter, text: "?")),
        Case(keys: "r?", modal: .prompt(.replayURL(id: 2, mode: .exact), text: replayTo + "?")),
        Case(keys: "<tab><tab>/?", modal: .prompt(.search, text: "?")),
        Case(keys: "s?", modal: .prompt(.secret(provider: "stripe"), text: "?")),
        // Nor does a question, or another prompt.
        Case(keys: "/D", modal: .prompt(.filter, text: "D")),
        Case(keys: "R/", modal: .prompt(.replayURL(id: 2, mode: .resigned), text: replayTo + "/")),
        Case(keys: "ex", modal: .prompt(.replayURL(id: 2, mode: .edited), text: replayTo + "x")),
        // Enter and Esc close a prompt.
        Case(keys: "/str<enter>", modal: .none),
        Case(keys: "/str<esc>", modal: .none),
        Case(keys: "r<esc>", modal: .none, status: "replay cancelled"),
        Case(keys: "s<esc>", modal: .none, status: "secret unchanged"),
        Case(keys: "s<enter>", modal: .none, status: "secret: nothing entered, nothing changed"),
        // A question takes one key: y, or anything else for no.
        Case(keys: "D", modal: .confirm(.clearAll)),
        Case(keys: "D<esc>", modal: .none, status: "nothing deleted"),
        Case(keys: "Dn", modal: .none, status: "nothing deleted"),
        Case(keys: "D?", modal: .none, status: "nothing deleted"),
        Case(keys: "D/", modal: .none, status: "nothing deleted"),
        Case(keys: "Dy", modal: .none, status: "deleting all requests…"),
        Case(keys: "d", modal: .confirm(.delete(id: 2))),
        Case(keys: "dn", modal: .none, status: "nothing deleted"),
        Case(keys: "d<esc>", modal: .none, status: "nothing deleted"),
        Case(keys: "E", modal: .prompt(.replayURL(id: 2, mode: .editedResigned), text: replayTo)),
        // A declined host does not become the prompt's default.
        Case(keys: "r<c-u>https://example.com/x<enter>nr", modal: .prompt(.replayURL(id: 2, mode: .exact), text: replayTo)),
        // A replay to a host off this machine asks first; the question replaces the prompt.
        Case(keys: "r<c-u>https://example.com/x<enter>",
             modal: .confirm(.replay(PendingReplay(id: 2, target: "https://example.com/x", host: "example.com", mode: .exact)))),
        Case(keys: "R<c-u>https://example.com/x<enter><esc>", modal: .none, status: "replay cancelled: nothing sent"),
        Case(keys: "r<c-u>https://example.com/x<enter>?", modal: .none, status: "replay cancelled: nothing sent"),
        Case(keys: "r<c-u>https://example.com/x<enter>y", modal: .none, status: "replaying #2 to https://example.com/x…"),
    ])
    func transitions(_ c: Case) async throws {
        let stripe = SignatureSummary(provider: "stripe", status: .noSecret, detail: "no secret for stripe")
        let store = try await Sample.store([Sample.request("/a"), Sample.request("/b", signature: stripe, second: 1)])
        var state = AppState(listenURL: "http://127.0.0.1:9777", replayTo: Self.replayTo, size: Size(width: 80, height: 24))
        // Only the events that load the list and the selected capture: no effect runs (nothing is sent).
        _ = state.apply(.countLoaded(2))
        let summaries = try await store.summaries(offset: 0, limit: 10)
        _ = state.apply(.windowLoaded(offset: 0, summaries: summaries))
        let request = try #require(try await store.request(id: 2))
        _ = state.apply(.requestLoaded(request))
        let view = try #require(state.detail.body.currentView)
        _ = state.apply(.bodyFormatted(requestID: 2, view: view, body: BodyFormatterRegistry.format(request, as: view)))
        for key in Key.parseSequence(c.keys) { _ = state.apply(.input(.key(key))) }
        #expect(Expected(state.modal) == c.modal)
        if let status = c.status { #expect(state.status?.text == status) }
        #expect(!state.quitRequested)
    }
}
