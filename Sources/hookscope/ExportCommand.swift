import ArgumentParser
import Foundation
import HookCore
import HookListen
import HookPostgres
import HookSignatures
import HookStore

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write captures as HAR 1.2 (--har, the default), curl commands (--curl) or raw HTTP (--raw).",
        discussion: """
            Authorization, Cookie, Set-Cookie, Proxy-Authorization, API-key style headers and the configured \
            signing secrets are redacted unless --include-secrets is given.
            """)

    enum Format: String, EnumerableFlag {
        case har, curl, raw
        static func help(for value: Format) -> ArgumentHelp? {
            switch value {
            case .har: "HAR 1.2 (opens in browser devtools; exact bytes in _base64 fields, which `import` prefers)."
            case .curl: "One curl command per capture, byte-exact and safe to paste into bash."
            case .raw: "The requests as raw HTTP/1.1 bytes; several are each preceded by a line '#### hookscope raw capture #ID: N bytes'."
            }
        }
    }

    @Flag var format: Format = .har

    @Option(name: .customLong("id"), help: ArgumentHelp("Export only this capture (repeatable).", valueName: "id"))
    var ids: [Int64] = []

    @Option(help: ArgumentHelp("Export the captures matching a filter, in the TUI's syntax (e.g. 'method:POST sig:invalid').", valueName: "filter"))
    var filter: String?

    @Flag(name: .customLong("include-secrets"), help: "Keep credentials and signing secrets in the export.")
    var includeSecrets = false

    @Option(name: .customLong("base-url"), help: ArgumentHelp("Scheme and host for the URLs in HAR and curl output (default: the address each capture arrived on).", valueName: "url"))
    var baseURL: String?

    @Option(name: [.short, .long], help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var output: String?

    @OptionGroup var store: StoreOptions
    @OptionGroup var signatures: SignatureOptions

    func validate() throws {
        if let filter { _ = try FilterOption.parse(filter, config: try? signatures.loadConfig()) }
        if let baseURL {
            guard let url = URL(string: baseURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw ValidationError("--base-url must be an http:// or https:// URL")
            }
        }
    }

    func run() async throws {
        if output == nil && format == .raw && isTerminal(1) {
            throw CLIError("refusing to write raw HTTP to a terminal; use --output FILE or a pipe")
        }
        let config = try signatures.loadConfig()
        let verifier = try signatures.verifier(config: config)
        let secrets = verifier.secrets.providers.flatMap { verifier.secrets.secrets(for: $0) }
        let redaction = Redaction(includeSecrets: includeSecrets, secrets: secrets)
        let requestStore = try await store.openExisting(config: config)
        // Captures named by --id must all exist before anything is written.
        var named: [CapturedRequest] = []
        for id in ids {
            guard let request = try await requestStore.request(id: id) else {
                throw CLIError("no capture with id \(id) in \(requestStore.displayName)")
            }
            named.append(request)
        }
        let exportFormat: ExportFormat = switch format {
        case .har: .har
        case .curl: .curl
        case .raw: .raw
        }
        let destination: ExportOutput
        if let output {
            do {
                destination = try ExportOutput.file(expandTilde(output), removeOnSignal: true)
            } catch {
                throw CLIError(error.description)
            }
        } else {
            destination = .standardOutput()
        }
        // The captures go out one batch at a time: memory does not grow with the number exported.
        var writer = CaptureExportWriter(format: exportFormat, baseURL: baseURL, redact: redaction)
        var batches = requestStore.captureBatches(matching: try filter.map { try FilterOption.parse($0, config: config) }).makeAsyncIterator()
        var namedLeft = [named]
        do {
            try await writer.export(to: destination, replays: { try await requestStore.replays(ofRequests: $0) }) { ids.isEmpty ? try await batches.next() : namedLeft.popLast() }
        } catch let error as ExportOutput.WriteError {
            // A closed pipe on standard output (`| head`) ends the export quietly.
            if output == nil { throw ExitCode(1) }
            throw CLIError(error.description)
        }
        if let output {
            FileHandle.standardError.write(Data("exported \(writer.count) capture(s) to \(output)\n".utf8))
        }
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring captures back from a HAR file (exact bytes from hookscope's _base64 fields when present).",
        discussion: """
            Into the SQLite file or the postgres:// database --db names, all or nothing: a bad entry or a failed \
            write imports nothing. Into PostgreSQL the captures are stored in one transaction at the end, with \
            ids after those of the listeners writing to it meanwhile.
            """)

    @Argument(help: "The HAR file.")
    var file: String

    @OptionGroup var store: StoreOptions

    /// Entries another tool wrote carry no verdict: they are verified with these secrets.
    @OptionGroup var signatures: SignatureOptions

    func run() async throws {
        // Bad flag values (usage errors) first, whatever the file.
        let config = try signatures.loadConfig()
        let verifier = try signatures.verifier(config: config)
        let path = expandTilde(file)
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CLIError("cannot read \(file): \(FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")")
        }
        // A device, pipe or directory cannot be mapped, and an empty file holds no HAR: say that,
        // not the mapping's "you don't have permission".
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard attributes?[.type] as? FileAttributeType == .typeRegular else {
            throw CLIError("cannot import \(file): it is not a regular file (expected a HAR file, as `hookscope export --har` writes)")
        }
        guard (attributes?[.size] as? NSNumber)?.intValue ?? 0 > 0 else {
            throw CLIError("cannot import \(file): the file is empty (expected a HAR file, as `hookscope export --har` writes)")
        }
        // Mapped, not read: the file's pages stay in the page cache, and entries are decoded one
        // at a time, so a HAR of any size imports in bounded memory.
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw CLIError("cannot read \(file): \(error.localizedDescription)")
        }
        let ranges: [Range<Int>]
        do {
            ranges = try HARImporter.entryRanges(in: data)
        } catch {
            throw CLIError("\(file): \(error)")
        }
        let storing: any CaptureImport = switch try store.address(config: config) {
        case .sqlite(let path): SQLiteImport(path: path)
        case .postgres(let url): PostgresImport(url: url)
        }
        // Judged as the listener would have judged them when they arrived.
        let verdict: (CapturedRequest) -> SignatureSummary = { verifier.summary(for: $0, now: $0.receivedAt) }
        // One pass: each batch of entries is decoded and handed to the store. A bad entry (or a
        // failed write) imports nothing: into SQLite each batch is a transaction, and what was
        // stored before is taken back (a database this import created is removed); into
        // PostgreSQL the batches are staged and stored in one transaction at the end.
        do {
            for start in stride(from: 0, to: ranges.count, by: 500) {
                var batch: [CapturedRequest] = []
                for index in start..<min(ranges.count, start + 500) {
                    do {
                        var capture = try HARImporter.request(from: data, range: ranges[index], index: index, verdict: verdict)
                        // An entry without them (another tool's, or an older hookscope's) gets the
                        // event and delivery id the listener would have read; the store numbers the attempts.
                        if capture.event == nil, capture.deliveryID == nil { capture = DeliveryIdentity.identified(capture) }
                        batch.append(capture)
                    } catch {
                        throw CLIError("\(file): \(error)")
                    }
                }
                do {
                    try await storing.add(batch)
                } catch {
                    throw CLIError("\(error)")
                }
            }
            do {
                try await storing.finish()
            } catch {
                throw CLIError("\(error)")
            }
        } catch {
            await storing.rollBack()
            throw error
        }
        let stored = storing.added
        let first = stored.first?.lowerBound
        let last = stored.last?.upperBound
        if let first, let last {
            writeStdout("imported \(ranges.count) capture(s) into \(storing.displayName) as #\(first)–#\(last)\n")
        } else {
            writeStdout("the file holds no requests; nothing imported\n")
        }
    }
}
