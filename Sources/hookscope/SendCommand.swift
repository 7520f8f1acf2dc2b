import ArgumentParser
import Foundation
import HookCore
import HookListen
import HookReplay
import HookSend
import HookSignatures
import HookStore
import Synchronization

struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign and send webhooks as a provider would: one, or bursts with copies and out-of-order deliveries.",
        discussion: """
            Each delivery gets a fresh delivery id and timestamp and is signed with the provider's \
            secret (--secret, HOOKSCOPE_SECRET_<PROVIDER>, or the config file); hookscope checks the \
            signature verifies before sending. --duplicate N sends N extra copies of each delivery with \
            the same id, signature and bytes, as providers do on retries; the summary counts how many \
            copies the target answered 2xx. Exits 0 when every request was answered 2xx, 1 otherwise, \
            64 on a usage error, 3 on any other error (nothing sent).
            """)

    @Option(name: .long, help: ArgumentHelp("Where to send (default: http://127.0.0.1:PORT/PROVIDER, PORT from the config file or 9777).", valueName: "url"))
    var to: String?

    @Option(name: .long, help: ArgumentHelp("A sample, PROVIDER/EVENT: built-in or yours (see --list-samples).", valueName: "name"))
    var sample: String?

    @Option(name: .long, help: ArgumentHelp("Send this file's bytes as the body, in the provider's envelope.", valueName: "file"))
    var body: String?

    @Option(name: .long, help: ArgumentHelp("Send a stored capture's body and headers again, signed anew.", valueName: "id"))
    var capture: Int64?

    @Flag(name: .customLong("list-samples"), help: "List the samples (built-in, and yours in $XDG_CONFIG_HOME/hookscope/samples) and exit.")
    var listSamples = false

    @Option(name: .long, help: ArgumentHelp("Sign as this provider (default: the sample's).", valueName: "id"))
    var provider: String?

    @Option(name: .customLong("secret"), help: ArgumentHelp("A signing secret, PROVIDER=SECRET (repeatable). Other users can see it in `ps`: HOOKSCOPE_SECRET_<PROVIDER> or the config file keep it private.", valueName: "provider=secret"))
    var secrets: [String] = []

    @Option(name: .customLong("public-url"), help: ArgumentHelp("The URL to sign for URL-signed schemes (Twilio, Square, HubSpot), when it differs from --to.", valueName: "url"))
    var publicURL: String?

    @Option(name: .customLong("header"), help: ArgumentHelp("Add or replace a header, 'Name: value' (repeatable; applied before signing).", valueName: "header"))
    var headers: [String] = []

    @Option(name: .long, help: ArgumentHelp("The request method (default: the sample's, POST).", valueName: "method"))
    var method: String?

    @Option(name: .long, help: ArgumentHelp("Deliveries to send, each with its own id (1 to 1000000).", valueName: "n"))
    var count = 1

    @Option(name: .long, help: ArgumentHelp("Requests in flight at once (1 to 1000).", valueName: "k"))
    var concurrency = 1

    @Option(name: .long, help: ArgumentHelp("Start at most this many requests per second (0.01 to 100000).", valueName: "per-second"))
    var rate: Double?

    @Option(name: .long, help: ArgumentHelp("Extra copies of each delivery, same id and signature (0 to 100).", valueName: "n"))
    var duplicate = 0

    @Flag(help: "Send in random order, copies included.")
    var shuffle = false

    @Flag(help: "One JSON object per request on stdout (n, delivery_id, copy, status, error, duration_ms); the summary goes to stderr.")
    var json = false

    @Flag(help: "Accept any TLS certificate (self-signed targets).")
    var insecure = false

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Give up on a request after this many seconds.", valueName: "seconds"))
    var timeout: Double = 30

    @Option(name: .customLong("config"), help: ArgumentHelp("TOML config file (default: $XDG_CONFIG_HOME/hookscope/config.toml).", valueName: "file"))
    var configPath: String?

    @OptionGroup var store: StoreOptions

    func validate() throws {
        if listSamples { return }
        let sources = [sample != nil, body != nil, capture != nil].filter { $0 }.count
        guard sources == 1 else { throw ValidationError("give one of --sample NAME, --body FILE or --capture ID (see --list-samples)") }
        guard (1...1_000_000).contains(count) else { throw ValidationError("--count must be between 1 and 1000000, not \(count)") }
        guard (1...1000).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 1000, not \(concurrency)") }
        guard (0...100).contains(duplicate) else { throw ValidationError("--duplicate must be between 0 and 100, not \(duplicate)") }
        if let rate, !(rate >= 0.01 && rate <= 100_000) { throw ValidationError("--rate must be between 0.01 and 100000 per second, not \(rate)") }
        guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds") }
        if let to { try Self.checkURL(to, flag: "--to") }
        if let publicURL { try Self.checkURL(publicURL, flag: "--public-url") }
        for header in headers {
            do { _ = try ResponseHeader.parse(header) } catch { throw ValidationError("--header \(error)") }
        }
        if let method, method.isEmpty || !method.utf8.allSatisfy({ isHTTPTokenByte($0) }) {
            throw ValidationError("--method must be an HTTP method such as POST, not '\(method)'")
        }
        if let provider, ProviderCatalog.info(for: provider) == nil, !provider.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) {
            throw ValidationError("unknown provider '\(provider)' (see `hookscope providers`)")
        }
    }

    static func checkURL(_ text: String, flag: String) throws {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host?.isEmpty == false else {
            throw ValidationError("\(flag) must be an http:// or https:// URL, not '\(text)'")
        }
    }

    /// The built-in samples, then the user's (`UserSamples`), which replace built-in ones of the same name.
    static func samples(config: ConfigFile) throws -> [Sample] {
        let known = Set(ProviderCatalog.ids).union(config.customSchemes.map(\.id))
        let own: [Sample]
        do {
            own = try UserSamples.load(from: UserSamples.directory(), knownProviders: known)
        } catch {
            throw UserError(error.description)
        }
        let ownNames = Set(own.map(\.name))
        return Samples.all.filter { !ownNames.contains($0.name) } + own
    }

    func run() async throws {
        let config = try ConfigFile.load(explicitPath: configPath)
        let samples = try Self.samples(config: config)
        if listSamples {
            let width = samples.map(\.name.count).max() ?? 0
            let lines = samples.map { $0.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.summary }
            guard writeStdout(lines.joined(separator: "\n") + "\n") else { throw ExitCode(1) }
            return
        }
        if let sample, !samples.contains(where: { $0.name == sample }) {
            throw UserError("unknown sample '\(sample)' (see `hookscope send --list-samples`; yours go in \(UserSamples.directory()))", usage: true)
        }
        let verifier: SignatureVerifier
        do {
            verifier = try SignatureSettings.verifier(secrets: secrets, pins: [], publicURL: nil, config: config, environment: ProcessInfo.processInfo.environment)
        } catch let error as UserError {
            throw UserError(error.description, usage: true)
        }
        let customIDs = Set(config.customSchemes.map(\.id))
        if let provider, ProviderCatalog.info(for: provider) == nil, !customIDs.contains(provider) {
            throw UserError("unknown provider '\(provider)' (see `hookscope providers`, or add a [[custom]] scheme to the config file)", usage: true)
        }

        let source: DeliverySource
        var defaultPath: String?
        if let name = sample, let sample = samples.first(where: { $0.name == name }) {
            var fromSample = DeliverySource(sample: sample, provider: provider)
            do {
                try fromSample.addSigningHeaders(verifier: verifier)
            } catch {
                throw UserError(error.description, usage: true)
            }
            source = fromSample
            defaultPath = source.provider ?? "hook"
        } else if let path = body {
            let bytes: Data
            do {
                bytes = try Data(contentsOf: URL(fileURLWithPath: expandTilde(path)))
            } catch {
                throw UserError("--body: cannot read \(path): \((error as NSError).localizedDescription)", usage: true)
            }
            do {
                source = try DeliverySource(body: bytes, provider: provider, verifier: verifier)
            } catch {
                throw UserError("\(error)", usage: true)
            }
            defaultPath = provider ?? "hook"
        } else if let id = capture {
            let requestStore: any NamedRequestStore
            let captured: CapturedRequest?
            do {
                requestStore = try await store.openExisting(config: config)
                captured = try await requestStore.request(id: id)
            } catch {
                try fail("\(error)")
            }
            guard let captured else { try fail("no capture with id \(id) in \(try store.path(config: config))") }
            let signedAs = provider ?? captured.signature.provider
            source = DeliverySource(capture: captured, provider: signedAs)
            defaultPath = nil
            if to == nil { defaultPath = String(decoding: captured.rawTarget, as: UTF8.self).dropFirst().description }
        } else {
            throw ValidationError("give one of --sample NAME, --body FILE or --capture ID")
        }

        let target = to ?? "http://127.0.0.1:\(config.port ?? 9777)/\(defaultPath ?? "")"
        var extra: [HeaderField] = []
        for header in headers { extra.append(try ResponseHeader.parse(header)) }
        let builder = DeliveryBuilder(source: source, verifier: verifier, targetURL: target, signingURL: publicURL, extraHeaders: extra, method: method)
        // The first delivery is built before anything is sent: what stops it (no secret, a secret
        // in the wrong form, an asymmetric scheme, a body the scheme cannot sign) is in what was
        // asked for, a usage error of one line, and nothing goes out.
        if case .failure(let error) = builder.make(n: 1) {
            throw UserError(error.description, usage: true)
        }

        let plan = BurstPlan(count: count, concurrency: concurrency, rate: rate, duplicates: duplicate, shuffle: shuffle)
        let replayer = HTTPReplayer(
            insecure: insecure || config.insecure == true, timeout: .milliseconds(Int64((timeout * 1000).rounded())),
            connectionsPerHost: concurrency)
        let summary = Mutex(BurstSummary())
        let outputFailed = Atomic(false)
        let json = self.json
        let started = ContinuousClock.now
        await Burst(builder: builder, plan: plan).run(replayer: replayer) { result in
            let line = json ? Self.jsonLine(result) : Self.readableLine(result)
            // One write per line from whichever task finished: lines never interleave.
            if !writeStdout(line + "\n") { outputFailed.store(true, ordering: .relaxed) }
            summary.withLock { $0.add(result) }
        }
        await replayer.shutdown()
        let elapsed = ContinuousClock.now - started
        let totals = summary.withLock { $0 }
        let text = Self.summaryText(totals, elapsed: elapsed, target: target)
        if json {
            FileHandle.standardError.write(Data(text.utf8))
        } else if !writeStdout(text) {
            throw ExitCode(1)
        }
        if outputFailed.load(ordering: .relaxed) || !totals.allAnswered2xx { throw ExitCode(1) }
    }

    /// Any error that is neither a usage error nor a delivery's answer: one line, exit 3.
    private func fail(_ message: String) throws -> Never {
        FileHandle.standardError.write(Data("hookscope: \(message)\n".utf8))
        throw ExitCode(3)
    }

    static func milliseconds(_ nanoseconds: Int64) -> String {
        String(format: "%.1f", Double(nanoseconds) / 1e6)
    }

    static func readableLine(_ result: SendResult) -> String {
        let copy = result.copy > 0 ? " (copy \(result.copy))" : ""
        let id = TerminalSafety.escape(Array((result.deliveryID.isEmpty ? "-" : result.deliveryID).utf8))
        if let status = result.status {
            return "#\(result.n)\(copy) \(id) -> \(status) \(milliseconds(result.durationNanoseconds)) ms"
        }
        return "#\(result.n)\(copy) \(id) failed: \(TerminalSafety.escape(Array((result.error ?? "no answer").utf8)))"
    }

    static func jsonLine(_ result: SendResult) -> String {
        var out = "{\"n\":\(result.n),\"delivery_id\":" + CaptureJSON.quote(result.deliveryID)
        out += ",\"copy\":\(result.copy)"
        out += ",\"status\":" + (result.status.map(String.init) ?? "null")
        out += ",\"error\":" + (result.error.map(CaptureJSON.quote) ?? "null")
        out += ",\"duration_ms\":" + milliseconds(result.durationNanoseconds) + "}"
        return out
    }

    static func summaryText(_ totals: BurstSummary, elapsed: Duration, target: String) -> String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var lines: [String] = []
        let copies = totals.copies > 0 ? " (\(totals.requests - totals.copies) deliveries + \(totals.copies) copies)" : ""
        let perSecond = seconds > 0 ? String(format: "%.0f", Double(totals.requests) / seconds) : "-"
        lines.append("sent \(totals.requests) request\(totals.requests == 1 ? "" : "s")\(copies) to \(TerminalSafety.escape(Array(target.utf8))) in \(String(format: "%.2f", seconds)) s (\(perSecond)/s)")
        let statuses = totals.statuses.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }
        lines.append("answers: " + (statuses.isEmpty ? "none" : statuses.joined(separator: ", ")))
        if !totals.failures.isEmpty {
            let failures = totals.failures.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key.rawValue)" }
            lines.append("failures: " + failures.joined(separator: ", "))
        }
        if let p50 = totals.percentile(50), let p99 = totals.percentile(99) {
            lines.append("latency: p50 \(milliseconds(p50)) ms, p99 \(milliseconds(p99)) ms")
        }
        if totals.copies > 0 {
            lines.append("copies answered 2xx: \(totals.copiesAnswered2xx) of \(totals.copies) (same delivery id: a handler that is not idempotent did that work again)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
