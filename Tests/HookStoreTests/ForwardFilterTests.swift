import Foundation
import HookCore
import Testing

@testable import HookStore

/// `forward:N` reads what the `--forward-to` target answered, from the store's replays.
@Suite struct ForwardFilterTests {
    static func attempt(_ id: Int64, kind: ReplayKind, status: Int?) -> ReplayAttempt {
        ReplayAttempt(
            kind: kind, requestID: id, startedAt: CaptureTime(nanosecondsSince1970: 1), targetURL: "http://127.0.0.1:3000/hook",
            resigned: false, changedHeaders: [], response: status.map { CapturedResponse(status: $0) },
            error: status == nil ? "connection refused" : nil, failure: status == nil ? .refused : nil, durationNanoseconds: 1_000)
    }

    @Test(arguments: StoreKind.tested)
    func forwardFiltersMatchTheForwardTargetsAnswer(kind: StoreKind) async throws {
        let store = try await kind.make()
        for n in 1...5 { _ = try await store.insert(sampleRequest(n)) }
        _ = try await store.addReplay(Self.attempt(1, kind: .forward, status: 502))
        _ = try await store.addReplay(Self.attempt(2, kind: .forward, status: 200))
        // A replay made later by hand does not hide the forward's answer.
        _ = try await store.addReplay(Self.attempt(2, kind: .replay, status: 503))
        _ = try await store.addReplay(Self.attempt(3, kind: .forward, status: nil))
        _ = try await store.addReplay(Self.attempt(4, kind: .replay, status: 500))

        let forwards = try await store.latestForwards(among: [1, 2, 3, 4, 5])
        #expect(forwards.keys.sorted() == [1, 2, 3])
        #expect(forwards[1]?.status == 502)
        #expect(forwards[2]?.status == 200)
        #expect(forwards[3]?.status == nil)
        #expect(forwards[3]?.failure == .refused)
        func ids(_ text: String) async throws -> [Int64] {
            var found: [Int64] = []
            for try await batch in store.captureBatches(matching: try RequestFilter.parse(text), size: 2) { found += batch.map(\.id) }
            return found
        }
        #expect(try await ids("forward:5xx") == [1])
        #expect(try await ids("forward:200") == [2])
        #expect(try await ids("-forward:2xx") == [1, 3, 4, 5])
        #expect(try await ids("forward:5xx method:PUT") == [1])
    }
}
