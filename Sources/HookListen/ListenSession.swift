import Dispatch
import Foundation
import HookApp
import HookCore
import HookPostgres
import HookReplay
import HookSend
import HookServer
import HookSignatures
import HookStore
import Logging
import ServiceLifecycle
import Synchronization

/// One run of `hookscope listen`: the store, the signature catch-up, the forwarder, the listener
/// and the output (headless lines or the terminal interface).
///
/// `start` opens and binds them in that order (undoing what it opened when a later step fails);
/// `run` keeps them running as the services of one `ServiceGroup` until the output ends (the user
/// quits the TUI; SIGINT, SIGTERM or SIGHUP; the headless output's reader goes away; `stop`), then
/// stops them in reverse order: the listener stops taking requests, the forwards in flight are
/// finished and stored, the catch-up stops, the last headless lines are written, the store closes.
public final class ListenSession: Sendable {
    /// How the captures are shown.
    public enum Interface: Sendable {
        /// `listening on URL` (on stderr with JSON lines), then one line per capture on the output.
        case headless
        /// The terminal interface; it owns the terminal and the termination signals while it runs.
        case terminal(@Sendable (AppEnvironment) async throws -> Void)
    }

    /// Why a headless session ends.
    enum StopReason: Sendable {
        case signal(Int32)
        case outputClosed
        case stopped
    }

    /// The bound listener's `http://HOST:PORT`.
    public let url: String
    /// Where this session stores its captures.
    public let store: any RequestStore
    /// A value after each commit (several in a row may come as one): `expect --listen` waits on it.
    public let commits: AsyncStream<Void>
    /// The id of the newest capture in the store before the listener took any request (0 when empty).
    public let newestIDAtStart: Int64
    /// The session's response rules, their match counts and the TUI's override.
    public let rules: RuleBook
    private let group: ServiceGroup
    private let stopReasons: AsyncStream<StopReason>.Continuation
    private let signalSources: Mutex<[any DispatchSourceSignal]>

    private init(
        url: String, store: any RequestStore, commits: AsyncStream<Void>, newestIDAtStart: Int64, rules: RuleBook,
        group: ServiceGroup, stopReasons: AsyncStream<StopReason>.Continuation, signalSources: sending [any DispatchSourceSignal]
    ) {
        self.url = url
        self.store = store
        self.commits = commits
        self.newestIDAtStart = newestIDAtStart
        self.rules = rules
        self.group = group
        self.stopReasons = stopReasons
        self.signalSources = Mutex(signalSources)
    }

    /// Opens the store and binds the listener; captures are taken from here on. Throws a
    /// `UserError` saying why when the store cannot be opened or the address cannot be bound.
    /// - Parameters:
    ///   - output: where headless lines go (standard output, or a pipe in tests).
    ///   - announce: where the listening line goes with JSON lines (standard error, or a pipe in tests).
    ///   - handleSignals: headless only: SIGINT, SIGTERM and SIGHUP end the session.
    public static func start(
        settings: ListenSettings, interface: Interface, output: Int32 = 1, announce: Int32 = 2, handleSignals: Bool = true
    ) async throws -> ListenSession {
        let interactive: Bool
        if case .terminal = interface { interactive = true } else { interactive = false }
        let verifiers = VerifierBox(settings.verifier)
        let (stops, stopContinuation) = AsyncStream.makeStream(of: StopReason.self, bufferingPolicy: .bufferingNewest(1))
        // Installed before anything is shown, so that a signal sent as soon as the listening line
        // is read is not lost.
        let signalSources = interactive || !handleSignals ? [] : installTerminationSignals(into: stopContinuation)
        let databasePath: String? =
            switch settings.storage {
            case .sqlite(let path): path
            // Without its password: the line shows how to list the captures.
            case .postgres(let url): url.description
            case .memory: nil
            }
        // Headless, the session ends when its output's reader is gone (`| head -1`: wait for one
        // webhook), as a Unix filter would, but cleanly and with status 0.
        let ruleBook = RuleBook(rules: settings.rules, file: settings.rulesFile) { verifiers.current.detectedProvider(for: $0) }
        let printer = HeadlessPrinter(
            json: settings.json, forwarding: settings.forwardTo != nil, proxyResponse: settings.proxyResponse,
            ruleForwards: { request in request.failure == nil && request.rule.map { ruleBook.forwards(label: $0) } == true },
            databasePath: databasePath, fd: output, announceFD: announce,
            onOutputClosed: { stopContinuation.yield(.outputClosed) })
        // What the rules reloader says (a reload, or an edit that was refused): the TUI's status bar.
        let (ruleNotices, ruleNoticesContinuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(8))
        let (captures, capturesContinuation) = AsyncStream.makeStream(of: CaptureBatch.self, bufferingPolicy: .bufferingNewest(50_000))
        // Mismatches stored without their cause during a flood are explained later, when the budget
        // is rested again.
        let diagnosisBudget = DiagnosisBudget()
        let catchUp = SignatureCatchUp(
            mayRun: { diagnosisBudget.isRested },
            verify: { request in verifiers.current.summary(for: request, now: request.receivedAt, diagnosisBudget: diagnosisBudget) },
            charge: { diagnosisBudget.charge($0) })
        let (commits, commitsContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let onCommit: @Sendable ([CapturedRequest]) -> Void
        if interactive {
            onCommit = { batch in
                catchUp.committed(batch)
                capturesContinuation.yield(CaptureBatch(batch.map(\.summary)))
                commitsContinuation.yield()
            }
        } else {
            onCommit = { batch in
                catchUp.committed(batch)
                printer.print(batch)
                commitsContinuation.yield()
            }
        }

        let store: any RequestStore
        let closeStore: @Sendable () async -> Void
        switch settings.storage {
        case .memory:
            // Bounded even without --keep: a flood would otherwise grow the process without end.
            store = InMemoryRequestStore(keep: settings.keep, maxBytes: ListenSettings.memoryStoreBytes, onCommit: onCommit)
            closeStore = {}
        case .sqlite(let path):
            let sqlite: SQLiteRequestStore
            // The TUI also shows what another process (another listener) stores in the same file.
            var onOtherWriters: (@Sendable ([RequestSummary]) -> Void)?
            if interactive {
                onOtherWriters = { @Sendable summaries in capturesContinuation.yield(CaptureBatch(summaries, elsewhere: true)) }
            }
            let watcher: SQLiteChangeWatcher?
            do {
                sqlite = try SQLiteRequestStore(path: path, keep: settings.keep, onCommit: onCommit, onOtherWriters: onOtherWriters)
                watcher = interactive ? try SQLiteChangeWatcher(path: path) { sqlite.checkOtherWriters() } : nil
            } catch {
                cancel(signalSources)
                throw UserError("\(error)")
            }
            // The filter's text index fills in the background when captures stop arriving; turned
            // off, what it held is dropped (in steps, between captures).
            if settings.textIndex {
                sqlite.startTextIndexing()
            } else {
                do {
                    try sqlite.discardTextIndex()
                } catch {
                    watcher?.stop()
                    try? sqlite.close()
                    cancel(signalSources)
                    throw UserError("cannot drop the text index of \(path): \(error)")
                }
            }
            store = sqlite
            closeStore = {
                watcher?.stop()
                try? sqlite.close()
            }
        case .postgres(let url):
            let postgres: PostgresRequestStore
            do {
                postgres = try await PostgresRequestStore.open(url, keep: settings.keep, onCommit: onCommit)
            } catch {
                cancel(signalSources)
                throw UserError("\(error)")
            }
            store = postgres
            closeStore = { await postgres.close() }
        }
        printer.readLines(from: store)
        let newestIDAtStart: Int64
        do {
            newestIDAtStart = try await store.newestID()
        } catch {
            await closeStore()
            cancel(signalSources)
            throw UserError("\(error)")
        }
        // Through a pump: a stderr nobody reads never holds up the event loop that logs.
        let logger = Logger(label: "hookscope", factory: PumpedLogHandler.factory(level: .warning))

        // Forwarding: one replayer and one ordered queue; results are stored as replay attempts, then
        // shown (the TUI's list, or the capture's headless line, which waits for its forward).
        let (forwardResults, forwardResultsContinuation) = AsyncStream.makeStream(
            of: ReplayAttempt.self, bufferingPolicy: .bufferingNewest(50_000))
        let forwarded: @Sendable (ReplayAttempt) -> Void = { stored in
            if interactive { forwardResultsContinuation.yield(stored) } else { printer.forwarded(stored) }
        }
        let proxiedAnswer: @Sendable (ReplayAttempt) -> CapturedResponse? = { ProxiedResponse.response(for: $0) }
        let forwarding: Forwarding? = settings.forwardTo.map { target in
            Forwarding(
                target: target, insecure: settings.insecure, answer: settings.proxyResponse ? proxiedAnswer : nil, store: store,
                stored: forwarded)
        }
        // A rule's `forward_to`: the sender gets the handler's answer, or the rule's own when it is down.
        let ruleForwards = RuleForwards(insecure: settings.insecure, store: store, stored: forwarded)

        // The terminal interface shows it in the status bar; headless mode logs the refusals on
        // stderr (at most once a second) and says there once when storing works again.
        let health = StoreHealthTracker()
        var sink = StoreSink(
            store: store, verifiers: verifiers, handshakes: settings.handshakes, metaVerifyToken: settings.metaVerifyToken,
            forwarder: forwarding?.forwarder, proxyResponse: settings.proxyResponse, diagnosisBudget: diagnosisBudget)
        sink.health = health
        sink.rules = ruleBook
        sink.ruleForwards = ruleForwards
        let stopForwards: @Sendable () async -> Void = {
            await forwarding?.stop()
            await ruleForwards.stop()
            forwardResultsContinuation.finish()
        }
        let listener: HTTPListener
        do {
            listener = try await HTTPListener.start(configuration: settings.listener, sink: sink, logger: logger)
        } catch {
            await stopForwards()
            await closeStore()
            cancel(signalSources)
            throw UserError((error as? ListenerError)?.description ?? "\(error)")
        }

        // Started first, stopped last.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: Teardown(name: "store") {
                await closeStore()
                commitsContinuation.finish()
            })
        ]
        if !interactive {
            services.append(.init(service: Teardown(name: "headless output") {
                // The last lines, unless nobody reads them.
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().async {
                        printer.finish(timeout: .seconds(2))
                        continuation.resume()
                    }
                }
            }))
        }
        // Its first pass also explains what a flood left unexplained before this start.
        services.append(.init(service: CatchUpService(catchUp: catchUp, store: store)))
        // Captures stored before hookscope read event types and delivery ids get theirs.
        services.append(.init(service: DeliveryCatchUpService(store: store)))
        services.append(.init(service: Teardown(name: "forwarder", teardown: stopForwards)))
        if let file = settings.rulesFile {
            // The file as it is now, when the rules read from it are about to answer: an edit made
            // before the service's first pass is still an edit.
            let loaded = RulesReloader.Stamp(file)
            services.append(.init(service: RulesReloader(file: file, customProviders: Set(settings.verifier.customSchemes.map(\.id)), book: ruleBook, loaded: loaded) { notice in
                if interactive { ruleNoticesContinuation.yield(notice) } else { printer.notice(notice) }
            }))
        }
        services.append(.init(service: Teardown(name: "listener") { await listener.shutdown() }))
        switch interface {
        case .headless:
            printer.start(url: listener.url)
            services.append(.init(service: StoreRecoveryNotices(updates: health.updates) { printer.notice($0) }))
            services.append(
                .init(service: WaitForStop(reasons: stops), successTerminationBehavior: .gracefullyShutdownGroup))
        case .terminal(let runInterface):
            let environment = appEnvironment(
                settings: settings, store: store, listenURL: listener.url, captures: captures, verifiers: verifiers,
                catchUp: catchUp, diagnosisBudget: diagnosisBudget, forwardResults: forwardResults, storeHealth: health.updates,
                rules: ruleBook, ruleNotices: ruleNotices)
            services.append(
                .init(
                    service: TerminalService(environment: environment.environment, replayer: environment.replayer, run: runInterface) {
                        capturesContinuation.finish()
                    },
                    successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger))
        return ListenSession(
            url: listener.url, store: store, commits: commits, newestIDAtStart: newestIDAtStart, rules: ruleBook, group: group,
            stopReasons: stopContinuation, signalSources: signalSources)
    }

    /// Runs until the output ends, then stops every part in reverse order of their start. Rethrows
    /// what ended the terminal interface, after the stop.
    public func run() async throws {
        defer { signalSources.withLock { Self.cancel($0) } }
        try await group.run()
    }

    /// Ends a headless session as SIGTERM would.
    public func stop() {
        stopReasons.yield(.stopped)
    }

    /// `start`, then `run`.
    public static func run(settings: ListenSettings, interface: Interface) async throws {
        try await start(settings: settings, interface: interface).run()
    }

    /// `hookscope watch`: the terminal interface on a store that other processes (listeners) write,
    /// without a listener of its own: the SQLite file `settings.storage` names, or a PostgreSQL
    /// database. Captures appear as those processes commit them, and verdicts, answers, replays
    /// and deletions they make are reloaded (`StoreChange`): an SQLite file is watched
    /// (`SQLiteChangeWatcher`), a PostgreSQL store heard through LISTEN/NOTIFY
    /// (`PostgresStoreFollower`). Replays, re-verification with this process's secrets, export and
    /// deletes work as in a listening session. Returns when the user quits.
    public static func watch(
        settings: ListenSettings, runInterface: @escaping @Sendable (AppEnvironment) async throws -> Void
    ) async throws {
        let (captures, capturesContinuation) = AsyncStream.makeStream(of: CaptureBatch.self, bufferingPolicy: .bufferingNewest(50_000))
        let changes = StoreChangeFeed()
        let store: any RequestStore
        let shown: String
        let stopFollowing: @Sendable () async -> Void
        switch settings.storage {
        case .memory:
            throw UserError("watch follows a store another process writes: give it with --db")
        case .sqlite(let path):
            let sqlite: SQLiteRequestStore
            let watcher: SQLiteChangeWatcher
            do {
                // Read-only files are fine: the captures can be looked at, replays are then not kept.
                sqlite = try SQLiteRequestStore(path: path, forReading: true, onOtherWriters: { capturesContinuation.yield(CaptureBatch($0, elsewhere: true)) })
                watcher = try SQLiteChangeWatcher(path: path) { sqlite.checkOtherWriters(changed: { changes.note($0) }) }
            } catch {
                throw UserError("\(error)")
            }
            store = sqlite
            shown = path
            stopFollowing = {
                watcher.stop()
                try? sqlite.close()
            }
        case .postgres(let url):
            let postgres: PostgresRequestStore
            let follower: PostgresStoreFollower
            // New captures are read by one task, from the newest id seen: a ring while it reads
            // means "read again" (several rings, once).
            let (rings, ring) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            do {
                postgres = try await PostgresRequestStore.open(url)
                // Listening before the newest id is read: nothing committed in between is missed.
                follower = try await PostgresStoreFollower.start(url) { change in
                    switch change {
                    case .captures: ring.yield()
                    case .store(let change): changes.note(change)
                    }
                }
            } catch {
                throw UserError("\(error)")
            }
            let newestAtStart: Int64
            do {
                newestAtStart = try await postgres.newestID()
            } catch {
                follower.stop()
                await postgres.close()
                throw UserError("\(error)")
            }
            let reader = Task {
                var newest = newestAtStart
                for await _ in rings {
                    // Until a read comes back short; a failed read waits for the next ring (the
                    // follower rings again once it has reconnected).
                    while let batch = try? await postgres.summaries(afterID: newest, limit: 1_000), let last = batch.last {
                        newest = last.id
                        capturesContinuation.yield(CaptureBatch(batch, elsewhere: true))
                        if batch.count < 1_000 { break }
                    }
                }
            }
            store = postgres
            shown = postgres.displayName
            stopFollowing = {
                follower.stop()
                ring.finish()
                reader.cancel()
                await postgres.close()
            }
        }
        let diagnosisBudget = DiagnosisBudget()
        let verifiers = VerifierBox(settings.verifier)
        // Explaining mismatches is the listener's job; this catch-up only hears about verdicts.
        let catchUp = SignatureCatchUp(mayRun: { false }, verify: { _ in .unsigned }, charge: { _ in })
        let (results, resultsContinuation) = AsyncStream.makeStream(of: ReplayAttempt.self)
        resultsContinuation.finish()
        var environment = appEnvironment(
            settings: settings, store: store, listenURL: "", captures: captures, verifiers: verifiers, catchUp: catchUp,
            diagnosisBudget: diagnosisBudget, forwardResults: results, storeHealth: nil, rules: nil, ruleNotices: nil)
        environment.environment.watchedStore = shown
        environment.environment.storeChanges = changes.changes
        let outcome: Result<Void, any Error>
        do {
            try await runInterface(environment.environment)
            outcome = .success(())
        } catch {
            outcome = .failure(UserError("cannot start the terminal interface: \(error)"))
        }
        await environment.replayer.shutdown()
        await stopFollowing()
        changes.finish()
        capturesContinuation.finish()
        try outcome.get()
    }

    private static func installTerminationSignals(into reasons: AsyncStream<StopReason>.Continuation) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM, SIGHUP].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { reasons.yield(.signal(signalNumber)) }
            source.resume()
            return source
        }
    }

    private static func cancel(_ sources: [any DispatchSourceSignal]) {
        for source in sources { source.cancel() }
    }

    /// What the terminal interface gets: the store, the live captures and forwards, and replay,
    /// verification and secrets through this session's parts.
    private static func appEnvironment(
        settings: ListenSettings, store: any RequestStore, listenURL: String, captures: AsyncStream<CaptureBatch>,
        verifiers: VerifierBox, catchUp: SignatureCatchUp, diagnosisBudget: DiagnosisBudget,
        forwardResults: AsyncStream<ReplayAttempt>, storeHealth: AsyncStream<StoreHealth>?, rules: RuleBook?, ruleNotices: AsyncStream<String>?
    ) -> (environment: AppEnvironment, replayer: HTTPReplayer) {
        let replayer = HTTPReplayer(insecure: settings.insecure)
        // Sends a capture (or an edited copy) and stores the attempt with the capture.
        let sendAndStore: @Sendable (CapturedRequest, String, Bool, Bool) async -> ReplayAttempt = { request, target, resign, edited in
            var attempt = await replayer.replay(request, to: target, options: ReplayOptions(resign: resign, verifier: verifiers.current))
            attempt.edited = edited
            return (try? await store.addReplay(attempt)) ?? attempt
        }
        var environment = AppEnvironment(
            store: store, listenURL: listenURL, captures: captures,
            explainSignature: { request in verifiers.current.verify(request, now: .now()).lines },
            replayTo: settings.replayTo,
            replay: { id, target, resign in
                let started = CaptureTime.now()
                guard let request = try? await store.request(id: id) else {
                    return ReplayAttempt(
                        requestID: id, startedAt: started, targetURL: target, resigned: false, changedHeaders: [],
                        response: nil, error: "capture #\(id) is no longer in the store", failure: .other, durationNanoseconds: 0)
                }
                return await sendAndStore(request, target, resign, false)
            },
            exportDirectory: settings.exportDirectory,
            addSecret: { provider, secret in try verifiers.add(provider: provider, secret: secret) },
            secrets: { verifiers.maskedSecrets.map { MaskedSecret(provider: $0.provider, masked: $0.masked) } },
            removeSecret: { provider, index in try verifiers.remove(provider: provider, index: index) },
            customProviders: Set(verifiers.current.customSchemes.map(\.id)),
            // Re-verification after `s` (every stored capture) shares the listener's budget for
            // explaining mismatches.
            verify: { request in verifiers.current.summary(for: request, now: request.receivedAt, diagnosisBudget: diagnosisBudget) },
            storedVerdicts: { verdicts in catchUp.stored(verdicts) },
            replayEdited: { request, target, resign in await sendAndStore(request, target, resign, true) },
            forwardTarget: settings.forwardTo,
            replayResults: forwardResults,
            storeHealth: storeHealth)
        environment.proxyResponse = settings.proxyResponse
        environment.saveSample = { request in try UserSamples.save(request, in: UserSamples.directory()) }
        // `watch` has no listener: no rules, and no override to set.
        if let rules {
            environment.rules = { rules.statuses }
            environment.setOverride = { rules.setOverride($0) }
            environment.currentOverride = { rules.override }
        }
        environment.ruleNotices = ruleNotices
        return (environment, replayer)
    }
}

/// `--forward-to` (or one rule's `forward_to`): the forwarder, its replayer, and the task that
/// stores each result and hands it on.
struct Forwarding: Sendable {
    let forwarder: Forwarder
    let replayer: HTTPReplayer
    let results: Task<Void, Never>
    let attempts: AsyncStream<ReplayAttempt>.Continuation

    /// - Parameter answer: what the sender got for a forward's result, when that replaces the
    ///   capture's stored answer (`--proxy-response`, a rule's `forward_to`); it is stored before
    ///   the result is shown. Nil: the stored answer stays.
    init(
        target: String, insecure: Bool, answer: (@Sendable (ReplayAttempt) -> CapturedResponse?)?, store: any RequestStore,
        stored: @escaping @Sendable (ReplayAttempt) -> Void
    ) {
        replayer = HTTPReplayer(insecure: insecure)
        let (attempts, attemptsContinuation) = AsyncStream.makeStream(of: ReplayAttempt.self)
        self.attempts = attemptsContinuation
        forwarder = Forwarder(target: target, replayer: replayer) { attemptsContinuation.yield($0) }
        results = Task {
            for await attempt in attempts where attempt.requestID > 0 {
                if let response = answer?(attempt) {
                    try? await store.updateResponse(id: attempt.requestID, response)
                }
                stored((try? await store.addReplay(attempt)) ?? attempt)
            }
        }
    }

    /// Finishes the forwards in flight, stores their results, and stops.
    func stop() async {
        await forwarder.shutdown()
        await replayer.shutdown()
        attempts.finish()
        await results.value
    }
}

/// The forwards of response rules with `forward_to`: one forwarder per target, made when a rule
/// first sends there (a reload may name new ones), all stopped with the session.
final class RuleForwards: Sendable {
    private let insecure: Bool
    private let store: any RequestStore
    private let stored: @Sendable (ReplayAttempt) -> Void
    private let targets = Mutex<(forwardings: [String: Forwarding], stopped: Bool)>(([:], false))

    init(insecure: Bool, store: any RequestStore, stored: @escaping @Sendable (ReplayAttempt) -> Void) {
        self.insecure = insecure
        self.store = store
        self.stored = stored
    }

    /// Sends the capture behind the ones queued for the same target and returns the handler's
    /// answer; the attempt is stored with the capture (and the handler's answer as what the sender got).
    func forwardAndWait(_ request: CapturedRequest, to target: String) async -> ReplayAttempt {
        let forwarding = targets.withLock { targets -> Forwarding? in
            guard !targets.stopped else { return nil }
            if let existing = targets.forwardings[target] { return existing }
            let made = Forwarding(
                target: target, insecure: insecure, answer: { $0.response == nil ? nil : ProxiedResponse.response(for: $0) },
                store: store, stored: stored)
            targets.forwardings[target] = made
            return made
        }
        guard let forwarding else {
            return ReplayAttempt(
                kind: .forward, requestID: request.id, startedAt: .now(), targetURL: target, resigned: false, changedHeaders: [],
                response: nil, error: "forwarding has stopped: not forwarded", failure: .dropped, durationNanoseconds: 0)
        }
        return await forwarding.forwarder.forwardAndWait(request)
    }

    /// Finishes the forwards in flight and stores their results.
    func stop() async {
        let all = targets.withLock { targets in
            targets.stopped = true
            return Array(targets.forwardings.values)
        }
        for forwarding in all { await forwarding.stop() }
    }
}

/// Headless mode: one line on stderr when storing works again after captures were refused (a
/// database server back after a restart), with how long and how many.
private struct StoreRecoveryNotices: Service {
    let updates: AsyncStream<StoreHealth>
    let notice: @Sendable (String) -> Void

    func run() async {
        let updates = self.updates
        let notice = self.notice
        await cancelWhenGracefulShutdown {
            var refusedBefore = 0
            var failingSince: CaptureTime?
            for await health in updates {
                if let since = health.failingSince {
                    if failingSince == nil { failingSince = since }
                    continue
                }
                guard let recovered = health.recoveredAt else { continue }
                let refused = health.failures - refusedBefore
                refusedBefore = health.failures
                // The update that began the failures can be missed (only the newest is kept).
                let after = failingSince.map { since in
                    let tenths = max(0, recovered.nanosecondsSince1970 - since.nanosecondsSince1970) / 100_000_000
                    return " after \(tenths / 10).\(tenths % 10) s"
                } ?? ""
                failingSince = nil
                notice("storing captures works again\(after); \(refused) capture(s) were refused meanwhile (answered 503 or 500)")
            }
        }
    }
}

/// Reloads the rules file when it changes (its modification time, size or inode): a valid edit
/// replaces the rules at once; an invalid one keeps the rules in use and says why.
private struct RulesReloader: Service {
    let file: String
    let customProviders: Set<String>
    let book: RuleBook
    /// The file when the rules in use were read.
    let loaded: Stamp
    let notice: @Sendable (String) -> Void

    static let interval: Duration = .milliseconds(250)

    /// What `stat` says of the file, to the nanosecond: an edit within the second is seen too.
    struct Stamp: Equatable, Sendable {
        var seconds = 0
        var nanoseconds = 0
        var size = -1
        var inode: UInt64 = 0

        init(_ path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return }
            seconds = Int(info.st_mtim.tv_sec)
            nanoseconds = Int(info.st_mtim.tv_nsec)
            size = Int(info.st_size)
            inode = UInt64(info.st_ino)
        }
    }

    func run() async {
        let file = self.file
        let customProviders = self.customProviders
        let book = self.book
        let notice = self.notice
        let loaded = self.loaded
        await cancelWhenGracefulShutdown {
            var last = loaded
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.interval)
                let now = Stamp(file)
                guard now != last else { continue }
                last = now
                do {
                    let rules = try RuleParser.load(path: file, customProviders: customProviders)
                    book.replace(with: rules)
                    notice("rules reloaded from \(file): \(rules.count) rule\(rules.count == 1 ? "" : "s")")
                } catch {
                    let kept = book.statuses.count
                    notice("rules not reloaded, keeping the \(kept) in use: \(error)")
                }
            }
        }
    }
}

/// A part that needs nothing while it runs and `teardown` when the session stops.
private struct Teardown: Service {
    let name: String
    let teardown: @Sendable () async -> Void

    func run() async {
        // Throws only when the group is cancelled instead: the teardown is due either way.
        try? await gracefulShutdown()
        await teardown()
    }
}

/// Explains stored mismatches in the background until the session stops.
private struct CatchUpService: Service {
    let catchUp: SignatureCatchUp
    let store: any RequestStore

    func run() async {
        let catchUp = self.catchUp
        let store = self.store
        await cancelWhenGracefulShutdown { await catchUp.run(store: store) }
    }
}

/// Reads the event type and delivery id of captures stored without them, once, in the background.
private struct DeliveryCatchUpService: Service {
    let store: any RequestStore

    func run() async {
        let store = self.store
        await cancelWhenGracefulShutdown {
            await DeliveryCatchUp.run(store: store) { request in
                let identity = DeliveryIdentity.of(request, provider: request.signature.provider)
                return (identity.event, identity.deliveryID)
            }
            // Done: stays until the session stops, as a service must.
            try? await gracefulShutdown()
        }
    }
}

/// The headless session's end: a signal, the output's reader gone, or `stop`.
private struct WaitForStop: Service {
    let reasons: AsyncStream<ListenSession.StopReason>

    func run() async {
        let reasons = self.reasons
        await cancelWhenGracefulShutdown {
            for await _ in reasons { return }
        }
    }
}

/// The terminal interface, until the user quits.
private struct TerminalService: Service {
    let environment: AppEnvironment
    let replayer: HTTPReplayer
    let run: @Sendable (AppEnvironment) async throws -> Void
    let finished: @Sendable () -> Void

    func run() async throws {
        defer { finished() }
        do {
            try await run(environment)
        } catch {
            await replayer.shutdown()
            throw UserError("cannot start the terminal interface: \(error) (use --headless)")
        }
        await replayer.shutdown()
    }
}
