import ArgumentParser
import Foundation
import HookListen

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

    @Flag(name: .customLong("no-text-index"), help: "Drop the SQLite store's text index for filters and build none (it takes about 1.5x the captures' disk); text filters then read every capture. Also `text_index = false` in the config file.")
    var noTextIndex = false

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

    @Option(name: .customLong("forward-to"), help: ArgumentHelp("Forward every captured request there as it arrives, in arrival order; also `forward_to` in the config file.", valueName: "url"))
    var forwardTo: String?

    @Option(help: ArgumentHelp("Response rules: per-route answers, status sequences, failures and forwards (TOML [[rule]] tables); reloaded when the file changes. Also [[rule]] in the config file.", valueName: "file"))
    var rules: String?

    @Flag(name: .customLong("proxy-response"), help: "With --forward-to: answer the sender with the target's response instead of the configured one.")
    var proxyResponse = false

    @Flag(help: "Accept self-signed certificates from forward and replay targets; also `insecure = true` in the config file.")
    var insecure = false

    @Flag(help: "No TUI: one line per request on stdout.")
    var headless = false

    @Flag(help: "JSON lines instead of readable lines (implies --headless); the listening line goes to stderr.")
    var json = false

    /// The flags as typed; `ListenSettings.resolve` checks them together with the config file.
    var flags: ListenFlags {
        var flags = ListenFlags()
        flags.host = host
        flags.port = port
        flags.db = store.db
        flags.memory = memory
        flags.keep = keep
        flags.noTextIndex = noTextIndex
        flags.status = status
        flags.responseBody = responseBody
        flags.responseHeaders = responseHeaders
        flags.delay = delay
        flags.maxBody = maxBody
        flags.secrets = signatures.secrets
        flags.pins = signatures.pins
        flags.publicURL = signatures.publicURL
        flags.noHandshakes = noHandshakes
        flags.metaVerifyToken = metaVerifyToken
        flags.replayTo = replayTo
        flags.forwardTo = forwardTo
        flags.rules = rules
        flags.proxyResponse = proxyResponse
        flags.insecure = insecure
        flags.headless = headless
        flags.json = json
        return flags
    }

    func validate() throws {
        do {
            try ListenSettings.checkFlags(flags)
        } catch let error as UserError {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        let settings = try ListenSettings.resolve(
            flags: flags, environment: ProcessInfo.processInfo.environment, config: try signatures.loadConfig())
        // The TUI when both ends are a terminal and nothing asks for lines; headless otherwise.
        let interactive = !settings.wantsLines && isTerminal(0) && isTerminal(1)
        try await ListenSession.run(settings: settings, interface: interactive ? .terminal(runTUI) : .headless)
    }
}
