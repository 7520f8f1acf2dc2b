import HookCore
import HookStore
import HookSignatures
import TermUI

/// Which columns the list shows at a width. The REPLAY column (the target's answer to the newest
/// replay or forward; FORWARD with `--forward-to`, the answer to the forward) comes
/// once there is one to show, and goes first when the list is narrow (the `↻` mark by the id stays);
/// TIME goes before it. The EVENT column (the provider's event type, after `×N` for the N-th
/// attempt of a delivery) comes once a capture with an event type or a retry was listed, from 70
/// columns on. ID, METHOD, TARGET, SIZE, ST and SIGNATURE always show; SIGNATURE names
/// the provider after the verdict from 100 columns on (`list` prints it too).
struct ListColumns: Equatable {
    var time: Bool
    var replay: Bool
    var provider: Bool
    var event: Bool

    /// Widths of the REPLAY, TIME and EVENT columns, and of SIGNATURE with and without the provider.
    static let replayWidth = 10
    static let timeWidth = 12
    static let eventWidth = 22
    static let verdictWidth = 9
    static let verdictAndProviderWidth = 24

    init(width: Int, replays: Bool, events: Bool = false) {
        replay = replays && width >= 60
        event = events && width >= 70
        time = width >= 60 + (replay ? 25 : 0) + (event ? 25 : 0)
        provider = width >= 100
    }

    var specs: [Int?] {
        var specs: [Int?] = [7]
        if time { specs.append(Self.timeWidth) }
        specs += [7, nil, 6, 3, provider ? Self.verdictAndProviderWidth : Self.verdictWidth]
        if event { specs.insert(Self.eventWidth, at: specs.count - 3) }
        if replay { specs.append(Self.replayWidth) }
        return specs
    }

    func headers(forwarding: Bool) -> [String] {
        var headers = ["ID"]
        if time { headers.append("TIME") }
        headers += ["METHOD", "TARGET"]
        if event { headers.append("EVENT") }
        headers += ["SIZE", "ST", "SIGNATURE"]
        if replay { headers.append(forwarding ? "FORWARD" : "REPLAY") }
        return headers
    }

    /// ID and SIZE.
    var rightAligned: Set<Int> { [0, (time ? 4 : 3) + (event ? 1 : 0)] }
}

/// Draws the whole screen from the state. Pure: reads the state, writes only the grid.
public enum MainScreen {
    public static func render(_ state: AppState, into grid: inout CellGrid, glyphs: BorderGlyphs = .unicode) {
        grid.fill(grid.bounds)
        let layout = state.layout
        if layout.tooSmall {
            let min = ScreenLayout.minimumSize
            let lines = ["Terminal too small", "\(grid.width)x\(grid.height), need \(min.width)x\(min.height)", "q quits"]
            for (i, line) in lines.enumerated() where i < grid.height {
                grid.draw(line, x: 0, y: i, style: Style(i == 0 ? .error : .normal, bold: i == 0))
            }
            return
        }
        if !layout.list.isEmpty { renderList(state, layout.list, &grid, glyphs) }
        if !layout.headers.isEmpty { renderHeaders(state, layout.headers, &grid, glyphs) }
        if !layout.body.isEmpty { renderBody(state, layout.body, &grid, glyphs) }
        if !layout.signature.isEmpty { renderSignature(state, layout.signature, &grid, glyphs) }
        renderStatus(state, layout.status, &grid)
        if case .help(let scroll) = state.modal { renderHelp(state, scroll: scroll, &grid, glyphs) }
        if case .rules(let rules, let override)? = state.modal.prompt?.kind { renderRules(rules, override, &grid, glyphs) }
    }

    // MARK: list

    static func renderList(_ state: AppState, _ rect: Rect, _ grid: inout CellGrid, _ glyphs: BorderGlyphs) {
        var title = TextLine(Pane.list.title, Style(.title, bold: true))
        if state.isFiltering {
            title.append(" \(state.filter.matches.count) of \(state.list.total)", Style(.muted))
        } else {
            title.append(" \(state.list.total)", Style(.muted))
        }
        if state.list.follow { title.append(" following", Style(.muted)) }
        let inner = Frame(title: title, focused: state.detail.focus == .list, glyphs: glyphs).render(in: rect, into: &grid)
        guard inner.height > 0 else { return }
        let columns = ListColumns(width: inner.width, replays: state.replay.showsColumn, events: state.list.showsEvents)
        let widths = ColumnLayout.widths(columns.specs, total: inner.width)
        let arrow = glyphs == .unicode ? "→" : "->"
        let rightAligned = columns.rightAligned
        drawRow(columns.headers(forwarding: state.replay.forwardTarget != nil).map { TextLine($0, Style(.muted, bold: true)) }, widths: widths, rightAligned: rightAligned, x: inner.x, y: inner.y, maxX: inner.maxX, &grid)
        let rows = inner.height - 1
        if state.rowCount == 0 {
            let message: String
            if let error = state.filter.error {
                message = "invalid filter: \(error)"
            } else if state.isFiltering {
                message = state.filter.scanning ? "searching…" : "no request matches the filter"
            } else {
                message = state.watchedStore.map { "waiting for captures in \($0)" } ?? "waiting for requests on \(state.listenURL)"
            }
            grid.draw(message, x: inner.x + 1, y: inner.y + 1, maxX: inner.maxX, style: Style(state.filter.error != nil ? .error : .muted))
            return
        }
        for i in 0..<rows {
            let row = state.list.top + i
            guard row < state.rowCount else { break }
            let y = inner.y + 1 + i
            guard let s = state.summary(atRow: row) else {
                grid.draw("…", x: inner.x, y: y, maxX: inner.maxX, style: Style(.muted))
                continue
            }
            // A replayed (or forwarded) capture is marked before its id, and one a rule answered too.
            var mark = state.replay.marks[s.id] != nil ? (glyphs == .unicode ? "↻" : "*") : ""
            if s.rule != nil { mark += glyphs == .unicode ? "⚑" : "!" }
            // The capture marked for a diff (`m`) too.
            if state.diffMark == s.id { mark = (glyphs == .unicode ? "◆" : "=") + mark }
            var cells: [TextLine] = [TextLine(mark + "\(s.id)")]
            if columns.time { cells.append(TextLine(s.receivedAt.localClockText, Style(.muted))) }
            cells.append(TextLine(s.method, Style(.method, bold: true)))
            cells.append(TextLine([TextSpan(bytes: s.rawTarget)]))
            if columns.event { cells.append(eventCell(s, glyphs: glyphs)) }
            cells.append(TextLine(Formatting.compactSize(s.bodySize)))
            if let failure = s.failure {
                // The sender got no response: what it got instead, in three columns.
                let word = switch failure {
                case .timeout: "T/O"
                case .reset: "RST"
                case .close: "CLS"
                }
                cells.append(TextLine(word, Style(.error, bold: true)))
            } else {
                cells.append(TextLine("\(s.responseStatus)", Style(s.responseStatus >= 400 ? .error : .normal)))
            }
            var verdict = TextLine(s.signature.status.screenWord, verdictStyle(s.signature.status))
            if columns.provider, let provider = s.signature.provider {
                verdict.append(" · ", Style(.muted))
                verdict.append(provider, Style(.muted))
            }
            cells.append(verdict)
            if columns.replay {
                // The FORWARD column waits for the forward only; the REPLAY column for a replay too.
                let pending = state.replay.pendingForwards.contains(s.id)
                    || (state.replay.forwardTarget == nil && state.replay.pendingReplays.contains(s.id))
                cells.append(replayCell(state.replay.marks[s.id], pending: pending, arrow: arrow))
            }
            drawRow(cells, widths: widths, rightAligned: rightAligned, x: inner.x, y: y, maxX: inner.maxX, &grid)
            if row == state.list.selected {
                let focused = state.detail.focus == .list
                grid.restyle(Rect(x: inner.x, y: y, width: inner.width, height: 1)) { style in
                    style.reverse = true
                    if focused { style.bold = true }
                }
            }
        }
        if state.rowCount > rows, rows > 0 {
            let thumb = inner.y + 1 + min(rows - 1, state.list.selected * rows / max(1, state.rowCount))
            grid.draw("▐", x: rect.maxX - 1, y: thumb, style: Style(.borderFocused), truncation: .cut)
        }
    }

    /// The EVENT cell: `×3 ` for the third attempt of a delivery, then the event type as the sender
    /// wrote it (escaped when drawn, cut to the column by display width).
    static func eventCell(_ s: RequestSummary, glyphs: BorderGlyphs) -> TextLine {
        var cell = TextLine()
        if s.isRetry { cell.append((glyphs == .unicode ? "×" : "x") + "\(s.attempt) ", Style(.key, bold: true)) }
        if let event = s.event { cell.append(bytes: Array(event.utf8)) }
        return cell
    }

    /// The REPLAY cell: the newest replay's (or forward's) status and time, why it failed, or `→…`
    /// while a forward waits for its answer. Only our own words and numbers: nothing the target sent.
    static func replayCell(_ outcome: ReplayOutcome?, pending: Bool, arrow: String) -> TextLine {
        guard let outcome else { return pending ? TextLine(arrow + "…", Style(.muted)) : TextLine("") }
        if let status = outcome.status {
            let style = status >= 400 ? Style(.error) : (status < 300 ? Style(.verdictValid) : Style())
            return TextLine("\(arrow)\(status) \(outcome.shortDuration)", style)
        }
        return TextLine(arrow + (outcome.failureWord ?? "ERR"), Style(.error, bold: true))
    }

    static func drawRow(_ cells: [TextLine], widths: [Int], rightAligned: Set<Int>, x: Int, y: Int, maxX: Int, _ grid: inout CellGrid) {
        var column = x
        for (i, cell) in cells.enumerated() where i < widths.count {
            let w = widths[i]
            if w > 0 {
                var start = column
                if rightAligned.contains(i) {
                    let text = cell.spans.map { Sanitizer.displayText(bytes: $0.bytes) }.joined()
                    start = column + max(0, w - DisplayWidth.columns(text))
                }
                grid.draw(cell, x: start, y: y, maxX: min(column + w, maxX))
            }
            column += w + 1
            if column >= maxX { break }
        }
    }

    public static func verdictStyle(_ status: VerdictStatus) -> Style {
        switch status {
        case .valid: Style(.verdictValid, bold: true)
        case .invalid: Style(.verdictInvalid, bold: true)
        case .noSecret: Style(.verdictNoSecret)
        case .unsigned: Style(.verdictUnsigned)
        }
    }

    public static func verdictSymbol(_ status: VerdictStatus) -> String {
        switch status {
        case .valid: "✓"
        case .invalid: "✗"
        case .noSecret: "?"
        case .unsigned: "-"
        }
    }

    // MARK: text panes

    /// One row of a wrapped text pane: which line, from which column, how many columns, and
    /// whether it is the line's last row.
    struct WrappedRow: Equatable {
        var line: Int
        var start: Int
        var width: Int
        var isLast: Bool
    }

    /// The rows of lines wrapped at `width` columns (the headers and signature panes wrap long
    /// lines rather than cut them).
    static func wrappedRows(_ lines: [TextLine], width: Int) -> [WrappedRow] {
        var rows: [WrappedRow] = []
        for (index, line) in lines.enumerated() {
            let starts = CellGrid.rowStarts(of: line, width: max(1, width))
            for (i, start) in starts.enumerated() {
                let end = i + 1 < starts.count ? starts[i + 1] : start + width
                rows.append(WrappedRow(line: index, start: start, width: end - start, isLast: i + 1 == starts.count))
            }
        }
        return rows
    }

    /// The rows a pane's lines take inside a pane of `rect` (its border left out).
    static func wrappedRowCount(_ lines: [TextLine], in rect: Rect) -> Int {
        wrappedRows(lines, width: max(1, rect.width - 2)).count
    }

    static func renderTextPane(title: TextLine, pane: Pane, state: AppState, lines: [TextLine], scroll: Int, placeholder: String,
                               _ rect: Rect, _ grid: inout CellGrid, _ glyphs: BorderGlyphs) {
        var title = title
        let rows = wrappedRows(lines, width: max(1, rect.width - 2))
        if rows.count > rect.height - 2, rect.height > 2 {
            title.append(" \(min(scroll + 1, rows.count))/\(rows.count)", Style(.muted))
        }
        let inner = Frame(title: title, focused: state.detail.focus == pane, glyphs: glyphs).render(in: rect, into: &grid)
        guard inner.height > 0 else { return }
        if lines.isEmpty {
            grid.draw(placeholder, x: inner.x, y: inner.y, maxX: inner.maxX, style: Style(.muted))
            return
        }
        let start = min(max(0, scroll), max(0, rows.count - 1))
        for i in 0..<inner.height where start + i < rows.count {
            let row = rows[start + i]
            grid.draw(lines[row.line], x: inner.x, y: inner.y + i, maxX: min(inner.maxX, inner.x + row.width), mode: .body,
                      truncation: row.isLast ? .ellipsis : .cut, skipColumns: row.start)
        }
    }

    /// Lines of the headers pane for a capture: the request line, where and when it came from, its headers.
    /// `attempts` are the captures of its delivery id, oldest first (its attempts in the store).
    static func headerLines(_ request: CapturedRequest?, identity: DeliveryIdentity = DeliveryIdentity(), attempts: [RequestSummary] = []) -> [TextLine] {
        guard let request else { return [] }
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
        var metaLine = TextLine(meta, Style(.muted))
        // The provider's event type and delivery id (the same across its retries), escaped like
        // every byte a sender chose.
        if let event = identity.event {
            metaLine.append(" · event ", Style(.muted))
            metaLine.append(bytes: Array(event.utf8))
        }
        if let id = identity.deliveryID {
            metaLine.append(" · delivery ", Style(.muted))
            metaLine.append(bytes: Array(id.utf8))
        }
        lines.append(metaLine)
        // Which attempt of its delivery this is, and when each came after the first: the
        // provider's backoff schedule.
        if request.deliveryID != nil {
            lines.append(TextLine(DeliveryAttempts.summary(attempt: request.attempt, of: attempts), Style(request.isRetry ? .key : .muted)))
        }
        for header in request.headers {
            var line = TextLine(header.name, Style(.key))
            line.append(": ", Style(.punctuation))
            line.append(bytes: header.rawValue)
            lines.append(line)
        }
        return lines
    }

    static func renderHeaders(_ state: AppState, _ rect: Rect, _ grid: inout CellGrid, _ glyphs: BorderGlyphs) {
        var title = TextLine(Pane.headers.title, Style(.title, bold: true))
        if let d = state.detail.request { title.append(" \(d.headers.count)", Style(.muted)) }
        renderTextPane(title: title, pane: .headers, state: state, lines: headerLines(state.detail.request, identity: state.detail.identity, attempts: state.detail.deliveryAttempts), scroll: state.detail.headersScroll,
                       placeholder: state.rowCount == 0 ? "no request selected" : "loading…", rect, &grid, glyphs)
    }

    /// The verdict and its detail: the lines the signature pane is made tall enough to show.
    static func verdictLines(_ request: CapturedRequest, explained: [String]) -> (verdict: [TextLine], diagnosis: [String]) {
        let sig = request.signature
        var first = TextLine(verdictSymbol(sig.status) + " " + sig.status.screenWord, verdictStyle(sig.status))
        first.append(" · ", Style(.muted))
        first.append(sig.provider ?? "no provider recognised", Style(sig.provider == nil ? .muted : .key))
        let shown = sig.shown(with: explained)
        return ([first, TextLine(shown.detail)], shown.lines)
    }

    /// Every line of the signature pane: the verdict, its detail, the diagnosis, then the
    /// capture's replays and forwards (one line each, newest first) and the newest one's answer.
    static func signatureLines(_ state: AppState) -> [TextLine] {
        guard let d = state.detail.request else { return [] }
        let (verdict, diagnosis) = verdictLines(d, explained: state.detail.signatureLines)
        var lines = verdict
        for line in diagnosis { lines.append(TextLine(line, Style(.muted))) }
        let attempts = state.replay.attempts.filter { $0.requestID == d.id }
        if !attempts.isEmpty {
            lines.append(TextLine(""))
            lines.append(TextLine("attempts, newest first:", Style(.title, bold: true)))
            for attempt in attempts.reversed() { lines.append(attemptLine(attempt)) }
        }
        if let replay = state.replay.last, replay.requestID == d.id {
            lines.append(TextLine(""))
            lines += replayLines(replay)
        }
        return lines
    }

    /// One replay or forward in the list of a capture's attempts: when (local time), what kind and
    /// how it was sent, where, and the answer's status and time (or why there is none). Only our
    /// own words and numbers and the target typed or configured: nothing the target sent.
    static func attemptLine(_ attempt: ReplayAttempt) -> TextLine {
        var line = TextLine(attempt.startedAt.localClockText + " ", Style(.muted))
        line.append(attempt.kind == .forward ? "forward" : "replay", Style(.key))
        if let how = ReplayState.how(edited: attempt.edited, resigned: attempt.resigned) { line.append(" (\(how))", Style(.key)) }
        line.append(" → " + attempt.targetURL + " ")
        let outcome = ReplayOutcome(attempt)
        if let status = outcome.status {
            line.append("\(status) \(outcome.shortDuration)", Style(status >= 400 ? .verdictInvalid : .verdictValid))
        } else {
            line.append((outcome.failureWord ?? "ERR") + " \(outcome.shortDuration)", Style(.verdictInvalid))
        }
        return line
    }

    static func renderSignature(_ state: AppState, _ rect: Rect, _ grid: inout CellGrid, _ glyphs: BorderGlyphs) {
        var title = TextLine(Pane.signature.title, Style(.title, bold: true))
        let attempts = state.replay.attempts.filter { $0.requestID == state.detail.request?.id }
        if !attempts.isEmpty {
            title.append(" · \(attempts.count) attempt\(attempts.count == 1 ? "" : "s")", Style(.muted))
        }
        renderTextPane(title: title, pane: .signature, state: state, lines: signatureLines(state),
                       scroll: state.detail.signatureScroll, placeholder: "no request selected", rect, &grid, glyphs)
    }

    /// The newest replay of the selected capture: where it went, what came back, how long it took.
    static func replayLines(_ replay: ReplayAttempt) -> [TextLine] {
        var lines: [TextLine] = []
        let took = Formatting.milliseconds(nanoseconds: replay.durationNanoseconds, decimals: 1)
        let how = ReplayState.how(edited: replay.edited, resigned: replay.resigned).map { " (\($0))" } ?? ""
        var head = TextLine("\(replay.kind == .forward ? "forward" : "replay")\(how) → ", Style(.title, bold: true))
        head.append(replay.targetURL, Style(.key))
        lines.append(head)
        if let response = replay.response {
            lines.append(TextLine("\(response.status) \(HTTPStatusText.text(for: response.status)) in \(took)",
                                  Style(response.status >= 400 ? .verdictInvalid : .verdictValid)))
            // The target's bytes as they came: the sanitizer shows controls and invalid UTF-8 escaped.
            for header in response.headers {
                var line = TextLine(header.name + ": ", Style(.muted))
                line.append(bytes: header.rawValue, Style(.muted))
                lines.append(line)
            }
            if !response.body.isEmpty {
                for line in Array(response.body.prefix(4096)).split(separator: 0x0A, omittingEmptySubsequences: false).prefix(20) {
                    lines.append(TextLine([TextSpan(bytes: Array(line))]))
                }
            }
        } else {
            lines.append(TextLine("failed after \(took): \(replay.error ?? "no response")", Style(.verdictInvalid)))
        }
        if !replay.changedHeaders.isEmpty {
            lines.append(TextLine("changed headers: " + replay.changedHeaders.joined(separator: ", "), Style(.muted)))
        }
        return lines
    }

    static func renderBody(_ state: AppState, _ rect: Rect, _ grid: inout CellGrid, _ glyphs: BorderGlyphs) {
        let body = state.detail.body
        var title: TextLine
        if let diff = body.diff {
            title = TextLine("Diff", Style(.title, bold: true))
            title.append(" A #\(diff.a) ↔ B #\(diff.b)", Style(.key))
        } else {
            title = TextLine(Pane.body.title, Style(.title, bold: true))
            if let d = state.detail.request {
                title.append(" " + Formatting.compactSize(d.bodySize), Style(.muted))
            }
            if let view = body.currentView {
                title.append(" [\(view.rawValue) \(body.viewIndex + 1)/\(body.views.count)]", Style(.key))
            }
        }
        if let note = body.formatted?.note { title.append(" " + note, Style(.muted)) }
        if !body.query.isEmpty {
            let position = body.currentMatch.map { "\($0 + 1)/\(body.matches.count)" } ?? "0/\(body.matches.count)"
            title.append(" /\(body.query) \(position)", Style(.searchMatch))
        }
        let lineCount = body.formatted?.lineCount ?? 0
        if lineCount > rect.height - 2, rect.height > 2 {
            title.append(" \(min(body.scroll + 1, lineCount))/\(lineCount)", Style(.muted))
        }
        if let shift = state.detail.horizontalScroll[.body], shift > 0 { title.append(" →\(shift)", Style(.muted)) }
        let inner = Frame(title: title, focused: state.detail.focus == .body, glyphs: glyphs).render(in: rect, into: &grid)
        guard inner.height > 0 else { return }
        guard let detail = state.detail.request else {
            grid.draw(state.rowCount == 0 ? "no request selected" : "loading…", x: inner.x, y: inner.y, maxX: inner.maxX, style: Style(.muted))
            return
        }
        // A request refused for its head has that head as its body: it is shown like one.
        if body.diff == nil, let refusal = detail.refusal, !refusal.bodyHoldsHead || detail.body.isEmpty {
            grid.draw("body not kept: refused (\(refusal.rawValue)), \(detail.bodySize) bytes", x: inner.x, y: inner.y, maxX: inner.maxX, style: Style(.error))
            return
        }
        guard let formatted = body.formatted else {
            grid.draw(body.diff == nil ? "formatting…" : "comparing…", x: inner.x, y: inner.y, maxX: inner.maxX, style: Style(.muted))
            return
        }
        if body.diff == nil, detail.body.isEmpty {
            grid.draw("(empty body)", x: inner.x, y: inner.y, maxX: inner.maxX, style: Style(.muted))
            return
        }
        let query = Array(body.query.utf8)
        let current = body.currentMatch.flatMap { $0 < body.matches.count ? body.matches[$0] : nil }
        // Only the visible lines are laid out.
        for i in 0..<inner.height {
            let index = body.scroll + i
            guard index < formatted.lineCount else { break }
            var line = styledLine(formatted.line(at: index))
            if !query.isEmpty { line = highlight(line, query: query, current: index == current) }
            grid.draw(line, x: inner.x, y: inner.y + i, maxX: inner.maxX, mode: .body, skipColumns: state.detail.horizontalScroll[.body] ?? 0)
        }
    }

    static func style(for role: TextRole) -> Style {
        switch role {
        case .plain: Style()
        case .key: Style(.key)
        case .string: Style(.string)
        case .number: Style(.number)
        case .literal: Style(.literal)
        case .punctuation: Style(.punctuation)
        case .error: Style(.error, bold: true)
        case .muted: Style(.muted)
        case .heading: Style(.heading, bold: true)
        }
    }

    static func styledLine(_ line: StyledLine) -> TextLine {
        TextLine(line.map { TextSpan(bytes: $0.bytes, style(for: $0.role)) })
    }

    /// Splits spans so every case-insensitive occurrence of `query` gets the search-match style.
    static func highlight(_ line: TextLine, query: [UInt8], current: Bool) -> TextLine {
        let all = line.spans.flatMap(\.bytes)
        let ranges = BodySearch.matchRanges(in: all, query: query)
        guard !ranges.isEmpty else { return line }
        var result = TextLine()
        var offset = 0
        for span in line.spans {
            var start = 0
            let bytes = span.bytes
            while start < bytes.count {
                let absolute = offset + start
                let inMatch = ranges.contains { $0.contains(absolute) }
                var end = start + 1
                while end < bytes.count, ranges.contains(where: { $0.contains(offset + end) }) == inMatch { end += 1 }
                var style = span.style
                if inMatch {
                    style = Style(.searchMatch, bold: current, underline: current)
                }
                result.spans.append(TextSpan(bytes: Array(bytes[start..<end]), style))
                start = end
            }
            offset += bytes.count
        }
        return result
    }

    // MARK: status bar and help

    static func renderStatus(_ state: AppState, _ rect: Rect, _ grid: inout CellGrid) {
        guard !rect.isEmpty else { return }
        grid.fill(rect, style: Style(.statusBar))
        let total = state.list.total
        var left = TextLine(state.watchedStore.map { "watching \($0)" } ?? state.listenURL, Style(.statusBar, bold: true))
        left.append(" │ \(total) capture\(total == 1 ? "" : "s")", Style(.statusBar))
        // Captures the store refused (their senders got a 5xx): never out of sight.
        let health = state.storeHealth
        if health.failures > 0 {
            let count = "\(health.failures) not stored"
            if health.isFailing {
                left.append(" │ ⚠ \(count): \(health.lastReason ?? "store error")", Style(.statusError))
            } else if let back = health.recoveredAt {
                left.append(" │ ⚠ \(count) (\(health.lastReason ?? "store error")); storing again since \(back.localClockText)", Style(.statusError))
            }
        }
        // An override answers every request it covers: never out of sight while it is in force.
        if let override = state.override {
            left.append(" │ ⚠ \(override.description)", Style(.statusError))
        }
        // The text being typed in a prompt is drawn so that the cursor shows; what follows it goes to `after`.
        var edited: (editor: LineEditor, style: Style)?
        var after = TextLine()
        func add(_ text: String, _ style: Style) {
            if edited == nil { left.append(text, style) } else { after.append(text, style) }
        }
        let prompt = state.modal.prompt
        let filter = state.filter
        if !filter.text.isEmpty || prompt?.kind == .filter {
            add(" │ filter: ", Style(.statusBar))
            let style = Style(filter.error == nil ? .statusBar : .statusError)
            if let prompt, prompt.kind == .filter { edited = (prompt.editor, style) } else { add(filter.text, style) }
            if filter.scanning { add(filter.searchedThrough > 0 ? " (searching, at #\(filter.searchedThrough))" : " (searching)", Style(.statusBar)) }
            if let error = filter.error, prompt?.kind == .filter { add(" ✗ \(error)", Style(.statusError)) }
        }
        if let prompt {
            switch prompt.kind {
            case .filter:
                break
            case .search:
                let matches = state.detail.body.matches.count
                left.append(" │ search: ", Style(.statusBar))
                edited = (prompt.editor, Style(.statusBar))
                add(" \(matches) match\(matches == 1 ? "" : "es")", Style(.statusBar))
            case .secret(let provider):
                left.append(" │ secret for \(provider): ", Style(.statusBar, bold: true))
                edited = (prompt.editor.masked(by: "•", limit: 40), Style(.prompt))
            case .secrets(let secrets):
                // Masked as everywhere: a known prefix and the last four characters.
                let listed = secrets.enumerated().map { "\($0.offset + 1) \($0.element.provider) \($0.element.masked)" }
                left.append(" │ secrets: " + listed.joined(separator: " · ") + " │ remove #: ", Style(.statusBar, bold: true))
                edited = (prompt.editor, Style(.prompt))
            case .rules(let rules, _):
                left.append(" │ \(rules.count) rule\(rules.count == 1 ? "" : "s") ", Style(.statusBar, bold: true))
            case .failNext(let path):
                let where_ = path.map { "on \(Sanitizer.displayText($0))" } ?? "on every path"
                left.append(" │ fail the next requests \(where_) (N STATUS|timeout|reset|close [all], or down …): ", Style(.statusBar, bold: true))
                edited = (prompt.editor, Style(.prompt))
            case .replayURL(let id, let mode):
                let how = switch mode {
                case .exact: ""
                case .resigned: " re-signed"
                case .edited: " edited"
                case .editedResigned: " edited, re-signed,"
                }
                left.append(" │ replay #\(id)\(how) to: ", Style(.statusBar, bold: true))
                edited = (prompt.editor, Style(.prompt))
            }
        }
        var x = grid.draw(left, x: rect.x, y: rect.y, maxX: rect.maxX)
        if let edited {
            x = grid.draw(TextLine(edited.editor.display(columns: rect.maxX - x - 1), edited.style), x: x, y: rect.y, maxX: rect.maxX)
            x = grid.draw(after, x: x, y: rect.y, maxX: rect.maxX)
        }
        x += 1
        switch state.modal.confirmation {
        case .replay(let pending):
            grid.draw(" send #\(pending.id) to \(pending.host)? it may carry secrets y/n ", x: x, y: rect.y, maxX: rect.maxX, style: Style(.statusError))
            return
        case .clearAll:
            grid.draw(" delete all \(total) requests? y/n ", x: x, y: rect.y, maxX: rect.maxX, style: Style(.statusError))
            return
        case .delete(let id)?:
            grid.draw(" delete #\(id)? y/n ", x: x, y: rect.y, maxX: rect.maxX, style: Style(.statusError))
            return
        case nil:
            break
        }
        if let status = state.status {
            let text = fitted(status.text, columns: rect.maxX - x - 2)
            grid.draw(" " + text + " ", x: x, y: rect.y, maxX: rect.maxX, style: Style(status.isError ? .statusError : .statusMessage))
            return
        }
        let context: KeyContext = state.modal.isHelp ? .help : (prompt != nil ? .prompt : state.detail.focus.keyContext)
        // Hints that do not fit are dropped from the middle, so help and quit always show.
        var all = state.keymap.hints(for: context, in: prompt?.kind.purpose)
        func width(_ hints: [(keys: String, label: String)]) -> Int {
            hints.reduce(0) { $0 + 2 + DisplayWidth.columns($1.keys) + DisplayWidth.columns($1.label) }
        }
        while all.count > 2, width(all) > rect.maxX - x - 1 { all.remove(at: all.count - 3) }
        // Whole hints only: the first of the last two goes too when they do not fit, then the last.
        while !all.isEmpty, width(all) > rect.maxX - x - 1 { all.removeFirst() }
        var hints = TextLine()
        for hint in all {
            hints.append(" " + hint.keys, Style(.hint, bold: true))
            hints.append(" " + hint.label, Style(.statusBar))
        }
        let width = width(all)
        let start = max(x + 1, rect.maxX - width)
        grid.draw(hints, x: start, y: rect.y, maxX: rect.maxX, truncation: .cut)
    }

    /// A status message in `columns`: one that reports a file (it ends with an absolute path) loses
    /// its middle rather than the file's name: `exported 3 requests as HAR to …/exports/x.har`, or,
    /// with too little room for the message's start as well, `…exports/x.har`. Other messages are
    /// cut at the end when drawn.
    static func fitted(_ text: String, columns: Int) -> String {
        guard columns > 1, DisplayWidth.columns(text) > columns,
              let start = text.range(of: " /", options: .backwards)?.upperBound
        else { return text }
        let slash = text.index(before: start)
        let message = String(text[..<slash])
        let path = String(text[slash...])
        let nameStart = path.lastIndex(of: "/") ?? path.startIndex
        let folder = String(path[..<nameStart])
        let name = String(path[nameStart...])
        // The message's start, the end of the folder, and the file's name whole.
        let room = columns - 1 - DisplayWidth.columns(name)
        let messageColumns = min(DisplayWidth.columns(message), room)
        guard messageColumns >= 8 else { return "…" + tail(of: path, columns: columns - 1) }
        return head(of: message, columns: messageColumns) + "…" + tail(of: folder, columns: room - messageColumns) + name
    }

    private static func head(of text: String, columns: Int) -> String {
        var out = ""
        var used = 0
        for character in text {
            let width = DisplayWidth.columns(String(character))
            if used + width > columns { break }
            out.append(character)
            used += width
        }
        return out
    }

    private static func tail(of text: String, columns: Int) -> String {
        var out: [Character] = []
        var used = 0
        for character in text.reversed() {
            let width = DisplayWidth.columns(String(character))
            if used + width > columns { break }
            out.append(character)
            used += width
        }
        return String(out.reversed())
    }

    /// The rules view (`u`): each rule's label, how often it matched, and what it matches and answers.
    static func renderRules(_ rules: [RuleStatus], _ override: AnswerOverride?, _ grid: inout CellGrid, _ glyphs: BorderGlyphs) {
        var lines: [TextLine] = []
        if let override {
            lines.append(TextLine("override: \(override.description) (! ends it)", Style(.error, bold: true)))
        }
        if rules.isEmpty {
            lines.append(TextLine("no response rules: start with --rules FILE or [[rule]] in the config file", Style(.muted)))
        }
        let labelWidth = min(24, rules.map { DisplayWidth.columns(Sanitizer.displayText($0.label)) }.max() ?? 0)
        for rule in rules {
            let label = Sanitizer.displayText(rule.label)
            var line = TextLine(label + String(repeating: " ", count: max(1, labelWidth - DisplayWidth.columns(label) + 1)), Style(.key, bold: true))
            let count = "\(rule.matched)×"
            line.append(String(repeating: " ", count: max(0, 7 - count.count)) + count + "  ", Style(rule.matched > 0 ? .normal : .muted))
            line.append(Sanitizer.displayText(rule.summary))
            lines.append(line)
        }
        let width = min(grid.width - 2, 100)
        let height = min(grid.height - 2, lines.count + 2)
        guard width > 10, height > 2 else { return }
        let rect = Rect(x: (grid.width - width) / 2, y: (grid.height - height) / 2, width: width, height: height)
        let title = TextLine("Response rules: first match answers (Esc closes)", Style(.title, bold: true))
        let inner = Frame(title: title, focused: true, glyphs: glyphs).render(in: rect, into: &grid)
        grid.fill(inner, style: Style(.normal))
        for i in 0..<inner.height where i < lines.count {
            grid.draw(lines[i], x: inner.x + 1, y: inner.y + i, maxX: inner.maxX)
        }
    }

    static func renderHelp(_ state: AppState, scroll: Int, _ grid: inout CellGrid, _ glyphs: BorderGlyphs) {
        let lines = state.keymap.helpLines()
        let width = min(grid.width - 2, 90)
        let height = min(grid.height - 2, lines.count + 2)
        guard width > 10, height > 2 else { return }
        let rect = Rect(x: (grid.width - width) / 2, y: (grid.height - height) / 2, width: width, height: height)
        let inner = Frame(title: TextLine("Help: keys (Esc closes)", Style(.title, bold: true)), focused: true, glyphs: glyphs).render(in: rect, into: &grid)
        let scroll = min(scroll, max(0, lines.count - inner.height))
        for i in 0..<inner.height where scroll + i < lines.count {
            grid.draw(lines[scroll + i], x: inner.x + 1, y: inner.y + i, maxX: inner.maxX)
        }
    }
}

/// Case-insensitive (ASCII) search over body bytes.
public enum BodySearch {
    public static func matchRanges(in bytes: [UInt8], query: [UInt8]) -> [Range<Int>] {
        guard !query.isEmpty, bytes.count >= query.count else { return [] }
        let q = query.map(lower)
        var ranges: [Range<Int>] = []
        var i = 0
        while i <= bytes.count - q.count {
            var j = 0
            while j < q.count, lower(bytes[i + j]) == q[j] { j += 1 }
            if j == q.count {
                ranges.append(i..<(i + q.count))
                i += q.count
            } else {
                i += 1
            }
        }
        return ranges
    }

    /// Indices of the lines that contain the query. Checks for cancellation every few thousand lines.
    public static func matchingLines(in body: any FormattedBody, query: [UInt8]) -> [Int]? {
        var result: [Int] = []
        for index in 0..<body.lineCount {
            if index % 4096 == 0, Task.isCancelled { return nil }
            if !matchRanges(in: body.line(at: index).flatMap(\.bytes), query: query).isEmpty { result.append(index) }
        }
        return result
    }

    static func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b + 32 : b }
}
