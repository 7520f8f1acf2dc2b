import Foundation
import HookCore
import TermUI

/// Keys and the mouse: what the open modal, or else the focused pane, does with each.
extension AppState {
    mutating func handle(_ input: InputEvent) -> [Effect] {
        switch input {
        case .key(let key):
            return handle(key)
        case .mouse(let mouse):
            return handle(mouse)
        case .resize(let newSize):
            size = newSize
            return []
        case .endOfInput, .terminate:
            quitRequested = true
            return []
        }
    }

    mutating func handle(_ key: Key) -> [Effect] {
        switch modal {
        case .help(let scroll):
            switch keymap.action(for: key, in: .help) {
            case .closeHelp: modal = .none
            case .moveUp: modal = .help(scroll: max(0, scroll - (key == .pageUp ? 10 : 1)))
            case .moveDown: modal = .help(scroll: scroll + (key == .pageDown ? 10 : 1))
            default: break
            }
            return []
        case .confirm(let confirmation):
            modal = .none
            return answer(confirmation, yes: keymap.action(for: key, in: .confirm) == .confirmYes)
        case .prompt(let prompt):
            return handle(key, in: prompt)
        case .none:
            break
        }
        status = nil
        guard let action = keymap.action(for: key, in: detail.focus.keyContext) else {
            if case .character(let c) = key, c != " " {
                status = StatusMessage(text: "\(Sanitizer.displayText(String(c))) does nothing here: press ? for help", isError: false)
            }
            return []
        }
        return perform(action)
    }

    mutating func answer(_ confirmation: Confirmation, yes: Bool) -> [Effect] {
        switch confirmation {
        case .replay(let pending):
            guard yes else {
                status = StatusMessage(text: "replay cancelled: nothing sent", isError: false)
                return []
            }
            replay.confirmedHosts.insert(pending.host)
            return startReplay(id: pending.id, target: pending.target, mode: pending.mode)
        case .clearAll:
            guard yes else {
                status = StatusMessage(text: "nothing deleted", isError: false)
                return []
            }
            status = StatusMessage(text: "deleting all requests…", isError: false)
            return [.deleteAll]
        case .delete(let id):
            guard yes else {
                status = StatusMessage(text: "nothing deleted", isError: false)
                return []
            }
            return [.delete(id: id)]
        }
    }

    /// Sends capture `id` to `target` (after the editor when `mode` is `.edited`); the list shows it pending.
    /// The target becomes the prompt's default and is remembered in the store.
    mutating func startReplay(id: Int64, target: String, mode: ReplayMode) -> [Effect] {
        replay.pendingReplays.insert(id)
        replay.showsColumn = true
        replay.used(target)
        if mode.edits {
            status = StatusMessage(
                text: "editing #\(id) before replaying it\(mode.resigns ? " re-signed" : "") to \(target)…", isError: false)
            return [.rememberReplayTarget(target), .editAndReplay(id: id, target: target, resign: mode.resigns)]
        }
        status = StatusMessage(text: "replaying #\(id)\(mode.resigns ? " re-signed" : "") to \(target)…", isError: false)
        return [.rememberReplayTarget(target), .replay(id: id, target: target, resign: mode.resigns)]
    }

    mutating func perform(_ action: Action) -> [Effect] {
        switch action {
        case .moveUp: move(by: -1)
        case .moveDown: move(by: 1)
        case .pageUp: move(by: -max(1, pageSize - 1))
        case .pageDown: move(by: max(1, pageSize - 1))
        case .moveTop: move(by: Int.min / 2)
        case .moveBottom:
            move(by: Int.max / 2)
            // On the list, the newest request: following it again, as `f` would.
            if detail.focus == .list { list.follow = true }
        case .scrollLeft, .scrollRight:
            let focus = detail.focus
            guard focus == .body else {
                status = StatusMessage(
                    text: focus == .list ? "the list does not scroll sideways: focus a pane with Tab"
                        : "the \(focus.title.lowercased()) pane wraps long lines: nothing to scroll sideways",
                    isError: false)
                return []
            }
            let step = max(4, layout[focus].width / 2)
            detail.horizontalScroll[focus] = max(0, (detail.horizontalScroll[focus] ?? 0) + (action == .scrollLeft ? -step : step))
        case .focusNext:
            detail.focus = Pane.allCases[(Pane.allCases.firstIndex(of: detail.focus)! + 1) % Pane.allCases.count]
        case .focusPrevious:
            detail.focus = Pane.allCases[(Pane.allCases.firstIndex(of: detail.focus)! + Pane.allCases.count - 1) % Pane.allCases.count]
        case .zoom:
            detail.zoomed.toggle()
        case .filter:
            detail.focus = .list
            modal = .prompt(Prompt(.filter, text: filter.text))
            if detail.zoomed { detail.zoomed = false }
        case .clearFilter:
            if isFiltering || !filter.text.isEmpty {
                return setFilterText("")
            }
            status = StatusMessage(text: "no filter to clear", isError: false)
        case .follow:
            list.follow.toggle()
            status = StatusMessage(text: list.follow ? "following the newest request" : "stopped following", isError: false)
        case .search:
            guard detail.body.formatted != nil else {
                status = StatusMessage(text: "nothing to search: no body shown", isError: false)
                return []
            }
            modal = .prompt(Prompt(.search, text: detail.body.query))
        case .nextMatch, .previousMatch:
            let body = detail.body
            guard !body.matches.isEmpty else {
                status = StatusMessage(text: body.query.isEmpty ? "no search: press / in the body pane" : "no matches", isError: false)
                return []
            }
            let count = body.matches.count
            let current = body.currentMatch ?? (action == .nextMatch ? -1 : 0)
            detail.body.currentMatch = (current + (action == .nextMatch ? 1 : -1) + count) % count
            revealCurrentMatch()
        case .cycleView:
            guard let request = detail.request, !detail.body.views.isEmpty else {
                status = StatusMessage(text: "no request selected", isError: false)
                return []
            }
            // From the diff, back to the body in the view it had.
            if detail.body.diff != nil { return switchView(request) }
            detail.body.viewIndex = (detail.body.viewIndex + 1) % detail.body.views.count
            detail.body.chosenByUser = true
            return switchView(request)
        case .rawView:
            guard let request = detail.request, let rawIndex = detail.body.views.firstIndex(of: .raw) else {
                status = StatusMessage(text: "no request selected", isError: false)
                return []
            }
            if detail.body.viewIndex == rawIndex {
                detail.body.viewIndex = detail.body.previousViewIndex ?? 0
            } else {
                detail.body.previousViewIndex = detail.body.viewIndex
                detail.body.viewIndex = rawIndex
            }
            detail.body.chosenByUser = true
            return switchView(request)
        case .replay, .replayResigned, .editReplay, .editReplayResigned:
            guard let summary = selectedSummary else {
                status = StatusMessage(text: "replay: no request selected", isError: false)
                return []
            }
            let mode: ReplayMode = switch action {
            case .replayResigned: .resigned
            case .editReplay: .edited
            case .editReplayResigned: .editedResigned
            default: .exact
            }
            modal = .prompt(Prompt(.replayURL(id: summary.id, mode: mode), text: replay.promptTarget))
        case .setSecret:
            guard let summary = selectedSummary else {
                status = StatusMessage(text: "secret: no request selected", isError: false)
                return []
            }
            guard let provider = summary.signature.provider else {
                status = StatusMessage(
                    text: "secret: no provider recognised for #\(summary.id); pin one with --provider PATH=NAME", isError: false)
                return []
            }
            modal = .prompt(Prompt(.secret(provider: provider)))
        case .secrets:
            return [.listSecrets]
        case .rules:
            return [.listRules]
        case .failNext:
            modal = .prompt(Prompt(.failNext(path: selectedSummary.map { Self.path(of: $0) }), text: "3 500"))
        case .endpointDown:
            guard override == nil else {
                status = StatusMessage(text: "override off: the rules and the listener's options answer again", isError: false)
                return [.setOverride(nil)]
            }
            return [.setOverride(.endpointDown(failure: nil))]
        case .copyCurl:
            guard let summary = selectedSummary else {
                status = StatusMessage(text: "copy: no request selected", isError: false)
                return []
            }
            // Aimed where the capture arrived, as `export --curl` is (not at a replay or forward target).
            return [.copyCurl(id: summary.id, baseURL: listenURL)]
        case .saveSample:
            guard let summary = selectedSummary else {
                status = StatusMessage(text: "sample: no request selected", isError: false)
                return []
            }
            return [.saveSample(id: summary.id)]
        case .markForDiff:
            guard let summary = selectedSummary else {
                status = StatusMessage(text: "mark: no request selected", isError: false)
                return []
            }
            if diffMark == summary.id {
                diffMark = nil
                status = StatusMessage(text: "unmarked #\(summary.id)", isError: false)
            } else {
                diffMark = summary.id
                status = StatusMessage(text: "marked #\(summary.id) as A: select another request and press = to diff them", isError: false)
            }
        case .diffWithMarked:
            return openDiff()
        case .exportList:
            guard rowCount > 0 else {
                status = StatusMessage(text: "export: the list is empty", isError: false)
                return []
            }
            status = StatusMessage(text: "exporting \(rowCount) request\(rowCount == 1 ? "" : "s")…", isError: false)
            return [.exportList(filter: isFiltering ? filter.parsed : nil)]
        case .deleteSelected:
            guard let summary = selectedSummary else {
                status = StatusMessage(text: "delete: no request selected", isError: false)
                return []
            }
            modal = .confirm(.delete(id: summary.id))
        case .clearAll:
            guard list.total > 0 else {
                status = StatusMessage(text: "nothing to delete", isError: false)
                return []
            }
            modal = .confirm(.clearAll)
        case .help:
            modal = .help(scroll: 0)
        case .quit:
            quitRequested = true
        case .promptAccept, .promptCancel, .promptDeleteBackward, .promptDeleteWord, .promptDeleteLine, .confirmYes, .confirmNo, .closeHelp:
            break
        }
        return []
    }

    var pageSize: Int {
        detail.focus == .list ? layout.listRows : layout.textRows(detail.focus)
    }

    mutating func move(by delta: Int) {
        let layout = self.layout
        switch detail.focus {
        case .list:
            guard rowCount > 0 else { return }
            let target = clampedAdd(list.selected, delta, upper: rowCount - 1)
            list.follow = delta > 0 && target == rowCount - 1 && list.follow
            list.selected = target
        case .headers:
            let count = MainScreen.wrappedRowCount(MainScreen.headerLines(detail.request, identity: detail.identity, attempts: detail.deliveryAttempts), in: layout.headers)
            detail.headersScroll = clampedAdd(detail.headersScroll, delta, upper: max(0, count - layout.textRows(.headers)))
        case .signature:
            detail.signatureScroll = clampedAdd(
                detail.signatureScroll, delta,
                upper: max(0, MainScreen.wrappedRowCount(MainScreen.signatureLines(self), in: layout.signature) - layout.textRows(.signature)))
        case .body:
            let count = detail.body.formatted?.lineCount ?? 0
            detail.body.scroll = clampedAdd(detail.body.scroll, delta, upper: max(0, count - layout.textRows(.body)))
        }
    }

    func clampedAdd(_ value: Int, _ delta: Int, upper: Int) -> Int {
        let (sum, overflow) = value.addingReportingOverflow(delta)
        let result = overflow ? (delta > 0 ? upper : 0) : sum
        return min(max(0, result), max(0, upper))
    }

    /// `=`: the diff of the marked capture (A) with the selected one (B) in the body pane, or back
    /// to the body when the diff is shown.
    mutating func openDiff() -> [Effect] {
        if detail.body.diff != nil, let request = detail.request {
            return switchView(request)
        }
        guard let marked = diffMark else {
            status = StatusMessage(text: "diff: mark a request with m first, then select another and press =", isError: false)
            return []
        }
        guard let selected = selectedSummary else {
            status = StatusMessage(text: "diff: no request selected", isError: false)
            return []
        }
        guard detail.request?.id == selected.id else {
            status = StatusMessage(text: "diff: #\(selected.id) is still loading; press = again", isError: false)
            return []
        }
        guard selected.id != marked else {
            status = StatusMessage(text: "diff: #\(marked) is the marked request (A): select another one to compare it with", isError: false)
            return []
        }
        let pair = DiffPair(a: marked, b: selected.id)
        detail.body.diff = pair
        detail.body.formatted = nil
        detail.body.scroll = 0
        detail.horizontalScroll[.body] = 0
        detail.body.matches = []
        detail.body.currentMatch = nil
        detail.focus = .body
        status = StatusMessage(text: "comparing #\(marked) with #\(selected.id)…", isError: false)
        return [.diff(a: pair.a, b: pair.b)]
    }

    mutating func switchView(_ request: CapturedRequest) -> [Effect] {
        detail.body.diff = nil
        detail.body.formatted = nil
        detail.body.scroll = 0
        detail.horizontalScroll[.body] = 0
        detail.body.matches = []
        detail.body.currentMatch = nil
        guard let view = detail.body.currentView else { return [] }
        return [.formatBody(request, view)]
    }

    mutating func revealCurrentMatch() {
        let body = detail.body
        guard let index = body.currentMatch, index < body.matches.count else { return }
        let line = body.matches[index]
        let rows = max(1, layout.textRows(.body))
        if line < body.scroll || line >= body.scroll + rows {
            detail.body.scroll = max(0, line - rows / 3)
        }
    }

    // MARK: - Prompt

    mutating func handle(_ key: Key, in prompt: Prompt) -> [Effect] {
        let action = keymap.action(for: key, in: .prompt)
        switch action {
        case .promptAccept:
            modal = .none
            return accept(prompt)
        case .promptCancel:
            modal = .none
            return cancel(prompt)
        default:
            break
        }
        var prompt = prompt
        if !prompt.editor.edit(action) {
            if case .replayURL = prompt.kind, key == .up || key == .down {
                walkHistory(&prompt, back: key == .up)
            } else if case .character(let c) = key {
                prompt.editor.insert(c)
            } else {
                return []
            }
        }
        modal = .prompt(prompt)
        return followText(of: prompt)
    }

    /// Up and Down in the replay URL prompt walk the targets used before, newest first, then an empty line.
    func walkHistory(_ prompt: inout Prompt, back: Bool) {
        let history = replay.history
        guard !history.isEmpty else { return }
        let next = back ? (prompt.historyIndex.map { $0 + 1 } ?? 0) : (prompt.historyIndex.map { $0 - 1 } ?? -1)
        if next < 0 {
            prompt.historyIndex = nil
            prompt.editor.clear()
        } else {
            let index = min(next, history.count - 1)
            prompt.historyIndex = index
            prompt.editor.replace(with: history[index])
        }
    }

    /// The filter and the search follow their prompt's text as it is typed.
    mutating func followText(of prompt: Prompt) -> [Effect] {
        switch prompt.kind {
        case .filter:
            return prompt.text == filter.text ? [] : setFilterText(prompt.text)
        case .search:
            return prompt.text == detail.body.query ? [] : setSearch(prompt.text)
        case .replayURL, .secret, .secrets, .rules, .failNext:
            return []
        }
    }

    /// Enter: the filter or search stays, the replay is sent, the secret is set.
    mutating func accept(_ prompt: Prompt) -> [Effect] {
        switch prompt.kind {
        case .filter:
            if filter.error != nil {
                status = StatusMessage(text: "filter not applied: \(filter.error ?? "")", isError: true)
            }
            return []
        case .search:
            return []
        case .replayURL(let id, let mode):
            let target = prompt.text.trimmingCharacters(in: .whitespaces)
            guard !target.isEmpty else {
                status = StatusMessage(text: "replay: no target URL given", isError: true)
                return []
            }
            // The target becomes the default only once something is sent to it (`startReplay`).
            guard let host = ReplayState.host(of: target) else {
                status = StatusMessage(text: "replay: '\(target)' is not an http:// or https:// URL", isError: true)
                return []
            }
            if !ReplayState.isLoopback(host) && !replay.confirmedHosts.contains(host) {
                // The request may carry secrets: ask once per host before sending it off this machine.
                modal = .confirm(.replay(PendingReplay(id: id, target: target, host: host, mode: mode)))
                return []
            }
            return startReplay(id: id, target: target, mode: mode)
        case .secret(let asked):
            guard !prompt.text.isEmpty else {
                status = StatusMessage(text: "secret: nothing entered, nothing changed", isError: false)
                return []
            }
            let provider: String
            let secret: String
            switch SecretEntry.read(prompt.text, asked: asked, customProviders: customProviders) {
            case .secret(let text):
                (provider, secret) = (asked, text)
            case .forProvider(let id, let text):
                (provider, secret) = (id, text)
            case .unknownProvider(let name):
                status = StatusMessage(
                    text: "secret not set: '\(Sanitizer.displayText(name))' before '=' is not a provider id (see `hookscope providers`); to set a secret with '=' in it, type \(asked)=SECRET",
                    isError: true)
                return []
            }
            guard !secret.isEmpty else {
                status = StatusMessage(text: "secret: nothing after '=', nothing changed", isError: false)
                return []
            }
            return [.setSecret(provider: provider, secret: secret, visible: visibleIDs)]
        case .secrets(let secrets):
            let text = prompt.text.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { return [] }
            guard let number = Int(text), number >= 1, number <= secrets.count else {
                status = StatusMessage(text: "secrets: type the number (1–\(secrets.count)) of the secret to remove; nothing removed", isError: true)
                return []
            }
            let chosen = secrets[number - 1]
            let index = secrets[..<(number - 1)].filter { $0.provider == chosen.provider }.count
            return [.removeSecret(provider: chosen.provider, index: index, visible: visibleIDs)]
        case .rules:
            return []
        case .failNext(let path):
            switch FailNextEntry.read(prompt.text, path: path) {
            case .success(let override):
                return [.setOverride(override)]
            case .failure(let error):
                status = StatusMessage(text: "fail next: \(error.message)", isError: true)
                return []
            }
        }
    }

    /// The path part of a capture's target, as the fail-next override compares it.
    static func path(of summary: RequestSummary) -> String {
        let target = summary.target
        return target.firstIndex(of: "?").map { String(target[..<$0]) } ?? target
    }

    /// The captures on screen, re-verified first after a secret changes.
    var visibleIDs: [Int64] {
        isFiltering ? Array(filter.matches.prefix(200).map(\.id)) : list.window.items.map(\.id)
    }

    /// Esc: the filter or search is cleared, the replay and the secret are dropped.
    mutating func cancel(_ prompt: Prompt) -> [Effect] {
        switch prompt.kind {
        case .filter:
            return setFilterText("")
        case .search:
            return setSearch("")
        case .replayURL:
            status = StatusMessage(text: "replay cancelled", isError: false)
        case .secret:
            status = StatusMessage(text: "secret unchanged", isError: false)
        case .secrets:
            status = StatusMessage(text: "secrets unchanged", isError: false)
        case .rules:
            break
        case .failNext:
            status = StatusMessage(text: "fail next: cancelled, nothing changed", isError: false)
        }
        return []
    }

    mutating func setFilterText(_ text: String) -> [Effect] {
        filter.text = text
        filter.generation += 1
        filter.matches = []
        filter.searchedThrough = 0
        if text.isEmpty {
            filter.parsed = nil
            filter.error = nil
            filter.scanning = false
            list.follow = true
            return [.cancelFilterScan]
        }
        do {
            let parsed = try RequestFilter.parse(text, customProviders: customProviders)
            filter.error = nil
            filter.parsed = parsed
            filter.scanning = true
            list.follow = true
            return [.scanFilter(generation: filter.generation, filter: parsed)]
        } catch {
            filter.error = "\(error)"
            filter.parsed = nil
            filter.scanning = false
            return [.cancelFilterScan]
        }
    }

    mutating func setSearch(_ query: String) -> [Effect] {
        detail.body.query = query
        return startSearch()
    }

    mutating func startSearch() -> [Effect] {
        detail.body.searchGeneration += 1
        detail.body.matches = []
        detail.body.currentMatch = nil
        guard !detail.body.query.isEmpty, let formatted = detail.body.formatted else { return [] }
        return [.searchBody(generation: detail.body.searchGeneration, body: formatted, query: Array(detail.body.query.utf8))]
    }

    // MARK: - Mouse

    mutating func handle(_ mouse: MouseEvent) -> [Effect] {
        let layout = self.layout
        guard !layout.tooSmall, !modal.isHelp, let pane = layout.pane(atX: mouse.x, y: mouse.y) else { return [] }
        switch mouse.button {
        case .left:
            detail.focus = pane
            if pane == .list {
                let row = list.top + (mouse.y - layout.list.y - 2)
                if mouse.y >= layout.list.y + 2, row < rowCount {
                    list.selected = row
                    list.follow = false
                }
            }
        case .wheelUp, .wheelDown:
            let previous = detail.focus
            detail.focus = pane
            move(by: mouse.button == .wheelUp ? -3 : 3)
            if pane != .list { detail.focus = previous }
        case .middle, .right:
            break
        }
        return []
    }
}
