import Foundation
import Synchronization
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

    /// A read or write whose task was cancelled (a TUI effect replaced by a newer one) is never a
    /// store failure the TUI would show ("cannot read the capture database: CancellationError()"):
    /// it completes, or ends as cancelled. A cancelled write is whole or not at all, and leaves its
    /// connection out of any transaction, so the next writes are their own.
    @Test(.enabled(if: TestPostgresServer.wanted))
    func aCancelledReadOrWriteIsNoFailureAndLeavesNothingHalfDone() async throws {
        let store = try await TestPostgres.open()
        let first = try await store.insert(sampleRequest(1))
        let second = try await store.insert(sampleRequest(2))
        let read = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await store.summaries(offset: 0, limit: 10)
        }
        do {
            #expect(try await read.value.count == 2)
        } catch {
            #expect(error is CancellationError, "\(error)")
        }
        let write = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await store.updateSignatures([
                (first.id, SignatureSummary(provider: "stripe", status: .valid, detail: "checked")),
                (second.id, SignatureSummary(provider: "stripe", status: .valid, detail: "checked")),
            ])
        }
        do {
            try await write.value
        } catch {
            #expect(error is CancellationError, "\(error)")
        }
        let verdicts = try await store.summaries(offset: 0, limit: 10).map(\.signature.status)
        #expect(verdicts == [.valid, .valid] || verdicts == [.invalid, .invalid], "half a write: \(verdicts)")
        // The next write is a transaction of its own, committed.
        try await store.delete(id: first.id)
        #expect(try await store.summaries(offset: 0, limit: 10).map(\.id) == [second.id])
        await store.close()
    }

    /// `psql` on the test server (the URL without `?schema=…`, which psql does not know); its output.
    func psql(_ sql: String, applicationName: String = "hookscope-test") async throws -> String {
        let base = try #require(TestPostgresServer.url)
        let url = String(base.prefix { $0 != "?" })
        let psql = try #require(["/usr/bin/psql", "/usr/local/bin/psql"].first { FileManager.default.isExecutableFile(atPath: $0) }, "needs psql")
        return try await onOwnThread { () -> Result<String, any Error> in
            Result {
                let process = ChildProcess()
                process.executableURL = URL(fileURLWithPath: psql)
                process.arguments = ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", url, "-c", sql]
                process.environment = ProcessInfo.processInfo.environment.merging(["PGAPPNAME": applicationName]) { $1 }
                let output = Pipe()
                process.standardOutput = output
                process.standardError = FileHandle.nullDevice
                try process.run()
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }.get()
    }

    /// The server ending the connection under a commit (as a fast shutdown does: `FATAL 57P01`,
    /// then the socket closes): the capture fails as unavailable (the listener's 503) instead of
    /// waiting for ever, and the next one is stored on a new connection. The commit is held at its
    /// advisory lock by another session, and its backend terminated there.
    @Test(.enabled(if: TestPostgresServer.wanted))
    func aConnectionEndedUnderACommitFailsTheCaptureInsteadOfHanging() async throws {
        let url = try TestPostgresServer.freshSchemaURL()
        let schemaStart = try #require(url.range(of: "schema=")).upperBound
        let schema = String(url[schemaStart...].prefix { $0 != "&" })
        let store = try await PostgresRequestStore.open(try PostgresURL.parse(url))
        _ = try await store.insert(sampleRequest(1))

        let holderName = "hookscope-test-holder-" + schema
        let holder = Task {
            try await psql("SELECT pg_advisory_lock(hashtext('hookscope'), hashtext('\(schema)')), pg_sleep(60)", applicationName: holderName)
        }
        defer { holder.cancel() }
        func waitFor(_ what: String, _ condition: () async throws -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(15)
            while try await !condition() {
                guard ContinuousClock.now < deadline else { throw TestPostgresError("\(what) within 15 s") }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let holding = "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = '\(holderName)' AND l.locktype = 'advisory' AND l.granted"
        try await waitFor("no lock held") { try await psql(holding) == "1" }

        let result = Mutex<Result<CapturedRequest, any Error>?>(nil)
        store.insert(sampleRequest(2)) { outcome in result.withLock { $0 = outcome } }
        let waiting = """
            SELECT w.pid FROM pg_locks w JOIN pg_locks h ON h.locktype = 'advisory' AND h.granted AND w.classid = h.classid
                AND w.objid = h.objid AND w.objsubid = h.objsubid JOIN pg_stat_activity a ON a.pid = h.pid
            WHERE a.application_name = '\(holderName)' AND w.locktype = 'advisory' AND NOT w.granted
            """
        var commitBackend = ""
        try await waitFor("the commit never waited for the lock") {
            commitBackend = try await psql(waiting)
            return !commitBackend.isEmpty
        }
        #expect(try await psql("SELECT pg_terminate_backend(\(commitBackend))") == "t")
        try await waitFor("the capture was neither stored nor failed") { result.withLock { $0 != nil } }
        #expect(throws: StoreUnavailableError.self) { try result.withLock { $0 }?.get() }

        _ = try await psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '\(holderName)'")
        var stored: CapturedRequest?
        try await waitFor("no capture stored again") {
            stored = try? await store.insert(sampleRequest(3))
            return stored != nil
        }
        #expect(try await store.count() == 2)
        await store.close()
    }

    /// The server ending the writer's connection again and again under load (`pg_terminate_backend`
    /// of the session holding the store's advisory lock, as a fast shutdown would end it): every
    /// capture handed over is stored or failed within seconds, none waits for ever.
    @Test(.enabled(if: TestPostgresServer.wanted))
    func capturesNeverWaitForEverWhenTheServerEndsTheConnection() async throws {
        let url = try TestPostgresServer.freshSchemaURL()
        let schemaStart = try #require(url.range(of: "schema=")).upperBound
        let schema = String(url[schemaStart...].prefix { $0 != "&" })
        let store = try await PostgresRequestStore.open(try PostgresURL.parse(url))
        final class Counts: Sendable {
            let handed = Atomic<Int>(0)
            let answered = Atomic<Int>(0)
            let stop = Atomic<Bool>(false)
        }
        let counts = Counts()
        // Four senders, each with one capture in flight at a time, as keep-alive connections are.
        let senders = (0..<4).map { sender in
            Task {
                var n = 0
                while !counts.stop.load(ordering: .relaxed) {
                    counts.handed.add(1, ordering: .relaxed)
                    _ = try? await store.insert(sampleRequest(sender * 1_000_000 + n))
                    counts.answered.add(1, ordering: .relaxed)
                    n += 1
                }
            }
        }
        let holder = """
            SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted
                AND classid = hashtext('hookscope')::oid AND objid = hashtext('\(schema)')::oid
            """
        var terminated = 0
        for _ in 0..<40 {
            if try await psql(holder) == "t" { terminated += 1 }
            try await Task.sleep(for: .milliseconds(30))
        }
        counts.stop.store(true, ordering: .relaxed)
        let deadline = ContinuousClock.now + .seconds(15)
        while counts.answered.load(ordering: .relaxed) < counts.handed.load(ordering: .relaxed), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(terminated > 5, "the writer's session was ended \(terminated) times")
        let waiting = counts.handed.load(ordering: .relaxed) - counts.answered.load(ordering: .relaxed)
        #expect(waiting == 0, "\(waiting) capture(s) still waiting 15 s after the last connection was ended")
        if waiting == 0 {
            for sender in senders { await sender.value }
            await store.close()
        }
    }

    /// Other writes (a replay, a verdict) failing in the database while captures commit: the
    /// captures' transactions are their own, so every capture `insert` returned is stored. A replay
    /// of a capture that is gone (pruned or deleted meanwhile) fails on its foreign key.
    @Test(.enabled(if: TestPostgresServer.wanted))
    func aFailingWriteNeverTakesCapturesWithIt() async throws {
        let store = try await TestPostgres.open()
        let stop = Atomic<Bool>(false)
        let failing = Task {
            var failed = 0
            while !stop.load(ordering: .relaxed) {
                let attempt = ReplayAttempt(
                    requestID: 999_999_999, startedAt: sampleCaptureTime, targetURL: "http://127.0.0.1:9/", resigned: false,
                    changedHeaders: [], response: nil, error: "refused", durationNanoseconds: 1)
                if (try? await store.addReplay(attempt)) == nil { failed += 1 }
            }
            return failed
        }
        let stored = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for sender in 0..<4 {
                group.addTask {
                    var ids: [Int64] = []
                    for n in 0..<150 { ids.append(try await store.insert(sampleRequest(sender * 1_000 + n)).id) }
                    return ids
                }
            }
            var all: [Int64] = []
            for try await ids in group { all += ids }
            return all
        }
        stop.store(true, ordering: .relaxed)
        #expect(await failing.value > 0)
        let found = try await store.summaries(afterID: 0, limit: 10_000).map(\.id)
        #expect(Set(found) == Set(stored), "acknowledged but missing: \(Set(stored).subtracting(found).sorted().prefix(10))")
        #expect(try await store.count() == stored.count)
        await store.close()
    }
}
