import Foundation
import HookCore
import HookReplay
import HookSignatures
import Synchronization
import Testing

@Suite("Forwarder")
struct ForwarderTests {
    @Test("a burst of 200 arrives complete and in order, and forwardAndWait keeps its place")
    func burst() async throws {
        let server = RecordingServer()
        let port = try await server.start()
        let replayer = HTTPReplayer()
        let results = Mutex<[ReplayAttempt]>([])
        let forwarder = Forwarder(target: "http://127.0.0.1:\(port)", replayer: replayer) { attempt in
            results.withLock { $0.append(attempt) }
        }
        func numbered(_ n: Int) -> CapturedRequest {
            capture(id: Int64(n), target: "/burst/\(n)", headers: [HeaderField("X-Seq", String(n))], body: Array("body \(n)".utf8))
        }
        for n in 1...100 { forwarder.forward(numbered(n)) }
        let answered = await forwarder.forwardAndWait(numbered(101))
        #expect(answered.requestID == 101)
        #expect(answered.response?.status == 201)
        // Everything queued before it has been sent by the time it is answered.
        #expect(server.requests.count == 101)
        for n in 102...200 { forwarder.forward(numbered(n)) }
        await forwarder.shutdown()
        await replayer.shutdown()
        await server.stop()

        let seen = server.requests.map { RawHTTP.capture($0).headers.value(named: "X-Seq") ?? "" }
        #expect(seen == (1...200).map(String.init))
        let attempts = results.withLock { $0 }
        #expect(attempts.map(\.requestID) == (1...200).map(Int64.init))
        #expect(attempts.allSatisfy { $0.error == nil && $0.response?.status == 201 })
        #expect(forwarder.dropped == 0)
    }

    @Test("the queue also caps the bytes of the bodies it holds; a body alone in the queue always goes")
    func byteLimit() async throws {
        let server = RecordingServer(respond: false)
        let port = try await server.start()
        let replayer = HTTPReplayer(timeout: .seconds(60))
        let results = Mutex<[ReplayAttempt]>([])
        let forwarder = Forwarder(target: "http://127.0.0.1:\(port)", replayer: replayer, queueByteLimit: 12_000) { attempt in
            results.withLock { $0.append(attempt) }
        }
        let body = [UInt8](repeating: 0x61, count: 5_000)
        // The target never answers, so the first stays counted while it is being sent: 5,000 and
        // 10,000 bytes fit, the third body would make 15,000; an empty one still fits.
        for n in 1...3 { forwarder.forward(capture(id: Int64(n), headers: [], body: body)) }
        forwarder.forward(capture(id: 4, headers: [], body: []))
        #expect(forwarder.dropped == 1)
        let dropped = results.withLock { $0 }
        #expect(dropped.map(\.requestID) == [3])
        #expect(dropped.first?.failure == .dropped)
        #expect(dropped.first?.error?.hasPrefix("forward queue full (12000 bytes of bodies waiting for http://127.0.0.1:\(port)): not forwarded (1 dropped so far)") == true, "\(String(describing: dropped.first?.error))")
        await server.stop()
        await forwarder.shutdown()
        await replayer.shutdown()
        #expect(results.withLock { $0.map(\.requestID) }.sorted() == [1, 2, 3, 4])

        // A body larger than the whole limit goes when nothing else waits.
        let answering = RecordingServer()
        let answeringPort = try await answering.start()
        let replayer2 = HTTPReplayer()
        let small = Forwarder(target: "http://127.0.0.1:\(answeringPort)", replayer: replayer2, queueByteLimit: 100) { _ in }
        let attempt = await small.forwardAndWait(capture(id: 9, headers: [], body: body))
        #expect(attempt.response?.status == 201, "\(String(describing: attempt.error))")
        #expect(small.dropped == 0)
        await small.shutdown()
        await replayer2.shutdown()
        await answering.stop()
    }

    @Test("a dead target never blocks forward(): beyond the queue limit requests are dropped and reported")
    func overflow() async throws {
        let server = RecordingServer(respond: false)
        let port = try await server.start()
        let replayer = HTTPReplayer(timeout: .seconds(60))
        let results = Mutex<[ReplayAttempt]>([])
        let forwarder = Forwarder(target: "http://127.0.0.1:\(port)", replayer: replayer, queueLimit: 2) { attempt in
            results.withLock { $0.append(attempt) }
        }
        for n in 1...10 { forwarder.forward(capture(id: Int64(n), headers: [], body: [])) }
        // At most one request is in flight (the target never answers) and two wait: the rest were dropped.
        #expect(forwarder.dropped >= 7)
        let droppedReports = results.withLock { $0 }.filter { $0.error?.contains("forward queue full") == true }
        #expect(droppedReports.count == forwarder.dropped)
        #expect(droppedReports.allSatisfy { $0.failure == .dropped && $0.kind == .forward })
        // Closing the target fails the waiting ones quickly, so shutdown can drain.
        await server.stop()
        await forwarder.shutdown()
        await replayer.shutdown()
        #expect(results.withLock { $0.count } == 10)
        let after = await forwarder.forwardAndWait(capture(id: 11, headers: [], body: []))
        #expect(after.error?.contains("forwarding has stopped") == true)
        #expect(after.failure == .dropped)
    }
}
