import Foundation
import HookCore
import HookStore
import TermUI

/// Carries out effects against the environment and reports results as events.
public struct EffectRunner: Sendable {
    public var environment: AppEnvironment
    /// Captures read per batch while scanning for a filter.
    public var scanBatchSize: Int

    public init(environment: AppEnvironment, scanBatchSize: Int = 512) {
        self.environment = environment
        self.scanBatchSize = scanBatchSize
    }

    public func run(_ effect: Effect, emit: @Sendable (AppEvent) -> Void) async {
        let store = environment.store
        do {
            switch effect {
            case .loadCount:
                emit(.countLoaded(try await store.count()))
            case .loadWindow(let offset, let limit):
                let items = try await store.summaries(offset: offset, limit: limit)
                if Task.isCancelled { return }
                emit(.windowLoaded(offset: offset, summaries: items))
                let replayed = try await store.latestReplays(among: items.map(\.id))
                if !replayed.isEmpty { emit(.replayMarks(replayed)) }
            case .loadRequest(let id):
                if let request = try await store.request(id: id) {
                    emit(.requestLoaded(request))
                } else {
                    emit(.requestMissing(id: id))
                }
            case .formatBody(let request, let view):
                let formatted = BodyFormatterRegistry.format(request, as: view)
                if Task.isCancelled { return }
                emit(.bodyFormatted(requestID: request.id, view: view, body: formatted))
            case .editAndReplay(let id, let target, let resign):
                guard let edit = environment.editFile, let replayEdited = environment.replayEdited else {
                    emit(.replayNotSent(id: id, message: "editing is not available here: export the request with `hookscope export --raw --id \(id)`"))
                    return
                }
                guard let original = try await store.request(id: id) else {
                    emit(.replayNotSent(id: id, message: "edit: request #\(id) is no longer in the store"))
                    return
                }
                let edited: CapturedRequest
                do {
                    edited = try await Self.edit(original, with: edit, in: environment.exportDirectory)
                } catch {
                    emit(.replayNotSent(id: id, message: "edit: \(error); nothing sent"))
                    return
                }
                emit(.replayed(await replayEdited(edited, target, resign)))
            case .loadReplayMarks(let ids):
                let replayed = try await store.latestReplays(among: ids)
                if !replayed.isEmpty { emit(.replayMarks(replayed)) }
            case .loadReplays(let id):
                emit(.replaysLoaded(id: id, try await store.replays(ofRequest: id)))
            case .explainSignature(let request):
                emit(.signatureExplained(requestID: request.id, lines: environment.explainSignature(request)))
            case .scanFilter(let generation, let filter):
                var afterID: Int64 = 0
                var scanned = 0
                while true {
                    if Task.isCancelled { return }
                    let batch = try await store.requests(afterID: afterID, limit: scanBatchSize)
                    if Task.isCancelled { return }
                    scanned += batch.count
                    let matches = batch.filter { filter.matches($0) }.map(\.summary)
                    let done = batch.count < scanBatchSize
                    emit(.filterBatch(generation: generation, matches: matches, scanned: scanned, done: done))
                    if done { return }
                    afterID = batch.last?.id ?? afterID
                }
            case .cancelFilterScan:
                return
            case .checkFilter(let generation, let filter, let summary):
                if let request = try await store.request(id: summary.id) {
                    emit(.filterChecked(generation: generation, summary: summary, matches: filter.matches(request)))
                }
            case .searchBody(let generation, let body, let query):
                if let lines = BodySearch.matchingLines(in: body, query: query) {
                    emit(.searchFinished(generation: generation, matchingLines: lines))
                }
            case .delete(let id):
                try await store.delete(id: id)
                emit(.deleted(id: id))
            case .deleteAll:
                try await store.deleteAll()
                emit(.clearedAll)
            case .setSecret(let provider, let secret, let visible):
                guard let addSecret = environment.addSecret, let verify = environment.verify else {
                    emit(.failed("secrets cannot be changed here: pass --secret \(provider)=… when starting hookscope"))
                    return
                }
                do {
                    try addSecret(provider, secret)
                } catch {
                    emit(.failed("secret for \(provider) not set: \(error)"))
                    return
                }
                // The visible captures first, so the screen changes at once; then everything else,
                // a batch at a time, each batch's new verdicts stored together. A capture without a
                // recognised signature stays unsigned whatever the secrets, so it is not checked.
                var changed = 0
                func reverify(_ requests: [CapturedRequest]) async throws {
                    var updates: [(id: Int64, signature: SignatureSummary)] = []
                    for request in requests where request.refusal == nil && request.signature.status != .unsigned {
                        let verdict = verify(request)
                        if verdict != request.signature { updates.append((request.id, verdict)) }
                    }
                    try await store.updateSignatures(updates)
                    environment.storedVerdicts?(updates)
                    changed += updates.count
                }
                var shown: [CapturedRequest] = []
                for id in visible {
                    if let request = try await store.request(id: id) { shown.append(request) }
                }
                try await reverify(shown)
                emit(.reverified(provider: provider, changed: changed, done: false))
                let seen = Set(visible)
                for try await batch in store.captureBatches(size: 256) {
                    try await reverify(batch.filter { !seen.contains($0.id) })
                }
                emit(.reverified(provider: provider, changed: changed, done: true))
            case .copyCurl(let id, let baseURL):
                guard let request = try await store.request(id: id) else {
                    emit(.failed("copy: request #\(id) is no longer in the store"))
                    return
                }
                let target = ExportTarget.baseURL(for: request, given: nil, fallback: baseURL)
                let command = CurlExporter.command(for: request, baseURL: target) + "\n"
                let path = try Self.write(Data(command.utf8), named: "request-\(id).curl.sh", in: environment.exportDirectory)
                // Terminals cap OSC 52 payloads (often around 100 KB); past that only the file is written.
                let clipboard = command.utf8.count <= 75_000 ? environment.clipboard : nil
                clipboard?(command)
                emit(.copied(id: id, path: path, toClipboard: clipboard != nil, target: target))
            case .exportList(let filter):
                // Written one batch at a time, so exporting a million captures does not hold them all.
                let stamp = CaptureTime.now().rfc3339.replacingOccurrences(of: ":", with: "-")
                let folder = environment.exportDirectory ?? FileManager.default.temporaryDirectory.path
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                let path = (folder as NSString).appendingPathComponent("hookscope-\(stamp).har")
                // Each capture's URL is the address it arrived on (this listener's, or another port's).
                var writer = CaptureExportWriter(format: .har, baseURL: nil, fallbackBaseURL: environment.listenURL, redact: .default)
                var batches = store.captureBatches(matching: filter, size: 256).makeAsyncIterator()
                try await writer.export(to: try ExportOutput.file(path, permissions: 0o600)) { try await batches.next() }
                emit(.exported(count: writer.count, path: path))
            case .replay(let id, let target, let resign):
                guard let replay = environment.replay else {
                    emit(.replayNotSent(id: id, message: "replay is not available here: run `hookscope replay \(id) --to \(target)`"))
                    return
                }
                emit(.replayed(await replay(id, target, resign)))
            }
        } catch is CancellationError {
            return
        } catch {
            switch effect {
            case .replay(let id, _, _), .editAndReplay(let id, _, _): emit(.replayNotSent(id: id, message: "\(error)"))
            default: emit(.failed("\(error)"))
            }
        }
    }

    /// Lets the user edit a capture as raw HTTP text (request line, headers, blank line, body; the
    /// framing headers are left out and recomputed) and returns the edited copy.
    static func edit(_ original: CapturedRequest, with edit: @Sendable (String) async -> Bool, in directory: String?) async throws -> CapturedRequest {
        var plain = original
        plain.headers.removeAll { $0.hasName("Content-Length") || $0.hasName("Transfer-Encoding") }
        plain.bodyWasChunked = false
        let path = try write(RawHTTPExporter.data(for: plain, redact: .none), named: "edit-\(original.id)-\(UInt32.random(in: 0...UInt32.max)).http", in: directory)
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard await edit(path) else { throw ExportError(description: "the editor exited with an error") }
        let message = try RawHTTPExporter.parse(try Data(contentsOf: URL(fileURLWithPath: path)))
        var edited = original
        edited.method = message.method
        edited.rawTarget = message.rawTarget
        edited.httpVersion = message.httpVersion
        edited.headers = message.headers
        var body = message.body
        // Editors add a final newline; keep the body as it was when that is the only difference at the end.
        if body.last == 0x0A, original.body.last != 0x0A {
            body.removeLast()
            if body.last == 0x0D, original.body.last != 0x0D { body.removeLast() }
        }
        edited.body = body
        edited.bodySize = body.count
        return edited
    }

    /// Writes an export file (owner-only permissions: it may hold request data) and returns its path.
    static func write(_ data: Data, named name: String, in directory: String?) throws -> String {
        let folder = directory ?? FileManager.default.temporaryDirectory.path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = (folder as NSString).appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ExportError(description: "cannot write \(path)")
        }
        return path
    }
}

struct ExportError: Error, CustomStringConvertible {
    var description: String
}
