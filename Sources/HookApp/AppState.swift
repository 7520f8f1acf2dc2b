import Foundation
import HookCore
import HookStore
import TermUI

public struct StatusMessage: Sendable, Hashable {
    public var text: String
    public var isError: Bool
}

/// The app's whole state, in sub-states. Events change it through `apply` (the app loop runs it in
/// two steps: `absorb` for each event, `reconcile` once before a frame); drawing reads it and never
/// changes it, and code outside this module can only read it.
public struct AppState: Sendable {
    public let listenURL: String
    public internal(set) var keymap = Keymap.standard
    public internal(set) var size: Size
    /// The help screen, prompt or question that has the keyboard, if any.
    public internal(set) var modal: Modal = .none
    public internal(set) var quitRequested = false
    public internal(set) var status: StatusMessage?
    /// `hookscope watch`: the store shown, written by another process; nil when this one listens.
    public internal(set) var watchedStore: String?
    /// Another process stores captures in the same store (they arrive as `capturedElsewhere`).
    public internal(set) var capturesFromElsewhere = false
    /// Whether captures are being stored; shown in the status bar once one was not.
    public internal(set) var storeHealth = StoreHealth()
    /// The TUI's override of the answers (endpoint down, fail next), shown in the status bar while in force.
    public internal(set) var override: AnswerOverride?
    public internal(set) var list = ListState()
    public internal(set) var filter = FilterState()
    public internal(set) var detail = DetailState()
    public internal(set) var replay: ReplayState
    /// The capture marked with `m`: A of the next diff (`=`).
    public internal(set) var diffMark: Int64?
    /// The ids of the config file's custom schemes: `sig:` in the filter and `s` take them too.
    public let customProviders: Set<String>
    /// `--proxy-response`: a forward's answer is what the sender of its capture got.
    public internal(set) var proxyResponse = false

    public init(listenURL: String, replayTo: String? = nil, forwardTarget: String? = nil, customProviders: Set<String> = [], size: Size) {
        self.listenURL = listenURL
        self.customProviders = customProviders
        self.replay = ReplayState(defaultTarget: replayTo, forwardTarget: forwardTarget)
        self.size = size
    }

    public var layout: ScreenLayout {
        let zoomed = detail.zoomed ? detail.focus : nil
        let standard = ScreenLayout(size: size, zoomed: zoomed)
        // The signature pane grows to show the verdict and its whole detail, wrapped.
        guard zoomed == nil, let request = detail.request, standard.signature.width > 2 else { return standard }
        let verdict = MainScreen.verdictLines(request, explained: detail.signatureLines).verdict
        let rows = MainScreen.wrappedRowCount(verdict, in: standard.signature)
        return rows + 2 > standard.signature.height ? ScreenLayout(size: size, zoomed: nil, signatureRows: rows) : standard
    }

    public var isFiltering: Bool { filter.isActive }

    /// Rows in the list: every capture, or the matches of the active filter.
    public var rowCount: Int { isFiltering ? filter.matches.count : list.total }

    public func summary(atRow row: Int) -> RequestSummary? {
        guard row >= 0, row < rowCount else { return nil }
        return isFiltering ? filter.matches[row] : list.window.item(at: row)
    }

    public var selectedSummary: RequestSummary? { summary(atRow: list.selected) }

    /// The effects to run once at start.
    public static let startEffects: [Effect] = [.loadCount, .loadReplayTargets]

    // MARK: - Update

    /// Applies one event and brings the selection, the list window and the loaded capture in line.
    public mutating func apply(_ event: AppEvent) -> [Effect] {
        absorb(event) + reconcile()
    }

    /// A newly stored capture joins the list (and the filter's matches, once checked).
    private mutating func added(_ summary: RequestSummary) -> [Effect] {
        list.total += 1
        list.noteEvents(of: [summary])
        // A new attempt of the delivery on show joins its list.
        if let deliveryID = summary.deliveryID, detail.request?.deliveryID == deliveryID,
           !detail.deliveryAttempts.contains(where: { $0.id == summary.id }) {
            detail.deliveryAttempts.append(summary)
        }
        if list.window.endOffset == list.total - 1 {
            list.window.append(summary, maxCount: 4096)
        }
        guard let parsed = filter.parsed else { return [] }
        return [.checkFilter(generation: filter.generation, filter: parsed, id: summary.id)]
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
            // Refused captures are not forwarded (their body was not kept), nor by `--forward-to`
            // those a response rule answered (its own `forward_to` decides).
            if replay.forwardTarget != nil, summary.refusal == nil, summary.rule == nil, replay.marks[summary.id] == nil {
                replay.pendingForwards.insert(summary.id)
            }
            effects += added(summary)
        case .capturedElsewhere(let summary):
            if !capturesFromElsewhere {
                capturesFromElsewhere = true
                if watchedStore == nil {
                    status = StatusMessage(text: "another process is storing captures in this store too: they show here as they come", isError: false)
                }
            }
            effects += added(summary)
        case .storeChanged(let change):
            switch change {
            case .updated:
                effects += reloadVerdicts()
            case .deleted:
                effects.append(.loadCount)
                effects += reloadVerdicts()
            case .lost(let reason):
                status = StatusMessage(text: reason, isError: true)
            case .resumed:
                status = StatusMessage(text: "following \(watchedStore ?? "the store") again", isError: false)
            }
        case .countLoaded(let count):
            list.total = count
            list.window = ListWindow()
            list.pendingWindowOffset = nil
        case .windowLoaded(let offset, let summaries):
            if list.pendingWindowOffset == offset { list.pendingWindowOffset = nil }
            list.window = ListWindow(offset: offset, items: summaries)
            list.noteEvents(of: summaries)
        case .requestLoaded(let request):
            // The selected capture, or the one asked for again after a re-verification: that
            // reload empties the list window, and its answer may come before the window's.
            guard request.id == selectedSummary?.id || (selectedSummary == nil && request.id == detail.loadingID) else { break }
            effects += show(request)
        case .deliveryLoaded(let requestID, let attempts):
            guard requestID == detail.request?.id else { break }
            // Attempts captured while loading came as `.captured` and are in the store too.
            let loaded = Set(attempts.map(\.id))
            detail.deliveryAttempts = (attempts + detail.deliveryAttempts.filter { !loaded.contains($0.id) }).sorted { $0.id < $1.id }
        case .requestMissing(let id):
            // Gone from the store (deleted elsewhere, or dropped by retention): refresh the list once,
            // and do not ask for this id again.
            if detail.loadingID == id { detail.loadingID = nil }
            detail.unavailableID = id
            effects.append(.loadCount)
        case .bodyFormatted(let requestID, let view, let formatted):
            guard requestID == detail.request?.id, view == detail.body.currentView else { break }
            detail.body.formatted = formatted
            if !detail.body.query.isEmpty { effects += startSearch() }
        case .diffReady(let pair, let body, let identical):
            guard pair == detail.body.diff else { break }
            detail.body.formatted = body
            status = StatusMessage(
                text: identical ? "#\(pair.a) and #\(pair.b): no differences" : "diff of #\(pair.a) (A) and #\(pair.b) (B): = again goes back to the body",
                isError: false)
            if !detail.body.query.isEmpty { effects += startSearch() }
        case .signatureExplained(let requestID, let lines):
            if requestID == detail.request?.id { detail.signatureLines = lines }
        case .filterBatch(let generation, let matches, let through, let done):
            guard generation == filter.generation else { break }
            filter.matches += matches
            list.noteEvents(of: matches)
            filter.searchedThrough = through
            filter.scanning = !done
            if !matches.isEmpty { effects.append(.loadReplayMarks(ids: matches.map(\.id))) }
        case .filterChecked(let generation, let summary, let matches):
            guard generation == filter.generation, matches else { break }
            // In id order, once: a capture checked again when its forward came back may be older
            // than the newest match, or already matched.
            var index = filter.matches.count
            if let last = filter.matches.last, last.id >= summary.id {
                var low = 0
                while low < index {
                    let mid = (low + index) / 2
                    if filter.matches[mid].id >= summary.id { index = mid } else { low = mid + 1 }
                }
            }
            if index == filter.matches.count || filter.matches[index].id != summary.id {
                filter.matches.insert(summary, at: index)
            }
        case .searchFinished(let generation, let lines):
            guard generation == detail.body.searchGeneration else { break }
            detail.body.matches = lines
            detail.body.currentMatch = lines.firstIndex { $0 >= detail.body.scroll } ?? (lines.isEmpty ? nil : 0)
            revealCurrentMatch()
        case .replayMarks(let outcomes):
            for outcome in outcomes.values.sorted(by: { $0.requestID < $1.requestID }) { noteReplay(outcome) }
        case .replaysLoaded(let id, let attempts):
            if detail.request?.id == id {
                // Live results that came while loading are in the store too, but one not stored yet may be newer.
                let stored = Set(attempts.map(\.id))
                let live = replay.attempts.filter { $0.requestID == id && ($0.id == 0 || !stored.contains($0.id)) }
                replay.attempts = attempts + live
            }
            if let newest = attempts.last, detail.request?.id == id,
               replay.last?.requestID != id || (replay.last?.id ?? 0) < newest.id {
                replay.last = newest
                noteReplay(ReplayOutcome(newest))
            }
        case .replayRecorded(let attempt):
            if attempt.kind == .forward {
                // A rule's forward answers with the handler's response when there was one, else with
                // the rule's own (already shown); `--proxy-response` with the target's, or 502.
                if answeredByRule(attempt.requestID) {
                    if attempt.response != nil { answered(attempt.requestID, ProxiedResponse.response(for: attempt)) }
                } else if proxyResponse {
                    answered(attempt.requestID, ProxiedResponse.response(for: attempt))
                }
            }
            noteReplay(ReplayOutcome(attempt))
            // A `forward:` filter decides on the forward's answer, which comes after the capture.
            if let parsed = filter.parsed, parsed.needsForwards, attempt.kind == .forward {
                effects.append(.checkFilter(generation: filter.generation, filter: parsed, id: attempt.requestID))
            }
            // The selected capture's forward shows in its signature pane as soon as it is done.
            if detail.request?.id == attempt.requestID { replay.last = attempt }
            replay.add(attempt, selected: detail.request?.id)
        case .replayed(let attempt):
            replay.pendingReplays.remove(attempt.requestID)
            replay.last = attempt
            replay.add(attempt, selected: detail.request?.id)
            noteReplay(ReplayOutcome(attempt))
            let took = Formatting.milliseconds(nanoseconds: attempt.durationNanoseconds, decimals: 0)
            if let response = attempt.response {
                let resigned = ReplayState.how(edited: attempt.edited, resigned: attempt.resigned).map { " (\($0))" } ?? ""
                status = StatusMessage(
                    text: "replayed #\(attempt.requestID)\(resigned) → \(response.status) \(HTTPStatusText.text(for: response.status)) in \(took) from \(attempt.targetURL)",
                    isError: response.status >= 500)
            } else {
                status = StatusMessage(text: "replay #\(attempt.requestID) failed: \(attempt.error ?? "no response") (\(took))", isError: true)
            }
        case .replayTargetsLoaded(let targets):
            replay.remembered(targets)
        case .reverified(let provider, let changed, let done):
            status = StatusMessage(
                text: done ? "secret for \(provider) set; re-verified \(provider)'s captures (\(changed) verdict\(changed == 1 ? "" : "s") changed)"
                    : "secret for \(provider) set; re-verifying the other captures…",
                isError: false)
            effects += reloadVerdicts()
        case .secretsListed(let secrets):
            guard !secrets.isEmpty else {
                status = StatusMessage(text: "no secrets loaded: press s on a signed request to add its provider's", isError: false)
                break
            }
            modal = .prompt(Prompt(.secrets(secrets)))
        case .secretRemoved(let provider, let masked, let changed, let done):
            status = StatusMessage(
                text: done ? "removed \(provider) secret \(masked) for this session; re-verified \(provider)'s captures (\(changed) verdict\(changed == 1 ? "" : "s") changed)"
                    : "removed \(provider) secret \(masked); re-verifying the other captures…",
                isError: false)
            effects += reloadVerdicts()
        case .copied(let id, let path, let toClipboard, let target):
            let aimed = "(aimed at \(target))"
            status = StatusMessage(
                text: toClipboard ? "copied #\(id) as curl \(aimed) to the clipboard (OSC 52) and to \(path)" : "saved #\(id) as curl \(aimed) to \(path)",
                isError: false)
        case .sampleSaved(let id, let name, let path):
            status = StatusMessage(text: "saved #\(id) as the sample \(name) (\(path)): hookscope send --sample \(name)", isError: false)
        case .exported(let count, let path):
            status = StatusMessage(text: "exported \(count) request\(count == 1 ? "" : "s") as HAR to \(path)", isError: false)
        case .deleted(let id):
            list.total = max(0, list.total - 1)
            list.window = ListWindow()
            list.pendingWindowOffset = nil
            filter.matches.removeAll { $0.id == id }
            if detail.request?.id == id { detail.request = nil }
            if diffMark == id { diffMark = nil }
            status = StatusMessage(text: "deleted request #\(id)", isError: false)
        case .clearing(let deleted):
            status = StatusMessage(text: "deleting all requests… \(deleted) deleted", isError: false)
        case .clearedAll:
            list.total = 0
            list.window = ListWindow()
            list.pendingWindowOffset = nil
            filter.matches = []
            detail.request = nil
            diffMark = nil
            list.selected = 0
            list.top = 0
            status = StatusMessage(text: "deleted all requests", isError: false)
        case .replayNotSent(let id, let message):
            replay.pendingReplays.remove(id)
            status = StatusMessage(text: message, isError: true)
        case .failed(let message):
            status = StatusMessage(text: message, isError: true)
        case .storeHealth(let health):
            storeHealth = health
        case .rulesListed(let rules, let current):
            override = current
            modal = .prompt(Prompt(.rules(rules, current)))
        case .overrideChanged(let current):
            if current == nil, let previous = override, case .failNext = previous {
                status = StatusMessage(text: "fail next: done; the rules and the listener's options answer again", isError: false)
            } else if let current {
                status = StatusMessage(text: "override on: \(current.description)", isError: false)
            }
            override = current
        case .ruleNotice(let text):
            status = StatusMessage(text: text, isError: text.hasPrefix("rules not reloaded"))
        }
        return effects
    }

    /// After a re-verification stored new verdicts: reloads what is on screen, the list window (or
    /// the filter's matches) and the selected capture with its diagnosis.
    mutating func reloadVerdicts() -> [Effect] {
        var effects: [Effect] = []
        list.window = ListWindow()
        list.pendingWindowOffset = nil
        // The filter's matches hold the verdicts they were found with: scan again.
        if let parsed = filter.parsed {
            filter.generation += 1
            filter.matches = []
            filter.searchedThrough = 0
            filter.scanning = true
            effects.append(.scanFilter(generation: filter.generation, filter: parsed))
        }
        if let id = detail.request?.id {
            detail.loadingID = id
            effects.append(.loadRequest(id: id))
        }
        return effects
    }

    /// Shows a loaded capture in the panes: from the top, in its best view unless the user picked
    /// raw or hex, with its body formatting, its signature explained and its replays loading.
    mutating func show(_ request: CapturedRequest) -> [Effect] {
        var effects: [Effect] = []
        detail.loadingID = nil
        detail.request = request
        detail.headersScroll = 0
        detail.signatureScroll = 0
        detail.horizontalScroll = [:]
        detail.signatureLines = []
        if replay.attempts.first?.requestID != request.id { replay.attempts = [] }
        let keepView = detail.body.chosenByUser ? detail.body.currentView : nil
        detail.body = BodyState()
        detail.body.views = BodyFormatterRegistry.views(for: request)
        if let keepView, keepView == .raw || keepView == .hex, let index = detail.body.views.firstIndex(of: keepView) {
            detail.body.viewIndex = index
            detail.body.chosenByUser = true
        }
        // The new capture has no search yet: an open search prompt starts over.
        if modal.prompt?.kind == .search { modal = .prompt(Prompt(.search)) }
        if let view = detail.body.currentView { effects.append(.formatBody(request, view)) }
        effects.append(.explainSignature(request))
        effects.append(.loadReplays(id: request.id))
        detail.deliveryAttempts = []
        if let deliveryID = request.deliveryID { effects.append(.loadDelivery(requestID: request.id, deliveryID: deliveryID)) }
        return effects
    }

    /// Whether a loaded row (or the capture shown) says a response rule answered capture `id`.
    func answeredByRule(_ id: Int64) -> Bool {
        if detail.request?.id == id { return detail.request?.rule != nil }
        if let row = list.window.items.first(where: { $0.id == id }) { return row.rule != nil }
        return filter.matches.first(where: { $0.id == id })?.rule != nil
    }

    /// Records the newest replay of a capture (see `ReplayState.note`); a trim keeps the loaded rows.
    /// Capture `id` was answered `response` after it was stored (`--proxy-response`): the rows and
    /// the loaded capture say so, as the store does.
    mutating func answered(_ id: Int64, _ response: CapturedResponse) {
        list.window.setResponseStatus(response.status, of: id)
        if let index = filter.matches.firstIndex(where: { $0.id == id }) { filter.matches[index].responseStatus = response.status }
        if detail.request?.id == id { detail.request?.response = response }
    }

    mutating func noteReplay(_ outcome: ReplayOutcome) {
        let window = list.window
        let matches = filter.matches
        replay.note(outcome) {
            var keep = Set(window.items.map(\.id))
            keep.formUnion(matches.suffix(ReplayState.marksLimit / 2).map(\.id))
            return keep
        }
    }

    /// Keeps the selection, the scroll position, the loaded window and the loaded capture consistent.
    mutating func reconcile() -> [Effect] {
        var effects: [Effect] = []
        let rows = layout.listRows
        if rowCount == 0 {
            list.selected = 0
            list.top = 0
            detail.request = nil
            detail.loadingID = nil
            return effects
        }
        if list.follow { list.selected = rowCount - 1 }
        list.selected = min(max(0, list.selected), rowCount - 1)
        if list.selected < list.top { list.top = list.selected }
        if rows > 0, list.selected >= list.top + rows { list.top = list.selected - rows + 1 }
        list.top = max(0, min(list.top, max(0, rowCount - max(rows, 1))))

        if !isFiltering {
            let total = list.total
            let window = list.window
            let visibleEnd = min(total, list.top + max(rows, 1))
            let needed = list.top..<max(visibleEnd, list.top + 1)
            let covered = window.offset <= needed.lowerBound && window.endOffset >= min(needed.upperBound, total)
                && !(window.items.isEmpty && total > 0)
            if !covered {
                let offset = max(0, list.top - max(rows, 16))
                if list.pendingWindowOffset != offset {
                    list.pendingWindowOffset = offset
                    effects.append(.loadWindow(offset: offset, limit: max(rows, 16) * 3))
                }
            }
        }
        if let summary = selectedSummary {
            if detail.request?.id != summary.id, detail.loadingID != summary.id, detail.unavailableID != summary.id {
                detail.loadingID = summary.id
                effects.append(.loadRequest(id: summary.id))
            }
        }
        return effects
    }
}
