import ArgumentParser
import Foundation
import HookCore
import HookListen
import HookPostgres
import HookStore

/// `hookscope expect`: the CI step that waits for webhooks. It reads the store a listener writes
/// (another process, or its own with `--listen`), wakes when that store changes, and checks only the
/// captures it has not seen yet.
struct Expect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wait until captures matching a filter arrive; exit 0 when they did, 1 at the timeout.",
        discussion: """
            Counts the captures stored after it started (or after --since-id) that match --filter, and prints them \
            once --count of them are there. With --listen it runs its own headless listener for the wait (the \
            listening line goes to stderr), so one command can be a whole CI step.
            Exit status: 0 matched, 1 timed out, 64 usage error, 3 any other error (unreadable store).
            """)

    @Option(help: ArgumentHelp("Only captures matching this filter, in the TUI's syntax (e.g. 'path:/stripe sig:valid').", valueName: "filter"))
    var filter: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("How many matching captures to wait for (default 1).", valueName: "n"))
    var count: Int = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds to wait before giving up (default 30).", valueName: "seconds"))
    var timeout: Double = 30

    @Option(name: .customLong("since-id"), parsing: .unconditional, help: ArgumentHelp("Count captures with an id above this one (default: the newest capture when it starts).", valueName: "id"))
    var sinceID: Int64?

    @Flag(help: "Print the matching captures as JSON lines, as `list --json` does.")
    var json = false

    @Flag(help: "Run a headless listener of its own for the wait (with --host, --port, --memory, --secret, ...).")
    var listen = false

    @Option(help: ArgumentHelp("With --listen: the bind address (default 127.0.0.1).", valueName: "addr"))
    var host: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("With --listen: the port (default 9777; 0 picks a free one).", valueName: "n"))
    var port: Int?

    @Flag(help: "With --listen: keep the captures in memory only.")
    var memory = false

    @OptionGroup var store: StoreOptions
    @OptionGroup var signatures: SignatureOptions

    /// The longest wait allowed (a day): a CI step that waits longer is a mistake.
    static let maxTimeout: Double = 86_400

    func validate() throws {
        if count < 1 { throw ValidationError("--count must be at least 1") }
        if !(timeout > 0 && timeout <= Self.maxTimeout) {
            throw ValidationError("--timeout must be more than 0 and at most \(Int(Self.maxTimeout)) seconds")
        }
        if let sinceID, sinceID < 0 { throw ValidationError("--since-id must be 0 or more") }
        if !listen, host != nil || port != nil || memory {
            throw ValidationError("--host, --port and --memory go with --listen")
        }
        if memory, store.db != nil { throw ValidationError("--memory and --db cannot be used together") }
        if let filter { _ = try FilterOption.parse(filter) }
    }

    func run() async throws {
        let session: ListenSession?
        var running: Task<Void, any Error>?
        let requestStore: any RequestStore
        let stopWatching: @Sendable () -> Void
        // One wake-up after each commit (several in a row count as one) and one at the deadline.
        let (wakeUps, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        let alarm = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            wake.yield()
        }
        defer { alarm.cancel() }
        do {
            let config = try signatures.loadConfig()
            let matcher = try filter.map { try FilterOption.parse($0, config: config) }
            if listen {
                var flags = ListenFlags()
                flags.host = host
                flags.port = port
                flags.db = store.db
                flags.memory = memory
                flags.secrets = signatures.secrets
                flags.pins = signatures.pins
                flags.publicURL = signatures.publicURL
                // JSON lines put the listening line on stderr; the capture lines themselves are not
                // wanted (stdout carries the matches only).
                flags.json = true
                let settings = try ListenSettings.resolve(flags: flags, environment: ProcessInfo.processInfo.environment, config: config)
                let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
                // SIGINT and SIGTERM end expect at once, as they end any command waiting in a script.
                let started = try await ListenSession.start(
                    settings: settings, interface: .headless, output: devNull, announce: 2, handleSignals: false)
                running = Task { try await started.run() }
                session = started
                requestStore = started.store
                let relay = Task { for await _ in started.commits { wake.yield() } }
                stopWatching = { relay.cancel() }
            } else {
                let opened = try await store.openExisting(config: config)
                requestStore = opened
                if let sqlite = opened as? SQLiteRequestStore {
                    let watcher = try SQLiteChangeWatcher(path: sqlite.path) { wake.yield() }
                    stopWatching = { watcher.stop() }
                } else if case .postgres(let url) = try store.address(config: config) {
                    // A shared store: every writer's commits are heard through LISTEN/NOTIFY (listening
                    // starts before the starting point is read).
                    let follower = try await PostgresStoreFollower.start(url) { change in
                        // After a reconnection the follower reports `.captures` too.
                        if change == .captures { wake.yield() }
                    }
                    stopWatching = { follower.stop() }
                } else {
                    stopWatching = {}
                }
                session = nil
            }
            let outcome = try await wait(
                for: matcher, in: requestStore, after: session?.newestIDAtStart, wakeUps: wakeUps, deadline: deadline)
            stopWatching()
            if let session {
                session.stop()
                try await running?.value
            }
            try finish(outcome)
        } catch let error as UserError where error.isUsage {
            throw error
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("hookscope: \(error)\n".utf8))
            throw ExitCode(3)
        }
    }

    struct Outcome {
        var matches: [CapturedRequest]
        var timedOut: Bool
    }

    /// Reads the captures above the starting point as they are committed, until `count` match or
    /// the time is up. `wakeUps` gets a value after each commit and at the deadline; it was being fed
    /// before the starting point is read, so a capture committed in between is seen.
    private func wait(
        for matcher: RequestFilter?, in store: any RequestStore, after startID: Int64?, wakeUps: AsyncStream<Void>,
        deadline: ContinuousClock.Instant
    ) async throws -> Outcome {
        var afterID: Int64
        if let start = sinceID ?? startID { afterID = start } else { afterID = try await store.newestID() }
        // Scripts may wait for this line before they trigger the webhook.
        let what = filter.map { " matching '\(TerminalSafety.escape(Array($0.utf8)))'" } ?? ""
        FileHandle.standardError.write(Data(
            "hookscope: waiting for \(count) capture\(count == 1 ? "" : "s")\(what) after #\(afterID) (timeout \(secondsText))\n".utf8))
        var matches: [CapturedRequest] = []
        var wakeUps = wakeUps.makeAsyncIterator()
        while true {
            // Through the store's filter pages: the indexes answer the terms they can, and only
            // the rest is read capture by capture.
            while true {
                if let matcher {
                    let page = try await store.filterPage(matcher, after: afterID, limit: 256, whole: true)
                    afterID = max(afterID, page.through)
                    matches += page.requests
                    if matches.count >= count { return Outcome(matches: Array(matches.prefix(count)), timedOut: false) }
                    if page.done { break }
                } else {
                    let batch = try await store.requests(afterID: afterID, limit: 256)
                    guard let last = batch.last else { break }
                    afterID = last.id
                    matches += batch
                    if matches.count >= count { return Outcome(matches: Array(matches.prefix(count)), timedOut: false) }
                }
            }
            if ContinuousClock.now >= deadline { return Outcome(matches: matches, timedOut: true) }
            guard await wakeUps.next() != nil else { return Outcome(matches: matches, timedOut: true) }
        }
    }

    /// `30 s`, `0.5 s`.
    private var secondsText: String {
        (timeout == timeout.rounded() ? "\(Int(timeout))" : "\(timeout)") + " s"
    }

    private func finish(_ outcome: Outcome) throws {
        var text = ""
        for request in outcome.matches {
            text += (json ? CaptureJSON.line(for: request, replay: nil) : CaptureLine.readable(request.summary)) + "\n"
        }
        if outcome.timedOut {
            let what = filter.map { "matching '\(TerminalSafety.escape(Array($0.utf8)))' " } ?? ""
            FileHandle.standardError.write(Data(
                "hookscope: timed out after \(secondsText): \(outcome.matches.count) of \(count) captures \(what)arrived\n".utf8))
            throw ExitCode(1)
        }
        guard writeStdout(text) else { throw ExitCode(3) }
    }
}
