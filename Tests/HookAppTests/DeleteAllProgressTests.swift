import Foundation
import HookCore
import HookStore
import Synchronization
import Testing
import TermUI

@testable import HookApp

/// `D` on a large SQLite store deletes in batches; the status bar counts them while it runs.
@Suite struct DeleteAllProgressTests {
    @Test func theStatusBarCountsTheBatchesOfD() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-clear-\(UUID().uuidString)/c.sqlite").path
        let store = try SQLiteRequestStore(path: path)
        for n in 1...1_200 { _ = try await store.insert(Sample.request("/n/\(n)")) }
        let environment = AppEnvironment(store: store, listenURL: "http://127.0.0.1:9777", captures: AsyncStream { $0.finish() })
        let runner = EffectRunner(environment: environment)
        let events = Mutex<[String]>([])
        await runner.run(.deleteAll) { event in
            switch event {
            case .clearing(let deleted): events.withLock { $0.append("clearing \(deleted)") }
            case .clearedAll: events.withLock { $0.append("cleared") }
            default: break
            }
        }
        #expect(events.withLock { $0 } == ["clearing 500", "clearing 1000", "clearing 1200", "cleared"])
        #expect(try await store.count() == 0)
        var state = AppState(listenURL: "http://127.0.0.1:9777", size: Size(width: 100, height: 24))
        _ = state.apply(.clearing(deleted: 500))
        #expect(state.status?.text == "deleting all requests… 500 deleted")
        try store.close()
    }
}
