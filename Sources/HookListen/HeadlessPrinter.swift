import Dispatch
import HookCore
import HookStore
import Synchronization

/// Prints `listening on URL` and then one line per committed capture, in id order, each flushed.
/// With JSON lines the output carries nothing but one JSON object per line (so `| jq` works): the
/// listening line goes to stderr instead. When forwarding, a capture's line waits until its
/// forward is done and carries the target's answer; the lines still come out in id order.
final class HeadlessPrinter: Sendable {
    private let json: Bool
    private let forwarding: Bool
    /// `--proxy-response`: a forwarded capture's line shows what the sender got, the target's answer.
    private let proxyResponse: Bool
    /// Where the listening line goes with JSON lines, and the rules' notices (stderr, or a pipe in tests).
    private let announceFD: Int32
    /// Whether a capture was answered by a rule that forwards it (`forward_to`): its line waits for
    /// the forward, and shows the handler's answer as what the sender got when there was one.
    private let ruleForwards: (@Sendable (CapturedRequest) -> Bool)?

    private struct Line {
        var request: CapturedRequest
        var replay: ReplayOutcome?
        var waiting: Bool
    }

    private struct Queue {
        /// Captures in id order whose line is not written yet (the first ones wait for their forward).
        var lines: [Line] = []
        var head = 0
        /// Forward results that came before their capture's commit was seen.
        var early: [Int64: ReplayAttempt] = [:]
    }

    private let queue = Mutex(Queue())
    /// Standard output: a reader that does not keep up never holds up the captures. Their lines
    /// wait for it, up to 4 MiB; past that they are made again from the store once it has caught
    /// up, so it gets every line, in order, at its own pace.
    private let output: OutputPump
    /// Where the refill reads; set once the store is open.
    private let store = StoreSlot()
    /// `hookscope list` for the store, for what is said on stderr about lines not written.
    private let listCommand: String?

    /// - Parameters:
    ///   - onOutputClosed: called once when the output's reader went away.
    ///   - fd: where the lines go (standard output, or a pipe in tests).
    ///   - announceFD: where the listening line goes with JSON lines (standard error, or a pipe in tests).
    init(
        json: Bool, forwarding: Bool = false, proxyResponse: Bool = false, ruleForwards: (@Sendable (CapturedRequest) -> Bool)? = nil,
        databasePath: String?, fd: Int32 = 1, announceFD: Int32 = 2, onOutputClosed: @escaping @Sendable () -> Void = {}
    ) {
        self.json = json
        self.forwarding = forwarding
        self.ruleForwards = ruleForwards
        self.proxyResponse = proxyResponse
        self.announceFD = announceFD
        let list = databasePath.map { "hookscope list --db \(ShellQuoting.quote(Array($0.utf8)))\(json ? " --json" : "")" }
        listCommand = list
        let store = self.store
        output = OutputPump(fd: fd, limit: 4 << 20, note: { count, ids in
            // Lines the refill did not find: their captures were dropped (--keep, or the memory
            // store's bound) before the reader got to them.
            let what = "\(count) capture line\(count == 1 ? "" : "s") not written (the output was not read fast enough, and the store no longer held the capture\(count == 1 ? "" : "s"))"
            guard let ids else { return "hookscope: \(what)\n" }
            return "hookscope: \(what), among captures #\(Self.idRange(ids))\n"
        }, refill: { ids in
            guard let source = store.current else { return OutputPump.Refilled(bytes: [], lines: 0, through: ids.upperBound) }
            return Self.waitFor { await Self.lines(ids, from: source, json: json) }
        }, onClosed: onOutputClosed)
    }

    func start(url: String) {
        let line = Array("listening on \(url)\n".utf8)
        if json {
            _ = writeFully(announceFD, line)
        } else {
            queue.withLock { _ in _ = output.write(line) }
        }
        output.watchForClosedReader()
    }

    /// Waits, at most `timeout`, for the lines written so far to reach the reader; when they did
    /// not, says on stderr from which capture on they are missing, and how to list those.
    func finish(timeout: Duration) {
        guard !output.flush(timeout: timeout), let from = output.unwrittenFrom else { return }
        let what = "hookscope: stopped before the output was read up to the newest capture: the lines from capture #\(from) on were not all written"
        let text = listCommand.map { "\(what); stored: \($0) --filter id:\(from)-\n" } ?? "\(what) (kept in memory only: gone)\n"
        _ = writeFully(2, Array(text.utf8))
    }

    /// The store the lines are about: dropped lines are made again from it.
    func readLines(from store: any RequestStore) {
        self.store.current = store
    }

    /// The lines of the captures among `ids` (oldest first, as many as one read gives: the same as
    /// `hookscope list`'s), how many, and the last id they account for; after a read error, every id
    /// counts as done (and is noted).
    private static func lines(_ ids: ClosedRange<Int64>, from store: any RequestStore, json: Bool) async -> OutputPump.Refilled {
        guard let part = try? await StoredLines.read(after: ids.lowerBound - 1, through: ids.upperBound, json: json, from: store) else {
            return OutputPump.Refilled(bytes: [], lines: 0, through: ids.upperBound)
        }
        // A full read may stop short of the range's end; otherwise the range is done.
        return OutputPump.Refilled(bytes: part.bytes, lines: part.lines, through: part.more ? part.last ?? ids.upperBound : ids.upperBound)
    }

    /// Runs `work` and waits for it on this thread (the pump's own, never one of the pool's).
    private static func waitFor<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            box.value = await work()
            done.signal()
        }
        done.wait()
        return box.value!
    }

    private static func idRange(_ ids: ClosedRange<Int64>) -> String {
        ids.lowerBound == ids.upperBound ? "\(ids.lowerBound)" : "\(ids.lowerBound)-\(ids.upperBound)"
    }

    /// A line about the rules (reloaded, or an edit refused), on stderr: never among the captures' lines.
    func notice(_ text: String) {
        _ = writeFully(announceFD, Array("hookscope: \(TerminalSafety.escape(Array(text.utf8)))\n".utf8))
    }

    /// Whether a capture's line waits for a forward's result.
    private func waits(_ request: CapturedRequest) -> Bool {
        (forwarding && StoreSink.forwards(request)) || ruleForwards?(request) == true
    }

    func print(_ batch: [CapturedRequest]) {
        if !forwarding && ruleForwards == nil {
            // Nothing waits: the batch's lines go out together, unless the reader is so far behind
            // that they will be made from the store anyway.
            guard let firstID = batch.first?.id else { return }
            let ids = firstID...batch[batch.count - 1].id
            if output.dropIfBehind(lines: batch.count, ids: ids) { return }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(batch.count * 100)
            for request in batch { appendLine(request, replay: nil, to: &bytes) }
            queue.withLock { _ in _ = output.write(bytes, lines: batch.count, ids: ids) }
            return
        }
        queue.withLock { queue in
            if !forwarding, queue.head == queue.lines.count, !batch.contains(where: waits) {
                // No line waits, before or in this batch: written at once.
                var bytes: [UInt8] = []
                for request in batch { appendLine(request, replay: nil, to: &bytes) }
                if let first = batch.first?.id, let last = batch.last?.id { _ = output.write(bytes, lines: batch.count, ids: first...last) }
                return
            }
            for request in batch {
                var line = Line(request: request, replay: nil, waiting: waits(request))
                if let early = queue.early.removeValue(forKey: request.id) { done(&line, early) }
                queue.lines.append(line)
            }
            flush(&queue)
        }
    }

    /// A forward is done (stored): its capture's line can be written, after the ones before it.
    func forwarded(_ attempt: ReplayAttempt) {
        queue.withLock { queue in
            if let index = queue.lines[queue.head...].firstIndex(where: { $0.request.id == attempt.requestID && $0.waiting }) {
                done(&queue.lines[index], attempt)
            } else {
                queue.early[attempt.requestID] = attempt
            }
            flush(&queue)
        }
    }

    /// A line with its forward's result; with `--proxy-response`, the sender got the target's answer.
    private func done(_ line: inout Line, _ attempt: ReplayAttempt) {
        line.replay = ReplayOutcome(attempt)
        line.waiting = false
        if line.request.rule != nil {
            // A rule's forward: the handler's answer, or the rule's own when it was down.
            if attempt.response != nil { line.request.response = ProxiedResponse.response(for: attempt) }
        } else if proxyResponse {
            line.request.response = ProxiedResponse.response(for: attempt)
        }
    }

    private func appendLine(_ request: CapturedRequest, replay: ReplayOutcome?, to bytes: inout [UInt8]) {
        if json {
            bytes.append(contentsOf: CaptureJSON.line(for: request, replay: replay).utf8)
        } else {
            CaptureLine.appendReadable(request.summary, replay: replay, to: &bytes)
        }
        bytes.append(UInt8(ascii: "\n"))
    }

    /// Writes the lines that no longer wait, up to the first one that does.
    private func flush(_ queue: inout Queue) {
        var bytes: [UInt8] = []
        let first = queue.head
        while queue.head < queue.lines.count, !queue.lines[queue.head].waiting {
            let line = queue.lines[queue.head]
            appendLine(line.request, replay: line.replay, to: &bytes)
            queue.head += 1
        }
        let lines = queue.head - first
        let ids = lines == 0 ? nil : queue.lines[first].request.id...queue.lines[queue.head - 1].request.id
        if queue.head > 1024, queue.head * 2 > queue.lines.count {
            queue.lines.removeFirst(queue.head)
            queue.head = 0
        }
        if !bytes.isEmpty { output.write(bytes, lines: lines, ids: ids) }
    }
}

/// Set once, read by the headless output's refill.
final class StoreSlot: Sendable {
    private let store = Mutex<(any RequestStore)?>(nil)
    var current: (any RequestStore)? {
        get { store.withLock { $0 } }
        set { store.withLock { $0 = newValue } }
    }
}

/// A value handed from a task to a thread that waits on a semaphore for it (which orders the two).
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

