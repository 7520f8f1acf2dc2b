import Foundation
import HookTestSupport
import Testing

/// The store removed under a running listener: what was acknowledged before is what the file
/// held; from then on senders get 500 with the reason, and the listener says why on stderr.
@Suite struct StoreLossCLITests {
    func post(_ port: Int, _ body: String) async -> String {
        let request = Array("POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8)
        let answer = await onOwnThread { exchangeOnce(port: port, request: request) }
        return answer.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    @Test func aDeletedStoreIsNotAcknowledged() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("captures.sqlite").path
        let errors = directory.appendingPathComponent("stderr.txt")
        let listener = try await ListenerProcess(["--db", db], errors: errors)
        defer { listener.process.terminate() }
        #expect(await post(listener.port, "before").hasPrefix("HTTP/1.1 200"))
        #expect(await listener.nextLine().hasPrefix("#1 "))
        for suffix in ["", "-wal", "-shm"] { try FileManager.default.removeItem(atPath: db + suffix) }
        for n in 1...3 {
            let answer = await post(listener.port, "after \(n)")
            #expect(answer.hasPrefix("HTTP/1.1 500"), "\(answer)")
            #expect(answer.contains("deleted or replaced"), "\(answer)")
        }
        let log = try String(contentsOf: errors, encoding: .utf8)
        #expect(log.contains("deleted or replaced"), "\(log)")
    }
}
