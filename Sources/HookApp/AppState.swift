import Foundation
import HookCore
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
    public internal(set) var list = ListState()
    public internal(set) var filter = FilterState()
    public internal(set) var detail = DetailState()
    public internal(set) var replay: ReplayState
    /// `--proxy-response`: a forward's answer is what the sender of its capture got.
    public internal(set) var proxyResponse = false

    public init(listenURL: String, replayTo: String? = nil, forwardTarget: String? = nil, size: Size) {
        self.listenURL = listenURL
        self.replay = ReplayState(defaultTarget: replayTo, forwardTarget: forwardTarget)
        self.size = size
    }

    public var layout: ScreenLayout { ScreenLayout(size: size, zoomed: detail.zoomed ? detail.focus : nil) }

    public var isFiltering: Bool { filter.isActive }

    /// Rows in the list: every capture, or the matches of the active filter.
    public var rowCount: Int { isFiltering ? filter.matches.count : list.total }

    public func summary(atRow row: Int) -> RequestSummary? {
        guard row >= 0, row < rowCount else { return nil }
        return isFiltering ? filter.matches[row] : list.window.item(at: row)
    }

    public var selectedSummary: RequestSummary? { summary(atRow: list.selected) }

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
            list.total += 1
            // Refused captures are not forwarded (their body was not kept).
            if replay.forwardTarget != nil, summary.refusal == nil, replay.marks[summary.id] == nil {
                replay.pendingForwards.insert(summary.id)
            }
            if list.window.endOffset == list.total - 1 {
                list.window.append(summary, maxCount: 4096)
            }
            if let parsed = filter.parsed {
                effects.append(.checkFilter(generation: filter.generation, filter: parsed, summary: summary))
            }
        case .countLoaded(let count):
            list.total = count
            list.window = ListWindow()
            list.pendingWindowOffset = nil
        case .windowLoaded(let offset, let summaries):
            if list.pendingWindowOffset == offset { list.pendingWindowOffset = nil }
            list.window = ListWindow(offset: offset, items: summaries)
        case .requestLoaded(let request):
            guard request.id == selectedSummary?.id else { break }
            effects += show(request)
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
        case .signatureExplained(let requestID, let lines):
            if requestID == detail.request?.id { detail.signatureLines = lines }
        case .filterBatch(let generation, let matches, let scanned, let done):
            guard generation == filter.generation else { break }
            filter.matches += matches
            filter.scanned = scanned
            filter.scanning = !done
            if !matches.isEmpty { effects.append(.loadReplayMarks(ids: matches.map(\.id))) }
        case .filterChecked(let generation, let summary, let matches):
            guard generation == filter.generation, matches else { break }
            if filter.matches.last.map({ $0.id < summary.id }) ?? true { filter.matches.append(summary) }
        case .searchFinished(let generation, let lines):
            guard generation == detail.body.searchGeneration else { break }
            detail.body.matches = lines
            detail.body.currentMatch = lines.firstIndex { $0 >= detail.body.scroll } ?? (lines.isEmpty ? nil : 0)
            revealCurrentMatch()
        case .replayMarks(let outcomes):
            for outcome in outcomes.values.sorted(by: { $0.requestID < $1.requestID }) { noteReplay(outcome) }
        case .replaysLoaded(let id, let attempts):
            if let newest = attempts.last, detail.request?.id == id,
               replay.last?.requestID != id || (replay.last?.id ?? 0) < newest.id {
                replay.last = newest
                noteReplay(ReplayOutcome(newest))
            }
        case .replayRecorded(let attempt):
            if proxyResponse, attempt.kind == .forward { answered(attempt.requestID, ProxiedResponse.response(for: attempt)) }
            noteReplay(ReplayOutcome(attempt))
            // The selected capture's forward shows in its signature pane as soon as it is done.
            if detail.request?.id == attempt.requestID { replay.last = attempt }
        case .replayed(let attempt):
            replay.pendingReplays.remove(attempt.requestID)
            replay.last = attempt
            noteReplay(ReplayOutcome(attempt))
            let took = Formatting.milliseconds(nanoseconds: attempt.durationNanoseconds, decimals: 0)
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
            list.window = ListWindow()
            list.pendingWindowOffset = nil
            if let id = detail.request?.id {
                detail.loadingID = id
                effects.append(.loadRequest(id: id))
            }
        case .copied(let id, let path, let toClipboard, let target):
            let aimed = "(aimed at \(target))"
            status = StatusMessage(
                text: toClipboard ? "copied #\(id) as curl \(aimed) to the clipboard (OSC 52) and to \(path)" : "saved #\(id) as curl \(aimed) to \(path)",
                isError: false)
        case .exported(let count, let path):
            status = StatusMessage(text: "exported \(count) request\(count == 1 ? "" : "s") as HAR to \(path)", isError: false)
        case .deleted(let id):
            list.total = max(0, list.total - 1)
            list.window = ListWindow()
            list.pendingWindowOffset = nil
            filter.matches.removeAll { $0.id == id }
            if detail.request?.id == id { detail.request = nil }
            status = StatusMessage(text: "deleted request #\(id)", isError: false)
        case .clearedAll:
            list.total = 0
            list.window = ListWindow()
            list.pendingWindowOffset = nil
            filter.matches = []
            detail.request = nil
            list.selected = 0
            list.top = 0
            status = StatusMessage(text: "deleted all requests", isError: false)
        case .replayNotSent(let id, let message):
            replay.pendingReplays.remove(id)
            status = StatusMessage(text: message, isError: true)
        case .failed(let message):
            status = StatusMessage(text: message, isError: true)
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
        return effects
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
