import Foundation
import HookCore
import HookStore
import Testing
import TermUI
@testable import HookApp

@Suite struct ScaleTests {
    /// A store that pretends to hold a million captures, built on demand, and counts what is read.
    final class MillionStore: RequestStore, @unchecked Sendable {
        let total = 1_000_000
        let lock = NSLock()
        var summariesRead = 0

        func make(_ id: Int64) -> CapturedRequest {
            var r = Sample.request("/r/\(id)", second: id)
            r.id = id
            return r
        }
        func insert(_ request: CapturedRequest) async throws -> CapturedRequest { request }
        func request(id: Int64) async throws -> CapturedRequest? { id >= 1 && id <= Int64(total) ? make(id) : nil }
        func count() async throws -> Int { total }
        func summaries(offset: Int, limit: Int) async throws -> [RequestSummary] {
            let range = max(0, offset)..<min(total, offset + limit)
            lock.withLock { summariesRead += range.count }
            return range.map { make(Int64($0 + 1)).summary }
        }
        func summaries(afterID: Int64, limit: Int) async throws -> [RequestSummary] { [] }
        func requests(afterID: Int64, limit: Int) async throws -> [CapturedRequest] { [] }
        func updateSignature(id: Int64, _ signature: SignatureSummary) async throws {}
        func unexplainedIDs(afterID: Int64, limit: Int) async throws -> [Int64] { [] }
        func delete(id: Int64) async throws {}
        func deleteAll() async throws {}
        func addReplay(_ attempt: ReplayAttempt) async throws -> ReplayAttempt { attempt }
        func replays(ofRequest requestID: Int64) async throws -> [ReplayAttempt] { [] }
        func replays(ofRequests ids: [Int64]) async throws -> [Int64: [ReplayAttempt]] { [:] }
        func latestReplays(among ids: [Int64], preferring kind: ReplayKind?) async throws -> [Int64: ReplayOutcome] { [:] }
        func replayTargets(limit: Int) async throws -> [String] { [] }
        func rememberReplayTarget(_ target: String) async throws {}
    }

    @Test func millionCapturesLoadOnlyTheVisibleWindow() async throws {
        let store = MillionStore()
        var h = await AppHarness(store: store)
        #expect(h.state.list.selected == 999_999)
        #expect(h.screenText().contains("/r/1000000"))
        await h.type("g")
        #expect(h.screenText().contains("/r/1 "))
        await h.type("<pgdn><pgdn>")
        #expect(h.state.list.selected == 2 * (h.state.layout.listRows - 1))
        #expect(store.lock.withLock { store.summariesRead } < 1000)
    }
}
