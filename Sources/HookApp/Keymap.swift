import TermUI

/// Named commands: a key, the help screen and the docs all refer to these.
public enum Action: String, Sendable, Hashable, CaseIterable {
    case moveUp = "cursor.up"
    case moveDown = "cursor.down"
    case moveTop = "cursor.top"
    case moveBottom = "cursor.bottom"
    case pageUp = "cursor.page-up"
    case pageDown = "cursor.page-down"
    case scrollLeft = "cursor.left"
    case scrollRight = "cursor.right"
    case focusNext = "focus.next"
    case focusPrevious = "focus.previous"
    case zoom = "pane.zoom"
    case filter = "list.filter"
    case clearFilter = "list.clear-filter"
    case follow = "list.follow"
    case search = "body.search"
    case nextMatch = "body.next-match"
    case previousMatch = "body.previous-match"
    case cycleView = "body.cycle-view"
    case rawView = "body.raw"
    case replay = "request.replay"
    case replayResigned = "request.replay-resigned"
    case editReplay = "request.edit-replay"
    case editReplayResigned = "request.edit-replay-resigned"
    case copyCurl = "request.copy-curl"
    case saveSample = "request.save-sample"
    case markForDiff = "request.mark"
    case diffWithMarked = "request.diff"
    case setSecret = "signature.set-secret"
    case secrets = "signature.secrets"
    case exportList = "list.export"
    case deleteSelected = "request.delete"
    case clearAll = "request.clear-all"
    case rules = "rules.list"
    case failNext = "rules.fail-next"
    case endpointDown = "rules.endpoint-down"
    case help = "app.help"
    case quit = "app.quit"
    case promptAccept = "prompt.accept"
    case promptCancel = "prompt.cancel"
    case promptDeleteBackward = "prompt.delete-backward"
    case promptDeleteWord = "prompt.delete-word"
    case promptDeleteLine = "prompt.delete-line"
    case confirmYes = "confirm.yes"
    case confirmNo = "confirm.no"
    case closeHelp = "help.close"
}

/// Where a binding applies. Pane contexts take precedence over `global`.
public enum KeyContext: String, Sendable, Hashable, CaseIterable {
    case global
    case list
    case body
    case prompt
    case confirm
    case help

    public var title: String {
        switch self {
        case .global: "Everywhere"
        case .list: "Request list"
        case .body: "Body pane"
        case .prompt: "While typing in a prompt (filter, search, replay URL, secret, secrets, rules, fail next)"
        case .confirm: "Confirmation"
        case .help: "Help screen"
        }
    }
}

/// The kinds of prompt, for the footer labels of the keys that act differently in each.
public enum PromptPurpose: Sendable, Hashable, CaseIterable {
    case filter
    case search
    case replayURL
    case secret
    case secrets
    case rules
    case failNext
}

/// One key binding: the chords that trigger an action in a context, and the help text for it.
public struct KeyBinding: Sendable, Hashable {
    public var chords: [Key]
    public var action: Action
    public var help: String
    public var context: KeyContext
    /// Short label for the status bar hints; nil keeps the binding out of the footer.
    public var hint: String?
    /// The label in the kinds of prompt where the binding does something other than what `hint` says.
    public var promptHints: [PromptPurpose: String]

    public init(chords: [Key], action: Action, help: String, context: KeyContext, hint: String? = nil,
                promptHints: [PromptPurpose: String] = [:]) {
        self.chords = chords
        self.action = action
        self.help = help
        self.context = context
        self.hint = hint
        self.promptHints = promptHints
    }

    /// The footer label in a kind of prompt (or outside prompts, when nil).
    public func hint(in purpose: PromptPurpose?) -> String? {
        purpose.flatMap { promptHints[$0] } ?? hint
    }

    public var chordText: String { chords.map(\.description).joined(separator: ", ") }
}

/// The one keymap: key handling, the `?` screen, the footer hints and docs/keybindings.md come from it.
public struct Keymap: Sendable {
    public var bindings: [KeyBinding]

    public init(bindings: [KeyBinding]) { self.bindings = bindings }

    public static let standard = Keymap(bindings: [
        KeyBinding(chords: [.up, .character("k")], action: .moveUp, help: "previous request (or scroll the focused pane up)", context: .global, hint: "move"),
        KeyBinding(chords: [.down, .character("j")], action: .moveDown, help: "next request (or scroll the focused pane down)", context: .global),
        KeyBinding(chords: [.character("g"), .home], action: .moveTop, help: "first request (or top of the pane)", context: .global),
        KeyBinding(chords: [.character("G"), .end], action: .moveBottom, help: "last request, following again (or bottom of the pane)", context: .global),
        KeyBinding(chords: [.pageUp], action: .pageUp, help: "one page up", context: .global),
        KeyBinding(chords: [.pageDown], action: .pageDown, help: "one page down", context: .global),
        KeyBinding(chords: [.left, .character("h")], action: .scrollLeft, help: "scroll the body left (the headers and signature panes wrap long lines)", context: .global),
        KeyBinding(chords: [.right, .character("l")], action: .scrollRight, help: "scroll the body right (long lines)", context: .global),
        KeyBinding(chords: [.tab], action: .focusNext, help: "focus the next pane", context: .global, hint: "pane"),
        KeyBinding(chords: [.backTab], action: .focusPrevious, help: "focus the previous pane", context: .global),
        KeyBinding(chords: [.enter], action: .zoom, help: "zoom the focused pane (again to go back)", context: .global, hint: "zoom"),
        KeyBinding(chords: [.character("/")], action: .filter, help: "filter the list as you type (e.g. stripe, method:POST)", context: .global, hint: "filter"),
        KeyBinding(chords: [.character("/")], action: .search, help: "search the body; Enter keeps the search", context: .body, hint: "search"),
        KeyBinding(chords: [.character("n")], action: .nextMatch, help: "next search match", context: .body, hint: "next"),
        KeyBinding(chords: [.character("N")], action: .previousMatch, help: "previous search match", context: .body),
        KeyBinding(chords: [.escape], action: .clearFilter, help: "clear the filter", context: .list),
        KeyBinding(chords: [.character("v")], action: .cycleView, help: "cycle the body views (json, form, text, hex, raw, ...)", context: .global, hint: "view"),
        KeyBinding(chords: [.character("b")], action: .rawView, help: "raw body bytes (again to go back)", context: .global),
        KeyBinding(chords: [.character("f")], action: .follow, help: "follow the newest request (toggle)", context: .global),
        KeyBinding(chords: [.character("r")], action: .replay, help: "replay the selected request (prompts for the URL, pre-filled with --replay-to or the last one used)", context: .global, hint: "replay"),
        KeyBinding(chords: [.character("s")], action: .setSecret, help: "add a signing secret for the selected request's provider, or PROVIDER=SECRET for another (that provider's captures are re-verified)", context: .global),
        KeyBinding(chords: [.character("S")], action: .secrets, help: "list the secrets loaded (masked); type a number and Enter to remove one for this session", context: .global),
        KeyBinding(chords: [.character("y")], action: .copyCurl, help: "copy the selected request as a curl command (clipboard through OSC 52, and a file)", context: .global),
        KeyBinding(chords: [.character("w")], action: .saveSample, help: "write the selected request as a sample of your own (`hookscope send --sample PROVIDER/NAME` sends it again, freshly signed)", context: .global),
        KeyBinding(chords: [.character("m")], action: .markForDiff, help: "mark the selected request for a diff (again to unmark)", context: .global),
        KeyBinding(chords: [.character("=")], action: .diffWithMarked, help: "diff the marked request (A) with the selected one (B) in the body pane: scroll, zoom and search it like a body; again to go back to the body", context: .global),
        KeyBinding(chords: [.character("x")], action: .exportList, help: "export the list (filtered, if a filter is on) as a HAR file", context: .global),
        KeyBinding(chords: [.character("R")], action: .replayResigned, help: "replay re-signed: a fresh timestamp and a valid signature with the configured secret", context: .global),
        KeyBinding(chords: [.character("e")], action: .editReplay, help: "edit the request in $EDITOR, then replay the edited copy (the capture is never changed; nothing is sent when the file is left unchanged or the editor fails)", context: .global),
        KeyBinding(chords: [.character("E")], action: .editReplayResigned, help: "edit the request in $EDITOR, then replay the edited copy re-signed: a fresh timestamp and a signature over the edited body", context: .global),
        KeyBinding(chords: [.character("d")], action: .deleteSelected, help: "delete the selected request (asks first: there is no undo)", context: .global),
        KeyBinding(chords: [.character("D")], action: .clearAll, help: "delete all requests (asks first)", context: .global),
        KeyBinding(chords: [.character("u")], action: .rules, help: "the response rules (--rules) with how often each matched, and the override in force", context: .global),
        KeyBinding(chords: [.character("F")], action: .failNext, help: "make the next N requests on the selected request's path fail: `3 500`, `1 reset`, `5 timeout all` (every path), `down reset` (until switched off)", context: .global),
        KeyBinding(chords: [.character("!")], action: .endpointDown, help: "endpoint down: every request gets 503 until pressed again (which also ends a fail-next)", context: .global),
        KeyBinding(chords: [.character("?")], action: .help, help: "this help", context: .global, hint: "help"),
        KeyBinding(chords: [.character("q")], action: .quit, help: "quit (restoring the terminal)", context: .global, hint: "quit"),
        KeyBinding(chords: [.enter], action: .promptAccept, help: "keep the filter or search (or accept the replay URL) and return to the panes", context: .prompt, hint: "keep",
                   promptHints: [.replayURL: "send", .secret: "set", .secrets: "remove", .rules: "close", .failNext: "fail"]),
        KeyBinding(chords: [.escape], action: .promptCancel, help: "clear the filter or search (or cancel the replay)", context: .prompt, hint: "clear",
                   promptHints: [.replayURL: "cancel", .secret: "cancel", .secrets: "close", .rules: "close", .failNext: "cancel"]),
        KeyBinding(chords: [.backspace], action: .promptDeleteBackward, help: "delete the last character", context: .prompt),
        KeyBinding(chords: [.control("w")], action: .promptDeleteWord, help: "delete the last word", context: .prompt),
        KeyBinding(chords: [.control("u")], action: .promptDeleteLine, help: "delete everything typed", context: .prompt),
        KeyBinding(chords: [.character("y")], action: .confirmYes, help: "yes, do it", context: .confirm, hint: "yes"),
        KeyBinding(chords: [.character("n"), .escape], action: .confirmNo, help: "no (any other key too)", context: .confirm, hint: "no"),
        KeyBinding(chords: [.escape, .character("?"), .character("q")], action: .closeHelp, help: "close the help", context: .help, hint: "close"),
        KeyBinding(chords: [.up, .character("k"), .pageUp], action: .moveUp, help: "scroll the help up", context: .help),
        KeyBinding(chords: [.down, .character("j"), .pageDown], action: .moveDown, help: "scroll the help down", context: .help),
    ])

    /// `hookscope watch`: the standard keymap without the keys that change how the listener answers
    /// (response rules and overrides), since the viewer has no listener.
    public static let viewer = Keymap(bindings: standard.bindings.filter { !listenerOnly.contains($0.action) })

    /// The actions that act on this process's listener.
    public static let listenerOnly: Set<Action> = [.rules, .failNext, .endpointDown]

    /// The action for a key: the first binding of `context` that has it, then (for pane contexts) a global one.
    public func action(for key: Key, in context: KeyContext) -> Action? {
        if let binding = bindings.first(where: { $0.context == context && $0.chords.contains(key) }) {
            return binding.action
        }
        switch context {
        case .list, .body, .global:
            return bindings.first(where: { $0.context == .global && $0.chords.contains(key) })?.action
        case .prompt, .confirm, .help:
            return nil
        }
    }

    /// Footer hints for a context: its own hinted bindings, then the global ones it does not shadow.
    /// In the prompt context the labels are those of the kind of prompt open (`purpose`).
    public func hints(for context: KeyContext, in purpose: PromptPurpose? = nil) -> [(keys: String, label: String)] {
        var result: [(String, String)] = []
        var seen = Set<Action>()
        let own = bindings.filter { $0.context == context && $0.hint != nil }
        let shadowed = Set(bindings.filter { $0.context == context }.flatMap(\.chords))
        let global = (context == .list || context == .body || context == .global)
            ? bindings.filter { $0.context == .global && $0.hint != nil && !$0.chords.contains(where: shadowed.contains) }
            : []
        for binding in own + global where !seen.contains(binding.action) {
            seen.insert(binding.action)
            var keys = binding.chords.first.map(\.description) ?? ""
            if binding.action == .moveUp { keys = "↑↓/jk" }
            result.append((keys, binding.hint(in: context == .prompt ? purpose : nil) ?? ""))
        }
        return result
    }

    /// The help screen's lines, grouped by context.
    public func helpLines() -> [TextLine] {
        var lines: [TextLine] = []
        for context in KeyContext.allCases {
            let group = bindings.filter { $0.context == context }
            guard !group.isEmpty else { continue }
            if !lines.isEmpty { lines.append(TextLine()) }
            lines.append(TextLine(context.title, Style(.heading, bold: true)))
            let width = max(12, group.map { DisplayWidth.columns($0.chordText) }.max() ?? 0)
            for binding in group {
                let pad = String(repeating: " ", count: max(1, width - DisplayWidth.columns(binding.chordText) + 2))
                var line = TextLine("  " + binding.chordText, Style(.key))
                line.append(pad + binding.help)
                lines.append(line)
            }
        }
        lines.append(TextLine())
        lines.append(TextLine("Mouse", Style(.heading, bold: true)))
        for (what, help) in Self.mouseHelp {
            lines.append(TextLine("  \(what)" + String(repeating: " ", count: max(1, 14 - what.count)) + help))
        }
        return lines
    }

    public static let mouseHelp: [(String, String)] = [
        ("click", "select a request or focus a pane"),
        ("wheel", "scroll the pane under the pointer"),
    ]

    /// The Markdown of docs/keybindings.md, generated from this keymap.
    public func markdown() -> String {
        var out = "# Key bindings\n\n"
        out += "Generated from `Keymap.standard` in `Sources/HookApp/Keymap.swift`; a test fails when this file is stale.\n"
        out += "Regenerate with `UPDATE_KEYBINDINGS_DOC=1 swift test --filter KeymapTests`.\n"
        for context in KeyContext.allCases {
            let group = bindings.filter { $0.context == context }
            guard !group.isEmpty else { continue }
            out += "\n## \(context.title)\n\n| keys | action | what it does |\n| --- | --- | --- |\n"
            for binding in group {
                let keys = binding.chords.map { "`\($0.description == "|" ? "\\|" : $0.description)`" }.joined(separator: ", ")
                out += "| \(keys) | `\(binding.action.rawValue)` | \(binding.help) |\n"
            }
        }
        out += "\n## Mouse\n\n| input | what it does |\n| --- | --- |\n"
        for (what, help) in Self.mouseHelp { out += "| \(what) | \(help) |\n" }
        return out
    }
}
