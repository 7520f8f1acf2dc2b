import Foundation
import HookTestSupport
import Synchronization
import Testing

@Suite struct CrashSafetyTests {
    /// Senders post numbered requests while the listener is killed with SIGKILL; after a restart on
    /// the same database, every request whose response a sender saw must be there.
    @Test func everyAcknowledgedRequestSurvivesKill9() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("captures.sqlite").path
        let listener = try await ListenerProcess(["--db", db])
        let acknowledged = LockedList()
        let port = listener.port

        // Four senders, each on its own thread, until their connection breaks.
        let senders = (0..<4).map { sender in
            Task {
                await onOwnThread {
                    guard let client = try? RawClient(port: port) else { return }
                    var n = 0
                    while n < 100_000 {
                        let path = "/s\(sender)/n\(n)"
                        guard client.post(path: path, body: "{\"n\":\(n)}") == 200 else { return }
                        acknowledged.append(path)
                        n += 1
                    }
                }
            }
        }
        // Kill once a few hundred requests were acknowledged (the senders keep going meanwhile).
        await onOwnThread {
            while acknowledged.count < 300 { usleep(1000) }
        }
        listener.kill(SIGKILL)
        _ = await listener.waitForExit()
        for sender in senders { await sender.value }
        let acked = acknowledged.items
        #expect(acked.count >= 300)

        // Restart on the same database: it opens, serves, and still has every acknowledged request.
        let restarted = try await ListenerProcess(["--db", db])
        let after = await onOwnThread { try? RawClient(port: restarted.port).post(path: "/after-restart", body: "x") }
        #expect(after == 200)
        restarted.kill(SIGTERM)
        #expect(await restarted.waitForExit() == 0)

        let list = try await runHookscope(["list", "--json", "--db", db])
        #expect(list.status == 0)
        let stored = Set(String(decoding: list.stdout, as: UTF8.self).split(separator: "\n").compactMap { line -> String? in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["target"] as? String
        })
        let missing = acked.filter { !stored.contains($0) }
        #expect(missing.isEmpty, "acknowledged but missing after kill -9: \(missing.prefix(10))")
        #expect(stored.contains("/after-restart"))
        try? FileManager.default.removeItem(at: directory)
    }
}
