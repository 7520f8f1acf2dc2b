import Foundation
import HookCore
import HookPostgres
import HookStore
import HookTestSupport
import Testing

/// LISTEN/NOTIFY: a follower hears what another store (another process) commits, each kind of
/// change as it is committed, and says when it lost the server and when it follows again.
@Suite struct PostgresStoreFollowerTests {
    /// The changes heard, in order; `next()` waits for one (ten seconds at most).
    final class Heard: Sendable {
        let stream: AsyncStream<PostgresStoreFollower.Change>
        let continuation: AsyncStream<PostgresStoreFollower.Change>.Continuation
        init() { (stream, continuation) = AsyncStream.makeStream(of: PostgresStoreFollower.Change.self) }

        func next(_ iterator: inout AsyncStream<PostgresStoreFollower.Change>.Iterator) async -> PostgresStoreFollower.Change? {
            let timeout = Task { [continuation] in
                try await Task.sleep(for: .seconds(10))
                continuation.finish()
            }
            defer { timeout.cancel() }
            return await iterator.next()
        }
    }

    @Test(.enabled(if: TestPostgresServer.wanted))
    func eachKindOfChangeIsHeardInCommitOrder() async throws {
        let url = try PostgresURL.parse(try TestPostgresServer.freshSchemaURL())
        // `keep` that prunes nothing yet: its commits delete no row, and must not say "deleted".
        let writer = try await PostgresRequestStore.open(url, keep: 100)
        let heard = Heard()
        let follower = try await PostgresStoreFollower.start(url) { heard.continuation.yield($0) }
        defer { follower.stop() }
        var changes = heard.stream.makeAsyncIterator()

        let first = try await writer.insert(sampleRequest(1))
        #expect(await heard.next(&changes) == .captures)
        try await writer.updateSignature(id: first.id, SignatureSummary(provider: "stripe", status: .valid, detail: "checked"))
        #expect(await heard.next(&changes) == .store(.updated))
        _ = try await writer.addReplay(ReplayAttempt(
            requestID: first.id, startedAt: CaptureTime.now(), targetURL: "http://127.0.0.1:9/x", resigned: false, changedHeaders: [],
            response: nil, error: "refused", failure: .other, durationNanoseconds: 1))
        #expect(await heard.next(&changes) == .store(.updated))
        // An update of an id that is gone changes no row: nothing to hear, so the next is the delete's.
        try await writer.updateSignature(id: 999, SignatureSummary(provider: "stripe", status: .valid, detail: "checked"))
        try await writer.delete(id: first.id)
        #expect(await heard.next(&changes) == .store(.deleted))
        await writer.close()
    }

    /// Cut from the server, the follower says so, and once the server is reachable again it follows
    /// again and asks for everything to be read anew (what was committed meanwhile was not heard).
    @Test(.enabled(if: TestPostgresServer.wanted))
    func aLostConnectionIsSaidAndFollowingResumes() async throws {
        let direct = try TestPostgresServer.freshSchemaURL()
        let relay = try TCPRelay(to: TestPostgresServer.port(of: direct))
        defer { relay.stop() }
        let writer = try await PostgresRequestStore.open(try PostgresURL.parse(direct))
        let heard = Heard()
        let follower = try await PostgresStoreFollower.start(try PostgresURL.parse(TestPostgresServer.url(direct, throughPort: relay.port))) {
            heard.continuation.yield($0)
        }
        defer { follower.stop() }
        var changes = heard.stream.makeAsyncIterator()

        relay.cut()
        guard case .store(.lost(let reason))? = await heard.next(&changes) else {
            Issue.record("the lost connection was not said")
            return
        }
        #expect(reason.contains("127.0.0.1:\(relay.port)") && !reason.contains("hookscope-test"), "\(reason)")
        // Committed while the follower is cut off: not heard, but read after it resumes.
        _ = try await writer.insert(sampleRequest(1))
        relay.restore()
        #expect(await heard.next(&changes) == .store(.resumed))
        #expect(await heard.next(&changes) == .captures)
        #expect(await heard.next(&changes) == .store(.deleted))
        _ = try await writer.insert(sampleRequest(2))
        #expect(await heard.next(&changes) == .captures)
        await writer.close()
    }

    /// Starting on a server that cannot be reached fails at once, naming the store without its password.
    @Test(.enabled(if: TestPostgresServer.wanted))
    func anUnreachableServerFailsTheStart() async throws {
        let direct = try TestPostgresServer.freshSchemaURL()
        let relay = try TCPRelay(to: TestPostgresServer.port(of: direct))
        relay.cut()
        defer { relay.stop() }
        let url = try PostgresURL.parse(TestPostgresServer.url(direct, throughPort: relay.port))
        do {
            _ = try await PostgresStoreFollower.start(url) { _ in }
            Issue.record("started on an unreachable server")
        } catch {
            #expect("\(error)".contains("cannot follow the capture database"), "\(error)")
            #expect(!"\(error)".contains("hookscope-test"), "\(error)")
        }
    }
}
