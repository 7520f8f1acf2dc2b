import Foundation
import HookCore
import HookSignatures
import HookStore
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import HookListen

@Suite struct LargeBodyVerdictTests {
    /// A mismatch over a body above 64 KiB gets its verdict before the answer and its cause after
    /// it: the sender does not wait for the diagnosis (seconds on a few MB, more in a debug build).
    /// Every capture the store refuses is counted, on both paths (the event loop's fast path and
    /// the async one), with the reason: what the TUI's status bar shows.
    @Test func refusedCapturesAreCountedWithTheirReason() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-sink-\(UUID().uuidString)/c.sqlite").path
        let store = try SQLiteRequestStore(path: path)
        var made = StoreSink(
            store: store, verifiers: VerifierBox(SignatureVerifier(secrets: SecretBook())), handshakes: false,
            metaVerifyToken: nil, diagnosisBudget: DiagnosisBudget())
        let health = StoreHealthTracker()
        made.health = health
        let sink = made
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        _ = try await loop.submit { sink.record(sampleCapture(path: "/ok"), on: loop) }.get().get()
        #expect(health.current.failures == 0)
        for suffix in ["", "-wal", "-shm"] { try FileManager.default.removeItem(atPath: path + suffix) }
        await #expect(throws: (any Error).self) { _ = try await loop.submit { sink.record(sampleCapture(path: "/lost"), on: loop) }.get().get() }
        await #expect(throws: (any Error).self) { _ = try await sink.record(sampleCapture(path: "/lost/async")) }
        let now = health.current
        #expect(now.failures == 2)
        #expect(now.isFailing)
        #expect(now.lastReason?.contains("deleted or replaced") == true, "\(now.lastReason ?? "")")
        try await group.shutdownGracefully()
        try? store.close()
    }

    /// The tracker: failures counted from the first, a success ends the run and says when.
    @Test func theHealthTrackerCountsFailuresAndRecovery() async throws {
        let health = StoreHealthTracker()
        health.stored()
        #expect(health.current == StoreHealth())
        health.failed("the disk is full", at: CaptureTime(nanosecondsSince1970: 1_000))
        health.failed("the disk is full", at: CaptureTime(nanosecondsSince1970: 2_000))
        #expect(health.current.failures == 2)
        #expect(health.current.failingSince == CaptureTime(nanosecondsSince1970: 1_000))
        health.stored(at: CaptureTime(nanosecondsSince1970: 3_000))
        #expect(!health.current.isFailing)
        #expect(health.current.recoveredAt == CaptureTime(nanosecondsSince1970: 3_000))
        #expect(health.current.failures == 2)
        health.finish()
        var last: StoreHealth?
        for await update in health.updates { last = update }
        #expect(last == health.current)
    }

    @Test func aLargeBodysMismatchIsExplainedAfterTheAnswer() async throws {
        let store = InMemoryRequestStore()
        let sink = StoreSink(
            store: store, verifiers: VerifierBox(SignatureVerifier(secrets: SecretBook([("stripe", "test_secret")]))),
            handshakes: true, metaVerifyToken: nil, diagnosisBudget: DiagnosisBudget())
        let items = (0..<4000).map { "{\"n\":\($0),\"name\":\"item \($0)\"}" }.joined(separator: ",")
        let large = try await sink.record(
            sampleCapture(body: "{\"items\":[\(items)]}", headers: [HeaderField("Stripe-Signature", stripeVectorHeader)]))
        #expect(large.body.count > StoreSink.offPoolVerificationSize)
        #expect(large.signature.status == .invalid)
        #expect(large.signature.detail.contains(SignatureSummary.diagnosedLaterNote), "\(large.signature.detail)")
        #expect(large.signature.causeNotLookedFor)
        #expect(large.signature.diagnosis == .deferred)
        // The store keeps it apart for the catch-up to explain.
        #expect(try await store.unexplainedIDs(afterID: 0, limit: 10) == [large.id])
        // A small body's mismatch is explained at once.
        let small = try await sink.record(
            sampleCapture(body: "{\"hello\": \"world\"}", headers: [HeaderField("Stripe-Signature", stripeVectorHeader)]))
        #expect(small.signature.status == .invalid)
        #expect(!small.signature.causeNotLookedFor)
        #expect(small.signature.diagnosis == .complete)
        #expect(small.signature.detail.contains("whitespace between JSON tokens removed"), "\(small.signature.detail)")
    }
}
