import Foundation
import HookCore
import HookPostgres
import HookStore
import HookTestSupport
import Synchronization
import Testing

/// `import --db postgres://…`: all or nothing, while a listener writes to the same database.
@Suite struct PostgresImportTests {
    /// A listener's stand-in: one capture at a time into `store` until stopped; the ids it was given.
    final class Writer: Sendable {
        private final class State: Sendable {
            let ids = Mutex<[Int64]>([])
            let stopped = Atomic<Bool>(false)
        }
        private let state = State()
        private let task: Task<Void, any Error>

        init(_ store: PostgresRequestStore) {
            let state = state
            task = Task {
                var n = 0
                while !state.stopped.load(ordering: .relaxed) {
                    let stored = try await store.insert(sampleCapture(rawTarget: Array("/listener/\(n)".utf8)))
                    state.ids.withLock { $0.append(stored.id) }
                    n += 1
                }
            }
        }

        var count: Int { state.ids.withLock { $0.count } }

        /// Waits until it stored `count` more captures (or 20 s passed).
        func waitFor(_ more: Int) async throws {
            let target = count + more
            let deadline = ContinuousClock.now + .seconds(20)
            while count < target, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            #expect(count >= target, "the writer stored \(count), not \(target)")
        }

        func stop() async throws -> [Int64] {
            state.stopped.store(true, ordering: .relaxed)
            try await task.value
            return state.ids.withLock { $0 }
        }
    }

    func imported(_ n: Int, deliveryID: String? = nil, signature: SignatureSummary = .unsigned) -> CapturedRequest {
        var capture = sampleCapture(rawTarget: Array("/imported/\(n)".utf8), body: Data("body \(n) \u{0}\u{1}\u{FF}".utf8), signature: signature)
        capture.deliveryID = deliveryID
        capture.event = deliveryID.map { _ in "push" }
        capture.attempt = 9  // the store numbers attempts
        return capture
    }

    func targets(_ store: PostgresRequestStore) async throws -> [(id: Int64, target: String, attempt: Int)] {
        try await store.summaries(afterID: 0, limit: 100_000).map { ($0.id, String(decoding: $0.rawTarget, as: UTF8.self), $0.attempt) }
    }

    /// Staged batches are not in the store until `finish`; then all of them are, with consecutive
    /// ids above the listener's (whose captures all stay), attempts numbered by the store, and the
    /// verdicts without their cause listed for the catch-up.
    @Test(.enabled(if: TestPostgresServer.wanted))
    func anImportJoinsTheStoreAtOnceWhileAListenerWrites() async throws {
        let url = try PostgresURL.parse(try TestPostgresServer.freshSchemaURL())
        let store = try await PostgresRequestStore.open(url)
        var earlier = sampleCapture(rawTarget: Array("/earlier".utf8))
        earlier.deliveryID = "d1"
        _ = try await store.insert(earlier)
        let writer = Writer(store)
        try await writer.waitFor(5)

        let unexplained = SignatureSummary(provider: "stripe", status: .invalid, detail: "mismatch", diagnosis: .skipped)
        var captures = (0..<1_200).map { imported($0) }
        captures[0] = imported(0, deliveryID: "d1")
        captures[1] = imported(1, deliveryID: "d2")
        captures[2] = imported(2, deliveryID: "d1")
        captures[700] = imported(700, signature: unexplained)
        let importing = PostgresImport(url: url)
        for start in stride(from: 0, to: captures.count, by: 500) {
            try await importing.add(Array(captures[start..<min(captures.count, start + 500)]))
            try await writer.waitFor(3)
        }
        #expect(try await targets(store).allSatisfy { !$0.target.hasPrefix("/imported/") }, "staged captures are visible before finish")
        try await importing.finish()
        try await writer.waitFor(3)
        let listenerIDs = try await writer.stop()

        #expect(importing.added.count == 1)
        let range = try #require(importing.added.first)
        #expect(range.count == captures.count)
        let rows = try await targets(store)
        #expect(Set(rows.map(\.id)).count == rows.count)
        #expect(rows.count == 1 + listenerIDs.count + captures.count)
        // Every listener capture stayed, once; the imported ones are in file order.
        #expect(Set(rows.filter { $0.target.hasPrefix("/listener/") }.map(\.id)) == Set(listenerIDs))
        let importedRows = rows.filter { $0.target.hasPrefix("/imported/") }
        #expect(importedRows.map(\.id) == Array(range))
        #expect(importedRows.map(\.target) == (0..<captures.count).map { "/imported/\($0)" })
        #expect(importedRows.prefix(4).map(\.attempt) == [2, 1, 3, 1])
        #expect(try await store.unexplainedIDs(afterID: 0, limit: 10) == [range.lowerBound + 700])
        // Byte for byte.
        let stored = try #require(try await store.request(id: range.lowerBound + 5))
        var expected = captures[5]
        expected.id = stored.id
        expected.attempt = 1
        #expect(stored == expected)
        await store.close()
    }

    /// Rolled back after some batches were staged (a bad entry further on), the import leaves the
    /// store as it was and the listener's captures in it; the next import goes on from there.
    @Test(.enabled(if: TestPostgresServer.wanted))
    func aRolledBackImportLeavesTheStoreAsItWas() async throws {
        let url = try PostgresURL.parse(try TestPostgresServer.freshSchemaURL())
        let store = try await PostgresRequestStore.open(url)
        let writer = Writer(store)
        try await writer.waitFor(3)
        let importing = PostgresImport(url: url)
        try await importing.add((0..<500).map { imported($0) })
        try await importing.add((500..<600).map { imported($0) })
        try await writer.waitFor(3)
        await importing.rollBack()
        #expect(importing.added.isEmpty)
        let again = PostgresImport(url: url)
        try await again.add((0..<10).map { imported($0) })
        try await again.finish()
        let listenerIDs = try await writer.stop()

        let rows = try await targets(store)
        #expect(Set(rows.map(\.id)).count == rows.count)
        #expect(Set(rows.filter { $0.target.hasPrefix("/listener/") }.map(\.id)) == Set(listenerIDs))
        #expect(rows.filter { $0.target.hasPrefix("/imported/") }.map(\.target) == (0..<10).map { "/imported/\($0)" })
        #expect(rows.count == listenerIDs.count + 10)
        #expect(try await store.count() == rows.count)
        await store.close()
    }

    /// The connection lost before the import's transaction: it fails, and nothing of it is stored.
    @Test(.enabled(if: TestPostgresServer.wanted))
    func aFailedWriteImportsNothing() async throws {
        let direct = try TestPostgresServer.freshSchemaURL()
        let store = try await PostgresRequestStore.open(try PostgresURL.parse(direct))
        _ = try await store.insert(sampleCapture())
        let relay = try TCPRelay(to: TestPostgresServer.port(of: direct))
        defer { relay.stop() }
        let importing = PostgresImport(url: try PostgresURL.parse(TestPostgresServer.url(direct, throughPort: relay.port)))
        try await importing.add((0..<500).map { imported($0) })
        relay.cut()
        await #expect(throws: StoreError.self) { try await importing.finish() }
        await importing.rollBack()
        #expect(try await store.count() == 1)
        #expect(try await targets(store).map(\.target) == ["/hook"])
        await store.close()
    }
}
