import Foundation
import HookTestSupport
import Synchronization
import Testing

/// `hookscope import --db postgres://…`.
@Suite struct PostgresImportCLITests {
    /// The URL as hookscope names it: without the password.
    func shown(_ url: String) -> String {
        guard let start = url.range(of: "://")?.upperBound, let at = url[start...].lastIndex(of: "@") else { return url }
        let credentials = url[start..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + String(url[at...])
    }

    func listLines(_ db: String) async throws -> [String] {
        let list = try await runHookscope(["list", "--json", "--db", db])
        #expect(list.status == 0, "\(list.stderr)")
        return String(decoding: list.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// A HAR that `export` wrote from SQLite (hostile bytes, a delivery sent twice) imports into a
    /// new PostgreSQL store as the same captures: `show`, `show --raw` and `list --json` print the
    /// same bytes from either store.
    @Test(.enabled(if: TestPostgresServer.wanted))
    func aHARExportedFromSQLiteImportsIntoPostgresByteForByte() async throws {
        let directory = try temporaryDirectory()
        let source = directory.appendingPathComponent("source.sqlite").path
        let listener = try await ExportTests().capture(into: source)
        let port = listener.port
        let statuses = await onOwnThread { () -> [Int?] in
            guard let client = try? RawClient(port: port) else { return [] }
            let delivery = ["X-GitHub-Event: push", "X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958"]
            return [
                client.post(path: "/gh", body: "{\"action\":\"opened\"}", headers: delivery),
                client.post(path: "/gh", body: "{\"action\":\"opened\"}", headers: delivery),
            ]
        }
        #expect(statuses == [200, 200])
        listener.kill(SIGTERM)
        _ = await listener.waitForExit()
        let har = directory.appendingPathComponent("captures.har").path
        let export = try await runHookscope(["export", "--har", "--include-secrets", "--db", source, "--output", har])
        #expect(export.status == 0, "\(export.stderr)")

        let url = try TestPostgresServer.freshSchemaURL()
        let imported = try await runHookscope(["import", har, "--db", url])
        #expect(imported.status == 0, "\(imported.stderr)")
        let count = ExportTests.hostileBodies.count + 2
        #expect(String(decoding: imported.stdout, as: UTF8.self) == "imported \(count) capture(s) into \(shown(url)) as #1–#\(count)\n")

        let before = try await listLines(source)
        #expect(before.count == count)
        #expect(try await listLines(url) == before)
        for id in 1...count {
            let fromSQLite = try await runHookscope(["show", "\(id)", "--db", source])
            let fromPostgres = try await runHookscope(["show", "\(id)", "--db", url])
            #expect(fromSQLite.status == 0 && fromPostgres.status == 0, "\(fromPostgres.stderr)")
            #expect(fromPostgres.stdout == fromSQLite.stdout, "show \(id)")
            let rawSQLite = try await runHookscope(["show", "\(id)", "--raw", "--db", source])
            let rawPostgres = try await runHookscope(["show", "\(id)", "--raw", "--db", url])
            #expect(rawPostgres.stdout == rawSQLite.stdout, "show \(id) --raw")
        }
        // The second attempt of the delivery is numbered as the listener numbered it.
        let second = String(decoding: try await runHookscope(["show", "\(count)", "--db", url]).stdout, as: UTF8.self)
        #expect(second.contains("attempt 2 of 2"), "\(second)")
    }

    /// Sends to `port` one request at a time until stopped; the paths answered 200.
    final class Sender: Sendable {
        let acknowledged = LockedList()
        private let stopped = Atomic<Bool>(false)
        private let sent = Atomic<Int>(0)

        func run(port: Int) async {
            await onOwnThread {
                guard let client = try? RawClient(port: port) else { return }
                var n = 0
                while !self.stopped.load(ordering: .relaxed) {
                    let path = "/listener/\(n)"
                    if client.post(path: path, body: "{\"n\":\(n)}") == 200 { self.acknowledged.append(path) }
                    self.sent.add(1, ordering: .relaxed)
                    n += 1
                }
            }
        }

        /// Waits until `more` requests more were answered (or 20 s passed).
        func waitFor(_ more: Int) async {
            let target = sent.load(ordering: .relaxed) + more
            let deadline = ContinuousClock.now + .seconds(20)
            while sent.load(ordering: .relaxed) < target, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        }

        func stop() { stopped.store(true, ordering: .relaxed) }
    }

    /// A bad entry in the middle of a large HAR (past the first batch of 500) imports nothing into
    /// a PostgreSQL store a listener is writing to at the same time: the store holds what it held,
    /// and every capture the listener acknowledged meanwhile, once; the next import goes on.
    @Test(.enabled(if: TestPostgresServer.wanted))
    func aBadEntryImportsNothingWhileAListenerWrites() async throws {
        let directory = try temporaryDirectory()
        func entry(_ n: Int) -> String {
            #"{"startedDateTime":"2026-11-29T10:00:00.000Z","request":{"method":"POST","url":"http://h/n/\#(n)","httpVersion":"HTTP/1.1","headers":[],"postData":{"mimeType":"text/plain","text":"\#(n)"}}}"#
        }
        let header = #"{"log":{"version":"1.2","creator":{"name":"test","version":"1"},"entries":["#
        let good = directory.appendingPathComponent("good.har").path
        try Data((header + (1...3).map(entry).joined(separator: ",") + "]}}").utf8).write(to: URL(fileURLWithPath: good))
        let bad = directory.appendingPathComponent("bad.har").path
        var badEntries = (1...1_200).map(entry)
        badEntries[700] = #"{"startedDateTime":"2026-11-29T10:00:00.000Z","request":{"url":"http://h/"}}"#
        try Data((header + badEntries.joined(separator: ",") + "]}}").utf8).write(to: URL(fileURLWithPath: bad))

        let url = try TestPostgresServer.freshSchemaURL()
        let listener = try await ListenerProcess(["--db", url])
        defer { listener.process.terminate() }
        listener.discardOutput()
        let sender = Sender()
        let sending = Task { await sender.run(port: listener.port) }
        await sender.waitFor(5)

        #expect(try await runHookscope(["import", good, "--db", url]).status == 0)
        func importedLines() async throws -> [String] { try await listLines(url).filter { $0.contains("\"target\":\"/n/") } }
        let before = try await importedLines()
        #expect(before.count == 3)
        await sender.waitFor(5)
        let intoExisting = try await runHookscope(["import", bad, "--db", url])
        #expect(intoExisting.status == 3)
        #expect(intoExisting.stderr.hasPrefix("hookscope: \(bad): entry 700: "), "\(intoExisting.stderr)")
        await sender.waitFor(5)
        #expect(try await importedLines() == before)
        let again = try await runHookscope(["import", good, "--db", url])
        #expect(again.status == 0, "\(again.stderr)")
        await sender.waitFor(5)
        sender.stop()
        await sending.value

        let lines = try await listLines(url)
        let objects = lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        let ids = objects.compactMap { ($0["id"] as? NSNumber)?.int64Value }
        let targets = objects.compactMap { $0["target"] as? String }
        #expect(ids.count == lines.count && Set(ids).count == ids.count, "ids not distinct")
        #expect(targets.filter { $0.hasPrefix("/n/") } == ["/n/1", "/n/2", "/n/3", "/n/1", "/n/2", "/n/3"])
        let acknowledged = sender.acknowledged.items
        #expect(acknowledged.count >= 20)
        #expect(targets.filter { $0.hasPrefix("/listener/") } == acknowledged, "every acknowledged capture once, in order")
    }
}
