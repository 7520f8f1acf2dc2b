import Foundation
import HookCore
import Synchronization

/// A store that keeps captures in memory only (`--memory`, tests). Honours the same retention cap,
/// and can also cap the bytes it holds (`maxBytes`), dropping the oldest captures first.
public final class InMemoryRequestStore: RequestStore, CallbackInserting {
    private struct State {
        /// The captures in id order from `first` on. A dropped capture's slot is emptied at once
        /// (its memory goes back then), and the empty slots before `first` are removed in one go
        /// once they are half of the array, so dropping one is O(1) amortized.
        var slots: [CapturedRequest?] = []
        var first = 0
        var bytes = 0
        var nextID: Int64 = 1
        var replays: [ReplayAttempt] = []
        var nextReplayID: Int64 = 1
        /// Replay targets used, newest first.
        var replayTargets: [String] = []
        /// The ids of the captures held with each delivery id, in id order: how many there are
        /// numbers the next attempt, as the SQLite store counts them.
        var deliveries: [String: [Int64]] = [:]

        mutating func forgetDelivery(of capture: CapturedRequest) {
            guard let deliveryID = capture.deliveryID, var ids = deliveries[deliveryID] else { return }
            ids.removeAll { $0 == capture.id }
            deliveries[deliveryID] = ids.isEmpty ? nil : ids
        }

        var count: Int { slots.count - first }

        mutating func dropOldest() -> Int64 {
            let dropped = slots[first]!
            slots[first] = nil
            bytes -= InMemoryRequestStore.size(of: dropped)
            forgetDelivery(of: dropped)
            first += 1
            if first >= 1024, first * 2 >= slots.count {
                slots.removeFirst(first)
                first = 0
            }
            return dropped.id
        }

        /// The position in `slots` of capture `id`.
        func index(of id: Int64) -> Int? {
            let index = slots[first...].partitioningIndex { $0!.id >= id }
            return index < slots.count && slots[index]!.id == id ? index : nil
        }
    }

    private let state = Mutex(State())
    private let keep: Int?
    private let maxBytes: Int?
    private let onCommit: (@Sendable ([CapturedRequest]) -> Void)?

    /// - Parameters:
    ///   - keep: keep at most this many captures, dropping the oldest first.
    ///   - maxBytes: keep at most about this many bytes of captures (bodies, headers, responses),
    ///     dropping the oldest first; the newest capture is always kept.
    ///   - onCommit: called with each batch of stored captures, in id order.
    public init(keep: Int? = nil, maxBytes: Int? = nil, onCommit: (@Sendable ([CapturedRequest]) -> Void)? = nil) {
        self.keep = keep
        self.maxBytes = maxBytes
        self.onCommit = onCommit
    }

    /// What a capture is counted as against `maxBytes`: its bytes plus a fixed overhead.
    static func size(of request: CapturedRequest) -> Int {
        var size = 512 + request.body.count + request.response.body.count + request.rawTarget.count
        for header in request.headers { size += header.name.utf8.count + header.rawValue.count + 32 }
        return size
    }

    public func insert(_ request: CapturedRequest) async throws -> CapturedRequest {
        store([request])[0]
    }

    private func store(_ requests: [CapturedRequest]) -> [CapturedRequest] {
        state.withLock { state in
            var stored: [CapturedRequest] = []
            stored.reserveCapacity(requests.count)
            var dropped: [Int64] = []
            for request in requests {
                var copy = request
                copy.id = state.nextID
                state.nextID += 1
                copy.attempt = 1
                if let deliveryID = copy.deliveryID {
                    let held = state.deliveries[deliveryID] ?? []
                    copy.attempt = 1 + held.count
                    if held.count >= DeliveryNumbering.counted, let newest = held.last, let index = state.index(of: newest) {
                        copy.attempt = 1 + (state.slots[index]?.attempt ?? held.count)
                    }
                    state.deliveries[deliveryID, default: []].append(copy.id)
                }
                state.slots.append(copy)
                state.bytes += Self.size(of: copy)
                stored.append(copy)
                while state.count > 1,
                      (keep.map { state.count > $0 } ?? false) || (maxBytes.map { state.bytes > $0 } ?? false) {
                    dropped.append(state.dropOldest())
                }
            }
            if !dropped.isEmpty, !state.replays.isEmpty {
                let gone = Set(dropped)
                state.replays.removeAll { gone.contains($0.requestID) }
            }
            onCommit?(stored)
            return stored
        }
    }

    public func insert(_ request: CapturedRequest, completion: @escaping @Sendable (Result<CapturedRequest, any Error>) -> Void) {
        completion(.success(store([request])[0]))
    }

    public func insert(contentsOf requests: [CapturedRequest], completion: @escaping @Sendable (Result<[CapturedRequest], any Error>) -> Void) {
        completion(.success(store(requests)))
    }

    public func request(id: Int64) async throws -> CapturedRequest? {
        state.withLock { state in
            state.index(of: id).map { state.slots[$0]! }
        }
    }

    public func count() async throws -> Int {
        state.withLock { $0.count }
    }

    public func summaries(offset: Int, limit: Int) async throws -> [RequestSummary] {
        state.withLock { state in
            let start = state.first + max(0, min(offset, state.count))
            let end = min(state.slots.count, start + max(0, limit))
            return state.slots[start..<end].map { $0!.summary }
        }
    }

    public func summaries(afterID: Int64, limit: Int) async throws -> [RequestSummary] {
        try await requests(afterID: afterID, limit: limit).map(\.summary)
    }

    public func requests(afterID: Int64, limit: Int) async throws -> [CapturedRequest] {
        state.withLock { state in
            let start = state.slots[state.first...].partitioningIndex { $0!.id > afterID }
            let end = min(state.slots.count, start + max(0, limit))
            return state.slots[start..<end].map { $0! }
        }
    }

    public func summaries(deliveryID: String, limit: Int) async throws -> [RequestSummary] {
        state.withLock { state in
            (state.deliveries[deliveryID] ?? []).prefix(max(0, limit)).compactMap { id in
                state.index(of: id).map { state.slots[$0]!.summary }
            }
        }
    }

    public func unexplainedIDs(afterID: Int64, limit: Int) async throws -> [Int64] {
        state.withLock { state in
            let start = state.slots[state.first...].partitioningIndex { $0!.id > afterID }
            var ids: [Int64] = []
            for slot in state.slots[start...] where slot!.signature.causeNotLookedFor {
                ids.append(slot!.id)
                if ids.count >= limit { break }
            }
            return ids
        }
    }

    public func updateSignature(id: Int64, _ signature: SignatureSummary) async throws {
        state.withLock { state in
            if let index = state.index(of: id) {
                state.slots[index]!.signature = signature
            }
        }
    }

    public func updateResponse(id: Int64, _ response: CapturedResponse) async throws {
        state.withLock { state in
            if let index = state.index(of: id) {
                state.bytes -= Self.size(of: state.slots[index]!)
                state.slots[index]!.response = response
                state.bytes += Self.size(of: state.slots[index]!)
            }
        }
    }

    public func delete(id: Int64) async throws {
        state.withLock { state in
            if let index = state.index(of: id) {
                state.bytes -= Self.size(of: state.slots[index]!)
                state.forgetDelivery(of: state.slots[index]!)
                state.slots.remove(at: index)
            }
            state.replays.removeAll { $0.requestID == id }
        }
    }

    public func deleteAll() async throws {
        state.withLock { state in
            state.slots.removeAll()
            state.first = 0
            state.bytes = 0
            state.deliveries.removeAll()
            state.replays.removeAll()
        }
    }

    public func addReplay(_ attempt: ReplayAttempt) async throws -> ReplayAttempt {
        state.withLock { state in
            var stored = attempt
            stored.id = state.nextReplayID
            state.nextReplayID += 1
            state.replays.append(stored)
            return stored
        }
    }

    public func replays(ofRequest requestID: Int64) async throws -> [ReplayAttempt] {
        state.withLock { $0.replays.filter { $0.requestID == requestID } }
    }

    public func replays(ofRequests ids: [Int64]) async throws -> [Int64: [ReplayAttempt]] {
        let wanted = Set(ids)
        return state.withLock { Dictionary(grouping: $0.replays.filter { wanted.contains($0.requestID) }, by: \.requestID) }
    }

    public func latestReplays(among ids: [Int64], preferring kind: ReplayKind?) async throws -> [Int64: ReplayOutcome] {
        let wanted = Set(ids)
        return state.withLock { state in
            var outcomes: [Int64: ReplayOutcome] = [:]
            for attempt in state.replays where wanted.contains(attempt.requestID) {
                if let kind, attempt.kind != kind, outcomes[attempt.requestID]?.kind == kind { continue }
                outcomes[attempt.requestID] = ReplayOutcome(attempt)
            }
            return outcomes
        }
    }

    public func replayTargets(limit: Int) async throws -> [String] {
        state.withLock { Array($0.replayTargets.prefix(limit)) }
    }

    public func rememberReplayTarget(_ target: String) async throws {
        state.withLock { state in
            state.replayTargets.removeAll { $0 == target }
            state.replayTargets.insert(target, at: 0)
            state.replayTargets = Array(state.replayTargets.prefix(replayTargetsKept))
        }
    }

    public func latestForwards(among ids: [Int64]) async throws -> [Int64: ReplayOutcome] {
        let wanted = Set(ids)
        return state.withLock { state in
            var outcomes: [Int64: ReplayOutcome] = [:]
            for attempt in state.replays where attempt.kind == .forward && wanted.contains(attempt.requestID) {
                outcomes[attempt.requestID] = ReplayOutcome(attempt)
            }
            return outcomes
        }
    }
}

extension RandomAccessCollection where Index == Int {
    /// The first index whose element satisfies a predicate that is false then true along the
    /// collection (`endIndex` when none does).
    func partitioningIndex(where belongsInSecondPartition: (Element) -> Bool) -> Int {
        var low = startIndex
        var high = endIndex
        while low < high {
            let mid = (low + high) / 2
            if belongsInSecondPartition(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
