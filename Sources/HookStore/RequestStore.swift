import Foundation
import HookCore

/// Where captures live. The listener, the TUI and the CLI speak only to this protocol.
public protocol RequestStore: Sendable {
    /// Stores a capture durably and returns it with its id. Returns only once the capture is committed.
    func insert(_ request: CapturedRequest) async throws -> CapturedRequest
    /// One capture with its headers and body, or nil when there is no such id.
    func request(id: Int64) async throws -> CapturedRequest?
    /// How many captures the store holds.
    func count() async throws -> Int
    /// Summaries in id order, starting at the `offset`-th oldest capture: the virtualized list reads windows of this.
    func summaries(offset: Int, limit: Int) async throws -> [RequestSummary]
    /// Summaries with an id greater than `afterID`, oldest first: how a live view catches up.
    func summaries(afterID: Int64, limit: Int) async throws -> [RequestSummary]
    /// Whole captures with an id greater than `afterID`, oldest first, in batches: for scans (filter, export, re-verify).
    func requests(afterID: Int64, limit: Int) async throws -> [CapturedRequest]
    /// The captures `filter` matches above `afterID`, oldest first, one page at a time: at most
    /// `limit` matches, with how far the search got (`FilterPage.through`). The SQLite store asks
    /// its indexes for the terms on columns and its text index for words, and decides what they
    /// cannot (header and forward terms, text in rows not indexed yet) with `RequestFilter`'s
    /// matcher over the narrowed candidates; the answers are the matcher's over every capture.
    /// `whole` also returns the matching captures whole (headers and body).
    func filterPage(_ filter: RequestFilter, after afterID: Int64, limit: Int, whole: Bool) async throws -> FilterPage
    /// Replaces the stored signature verdict (after a secret changed).
    func updateSignature(id: Int64, _ signature: SignatureSummary) async throws
    /// Replaces several verdicts at once (one transaction in the SQLite store).
    func updateSignatures(_ updates: [(id: Int64, signature: SignatureSummary)]) async throws
    /// Replaces the stored answer the sender got (`--proxy-response`: the forward target's, known
    /// only after the capture was committed); no error when the capture does not exist.
    func updateResponse(id: Int64, _ response: CapturedResponse) async throws
    /// Ids above `afterID`, oldest first, of the captures whose stored verdict lacks its cause
    /// (`SignatureSummary.causeNotLookedFor`): what `SignatureCatchUp` explains later. The SQLite
    /// store keeps these ids in a table of their own, so it finds them at any age and after a restart.
    func unexplainedIDs(afterID: Int64, limit: Int) async throws -> [Int64]
    /// Removes one capture; no error when it does not exist.
    func delete(id: Int64) async throws
    /// Removes every capture.
    func deleteAll() async throws
    /// As `deleteAll()`, telling `progress` how many were deleted so far (stores that delete in
    /// batches call it after each).
    func deleteAll(progress: @Sendable (Int) -> Void) async throws
    /// Stores one replay of a capture; returns it with its id.
    func addReplay(_ attempt: ReplayAttempt) async throws -> ReplayAttempt
    /// The replays of one capture, oldest first.
    func replays(ofRequest requestID: Int64) async throws -> [ReplayAttempt]
    /// The replays of each capture among `ids` that has any, oldest first (exports list them).
    func replays(ofRequests ids: [Int64]) async throws -> [Int64: [ReplayAttempt]]
    /// The newest replay (or forward) of each capture among `ids` that has one; the list shows these.
    /// With `kind`, the newest attempt of that kind where a capture has one (the FORWARD column
    /// shows the forward's answer, not a replay made since).
    func latestReplays(among ids: [Int64], preferring kind: ReplayKind?) async throws -> [Int64: ReplayOutcome]
    /// The replay targets used, newest first, at most `limit` (the replay prompt's history).
    func replayTargets(limit: Int) async throws -> [String]
    /// Notes `target` as the replay target used last; the store keeps the newest `replayTargetsKept`.
    func rememberReplayTarget(_ target: String) async throws
    /// The newest forward (`--forward-to`) of each capture among `ids` that has one: what the
    /// filter's `forward:` terms look at (a replay made later does not hide it).
    func latestForwards(among ids: [Int64]) async throws -> [Int64: ReplayOutcome]
    /// The captures of one delivery (`CapturedRequest.deliveryID`), oldest first, at most `limit`:
    /// its attempts, as the detail lists them.
    func summaries(deliveryID: String, limit: Int) async throws -> [RequestSummary]
    /// Whole captures above `afterID`, oldest first, whose event and delivery id were never read
    /// (stored before hookscope read them): what `DeliveryCatchUp` reads them for.
    func unidentifiedRequests(afterID: Int64, limit: Int) async throws -> [CapturedRequest]
    /// Stores the event and delivery id read for such captures, and numbers the attempts of each
    /// delivery id again in id order.
    func setIdentities(_ identities: [(id: Int64, event: String?, deliveryID: String?)]) async throws
}

/// How many replay targets a store remembers.
public let replayTargetsKept = 20

extension RequestStore {
    /// The newest replay or forward of each capture among `ids` that has one, of any kind.
    public func latestReplays(among ids: [Int64]) async throws -> [Int64: ReplayOutcome] {
        try await latestReplays(among: ids, preferring: nil)
    }

    public func latestForwards(among ids: [Int64]) async throws -> [Int64: ReplayOutcome] {
        var outcomes: [Int64: ReplayOutcome] = [:]
        for id in ids {
            if let forward = try await replays(ofRequest: id).last(where: { $0.kind == .forward }) {
                outcomes[id] = ReplayOutcome(forward)
            }
        }
        return outcomes
    }

    /// The id of the newest capture, 0 in an empty store.
    public func newestID() async throws -> Int64 {
        let total = try await count()
        guard total > 0 else { return 0 }
        return try await summaries(offset: total - 1, limit: 1).last?.id ?? 0
    }

    /// In one step: stores in memory delete everything at once.
    public func deleteAll(progress: @Sendable (Int) -> Void) async throws {
        try await deleteAll()
    }

    /// For stores that keep answers as they were committed (test stand-ins): says so.
    public func updateResponse(id: Int64, _ response: CapturedResponse) async throws {
        throw StoreError("this store cannot replace a capture's answer")
    }

    public func updateSignatures(_ updates: [(id: Int64, signature: SignatureSummary)]) async throws {
        for update in updates { try await updateSignature(id: update.id, update.signature) }
    }

    /// By a scan of every capture (test stand-ins).
    public func summaries(deliveryID: String, limit: Int) async throws -> [RequestSummary] {
        var found: [RequestSummary] = []
        var after: Int64 = 0
        while found.count < limit {
            let batch = try await summaries(afterID: after, limit: 1000)
            guard let last = batch.last else { break }
            found += batch.filter { $0.deliveryID == deliveryID }
            after = last.id
        }
        return Array(found.prefix(limit))
    }

    /// None: stores that read every capture's identity before it is inserted.
    public func unidentifiedRequests(afterID: Int64, limit: Int) async throws -> [CapturedRequest] { [] }

    public func setIdentities(_ identities: [(id: Int64, event: String?, deliveryID: String?)]) async throws {}
}

/// A store error with a message meant for the user.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A store that can also take a capture without an async call, completing on its own thread:
/// the listener uses it to avoid a task hop per request.
public protocol CallbackInserting: Sendable {
    func insert(_ request: CapturedRequest, completion: @escaping @Sendable (Result<CapturedRequest, any Error>) -> Void)
    /// Several captures in one hand-off (the listener gathers those one event loop finished in one
    /// tick): `completion` runs once, with all of them stored, in order, or with the error.
    func insert(contentsOf requests: [CapturedRequest], completion: @escaping @Sendable (Result<[CapturedRequest], any Error>) -> Void)
}

/// A store that commands can name in their messages: an SQLite file's path, or a PostgreSQL URL
/// without its password.
public protocol NamedRequestStore: RequestStore {
    var displayName: String { get }
}

/// How a store numbers a delivery's attempts: 1 + the captures of its delivery id it holds, counted
/// up to `counted` (more than any provider retries); from there on 1 + the newest held one's
/// number (the same unless some of those were deleted). Counting every one made a flood of one
/// delivery id quadratic: 760 captures/s at 42,000 attempts of one event, against 17,000 with an
/// id each (release build, bench/capture-throughput.sh with and without DISTINCT_IDS=1).
public enum DeliveryNumbering {
    public static let counted = 100
}
