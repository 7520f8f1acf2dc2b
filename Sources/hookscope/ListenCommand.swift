import ArgumentParser
import Foundation
import HookApp
import HookCore
import HookReplay
import HookServer
import HookSignatures
import HookStore
import Logging
import NIOCore
import Synchronization

struct Listen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the listener and the TUI (headless when stdout is not a terminal, or with --headless).")

    @Option(help: ArgumentHelp("Bind address (default 127.0.0.1; never all interfaces unless you ask).", valueName: "addr"))
    var host: String?

    // Numbers are taken even when they start with `-`, so that `--delay -5` is told what range
    // is allowed instead of "missing value".
    @Option(parsing: .unconditional, help: ArgumentHelp("Port to listen on (default 9777); 0 picks a free one.", valueName: "n"))
    var port: Int?

    @OptionGroup var store: StoreOptions

    @Flag(help: "Keep captures in memory only (the newest, up to 512 MiB of them); nothing is written to disk.")
    var memory = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Keep at most this many captures, dropping the oldest first.", valueName: "n"))
    var keep: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Status code of the listener's answer (default 200).", valueName: "n"))
    var status: Int?

    @Option(name: .customLong("response-body"), help: ArgumentHelp("Body of the listener's answer.", valueName: "text"))
    var responseBody: String?

    @Option(name: .customLong("response-header"), help: ArgumentHelp("A header of the listener's answer, 'Name: value' (repeatable).", valueName: "header"))
    var responseHeaders: [String] = []

    @Option(parsing: .unconditional, help: ArgumentHelp("Wait this many milliseconds before answering.", valueName: "ms"))
    var delay: Int?

    @Option(name: .customLong("max-body"), parsing: .unconditional, help: ArgumentHelp("Larger bodies are refused with 413 and shown as refused (default 25 MiB).", valueName: "bytes"))
    var maxBody: Int?

    @OptionGroup var signatures: SignatureOptions

    @Flag(name: .customLong("no-handshakes"), help: "Do not answer provider handshakes (Slack, Zoom, Twitch, Meta, Discord PING, Trello HEAD) by ourselves.")
    var noHandshakes = false

    @Option(name: .customLong("meta-verify-token"), help: ArgumentHelp("The verify token of Meta's hub.challenge subscription check.", valueName: "token"))
    var metaVerifyToken: String?

    @Option(name: .customLong("replay-to"), help: ArgumentHelp("Default target of the replay key.", valueName: "url"))
    var replayTo: String?

    @Option(name: .customLong("forward-to"), help: ArgumentHelp("Forward every captured request there as it arrives, in arrival order.", valueName: "url"))
    var forwardTo: String?

    @Flag(name: .customLong("proxy-response"), help: "With --forward-to: answer the sender with the target's response instead of the configured one.")
    var proxyResponse = false

    @Flag(help: "Accept self-signed certificates from forward and replay targets; also `insecure = true` in the config file.")
    var insecure = false

    @Flag(help: "No TUI: one line per request on stdout.")
    var headless = false

    @Flag(help: "With --headless: JSON lines instead of readable lines.")
    var json = false

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535, not \(port)") }
        if let status, !(100...599).contains(status) { throw ValidationError("--status must be an HTTP status between 100 and 599, not \(status)") }
        if let delay, !(0...Self.maxDelayMilliseconds).contains(delay) {
            throw ValidationError("--delay must be between 0 and \(Self.maxDelayMilliseconds) milliseconds (one hour), not \(delay)")
        }
        if let maxBody, maxBody < 0 { throw ValidationError("--max-body must be 0 or more bytes") }
        if let keep, keep < 1 { throw ValidationError("--keep must be at least 1") }
        if proxyResponse && forwardTo == nil { throw ValidationError("--proxy-response needs --forward-to") }
        if let forwardTo, case .failure(let error) = ReplayTarget.parse(forwardTo) {
            throw ValidationError("--forward-to: \(error)")
        }
        if memory && store.db != nil { throw ValidationError("--memory and --db exclude each other") }
        for header in responseHeaders { _ = try Self.parseHeader(header) }
    }

    /// The longest `--delay`: longer than any sender waits for an answer.
    static let maxDelayMilliseconds = 3_600_000

    /// What `--memory` holds at most; the oldest captures go first.
    static let memoryStoreBytes = 512 << 20

    /// `$XDG_STATE_HOME/hookscope/exports`, else `~/.local/state/hookscope/exports`.
    static func exportDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/hookscope/exports" }
        return (environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()) + "/.local/state/hookscope/exports"
    }

    static func parseHeader(_ text: String) throws -> HeaderField {
        guard let colon = text.firstIndex(of: ":") else {
            throw ValidationError("--response-header must look like 'Name: value', not '\(text)'")
        }
        let name = text[..<colon].trimmingCharacters(in: .whitespaces)
        let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.utf8.allSatisfy(isHTTPTokenByte) else {
            throw ValidationError("--response-header has an invalid header name '\(name)'")
        }
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F }) else {
            throw ValidationError("--response-header value for '\(name)' contains control characters")
        }
        return HeaderField(name, value)
    }

    /// The listener's settings: flags first, then the config file, then the defaults.
    func listenerConfiguration(_ config: ConfigFile) throws -> ListenerConfiguration {
        var configuration = ListenerConfiguration()
        configuration.host = host ?? config.host ?? "127.0.0.1"
        configuration.port = port ?? config.port ?? 9777
        let status = status ?? config.status ?? 200
        let headerTexts = responseHeaders.isEmpty ? (config.responseHeaders ?? []) : responseHeaders
        let headers = try headerTexts.map { text in
            do { return try Self.parseHeader(text) } catch { throw CLIError("response header: \(error)") }
        }
        configuration.response = CapturedResponse(
            status: status, headers: headers, body: Data((responseBody ?? config.responseBody ?? "").utf8))
        let delayMilliseconds = delay ?? config.delay ?? 0
        guard (0...Self.maxDelayMilliseconds).contains(delayMilliseconds) else {
            throw CLIError("delay must be between 0 and \(Self.maxDelayMilliseconds) milliseconds (one hour), not \(delayMilliseconds)")
        }
        configuration.delay = .milliseconds(delayMilliseconds)
        configuration.maxBodySize = maxBody ?? config.maxBody ?? configuration.maxBodySize
        guard configuration.maxBodySize >= 0 else { throw CLIError("max_body must be 0 or more bytes, not \(configuration.maxBodySize)") }
        guard (0...65535).contains(configuration.port) else { throw CLIError("port must be between 0 and 65535, not \(configuration.port)") }
        guard (100...599).contains(status) else { throw CLIError("status must be between 100 and 599, not \(status)") }
        return configuration
    }

    func run() async throws {
        let config = try signatures.loadConfig()
        let verifiers = VerifierBox(try signatures.verifier(config: config))
        let listenerSettings = try listenerConfiguration(config)
        let keep = keep ?? config.keep
        if let keep, keep < 1 { throw CLIError("keep must be at least 1, not \(keep)") }
        let useMemory = memory || (store.db == nil && config.memory == true)
        let dbPath = store.db.map(expandTilde) ?? config.db.map(expandTilde) ?? StoreLocation.defaultPath()

        // The TUI when both ends are a terminal and nothing asks for lines; headless otherwise.
        let interactive = !headless && !json && isTerminal(0) && isTerminal(1)
        // Headless, the listener stops when its output's reader is gone (`| head -1`: wait for one
        // webhook), as a Unix filter would, but cleanly and with status 0.
        let (outputClosed, outputClosedContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let printer = HeadlessPrinter(
            json: json, forwarding: forwardTo != nil, databasePath: useMemory ? nil : dbPath,
            onOutputClosed: { outputClosedContinuation.yield() })
        let (captures, capturesContinuation) = AsyncStream.makeStream(of: [RequestSummary].self, bufferingPolicy: .bufferingNewest(50_000))
        // Mismatches stored without their cause during a flood are explained later, when the budget
        // is rested again.
        let diagnosisBudget = DiagnosisBudget()
        let catchUp = SignatureCatchUp(
            mayRun: { diagnosisBudget.isRested },
            verify: { request in verifiers.current.summary(for: request, now: request.receivedAt, diagnosisBudget: diagnosisBudget) },
            charge: { diagnosisBudget.charge($0) })
        let onCommit: @Sendable ([CapturedRequest]) -> Void
        if interactive {
            onCommit = { batch in
                catchUp.committed(batch)
                capturesContinuation.yield(batch.map(\.summary))
            }
        } else {
            onCommit = { batch in
                catchUp.committed(batch)
                printer.print(batch)
            }
        }
        let requestStore: any RequestStore
        if useMemory {
            // Bounded even without --keep: a flood would otherwise grow the process without end.
            requestStore = InMemoryRequestStore(keep: keep, maxBytes: Self.memoryStoreBytes, onCommit: onCommit)
        } else {
            do {
                requestStore = try SQLiteRequestStore(path: dbPath, keep: keep, onCommit: onCommit)
            } catch {
                throw CLIError("\(error)")
            }
        }
        printer.readLines(from: requestStore)
        // Through a pump: a stderr nobody reads never holds up the event loop that logs.
        let logger = Logger(label: "hookscope", factory: PumpedLogHandler.factory(level: .warning))
        // Forwarding: one replayer and one ordered queue; results are stored as replay attempts, then
        // shown (the TUI's list, or the capture's headless line, which waits for its forward).
        let insecure = self.insecure || config.insecure == true
        let (forwardResults, forwardResultsContinuation) = AsyncStream.makeStream(
            of: ReplayAttempt.self, bufferingPolicy: .bufferingNewest(50_000))
        var forwarding: (forwarder: Forwarder, replayer: HTTPReplayer, results: Task<Void, Never>, done: AsyncStream<ReplayAttempt>.Continuation)?
        if let forwardTo {
            let replayer = HTTPReplayer(insecure: insecure)
            let (attempts, attemptsContinuation) = AsyncStream.makeStream(of: ReplayAttempt.self)
            let forwarder = Forwarder(target: forwardTo, replayer: replayer) { attemptsContinuation.yield($0) }
            let results = Task {
                for await attempt in attempts where attempt.requestID > 0 {
                    let stored = (try? await requestStore.addReplay(attempt)) ?? attempt
                    if interactive {
                        forwardResultsContinuation.yield(stored)
                    } else {
                        printer.forwarded(stored)
                    }
                }
                forwardResultsContinuation.finish()
            }
            forwarding = (forwarder, replayer, results, attemptsContinuation)
        } else {
            forwardResultsContinuation.finish()
        }
        let sink = StoreSink(
            store: requestStore, verifiers: verifiers, handshakes: !noHandshakes && config.handshakes != false,
            metaVerifyToken: metaVerifyToken ?? config.metaVerifyToken,
            forwarder: forwarding?.forwarder, proxyResponse: proxyResponse, diagnosisBudget: diagnosisBudget)
        // Its first pass also explains what a flood left unexplained before this start.
        let catchUpTask = Task { await catchUp.run(store: requestStore) }
        let listener: HTTPListener
        do {
            listener = try await HTTPListener.start(configuration: listenerSettings, sink: sink, logger: logger)
        } catch let error as ListenerError {
            throw CLIError(error.description)
        }
        if interactive {
            let replayer = HTTPReplayer(insecure: insecure)
            // Sends a capture (or an edited copy) and stores the attempt with the capture.
            let sendAndStore: @Sendable (CapturedRequest, String, Bool) async -> ReplayAttempt = { request, target, resign in
                let attempt = await replayer.replay(request, to: target, options: ReplayOptions(resign: resign, verifier: verifiers.current))
                return (try? await requestStore.addReplay(attempt)) ?? attempt
            }
            let environment = AppEnvironment(
                store: requestStore, listenURL: listener.url, captures: captures,
                explainSignature: { request in verifiers.current.verify(request, now: .now()).lines },
                replayTo: replayTo ?? config.replayTo,
                replay: { id, target, resign in
                    let started = CaptureTime.now()
                    guard let request = try? await requestStore.request(id: id) else {
                        return ReplayAttempt(
                            requestID: id, startedAt: started, targetURL: target, resigned: false, changedHeaders: [],
                            response: nil, error: "capture #\(id) is no longer in the store", durationNanoseconds: 0)
                    }
                    return await sendAndStore(request, target, resign)
                },
                exportDirectory: Self.exportDirectory(),
                addSecret: { provider, secret in try verifiers.add(provider: provider, secret: secret) },
                // Re-verification after `s` (every stored capture) shares the listener's budget for
                // explaining mismatches.
                verify: { request in verifiers.current.summary(for: request, now: request.receivedAt, diagnosisBudget: sink.diagnosisBudget) },
                storedVerdicts: { verdicts in catchUp.stored(verdicts) },
                replayEdited: sendAndStore,
                forwardTarget: forwardTo,
                replayResults: forwardResults)
            do {
                try await runTUI(environment)
                await replayer.shutdown()
            } catch {
                await replayer.shutdown()
                await listener.shutdown()
                throw CLIError("cannot start the terminal interface: \(error) (use --headless)")
            }
            capturesContinuation.finish()
        } else {
            printer.start(url: listener.url)
            await withTaskGroup(of: Void.self) { group in
                group.addTask { _ = await TerminationSignal.wait() }
                group.addTask { for await _ in outputClosed { return } }
                await group.next()
                group.cancelAll()
            }
        }
        await listener.shutdown()
        catchUpTask.cancel()
        if let forwarding {
            await forwarding.forwarder.shutdown()
            await forwarding.replayer.shutdown()
            forwarding.done.finish()
            await forwarding.results.value
        }
        if !interactive {
            // The last lines, unless nobody reads them.
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    printer.finish(timeout: .seconds(2))
                    continuation.resume()
                }
            }
        }
    }
}

/// Verifies each capture's signature (against the time it arrived), answers provider handshakes,
/// and stores the capture.
struct StoreSink: CaptureSink {
    let store: any RequestStore
    let verifiers: VerifierBox
    let handshakes: Bool
    let metaVerifyToken: String?
    var forwarder: Forwarder?
    var proxyResponse = false
    /// One per event loop: gathers the captures a loop finishes in one tick.
    let batchers = TickBatchers()
    /// Bounds the CPU spent explaining wrong signatures (a flood of them would otherwise cost
    /// several times what valid ones do); the signature pane and `hookscope verify` always explain.
    let diagnosisBudget: DiagnosisBudget

    func handshakeResponse(for request: CapturedRequest) -> CapturedResponse? {
        guard handshakes else { return nil }
        return HandshakeResponder.response(for: request, verifier: verifiers.current, metaVerifyToken: metaVerifyToken)
    }

    /// The fast path: small bodies are verified right here and the store completes the future from
    /// its writer thread, so a request costs no task hop. Forwarding and large bodies take `record(_:)`.
    func record(_ request: CapturedRequest, on loop: any EventLoop) -> EventLoopFuture<CapturedRequest> {
        guard forwarder == nil, request.body.count <= 64 * 1024, let fast = store as? any CallbackInserting else {
            let promise = loop.makePromise(of: CapturedRequest.self)
            promise.completeWithTask { try await self.record(request) }
            return promise.futureResult
        }
        let promise = loop.makePromise(of: CapturedRequest.self)
        batchers.batcher(for: loop).add(verified(request), promise: promise, store: fast)
        return promise.futureResult
    }

    private func verified(_ request: CapturedRequest) -> CapturedRequest {
        var request = request
        if request.refusal == nil {
            request.signature = verifiers.current.summary(for: request, now: request.receivedAt, diagnosisBudget: diagnosisBudget)
        } else {
            request.signature = SignatureSummary(provider: nil, status: .unsigned, detail: "not verified: the body was refused and not kept")
        }
        return request
    }

    /// Large bodies are verified on `largeBodyVerification`, one at a time, rather than on the
    /// cooperative pool the TUI runs on: a wrong signature over a JSON body of a few MB makes the
    /// diagnosis try re-serialized variants for seconds, which must not stall the app (or other
    /// tasks) while it runs. Small bodies take microseconds and are verified where they are.
    private func verifiedOffThePool(_ request: CapturedRequest) async -> CapturedRequest {
        guard request.body.count > Self.offPoolVerificationSize else { return verified(request) }
        return await withCheckedContinuation { continuation in
            Self.largeBodyVerification.async { continuation.resume(returning: verified(request)) }
        }
    }

    static let offPoolVerificationSize = 64 * 1024
    private static let largeBodyVerification = DispatchQueue(label: "hookscope.verify-large-bodies")

    /// Whether a stored capture is forwarded: not when it was refused (its body was not kept).
    static func forwards(_ request: CapturedRequest) -> Bool { request.refusal == nil }

    func record(_ request: CapturedRequest) async throws -> CapturedRequest {
        var stored = try await store.insert(verifiedOffThePool(request))
        guard let forwarder, Self.forwards(stored) else { return stored }
        if proxyResponse {
            // Answer the sender with the target's answer (framing headers are the listener's own).
            let attempt = await forwarder.forwardAndWait(stored)
            if let response = attempt.response {
                stored.response = CapturedResponse(
                    status: response.status,
                    headers: response.headers.filter { !["content-length", "transfer-encoding", "connection", "keep-alive"].contains($0.name.lowercased()) },
                    body: response.body)
            } else {
                stored.response = CapturedResponse(
                    status: 502, headers: [HeaderField("Content-Type", "text/plain; charset=utf-8")],
                    body: Data("hookscope could not forward this request: \(attempt.error ?? "no response")\n".utf8))
            }
        } else {
            forwarder.forward(stored)
        }
        return stored
    }
}

/// The listener's captures, handed to the store once per event-loop tick instead of one by one: the
/// requests a loop finishes while handling one round of socket events go to the writer together (one
/// lock, at most one wake-up) and come back together (one task on the loop completes them all).
final class TickBatcher: Sendable {
    private let loop: any EventLoop
    private let pending: NIOLoopBoundBox<[(CapturedRequest, EventLoopPromise<CapturedRequest>)]>

    /// Call on `loop`.
    init(loop: any EventLoop) {
        self.loop = loop
        pending = NIOLoopBoundBox([], eventLoop: loop)
    }

    /// Call on the loop. The batch leaves when the loop runs its tasks, after this round of events.
    func add(_ request: CapturedRequest, promise: EventLoopPromise<CapturedRequest>, store: any CallbackInserting) {
        if pending.value.isEmpty {
            loop.execute { self.flush(store) }
        }
        pending.value.append((request, promise))
    }

    private func flush(_ store: any CallbackInserting) {
        let batch = pending.value
        pending.value = []
        guard !batch.isEmpty else { return }
        let loop = self.loop
        store.insert(contentsOf: batch.map(\.0)) { result in
            loop.execute {
                switch result {
                case .success(let stored):
                    for (index, (_, promise)) in batch.enumerated() { promise.succeed(stored[index]) }
                case .failure(let error):
                    for (_, promise) in batch { promise.fail(error) }
                }
            }
        }
    }
}

/// The batchers of the listener's event loops, made on first use by each loop.
final class TickBatchers: Sendable {
    private let batchers = Mutex<[ObjectIdentifier: TickBatcher]>([:])

    /// Call on `loop`.
    func batcher(for loop: any EventLoop) -> TickBatcher {
        batchers.withLock { batchers in
            if let batcher = batchers[ObjectIdentifier(loop)] { return batcher }
            let batcher = TickBatcher(loop: loop)
            batchers[ObjectIdentifier(loop)] = batcher
            return batcher
        }
    }
}

/// The verifier every part of `listen` uses; the TUI can add a secret while it runs.
final class VerifierBox: Sendable {
    private let verifier: Mutex<SignatureVerifier>

    init(_ verifier: SignatureVerifier) {
        self.verifier = Mutex(verifier)
    }

    var current: SignatureVerifier { verifier.withLock { $0 } }

    /// Adds a secret in front of the known ones (checked like `--secret`); kept in memory only.
    func add(provider: String, secret: String) throws {
        try verifier.withLock { verifier in
            let extraIDs = Set(verifier.customSchemes.map(\.id))
            let entry = try SecretBook.parseFlag("\(provider)=\(secret)", extraIDs: extraIDs)
            verifier.secrets = SecretBook([entry]).merging(verifier.secrets)
        }
    }
}

/// Prints `listening on URL` and then one line per committed capture, in id order, each flushed.
/// When forwarding, a capture's line waits until its forward is done and carries the target's
/// answer; the lines still come out in id order.
final class HeadlessPrinter: Sendable {
    private let json: Bool
    private let forwarding: Bool

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
        var early: [Int64: ReplayOutcome] = [:]
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

    /// - Parameter onOutputClosed: called once when standard output's reader went away.
    init(json: Bool, forwarding: Bool = false, databasePath: String?, onOutputClosed: @escaping @Sendable () -> Void = {}) {
        self.json = json
        self.forwarding = forwarding
        let list = databasePath.map { "hookscope list --db \(ShellQuoting.quote(Array($0.utf8)))\(json ? " --json" : "")" }
        listCommand = list
        let store = self.store
        output = OutputPump(fd: 1, limit: 4 << 20, note: { count, ids in
            // Lines the refill did not find: their captures were dropped (--keep, or the memory
            // store's bound) before the reader got to them.
            let what = "\(count) capture line\(count == 1 ? "" : "s") not written (the output was not read fast enough, and the store no longer held the capture\(count == 1 ? "" : "s"))"
            guard let ids else { return "hookscope: \(what)\n" }
            return "hookscope: \(what), among captures #\(Self.idRange(ids))\n"
        }, refill: { ids in
            guard let source = store.current else { return ([], 0, ids.upperBound) }
            return Self.waitFor { await Self.lines(ids, from: source, json: json) }
        }, onClosed: onOutputClosed)
    }

    func start(url: String) {
        queue.withLock { _ in _ = output.write(Array("listening on \(url)\n".utf8)) }
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
    private static func lines(_ ids: ClosedRange<Int64>, from store: any RequestStore, json: Bool) async -> (bytes: [UInt8], lines: Int, through: Int64) {
        guard let part = try? await StoredLines.read(after: ids.lowerBound - 1, through: ids.upperBound, json: json, from: store) else {
            return ([], 0, ids.upperBound)
        }
        // A full read may stop short of the range's end; otherwise the range is done.
        return (part.bytes, part.lines, part.more ? part.last ?? ids.upperBound : ids.upperBound)
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

    func print(_ batch: [CapturedRequest]) {
        if !forwarding {
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
            for request in batch {
                let early = queue.early.removeValue(forKey: request.id)
                let waits = early == nil && StoreSink.forwards(request)
                queue.lines.append(Line(request: request, replay: early, waiting: waits))
            }
            flush(&queue)
        }
    }

    /// A forward is done (stored): its capture's line can be written, after the ones before it.
    func forwarded(_ attempt: ReplayAttempt) {
        queue.withLock { queue in
            let outcome = ReplayOutcome(attempt)
            if let index = queue.lines[queue.head...].firstIndex(where: { $0.request.id == attempt.requestID && $0.waiting }) {
                queue.lines[index].replay = outcome
                queue.lines[index].waiting = false
            } else {
                queue.early[attempt.requestID] = outcome
            }
            flush(&queue)
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

/// Waits for SIGINT, SIGTERM or SIGHUP.
enum TerminationSignal {
    private static let sources = Mutex<[any DispatchSourceSignal]>([])

    static func wait() async -> Int32 {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self, bufferingPolicy: .bufferingNewest(1))
        sources.withLock { sources in
            for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler { continuation.yield(signalNumber) }
                source.resume()
                sources.append(source)
            }
        }
        for await signalNumber in stream { return signalNumber }
        return 0
    }
}
