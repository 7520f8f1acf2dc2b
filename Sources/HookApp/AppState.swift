import Foundation
import HookCore
import TermUI

public struct StatusMessage: Sendable, Hashable {
    public var text: String
    public var isError: Bool
}

public enum PromptKind: Sendable, Hashable {
    case filter
    case search
    /// The replay target URL, pre-filled with `--replay-to` or the last one used.
    case replayURL(id: Int64)
    /// A signing secret for a provider (typed hidden).
    case secret(provider: String)

    public var purpose: PromptPurpose {
        switch self {
        case .filter: .filter
        case .search: .search
        case .replayURL: .replayURL
        case .secret: .secret
        }
    }
}

/// The app's whole state. `apply` is the only mutation; drawing reads it and never changes it.
public struct AppState: Sendable {
    public var listenURL: String
    public var replayTo: String?
    public var keymap = Keymap.standard
    public var size: Size
    public var focus: Pane = .list
    public var zoomed = false
    public var showHelp = false
    public var helpScroll = 0
    public var quitRequested = false
    public var status: StatusMessage?
    public var confirmingClearAll = false
    /// A replay to a host that is not loopback, waiting for y/n (asked once per host).
    public var confirmingReplay: (id: Int64, target: String, host: String, resign: Bool, edit: Bool)?
    /// The open replay prompt re-signs (R) rather than sending the exact request (r).
    public var replayResign = false
    /// The open replay prompt edits the request first (e).
    public var replayEdit = false
    /// Replay targets used, newest first (Up/Down in the prompt).
    var replayHistory: [String] = []
    var replayHistoryIndex: Int?
    /// Hosts the user agreed to send captures to.
    var confirmedHosts: Set<String> = []
    /// The newest replay result, shown in the signature pane of its capture.
    public var lastReplay: ReplayAttempt?
    /// The newest replay (or forward) of captures known to have one, by id: the list's `→TARGET`
    /// column. Holds the loaded rows and live results; trimmed to the loaded window when it grows.
    public var replayMarks: [Int64: ReplayOutcome] = [:]
    /// Captures queued for forwarding whose result has not come yet (`→…` in the list).
    public var pendingForwards: Set<Int64> = []
    /// Captures replayed with `r`/`R`/`e` whose answer has not come yet (`→…` in the list too).
    public var pendingReplays: Set<Int64> = []
    /// `--forward-to`, when every capture is forwarded.
    public var forwardTarget: String?
    /// A replay or forward has been seen: the list shows its `→TARGET` column from then on.
    public var showsReplayColumn = false
    public var prompt: PromptKind?
    /// Text of the replay URL prompt while it is open.
    public var replayURLText = ""
    /// Text of the secret prompt (never drawn: the screen shows one dot per character).
    var secretText = ""
    /// The last replay target entered.
    public var lastReplayTarget: String?

    // The list, virtualized over the store.
    public var total = 0
    public var window = ListWindow()
    var pendingWindowOffset: Int?
    public var selected = 0
    public var listTop = 0
    public var follow = true

    // Filter.
    public var filterText = ""
    public var filter: RequestFilter?
    public var filterError: String?
    public var filterGeneration = 0
    public var filterMatches: [RequestSummary] = []
    public var filterScanning = false
    public var filterScanned = 0

    // The selected capture.
    public var detail: CapturedRequest?
    var loadingID: Int64?
    /// A capture the list showed but the store no longer has.
    var unavailableID: Int64?
    public var headersScroll = 0
    /// Horizontal scroll of the text panes, in columns.
    public var horizontalScroll: [Pane: Int] = [:]
    public var signatureScroll = 0
    public var signatureLines: [String] = []
    public var body = BodyState()

    public init(listenURL: String, replayTo: String? = nil, forwardTarget: String? = nil, size: Size) {
        self.listenURL = listenURL
        self.replayTo = replayTo
        self.forwardTarget = forwardTarget
        self.showsReplayColumn = forwardTarget != nil
        self.size = size
    }

    /// Ids are kept in `replayMarks` up to this many; beyond it only the loaded window's stay.
    static let replayMarksLimit = 8192

    /// Records the newest replay of a capture; a forward result also ends its pending state.
    mutating func noteReplay(_ outcome: ReplayOutcome) {
        if let known = replayMarks[outcome.requestID], known == outcome { return }
        replayMarks[outcome.requestID] = outcome
        pendingForwards.remove(outcome.requestID)
        showsReplayColumn = true
        if replayMarks.count > Self.replayMarksLimit {
            // Rows outside the loaded window are read again from the store when they come back into view.
            var keep = Set(window.items.map(\.id))
            keep.formUnion(filterMatches.suffix(Self.replayMarksLimit / 2).map(\.id))
            keep.insert(outcome.requestID)
            replayMarks = replayMarks.filter { keep.contains($0.key) }
        }
    }

    public var layout: ScreenLayout { ScreenLayout(size: size, zoomed: zoomed ? focus : nil) }

    public var isFiltering: Bool { filter != nil }

    /// Rows in the list: every capture, or the matches of the active filter.
    public var rowCount: Int { isFiltering ? filterMatches.count : total }

    public func summary(atRow row: Int) -> RequestSummary? {
        guard row >= 0, row < rowCount else { return nil }
        return isFiltering ? filterMatches[row] : window.item(at: row)
    }

    public var selectedSummary: RequestSummary? { summary(atRow: selected) }

    /// The effects to run once at start.
    public static let startEffects: [Effect] = [.loadCount]

    // MARK: - Update

    /// Applies one event and brings the selection, the list window and the loaded capture in line.
    public mutating func apply(_ event: AppEvent) -> [Effect] {
        absorb(event) + reconcile()
    }

    /// Applies one event without `reconcile()`: the app loop absorbs a batch of events and reconciles
    /// once before it draws, so a flood of captures in follow mode loads the newest capture once per
    /// frame rather than once per capture.
    mutating func absorb(_ event: AppEvent) -> [Effect] {
        var effects: [Effect] = []
        switch event {
        case .input(let input):
            effects += handle(input)
        case .captured(let summary):
            total += 1
            // Refused captures are not forwarded (their body was not kept).
            if forwardTarget != nil, summary.refusal == nil, replayMarks[summary.id] == nil {
                pendingForwards.insert(summary.id)
            }
            if window.endOffset == total - 1 {
                window.append(summary, maxCount: 4096)
            }
            if let filter {
                effects.append(.checkFilter(generation: filterGeneration, filter: filter, summary: summary))
            }
        case .countLoaded(let count):
            total = count
            window = ListWindow()
            pendingWindowOffset = nil
        case .windowLoaded(let offset, let summaries):
            if pendingWindowOffset == offset { pendingWindowOffset = nil }
            window = ListWindow(offset: offset, items: summaries)
        case .requestLoaded(let request):
            guard request.id == selectedSummary?.id else { break }
            loadingID = nil
            detail = request
            headersScroll = 0
            signatureScroll = 0
            horizontalScroll = [:]
            signatureLines = []
            let keepView = body.chosenByUser ? body.currentView : nil
            body = BodyState()
            body.views = BodyFormatterRegistry.views(for: request)
            if let keepView, keepView == .raw || keepView == .hex, let index = body.views.firstIndex(of: keepView) {
                body.viewIndex = index
                body.chosenByUser = true
            }
            if let view = body.currentView { effects.append(.formatBody(request, view)) }
            effects.append(.explainSignature(request))
            effects.append(.loadReplays(id: request.id))
        case .requestMissing(let id):
            // Gone from the store (deleted elsewhere, or dropped by retention): refresh the list once,
            // and do not ask for this id again.
            if loadingID == id { loadingID = nil }
            unavailableID = id
            effects.append(.loadCount)
        case .bodyFormatted(let requestID, let view, let formatted):
            guard requestID == detail?.id, view == body.currentView else { break }
            body.formatted = formatted
            if !body.query.isEmpty { effects += startSearch() }
        case .signatureExplained(let requestID, let lines):
            if requestID == detail?.id { signatureLines = lines }
        case .filterBatch(let generation, let matches, let scanned, let done):
            guard generation == filterGeneration else { break }
            filterMatches += matches
            filterScanned = scanned
            filterScanning = !done
            if !matches.isEmpty { effects.append(.loadReplayMarks(ids: matches.map(\.id))) }
        case .filterChecked(let generation, let summary, let matches):
            guard generation == filterGeneration, matches else { break }
            if filterMatches.last.map({ $0.id < summary.id }) ?? true { filterMatches.append(summary) }
        case .searchFinished(let generation, let lines):
            guard generation == body.searchGeneration else { break }
            body.matches = lines
            body.currentMatch = lines.firstIndex { $0 >= body.scroll } ?? (lines.isEmpty ? nil : 0)
            revealCurrentMatch()
        case .replayMarks(let outcomes):
            for outcome in outcomes.values.sorted(by: { $0.requestID < $1.requestID }) { noteReplay(outcome) }
        case .replaysLoaded(let id, let attempts):
            if let newest = attempts.last, detail?.id == id, lastReplay?.requestID != id || (lastReplay?.id ?? 0) < newest.id {
                lastReplay = newest
                noteReplay(ReplayOutcome(newest))
            }
        case .replayRecorded(let attempt):
            noteReplay(ReplayOutcome(attempt))
            // The selected capture's forward shows in its signature pane as soon as it is done.
            if detail?.id == attempt.requestID { lastReplay = attempt }
        case .replayed(let attempt):
            pendingReplays.remove(attempt.requestID)
            lastReplay = attempt
            noteReplay(ReplayOutcome(attempt))
            let took = String(format: "%.0f ms", Double(attempt.durationNanoseconds) / 1_000_000)
            if let response = attempt.response {
                let resigned = attempt.resigned ? " (re-signed)" : ""
                status = StatusMessage(
                    text: "replayed #\(attempt.requestID)\(resigned) → \(response.status) \(HTTPStatusText.text(for: response.status)) in \(took) from \(attempt.targetURL)",
                    isError: response.status >= 500)
            } else {
                status = StatusMessage(text: "replay #\(attempt.requestID) failed: \(attempt.error ?? "no response") (\(took))", isError: true)
            }
        case .reverified(let provider, let changed, let done):
            status = StatusMessage(
                text: done ? "secret for \(provider) set; re-verified all captures (\(changed) verdict\(changed == 1 ? "" : "s") changed)"
                    : "secret for \(provider) set; re-verifying the other captures…",
                isError: false)
            // Reload what is on screen: the list window and the selected capture with its diagnosis.
            window = ListWindow()
            pendingWindowOffset = nil
            if let id = detail?.id {
                loadingID = id
                effects.append(.loadRequest(id: id))
            }
        case .copied(let id, let path, let toClipboard):
            status = StatusMessage(
                text: toClipboard ? "copied #\(id) as curl to the clipboard (OSC 52) and to \(path)" : "saved #\(id) as curl to \(path)",
                isError: false)
        case .exported(let count, let path):
            status = StatusMessage(text: "exported \(count) request\(count == 1 ? "" : "s") as HAR to \(path)", isError: false)
        case .deleted(let id):
            total = max(0, total - 1)
            window = ListWindow()
            pendingWindowOffset = nil
            filterMatches.removeAll { $0.id == id }
            if detail?.id == id { detail = nil }
            status = StatusMessage(text: "deleted request #\(id)", isError: false)
        case .clearedAll:
            total = 0
            window = ListWindow()
            pendingWindowOffset = nil
            filterMatches = []
            detail = nil
            selected = 0
            listTop = 0
            status = StatusMessage(text: "deleted all requests", isError: false)
        case .replayNotSent(let id, let message):
            pendingReplays.remove(id)
            status = StatusMessage(text: message, isError: true)
        case .failed(let message):
            status = StatusMessage(text: message, isError: true)
        }
        return effects
    }

    /// Keeps the selection, the scroll position, the loaded window and the loaded capture consistent.
    mutating func reconcile() -> [Effect] {
        var effects: [Effect] = []
        let rows = layout.listRows
        if rowCount == 0 {
            selected = 0
            listTop = 0
            detail = nil
            loadingID = nil
            return effects
        }
        if follow { selected = rowCount - 1 }
        selected = min(max(0, selected), rowCount - 1)
        if selected < listTop { listTop = selected }
        if rows > 0, selected >= listTop + rows { listTop = selected - rows + 1 }
        listTop = max(0, min(listTop, max(0, rowCount - max(rows, 1))))

        if !isFiltering {
            let visibleEnd = min(total, listTop + max(rows, 1))
            let needed = listTop..<max(visibleEnd, listTop + 1)
            let covered = window.offset <= needed.lowerBound && window.endOffset >= min(needed.upperBound, total)
                && !(window.items.isEmpty && total > 0)
            if !covered {
                let offset = max(0, listTop - max(rows, 16))
                if pendingWindowOffset != offset {
                    pendingWindowOffset = offset
                    effects.append(.loadWindow(offset: offset, limit: max(rows, 16) * 3))
                }
            }
        }
        if let summary = selectedSummary {
            if detail?.id != summary.id, loadingID != summary.id, unavailableID != summary.id {
                loadingID = summary.id
                effects.append(.loadRequest(id: summary.id))
            }
        }
        return effects
    }

    // MARK: - Input

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

    /// Sends capture `id` to `target` (after the editor when `edit`); the list shows it pending.
    mutating func startReplay(id: Int64, target: String, resign: Bool, edit: Bool) -> [Effect] {
        pendingReplays.insert(id)
        showsReplayColumn = true
        if edit {
            status = StatusMessage(text: "editing #\(id) before replaying it to \(target)…", isError: false)
            return [.editAndReplay(id: id, target: target, resign: resign)]
        }
        status = StatusMessage(text: "replaying #\(id)\(resign ? " re-signed" : "") to \(target)…", isError: false)
        return [.replay(id: id, target: target, resign: resign)]
    }

    mutating func handle(_ key: Key) -> [Effect] {
        if showHelp {
            switch keymap.action(for: key, in: .help) {
            case .closeHelp: showHelp = false
            case .moveUp: helpScroll = max(0, helpScroll - (key == .pageUp ? 10 : 1))
            case .moveDown: helpScroll += key == .pageDown ? 10 : 1
            default: break
            }
            return []
        }
        if let pending = confirmingReplay {
            confirmingReplay = nil
            if keymap.action(for: key, in: .confirm) == .confirmYes {
                confirmedHosts.insert(pending.host)
                return startReplay(id: pending.id, target: pending.target, resign: pending.resign, edit: pending.edit)
            }
            status = StatusMessage(text: "replay cancelled: nothing sent", isError: false)
            return []
        }
        if confirmingClearAll {
            confirmingClearAll = false
            if keymap.action(for: key, in: .confirm) == .confirmYes {
                status = StatusMessage(text: "deleting all requests…", isError: false)
                return [.deleteAll]
            }
            status = StatusMessage(text: "nothing deleted", isError: false)
            return []
        }
        if let prompt {
            return handlePrompt(prompt, key)
        }
        status = nil
        guard let action = keymap.action(for: key, in: focus.keyContext) else {
            if case .character(let c) = key, c != " " {
                status = StatusMessage(text: "\(Sanitizer.displayText(String(c))) does nothing here: press ? for help", isError: false)
            }
            return []
        }
        return perform(action)
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
        case .scrollLeft, .scrollRight:
            guard focus != .list else {
                status = StatusMessage(text: "the list does not scroll sideways: focus a pane with Tab", isError: false)
                return []
            }
            let step = max(4, layout[focus].width / 2)
            horizontalScroll[focus] = max(0, (horizontalScroll[focus] ?? 0) + (action == .scrollLeft ? -step : step))
        case .focusNext:
            focus = Pane.allCases[(Pane.allCases.firstIndex(of: focus)! + 1) % Pane.allCases.count]
        case .focusPrevious:
            focus = Pane.allCases[(Pane.allCases.firstIndex(of: focus)! + Pane.allCases.count - 1) % Pane.allCases.count]
        case .zoom:
            zoomed.toggle()
        case .filter:
            focus = .list
            prompt = .filter
            if zoomed { zoomed = false }
        case .clearFilter:
            if isFiltering || !filterText.isEmpty {
                return setFilterText("")
            }
            status = StatusMessage(text: "no filter to clear", isError: false)
        case .follow:
            follow.toggle()
            status = StatusMessage(text: follow ? "following the newest request" : "stopped following", isError: false)
        case .search:
            guard body.formatted != nil else {
                status = StatusMessage(text: "nothing to search: no body shown", isError: false)
                return []
            }
            prompt = .search
        case .nextMatch, .previousMatch:
            guard !body.matches.isEmpty else {
                status = StatusMessage(text: body.query.isEmpty ? "no search: press / in the body pane" : "no matches", isError: false)
                return []
            }
            let count = body.matches.count
            let current = body.currentMatch ?? (action == .nextMatch ? -1 : 0)
            body.currentMatch = (current + (action == .nextMatch ? 1 : -1) + count) % count
            revealCurrentMatch()
        case .cycleView:
            guard let detail, !body.views.isEmpty else {
                status = StatusMessage(text: "no request selected", isError: false)
                return []
            }
            body.viewIndex = (body.viewIndex + 1) % body.views.count
            body.chosenByUser = true
            return switchView(detail)
        case .rawView:
            guard let detail, let rawIndex = body.views.firstIndex(of: .raw) else {
                status = StatusMessage(text: "no request selected", isError: false)
                return []
            }
            if body.viewIndex == rawIndex {
                body.viewIndex = body.previousViewIndex ?? 0
            } else {
                body.previousViewIndex = body.viewIndex
                body.viewIndex = rawIndex
            }
            body.chosenByUser = true
            return switchView(detail)
        case .replay, .replayResigned, .editReplay:
            guard let summary = selectedSummary else {
                status = StatusMessage(text: "replay: no request selected", isError: false)
                return []
            }
            replayResign = action == .replayResigned
            replayEdit = action == .editReplay
            replayURLText = lastReplayTarget ?? replayTo ?? ""
            replayHistoryIndex = nil
            prompt = .replayURL(id: summary.id)
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
            secretText = ""
            prompt = .secret(provider: provider)
        case .copyCurl:
            guard let summary = selectedSummary else {
                status = StatusMessage(text: "copy: no request selected", isError: false)
                return []
            }
            return [.copyCurl(id: summary.id, baseURL: lastReplayTarget ?? replayTo ?? listenURL)]
        case .exportList:
            guard rowCount > 0 else {
                status = StatusMessage(text: "export: the list is empty", isError: false)
                return []
            }
            status = StatusMessage(text: "exporting \(rowCount) request\(rowCount == 1 ? "" : "s")…", isError: false)
            return [.exportList(filter: isFiltering ? filter : nil)]
        case .deleteSelected:
            guard let summary = selectedSummary else {
                status = StatusMessage(text: "delete: no request selected", isError: false)
                return []
            }
            return [.delete(id: summary.id)]
        case .clearAll:
            guard total > 0 else {
                status = StatusMessage(text: "nothing to delete", isError: false)
                return []
            }
            confirmingClearAll = true
        case .help:
            showHelp = true
            helpScroll = 0
        case .quit:
            quitRequested = true
        case .promptAccept, .promptCancel, .promptDeleteBackward, .promptDeleteWord, .promptDeleteLine, .confirmYes, .confirmNo, .closeHelp:
            break
        }
        return []
    }

    var pageSize: Int {
        focus == .list ? layout.listRows : layout.textRows(focus)
    }

    mutating func move(by delta: Int) {
        switch focus {
        case .list:
            guard rowCount > 0 else { return }
            let target = clampedAdd(selected, delta, upper: rowCount - 1)
            follow = delta > 0 && target == rowCount - 1 && follow
            selected = target
        case .headers:
            headersScroll = clampedAdd(headersScroll, delta, upper: max(0, headerLines().count - layout.textRows(.headers)))
        case .signature:
            signatureScroll = clampedAdd(signatureScroll, delta, upper: max(0, signatureLineCount - layout.textRows(.signature)))
        case .body:
            let count = body.formatted?.lineCount ?? 0
            body.scroll = clampedAdd(body.scroll, delta, upper: max(0, count - layout.textRows(.body)))
        }
    }

    func clampedAdd(_ value: Int, _ delta: Int, upper: Int) -> Int {
        let (sum, overflow) = value.addingReportingOverflow(delta)
        let result = overflow ? (delta > 0 ? upper : 0) : sum
        return min(max(0, result), max(0, upper))
    }

    mutating func switchView(_ request: CapturedRequest) -> [Effect] {
        body.formatted = nil
        body.scroll = 0
        horizontalScroll[.body] = 0
        body.matches = []
        body.currentMatch = nil
        guard let view = body.currentView else { return [] }
        return [.formatBody(request, view)]
    }

    mutating func revealCurrentMatch() {
        guard let index = body.currentMatch, index < body.matches.count else { return }
        let line = body.matches[index]
        let rows = max(1, layout.textRows(.body))
        if line < body.scroll || line >= body.scroll + rows {
            body.scroll = max(0, line - rows / 3)
        }
    }

    // MARK: - Prompt

    /// The host of an http(s) URL, lower-cased, or nil when it is not one.
    static func host(of target: String) -> String? {
        guard let components = URLComponents(string: target),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty else { return nil }
        return host.lowercased()
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
    }

    /// The prompt's text after an editing key: Backspace deletes the last character, Ctrl-W the
    /// last word (and the spaces after it), Ctrl-U everything; nil for any other action.
    static func edited(_ text: String, by action: Action?) -> String? {
        switch action {
        case .promptDeleteBackward:
            return String(text.dropLast())
        case .promptDeleteWord:
            var kept = Substring(text)
            while kept.last == " " { kept = kept.dropLast() }
            while let last = kept.last, last != " " { kept = kept.dropLast() }
            return String(kept)
        case .promptDeleteLine:
            return ""
        default:
            return nil
        }
    }

    mutating func handlePrompt(_ kind: PromptKind, _ key: Key) -> [Effect] {
        if case .secret(let provider) = kind {
            switch keymap.action(for: key, in: .prompt) {
            case .promptAccept:
                prompt = nil
                let secret = secretText
                secretText = ""
                guard !secret.isEmpty else {
                    status = StatusMessage(text: "secret: nothing entered, nothing changed", isError: false)
                    return []
                }
                let visible = isFiltering ? Array(filterMatches.prefix(200).map(\.id)) : window.items.map(\.id)
                return [.setSecret(provider: provider, secret: secret, visible: visible)]
            case .promptCancel:
                prompt = nil
                secretText = ""
                status = StatusMessage(text: "secret unchanged", isError: false)
            case let action:
                if let edited = Self.edited(secretText, by: action) {
                    secretText = edited
                } else if case .character(let c) = key {
                    secretText.append(c)
                }
            }
            return []
        }
        if case .replayURL(let id) = kind {
            switch keymap.action(for: key, in: .prompt) {
            case .promptAccept:
                prompt = nil
                let target = replayURLText.trimmingCharacters(in: .whitespaces)
                guard !target.isEmpty else {
                    status = StatusMessage(text: "replay: no target URL given", isError: true)
                    return []
                }
                lastReplayTarget = target
                replayHistory.removeAll { $0 == target }
                replayHistory.insert(target, at: 0)
                guard let host = Self.host(of: target) else {
                    status = StatusMessage(text: "replay: '\(target)' is not an http:// or https:// URL", isError: true)
                    return []
                }
                if !Self.isLoopback(host) && !confirmedHosts.contains(host) {
                    // The request may carry secrets: ask once per host before sending it off this machine.
                    confirmingReplay = (id, target, host, replayResign, replayEdit)
                    return []
                }
                return startReplay(id: id, target: target, resign: replayResign, edit: replayEdit)
            case .promptCancel:
                prompt = nil
                status = StatusMessage(text: "replay cancelled", isError: false)
            case let action:
                if let edited = Self.edited(replayURLText, by: action) {
                    replayURLText = edited
                } else if key == .up || key == .down {
                    // Walk the targets used before, newest first.
                    guard !replayHistory.isEmpty else { return [] }
                    let next = key == .up ? (replayHistoryIndex.map { $0 + 1 } ?? 0) : (replayHistoryIndex.map { $0 - 1 } ?? -1)
                    if next < 0 {
                        replayHistoryIndex = nil
                        replayURLText = ""
                    } else {
                        replayHistoryIndex = min(next, replayHistory.count - 1)
                        replayURLText = replayHistory[replayHistoryIndex!]
                    }
                } else if case .character(let c) = key {
                    replayURLText.append(c)
                }
            }
            return []
        }
        switch keymap.action(for: key, in: .prompt) {
        case .promptAccept:
            prompt = nil
            if kind == .filter, filterError != nil {
                status = StatusMessage(text: "filter not applied: \(filterError ?? "")", isError: true)
            }
            return []
        case .promptCancel:
            prompt = nil
            return kind == .filter ? setFilterText("") : setSearch("")
        case let action:
            let text = kind == .filter ? filterText : body.query
            if let edited = Self.edited(text, by: action) {
                guard edited != text else { return [] }
                return kind == .filter ? setFilterText(edited) : setSearch(edited)
            }
            guard case .character(let c) = key else { return [] }
            return kind == .filter ? setFilterText(filterText + String(c)) : setSearch(body.query + String(c))
        }
    }

    mutating func setFilterText(_ text: String) -> [Effect] {
        filterText = text
        filterGeneration += 1
        filterMatches = []
        filterScanned = 0
        if text.isEmpty {
            filter = nil
            filterError = nil
            filterScanning = false
            follow = true
            return [.cancelFilterScan]
        }
        do {
            let parsed = try RequestFilter.parse(text)
            filterError = nil
            filter = parsed
            filterScanning = true
            follow = true
            return [.scanFilter(generation: filterGeneration, filter: parsed)]
        } catch {
            filterError = "\(error)"
            filter = nil
            filterScanning = false
            return [.cancelFilterScan]
        }
    }

    mutating func setSearch(_ query: String) -> [Effect] {
        body.query = query
        return startSearch()
    }

    mutating func startSearch() -> [Effect] {
        body.searchGeneration += 1
        body.matches = []
        body.currentMatch = nil
        guard !body.query.isEmpty, let formatted = body.formatted else { return [] }
        return [.searchBody(generation: body.searchGeneration, body: formatted, query: Array(body.query.utf8))]
    }

    // MARK: - Mouse

    mutating func handle(_ mouse: MouseEvent) -> [Effect] {
        let layout = self.layout
        guard !layout.tooSmall, !showHelp, let pane = layout.pane(atX: mouse.x, y: mouse.y) else { return [] }
        switch mouse.button {
        case .left:
            focus = pane
            if pane == .list {
                let row = listTop + (mouse.y - layout.list.y - 2)
                if mouse.y >= layout.list.y + 2, row < rowCount {
                    selected = row
                    follow = false
                }
            }
        case .wheelUp, .wheelDown:
            let previous = focus
            focus = pane
            move(by: mouse.button == .wheelUp ? -3 : 3)
            if pane != .list { focus = previous }
        case .middle, .right:
            break
        }
        return []
    }

    // MARK: - Pane content

    /// Lines of the headers pane for the selected capture.
    public func headerLines() -> [TextLine] {
        guard let request = detail else { return [] }
        var lines: [TextLine] = []
        var first = TextLine(request.method, Style(.method, bold: true))
        first.append(" ")
        first.append(bytes: request.rawTarget)
        first.append(" " + request.httpVersion, Style(.muted))
        lines.append(first)
        var meta = "#\(request.id) from \(request.remoteAddress) at \(request.receivedAt.rfc3339)"
        meta += " · answered \(request.response.status)"
        if let refusal = request.refusal { meta += " · refused: \(refusal.rawValue)" }
        if request.bodyWasChunked { meta += " · chunked" }
        lines.append(TextLine(meta, Style(.muted)))
        for header in request.headers {
            var line = TextLine(header.name, Style(.key))
            line.append(": ", Style(.punctuation))
            line.append(bytes: header.rawValue)
            lines.append(line)
        }
        return lines
    }

    var signatureLineCount: Int { detail == nil ? 0 : 2 + signatureLines.count }
}

/// A window of loaded summaries: rows `offset ..< offset + items.count` of the unfiltered list.
public struct ListWindow: Sendable, Hashable {
    public var offset = 0
    public var items: [RequestSummary] = []

    public init(offset: Int = 0, items: [RequestSummary] = []) {
        self.offset = offset
        self.items = items
    }

    public var endOffset: Int { offset + items.count }

    public func item(at row: Int) -> RequestSummary? {
        let index = row - offset
        return index >= 0 && index < items.count ? items[index] : nil
    }

    /// Keeps at most `maxCount` items, trimmed in steps of a quarter of it, so that a stream of
    /// appends moves the array once every `maxCount / 4` captures instead of once per capture.
    mutating func append(_ summary: RequestSummary, maxCount: Int) {
        items.append(summary)
        if items.count > maxCount + maxCount / 4 {
            let drop = items.count - maxCount
            items.removeFirst(drop)
            offset += drop
        }
    }
}

/// The body pane: the views for the selected capture, the formatted body and the search.
public struct BodyState: Sendable {
    public var views: [BodyView] = []
    public var viewIndex = 0
    var previousViewIndex: Int?
    /// The user picked the current view (v or b); raw and hex then stay picked for the next request.
    var chosenByUser = false
    public var formatted: (any FormattedBody)?
    public var scroll = 0
    public var query = ""
    public var searchGeneration = 0
    public var matches: [Int] = []
    public var currentMatch: Int?

    public var currentView: BodyView? { viewIndex < views.count ? views[viewIndex] : nil }
}
