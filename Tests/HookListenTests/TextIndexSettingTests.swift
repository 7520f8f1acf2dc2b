import Foundation
import HookCore
import HookStore
import HookTestSupport
import Testing

@testable import HookListen

/// `--no-text-index` / `text_index = false`: the listener drops the SQLite store's text index and
/// builds none, text filters still find every match (by reading the captures); turned on again, the
/// index is built in the background.
@Suite struct TextIndexSettingTests {
    func settings(_ db: String, config: String = "", noTextIndex: Bool = false) throws -> ListenSettings {
        var flags = ListenFlags()
        flags.port = 0
        flags.db = db
        flags.headless = true
        flags.noTextIndex = noTextIndex
        return try ListenSettings.resolve(flags: flags, environment: ["HOME": "/nonexistent"], config: try ConfigFile.parse(config, path: "c.toml"))
    }

    @Test func theSettingComesFromTheFlagOrTheConfigFile() throws {
        #expect(try settings("/x.sqlite").textIndex)
        #expect(try !settings("/x.sqlite", config: "text_index = false").textIndex)
        #expect(try !settings("/x.sqlite", noTextIndex: true).textIndex)
        #expect(try !settings("/x.sqlite", config: "text_index = true", noTextIndex: true).textIndex)
        #expect(throws: UserError.self) { try settings("/x.sqlite", config: "text_index = \"no\"") }
    }

    /// Runs a headless session on `settings`, sends `bodies`, calls `whileRunning`, stops.
    func session(_ settings: ListenSettings, bodies: [String], whileRunning: () async throws -> Void = {}) async throws {
        let pipe = OutputPipe()
        let session = try await ListenSession.start(settings: settings, interface: .headless, output: pipe.writeEnd, handleSignals: false)
        let running = Task { try await session.run() }
        let port = try #require(Int(session.url.split(separator: ":").last ?? ""))
        for body in bodies {
            let request = "POST /hook HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            let answer = await onOwnThread { exchangeOnce(port: port, request: Array(request.utf8)).map { String(decoding: $0, as: UTF8.self) } }
            #expect(answer?.hasPrefix("HTTP/1.1 200 ") == true)
        }
        try await whileRunning()
        session.stop()
        try await running.value
    }

    @Test func turnedOffTheIndexIsDroppedAndTextFiltersReadEveryCaptureTurnedOnItIsBuilt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-textindex-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("c.sqlite").path
        let zebracorn = try RequestFilter.parse("zebracorn")
        func page() async throws -> FilterPage {
            let reader = try SQLiteRequestStore(path: db, forReading: true)
            defer { try? reader.close() }
            return try await reader.filterPage(zebracorn, after: 0, limit: 100, whole: false)
        }
        func indexedThrough() throws -> Int64 {
            let reader = try SQLiteRequestStore(path: db, forReading: true)
            defer { try? reader.close() }
            return try reader.textIndexedThrough()
        }

        // On (the default): built while the listener is idle.
        try await session(try settings(db), bodies: ["a zebracorn", "plain", "zebracorn b"]) {
            try await waitUntil { try indexedThrough() == 3 }
        }
        var indexed = try await page()
        #expect(indexed.summaries.map(\.id) == [1, 3])
        #expect(indexed.examined == 2, "only the index's candidates are read")

        // Off: dropped when the listener starts; text filters read every capture.
        try await session(try settings(db, noTextIndex: true), bodies: ["c zebracorn"]) {
            let through = try indexedThrough()
            #expect(through == 0)
        }
        #expect(try indexedThrough() == 0)
        let scanned = try await page()
        #expect(scanned.summaries.map(\.id) == [1, 3, 4])
        #expect(scanned.examined == 4)

        // On again, from the config file: built from the first capture.
        try await session(try settings(db, config: "text_index = true"), bodies: []) {
            try await waitUntil { try indexedThrough() == 4 }
        }
        indexed = try await page()
        #expect(indexed.summaries.map(\.id) == [1, 3, 4])
        #expect(indexed.examined == 3)
    }
}

/// Polls `condition` until it holds, failing after `seconds`.
private func waitUntil(seconds: Double = 20, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within \(seconds) s")
            return
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
