import Foundation
import HookCore
import Synchronization

/// A store that keeps captures in memory only (`--memory`, tests). Honours the same retention cap.
public final class InMemoryRequestStore: RequestStore, CallbackInserting {
    private struct State {
        var requests: [CapturedRequest] = []  // id order
        var nextID: Int64 = 1
        var replays: [ReplayAttempt] = []
        var nextReplayID: Int64 = 1
    }

    private let state = Mutex(State())
    private let keep: Int?
    private let onCommit: (@Sendable ([CapturedRequest]) -> Void)?

    /// - Parameters:
    ///   - keep: keep at most this many captures, dropping the oldest first.
    ///   - onCommit: called with each stored capture, in id order.
    public init(keep: Int? = nil, onCommit: (@Sendable ([CapturedRequest]) -> Void)? = nil) {
        self.keep = keep
        self.onCommit = onCommit
    }

    public func insert(_ request: CapturedRequest) async throws -> CapturedRequest {
        insertNow(request)
    }

    private func insertNow(_ request: CapturedRequest) -> CapturedRequest {
        state.withLock { state in
            var stored = request
            stored.id = state.nextID
            state.nextID += 1
            state.requests.append(stored)
            if let keep, state.requests.count > keep {
                let dropped = Set(state.requests.prefix(state.requests.count - keep).map(\.id))
                state.requests.removeFirst(state.requests.count - keep)
                state.replays.removeAll { dropped.contains($0.requestID) }
            }
            onCommit?([stored])
            return stored
        }
    }

    public func insert(_ request: CapturedRequest, completion: @escaping @Sendable (Result<CapturedRequest, any Error>) -> Void) {
        completion(.success(insertNow(request)))
    }

    public func insert(contentsOf requests: [CapturedRequest], completion: @escaping @Sendable (Result<[CapturedRequest], any Error>) -> Void) {
        completion(.success(requests.map(insertNow)))
    }

    public func request(id: Int64) async throws -> CapturedRequest? {
        state.withLock { state in
            Self.index(of: id, in: state.requests).map { state.requests[$0] }
        }
    }

    public func count() async throws -> Int {
        state.withLock { $0.requests.count }
    }

    public func summaries(offset: Int, limit: Int) async throws -> [RequestSummary] {
        state.withLock { state in
            let start = max(0, min(offset, state.requests.count))
            let end = min(state.requests.count, start + max(0, limit))
            return state.requests[start..<end].map(\.summary)
        }
    }

    public func summaries(afterID: Int64, limit: Int) async throws -> [RequestSummary] {
        try await requests(afterID: afterID, limit: limit).map(\.summary)
    }

    public func requests(afterID: Int64, limit: Int) async throws -> [CapturedRequest] {
        state.withLock { state in
            let start = state.requests.partitioningIndex { $0.id > afterID }
            let end = min(state.requests.count, start + max(0, limit))
            return Array(state.requests[start..<end])
        }
    }

    public func updateSignature(id: Int64, _ signature: SignatureSummary) async throws {
        state.withLock { state in
            if let index = Self.index(of: id, in: state.requests) {
                state.requests[index].signature = signature
            }
        }
    }

    public func delete(id: Int64) async throws {
        state.withLock { state in
            if let index = Self.index(of: id, in: state.requests) {
                state.requests.remove(at: index)
            }
            state.replays.removeAll { $0.requestID == id }
        }
    }

    public func deleteAll() async throws {
        state.withLock { state in
            state.requests.removeAll()
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

    public func latestReplays(among ids: [Int64]) async throws -> [Int64: ReplayOutcome] {
        let wanted = Set(ids)
        return state.withLock { state in
            var outcomes: [Int64: ReplayOutcome] = [:]
            for attempt in state.replays where wanted.contains(attempt.requestID) {
                outcomes[attempt.requestID] = ReplayOutcome(attempt)
            }
            return outcomes
        }
    }

    private static func index(of id: Int64, in requests: [CapturedRequest]) -> Int? {
        let index = requests.partitioningIndex { $0.id >= id }
        return index < requests.count && requests[index].id == id ? index : nil
    }
}

extension Array {
    /// The first index whose element satisfies a predicate that is false then true along the array.
    func partitioningIndex(where belongsInSecondPartition: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if belongsInSecondPartition(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
