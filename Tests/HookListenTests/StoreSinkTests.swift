import Foundation
import HookCore
import HookSignatures
import HookStore
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import HookListen

@Suite struct StoreSinkTests {
    func sink(secrets: [(String, String)] = [("stripe", "test_secret")], handshakes: Bool = true, store: InMemoryRequestStore = InMemoryRequestStore())
        -> StoreSink
    {
        StoreSink(
            store: store, verifiers: VerifierBox(SignatureVerifier(secrets: SecretBook(secrets))), handshakes: handshakes,
            metaVerifyToken: nil, diagnosisBudget: DiagnosisBudget())
    }

    @Test func aCaptureIsStoredWithItsVerdictAsOfWhenItArrived() async throws {
        let store = InMemoryRequestStore()
        let sink = sink(store: store)
        let valid = try await sink.record(sampleCapture(headers: [HeaderField("Stripe-Signature", stripeVectorHeader)]))
        #expect(valid.id == 1)
        #expect(valid.signature.provider == "stripe")
        #expect(valid.signature.status == .valid)
        let altered = try await sink.record(
            sampleCapture(body: "{\"hello\":\"world!\"}", headers: [HeaderField("Stripe-Signature", stripeVectorHeader)]))
        #expect(altered.signature.status == .invalid)
        let unsigned = try await sink.record(sampleCapture())
        #expect(unsigned.signature.status == .unsigned)
        // What the sink returned is what was stored.
        #expect(try await store.request(id: 2)?.signature == altered.signature)
        #expect(try await store.count() == 3)
    }

    @Test func aRefusedCaptureIsStoredUnverified() async throws {
        let stored = try await sink().record(
            sampleCapture(headers: [HeaderField("Stripe-Signature", stripeVectorHeader)], refusal: .bodyTooLarge))
        #expect(stored.signature.status == .unsigned)
        #expect(stored.signature.detail == "not verified: the body was refused and not kept")
        #expect(stored.refusal == .bodyTooLarge)
    }

    @Test func handshakesAreAnsweredOnlyWhenAllowed() {
        let challenge = sampleCapture(body: "{\"type\":\"url_verification\",\"challenge\":\"abc123\",\"token\":\"t\"}")
        let answer = sink(secrets: []).handshakeResponse(for: challenge)
        #expect(answer.map { String(decoding: $0.body, as: UTF8.self) }?.contains("abc123") == true)
        #expect(sink(secrets: [], handshakes: false).handshakeResponse(for: challenge) == nil)
    }

    /// The listener's path: captures a loop finishes in one tick reach the store as one batch, and
    /// each request's future gets its own stored capture.
    @Test func capturesOfOneTickAreStoredAsOneBatch() async throws {
        let batches = BatchLog()
        let store = InMemoryRequestStore(onCommit: { batches.append($0.map(\.id)) })
        let sink = sink(store: store)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let futures = try await loop.submit {
            (0..<3).map { n in sink.record(sampleCapture(path: "/tick/\(n)"), on: loop) }
        }.get()
        let stored = try await EventLoopFuture.whenAllSucceed(futures, on: loop).get()
        #expect(stored.map(\.id) == [1, 2, 3])
        #expect(stored.map(\.path) == ["/tick/0", "/tick/1", "/tick/2"])
        // A capture of a later tick is a batch of its own.
        _ = try await loop.submit { sink.record(sampleCapture(path: "/later"), on: loop) }.get().get()
        #expect(batches.all == [[1, 2, 3], [4]])
        try await group.shutdownGracefully()
    }
}

/// The batches a store committed, in order.
final class BatchLog: Sendable {
    private let batches = Mutex<[[Int64]]>([])
    func append(_ batch: [Int64]) { batches.withLock { $0.append(batch) } }
    var all: [[Int64]] { batches.withLock { $0 } }
}
