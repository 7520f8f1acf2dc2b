import Foundation
import HookCore
import Synchronization

/// Forwards captures to one target as they arrive (`listen --forward-to`). `forward` never blocks:
/// it enqueues, and a single consumer task sends in arrival order. The queue is bounded; beyond
/// `queueLimit` waiting requests a request is dropped and an attempt with the reason is reported
/// through `onResult`. Every attempt (sent, failed or dropped) goes to `onResult`, in order.
public final class Forwarder: Sendable {
    public static let defaultQueueLimit = 10_000

    public let target: String
    public let queueLimit: Int
    private let replayer: HTTPReplayer
    private let options: ReplayOptions
    private let onResult: @Sendable (ReplayAttempt) -> Void
    private let input: AsyncStream<Job>.Continuation
    private let consumer: Task<Void, Never>
    private let droppedCount = Mutex<Int>(0)

    enum Job: Sendable {
        case send(CapturedRequest)
        case sendAndAnswer(CapturedRequest, CheckedContinuation<ReplayAttempt, Never>)
    }

    public init(
        target: String, replayer: HTTPReplayer, options: ReplayOptions = ReplayOptions(),
        queueLimit: Int = Forwarder.defaultQueueLimit, onResult: @escaping @Sendable (ReplayAttempt) -> Void
    ) {
        self.target = target
        self.replayer = replayer
        self.options = options
        self.queueLimit = max(1, queueLimit)
        self.onResult = onResult
        let (stream, continuation) = AsyncStream<Job>.makeStream(bufferingPolicy: .bufferingOldest(max(1, queueLimit)))
        input = continuation
        consumer = Task {
            for await job in stream {
                switch job {
                case .send(let request):
                    var attempt = await replayer.replay(request, to: target, options: options)
                    attempt.kind = .forward
                    onResult(attempt)
                case .sendAndAnswer(let request, let answer):
                    var attempt = await replayer.replay(request, to: target, options: options)
                    attempt.kind = .forward
                    onResult(attempt)
                    answer.resume(returning: attempt)
                }
            }
        }
    }

    /// How many requests were dropped because the queue was full or the forwarder shut down.
    public var dropped: Int { droppedCount.withLock { $0 } }

    /// Queues a capture for forwarding and returns at once.
    public func forward(_ request: CapturedRequest) {
        let result = input.yield(.send(request))
        if let reason = rejection(result) {
            onResult(droppedAttempt(request, reason: reason))
        }
    }

    /// Queues a capture behind the ones already waiting and returns the target's answer
    /// (for `--proxy-response`). The attempt is also reported through `onResult`.
    public func forwardAndWait(_ request: CapturedRequest) async -> ReplayAttempt {
        await withCheckedContinuation { (answer: CheckedContinuation<ReplayAttempt, Never>) in
            let result = input.yield(.sendAndAnswer(request, answer))
            if let reason = rejection(result) {
                let attempt = droppedAttempt(request, reason: reason)
                onResult(attempt)
                answer.resume(returning: attempt)
            }
        }
    }

    /// Stops taking requests and waits until every queued one has been sent.
    public func shutdown() async {
        input.finish()
        await consumer.value
    }

    private func rejection(_ result: AsyncStream<Job>.Continuation.YieldResult) -> String? {
        switch result {
        case .enqueued: return nil
        case .dropped:
            let count = droppedCount.withLock { $0 += 1; return $0 }
            return "forward queue full (\(queueLimit) waiting for \(target)): not forwarded (\(count) dropped so far)"
        case .terminated:
            let count = droppedCount.withLock { $0 += 1; return $0 }
            return "forwarding has stopped: not forwarded (\(count) dropped so far)"
        @unknown default:
            return "not forwarded"
        }
    }

    private func droppedAttempt(_ request: CapturedRequest, reason: String) -> ReplayAttempt {
        ReplayAttempt(
            kind: .forward, requestID: request.id, startedAt: .now(), targetURL: target, resigned: false, changedHeaders: [],
            response: nil, error: reason, durationNanoseconds: 0)
    }
}
