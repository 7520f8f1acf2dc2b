import Dispatch
import Foundation
import HookApp
import HookCore
import HookPostgres
import HookReplay
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
    private let group: ServiceGroup
    private let stopReasons: AsyncStream<StopReason>.Continuation
    private let signalSources: Mutex<[any DispatchSourceSignal]>

    private init(
        url: String, group: ServiceGroup, stopReasons: AsyncStream<StopReason>.Continuation,
        signalSources: sending [any DispatchSourceSignal]
    ) {
        self.url = url
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
        let printer = HeadlessPrinter(
            json: settings.json, forwarding: settings.forwardTo != nil, proxyResponse: settings.proxyResponse,
            databasePath: databasePath, fd: output, announceFD: announce,
            onOutputClosed: { stopContinuation.yield(.outputClosed) })
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

        let store: any RequestStore
        let closeStore: @Sendable () async -> Void
        switch settings.storage {
        case .memory:
            // Bounded even without --keep: a flood would otherwise grow the process without end.
            store = InMemoryRequestStore(keep: settings.keep, maxBytes: ListenSettings.memoryStoreBytes, onCommit: onCommit)
            closeStore = {}
        case .sqlite(let path):
            let sqlite: SQLiteRequestStore
            do {
                sqlite = try SQLiteRequestStore(path: path, keep: settings.keep, onCommit: onCommit)
            } catch {
                cancel(signalSources)
                throw UserError("\(error)")
            }
            store = sqlite
            closeStore = { try? sqlite.close() }
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
        // Through a pump: a stderr nobody reads never holds up the event loop that logs.
        let logger = Logger(label: "hookscope", factory: PumpedLogHandler.factory(level: .warning))

        // Forwarding: one replayer and one ordered queue; results are stored as replay attempts, then
        // shown (the TUI's list, or the capture's headless line, which waits for its forward).
        let (forwardResults, forwardResultsContinuation) = AsyncStream.makeStream(
            of: ReplayAttempt.self, bufferingPolicy: .bufferingNewest(50_000))
        var forwarding: Forwarding?
        if let target = settings.forwardTo {
            forwarding = Forwarding(target: target, insecure: settings.insecure, proxyResponse: settings.proxyResponse, store: store) { stored in
                if interactive { forwardResultsContinuation.yield(stored) } else { printer.forwarded(stored) }
            } finished: {
                forwardResultsContinuation.finish()
            }
        } else {
            forwardResultsContinuation.finish()
        }

        // Only the terminal interface shows it (headless mode logs each refusal on stderr).
        let health: StoreHealthTracker? = interactive ? StoreHealthTracker() : nil
        var sink = StoreSink(
            store: store, verifiers: verifiers, handshakes: settings.handshakes, metaVerifyToken: settings.metaVerifyToken,
            forwarder: forwarding?.forwarder, proxyResponse: settings.proxyResponse, diagnosisBudget: diagnosisBudget)
        sink.health = health
        let listener: HTTPListener
        do {
            listener = try await HTTPListener.start(configuration: settings.listener, sink: sink, logger: logger)
        } catch {
            await forwarding?.stop()
            await closeStore()
            cancel(signalSources)
            throw UserError((error as? ListenerError)?.description ?? "\(error)")
        }

        // Started first, stopped last.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: Teardown(name: "store", teardown: closeStore))
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
        if let forwarding {
            services.append(.init(service: Teardown(name: "forwarder") { await forwarding.stop() }))
        }
        services.append(.init(service: Teardown(name: "listener") { await listener.shutdown() }))
        switch interface {
        case .headless:
            printer.start(url: listener.url)
            services.append(
                .init(service: WaitForStop(reasons: stops), successTerminationBehavior: .gracefullyShutdownGroup))
        case .terminal(let runInterface):
            let environment = appEnvironment(
                settings: settings, store: store, listenURL: listener.url, captures: captures, verifiers: verifiers,
                catchUp: catchUp, diagnosisBudget: diagnosisBudget, forwardResults: forwardResults, storeHealth: health?.updates)
            services.append(
                .init(
                    service: TerminalService(environment: environment.environment, replayer: environment.replayer, run: runInterface) {
                        capturesContinuation.finish()
                    },
                    successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger))
        return ListenSession(url: listener.url, group: group, stopReasons: stopContinuation, signalSources: signalSources)
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
        settings: ListenSettings, store: any RequestStore, listenURL: String, captures: AsyncStream<[RequestSummary]>,
        verifiers: VerifierBox, catchUp: SignatureCatchUp, diagnosisBudget: DiagnosisBudget,
        forwardResults: AsyncStream<ReplayAttempt>, storeHealth: AsyncStream<StoreHealth>?
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
        return (environment, replayer)
    }
}

/// `--forward-to`: the forwarder, its replayer, and the task that stores each result and hands it on.
private struct Forwarding: Sendable {
    let forwarder: Forwarder
    let replayer: HTTPReplayer
    let results: Task<Void, Never>
    let attempts: AsyncStream<ReplayAttempt>.Continuation

    /// - Parameter proxyResponse: the sender gets the target's answer: it replaces the capture's
    ///   stored answer before the result is shown.
    init(
        target: String, insecure: Bool, proxyResponse: Bool, store: any RequestStore,
        stored: @escaping @Sendable (ReplayAttempt) -> Void, finished: @escaping @Sendable () -> Void
    ) {
        replayer = HTTPReplayer(insecure: insecure)
        let (attempts, attemptsContinuation) = AsyncStream.makeStream(of: ReplayAttempt.self)
        self.attempts = attemptsContinuation
        forwarder = Forwarder(target: target, replayer: replayer) { attemptsContinuation.yield($0) }
        results = Task {
            for await attempt in attempts where attempt.requestID > 0 {
                if proxyResponse {
                    try? await store.updateResponse(id: attempt.requestID, ProxiedResponse.response(for: attempt))
                }
                stored((try? await store.addReplay(attempt)) ?? attempt)
            }
            finished()
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
