import Foundation
import HookCore
import HookPostgres
import HookStore
import HookTestSupport
import Testing

/// What only the PostgreSQL store has: a server that can go away and come back.
@Suite struct PostgresStoreTests {
    /// Cut from its server, the store fails captures as unavailable (the listener's 503), then finds
    /// the server again by itself: reads at once, captures once the reconnect wait is over.
    @Test(.enabled(if: TestPostgresServer.wanted))
    func theStoreReconnectsAfterTheServerWentAway() async throws {
        let url = try TestPostgresServer.freshSchemaURL()
        let relay = try TCPRelay(to: TestPostgresServer.port(of: url))
        defer { relay.stop() }
        let store = try await PostgresRequestStore.open(try PostgresURL.parse(TestPostgresServer.url(url, throughPort: relay.port)))
        let first = try await store.insert(sampleRequest(1))
        #expect(try await store.count() == 1)

        relay.cut()
        await #expect(throws: StoreUnavailableError.self) { try await store.insert(sampleRequest(2)) }
        relay.restore()
        // The readers' connection was lost: a read makes a new one within the same call.
        #expect(try await store.request(id: first.id) == first)
        var stored: CapturedRequest?
        let deadline = ContinuousClock.now + .seconds(15)
        while stored == nil, ContinuousClock.now < deadline {
            do {
                stored = try await store.insert(sampleRequest(3))
            } catch is StoreUnavailableError {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let again = try #require(stored, "no capture stored within 15 s of the server coming back")
        #expect(try await store.request(id: again.id) == again)
        #expect(try await store.count() == 2)
        await store.close()
    }

    /// A read whose task was cancelled (a TUI effect replaced by a newer one) ends as cancelled, not
    /// as a store failure the TUI would show ("cannot read the capture database: CancellationError()").
    @Test(.enabled(if: TestPostgresServer.wanted))
    func aCancelledReadIsACancellationNotAFailure() async throws {
        let store = try await TestPostgres.open()
        _ = try await store.insert(sampleRequest(1))
        let read = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await store.summaries(offset: 0, limit: 10)
        }
        do {
            _ = try await read.value
            Issue.record("the cancelled read returned rows")
        } catch {
            #expect(error is CancellationError, "\(error)")
        }
        // The reader's connection still serves.
        #expect(try await store.summaries(offset: 0, limit: 10).count == 1)
        await store.close()
    }
}
