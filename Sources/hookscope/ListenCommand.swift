import ArgumentParser
import Foundation
import HookCore
import HookServer
import HookStore
import Logging
import Synchronization

struct Listen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the listener and the TUI (headless when stdout is not a terminal, or with --headless).")

    @Option(help: ArgumentHelp("Bind address; 127.0.0.1 unless you ask for another.", valueName: "addr"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("Port to listen on; 0 picks a free one.", valueName: "n"))
    var port = 9777

    @OptionGroup var store: StoreOptions

    @Flag(help: "Keep captures in memory only; nothing is written to disk.")
    var memory = false

    @Option(help: ArgumentHelp("Keep at most this many captures, dropping the oldest first.", valueName: "n"))
    var keep: Int?

    @Option(help: ArgumentHelp("Status code of the listener's answer.", valueName: "n"))
    var status = 200

    @Option(name: .customLong("response-body"), help: ArgumentHelp("Body of the listener's answer.", valueName: "text"))
    var responseBody = ""

    @Option(name: .customLong("response-header"), help: ArgumentHelp("A header of the listener's answer, 'Name: value' (repeatable).", valueName: "header"))
    var responseHeaders: [String] = []

    @Option(help: ArgumentHelp("Wait this many milliseconds before answering.", valueName: "ms"))
    var delay = 0

    @Option(name: .customLong("max-body"), help: ArgumentHelp("Larger bodies are refused with 413 and shown as refused.", valueName: "bytes"))
    var maxBody = 25 * 1024 * 1024

    @Flag(help: "No TUI: one line per request on stdout.")
    var headless = false

    @Flag(help: "With --headless: JSON lines instead of readable lines.")
    var json = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, not \(port)") }
        guard (100...599).contains(status) else { throw ValidationError("--status must be an HTTP status between 100 and 599, not \(status)") }
        guard delay >= 0 else { throw ValidationError("--delay must be 0 or more milliseconds") }
        guard maxBody >= 0 else { throw ValidationError("--max-body must be 0 or more bytes") }
        if let keep, keep < 1 { throw ValidationError("--keep must be at least 1") }
        if memory && store.db != nil { throw ValidationError("--memory and --db exclude each other") }
        for header in responseHeaders { _ = try Self.parseHeader(header) }
    }

    static func parseHeader(_ text: String) throws -> HeaderField {
        guard let colon = text.firstIndex(of: ":") else {
            throw ValidationError("--response-header must look like 'Name: value', not '\(text)'")
        }
        let name = text[..<colon].trimmingCharacters(in: .whitespaces)
        let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        let token = CharacterSet(charactersIn: "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        guard !name.isEmpty, name.unicodeScalars.allSatisfy(token.contains) else {
            throw ValidationError("--response-header has an invalid header name '\(name)'")
        }
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F }) else {
            throw ValidationError("--response-header value for '\(name)' contains control characters")
        }
        return HeaderField(name, value)
    }

    func listenerConfiguration() throws -> ListenerConfiguration {
        var configuration = ListenerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.response = CapturedResponse(
            status: status, headers: try responseHeaders.map(Self.parseHeader), body: Data(responseBody.utf8))
        configuration.delay = .milliseconds(delay)
        configuration.maxBodySize = maxBody
        return configuration
    }

    func run() async throws {
        let printer = HeadlessPrinter(json: json)
        let onCommit: @Sendable ([CapturedRequest]) -> Void = { batch in printer.print(batch) }
        let requestStore: any RequestStore
        if memory {
            requestStore = InMemoryRequestStore(keep: keep, onCommit: onCommit)
        } else {
            do {
                requestStore = try SQLiteRequestStore(path: store.path, keep: keep, onCommit: onCommit)
            } catch {
                throw CLIError("\(error)")
            }
        }
        var logger = Logger(label: "hookscope")
        logger.logLevel = .warning
        let sink = StoreSink(store: requestStore)
        let listener: HTTPListener
        do {
            listener = try await HTTPListener.start(configuration: try listenerConfiguration(), sink: sink, logger: logger)
        } catch let error as ListenerError {
            throw CLIError(error.description)
        }
        printer.start(url: listener.url)
        _ = await TerminationSignal.wait()
        await listener.shutdown()
    }
}

/// Hands captures to the store (the signature verdict is added here once verification is wired).
struct StoreSink: CaptureSink {
    let store: any RequestStore

    func handshakeResponse(for request: CapturedRequest) -> CapturedResponse? { nil }

    func record(_ request: CapturedRequest) async throws -> CapturedRequest {
        try await store.insert(request)
    }
}

/// Prints `listening on URL` and then one line per committed capture, in id order, each flushed.
final class HeadlessPrinter: Sendable {
    private let json: Bool
    private let lock = NSLock()

    init(json: Bool) {
        self.json = json
    }

    func start(url: String) {
        lock.withLock { _ = writeStdout("listening on \(url)\n") }
    }

    func print(_ batch: [CapturedRequest]) {
        var text = ""
        for request in batch {
            text += json ? CaptureJSON.line(for: request) : CaptureLine.readable(request.summary)
            text += "\n"
        }
        lock.withLock { _ = writeStdout(text) }
    }
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
