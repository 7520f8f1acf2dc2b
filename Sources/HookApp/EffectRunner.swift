import Foundation
import HookCore
import HookSignatures
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

    /// With `--forward-to` the list's column is FORWARD: it shows a capture's forward, not a replay made since.
    var columnKind: ReplayKind? { environment.forwardTarget == nil ? nil : .forward }

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
                let replayed = try await store.latestReplays(among: items.map(\.id), preferring: columnKind)
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
            case .diff(let a, let b):
                guard let left = try await store.request(id: a) else {
                    emit(.failed("diff: capture #\(a) is no longer in the store"))
                    return
                }
                guard let right = try await store.request(id: b) else {
                    emit(.failed("diff: capture #\(b) is no longer in the store"))
                    return
                }
                let explain = environment.explainSignature
                let diff = CaptureDiff(left, right, signatureLines: (explain(left), explain(right)))
                if Task.isCancelled { return }
                let lines = CaptureDiffText.lines(diff)
                emit(.diffReady(DiffPair(a: a, b: b), body: LinesBody(view: .text, note: nil, lines: lines), identical: diff.identical))
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
                var attempt = await replayEdited(edited, target, resign)
                attempt.edited = true
                emit(.replayed(attempt))
            case .loadReplayMarks(let ids):
                let replayed = try await store.latestReplays(among: ids, preferring: columnKind)
                if !replayed.isEmpty { emit(.replayMarks(replayed)) }
            case .loadReplayTargets:
                emit(.replayTargetsLoaded(try await store.replayTargets(limit: replayTargetsKept)))
            case .rememberReplayTarget(let target):
                try await store.rememberReplayTarget(target)
            case .loadReplays(let id):
                emit(.replaysLoaded(id: id, try await store.replays(ofRequest: id)))
            case .loadDelivery(let requestID, let deliveryID):
                emit(.deliveryLoaded(requestID: requestID, attempts: try await store.summaries(deliveryID: deliveryID, limit: 1000)))
            case .explainSignature(let request):
                emit(.signatureExplained(requestID: request.id, lines: environment.explainSignature(request)))
            case .scanFilter(let generation, let filter):
                // A page at a time, in id order: the store's indexes answer the terms on columns and
                // words it has indexed, so the first screenful shows at once; the status bar says how
                // far a search that reads captures has got.
                var afterID: Int64 = 0
                while true {
                    if Task.isCancelled { return }
                    let page = try await store.filterPage(filter, after: afterID, limit: scanBatchSize, whole: false)
                    if Task.isCancelled { return }
                    emit(.filterBatch(generation: generation, matches: page.summaries, through: page.through, done: page.done))
                    if page.done { return }
                    afterID = max(afterID, page.through)
                }
            case .cancelFilterScan:
                return
            case .checkFilter(let generation, let filter, let id):
                if let request = try await store.request(id: id) {
                    let matches = try await store.matching(filter, in: [request])
                    emit(.filterChecked(generation: generation, summary: request.summary, matches: !matches.isEmpty))
                }
            case .searchBody(let generation, let body, let query):
                if let lines = BodySearch.matchingLines(in: body, query: query) {
                    emit(.searchFinished(generation: generation, matchingLines: lines))
                }
            case .delete(let id):
                try await store.delete(id: id)
                emit(.deleted(id: id))
            case .deleteAll:
                // In batches in the SQLite store: the status bar counts them.
                try await store.deleteAll { deleted in emit(.clearing(deleted: deleted)) }
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
                try await reverifyAll(provider: provider, visible: visible, verify: verify) { changed, done in
                    emit(.reverified(provider: provider, changed: changed, done: done))
                }
            case .listRules:
                guard let rules = environment.rules else {
                    emit(.failed("no response rules in this session"))
                    return
                }
                emit(.rulesListed(rules(), environment.currentOverride?()))
            case .setOverride(let override):
                guard let setOverride = environment.setOverride else {
                    emit(.failed("overrides need a listener: not available here"))
                    return
                }
                setOverride(override)
                emit(.overrideChanged(environment.currentOverride?() ?? override))
            case .listSecrets:
                guard let secrets = environment.secrets else {
                    emit(.failed("secrets cannot be listed here"))
                    return
                }
                emit(.secretsListed(secrets()))
            case .removeSecret(let provider, let index, let visible):
                guard let removeSecret = environment.removeSecret, let verify = environment.verify else {
                    emit(.failed("secrets cannot be changed here"))
                    return
                }
                let masked: String
                do {
                    masked = try removeSecret(provider, index)
                } catch {
                    emit(.failed("secret not removed: \(error)"))
                    return
                }
                try await reverifyAll(provider: provider, visible: visible, verify: verify) { changed, done in
                    emit(.secretRemoved(provider: provider, masked: masked, changed: changed, done: done))
                }
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
            case .saveSample(let id):
                guard let save = environment.saveSample else {
                    emit(.failed("samples cannot be saved here"))
                    return
                }
                guard let request = try await store.request(id: id) else {
                    emit(.failed("sample: request #\(id) is no longer in the store"))
                    return
                }
                let saved = try save(request)
                emit(.sampleSaved(id: id, name: saved.name, path: saved.path))
            case .exportList(let filter):
                // Written one batch at a time, so exporting a million captures does not hold them all.
                let stamp = CaptureTime.now().rfc3339.replacingOccurrences(of: ":", with: "-")
                let folder = environment.exportDirectory ?? FileManager.default.temporaryDirectory.path
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                let path = (folder as NSString).appendingPathComponent("hookscope-\(stamp).har")
                // Each capture's URL is the address it arrived on (this listener's, or another port's).
                var writer = CaptureExportWriter(format: .har, baseURL: nil, fallbackBaseURL: environment.listenURL, redact: .default)
                var batches = store.captureBatches(matching: filter, size: 256).makeAsyncIterator()
                try await writer.export(to: try ExportOutput.file(path, permissions: 0o600), replays: { try await store.replays(ofRequests: $0) }) {
                    try await batches.next()
                }
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
        } catch where Task.isCancelled {
            // Replaced by a newer effect of the same slot: whatever failed then (a store may report
            // a cancelled read as an error of its own) is no failure to show.
            return
        } catch {
            switch effect {
            case .replay(let id, _, _), .editAndReplay(let id, _, _): emit(.replayNotSent(id: id, message: "\(error)"))
            default: emit(.failed("\(error)"))
            }
        }
    }

    /// Re-verifies the captures after a secret for `provider` was added or removed: the visible
    /// ones first, so the screen changes at once, then everything else, a batch at a time, each
    /// batch's new verdicts stored together (`reverifiedVerdict` says which change). A capture
    /// without a recognised signature stays unsigned whatever the secrets, so it is not checked.
    /// `report` is called with the count of changed verdicts after the visible ones and at the end.
    func reverifyAll(
        provider: String, visible: [Int64], verify: @Sendable (CapturedRequest) -> SignatureSummary,
        report: (_ changed: Int, _ done: Bool) -> Void
    ) async throws {
        let store = environment.store
        var changed = 0
        func reverify(_ requests: [CapturedRequest]) async throws {
            var updates: [(id: Int64, signature: SignatureSummary)] = []
            for request in requests where request.refusal == nil && request.signature.status != .unsigned {
                if let verdict = Self.reverifiedVerdict(stored: request.signature, fresh: verify(request), provider: provider) {
                    updates.append((request.id, verdict))
                }
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
        report(changed, false)
        let seen = Set(visible)
        for try await batch in store.captureBatches(size: 256) {
            try await reverify(batch.filter { !seen.contains($0.id) })
        }
        report(changed, true)
    }

    /// What the re-verification after a secret for `provider` was added or removed stores in place
    /// of the `stored` verdict, given the `fresh` one; nil keeps the stored verdict. The store may
    /// hold verdicts judged with secrets this session does not have (an earlier `listen`, an
    /// import), so a secret only adds what it shows: only the captures of that provider (or of one
    /// sharing its scheme) change, `no secret` gets a verdict, and `invalid` becomes `valid` when
    /// the secret verifies it. A stored `valid` stays, and so does an `invalid` that the session's
    /// secrets do not verify (its cause, such as an expired timestamp, was found with the secret
    /// that signed it).
    static func reverifiedVerdict(stored: SignatureSummary, fresh: SignatureSummary, provider: String) -> SignatureSummary? {
        guard fresh != stored else { return nil }
        let family = ProviderCatalog.schemeFamily(of: provider)
        let concerned = stored.provider.map(family.contains) == true || fresh.provider.map(family.contains) == true
        guard concerned else { return nil }
        switch stored.status {
        case .valid: return nil
        case .invalid: return fresh.status == .valid ? fresh : nil
        case .noSecret, .unsigned: return fresh.status == .noSecret && stored.status == .noSecret && fresh.provider == stored.provider ? nil : fresh
        }
    }

    /// Lets the user edit a capture as raw HTTP text (request line, headers, blank line, body; the
    /// framing headers are left out and recomputed) and returns the edited copy. Throws
    /// `RequestEditing.Refusal` when the editor failed or nothing was changed: nothing is sent then.
    static func edit(_ original: CapturedRequest, with edit: @Sendable (String) async -> Bool, in directory: String?) async throws -> CapturedRequest {
        let shown = RequestEditing.text(for: original)
        let path = try write(shown, named: "edit-\(original.id)-\(UInt32.random(in: 0...UInt32.max)).http", in: directory)
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard await edit(path) else { throw RequestEditing.Refusal.editorFailed }
        return try RequestEditing.apply(try Data(contentsOf: URL(fileURLWithPath: path)), shown: shown, to: original)
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
