import Foundation
import HookCore
import Synchronization

/// Forwards captures to one target as they arrive (`listen --forward-to`). `forward` never blocks:
/// it enqueues, and a single consumer task sends in arrival order. The queue is bounded, by count
/// (`queueLimit` waiting requests) and by the bytes of the bodies it holds (`queueByteLimit`, the
/// one being sent included); beyond either a request is dropped and an attempt with the reason is
/// reported through `onResult`. Every attempt (sent, failed or dropped) goes to `onResult`, in order.
public final class Forwarder: Sendable {
    public static let defaultQueueLimit = 10_000
    /// Bodies of up to 25 MiB each, 10,000 of them, would be 250 GB: the bytes are capped too.
    public static let defaultQueueByteLimit = 256 << 20

    public let target: String
    public let queueLimit: Int
    public let queueByteLimit: Int
    private let replayer: HTTPReplayer
    private let options: ReplayOptions
    private let onResult: @Sendable (ReplayAttempt) -> Void
    private let input: AsyncStream<Job>.Continuation
    private let consumer: Task<Void, Never>
    private let droppedCount = Mutex<Int>(0)
    /// Body bytes of the requests queued or being sent (shared with the consumer task).
    private let queuedBytes: QueuedBytes

    private final class QueuedBytes: Sendable {
        private let bytes = Mutex(0)
        let limit: Int

        init(limit: Int) { self.limit = limit }

        /// Counts a body against the limit; false (and nothing counted) when it does not fit. A
        /// request alone in the queue always fits, so any body the listener accepted can be sent.
        func reserve(_ request: CapturedRequest) -> Bool {
            bytes.withLock { bytes in
                guard bytes == 0 || bytes + request.body.count <= limit else { return false }
                bytes += request.body.count
                return true
            }
        }

        func release(_ request: CapturedRequest) {
            bytes.withLock { $0 -= request.body.count }
        }
    }

    enum Job: Sendable {
        case send(CapturedRequest)
        case sendAndAnswer(CapturedRequest, CheckedContinuation<ReplayAttempt, Never>)
    }

    public init(
        target: String, replayer: HTTPReplayer, options: ReplayOptions = ReplayOptions(),
        queueLimit: Int = Forwarder.defaultQueueLimit, queueByteLimit: Int = Forwarder.defaultQueueByteLimit,
        onResult: @escaping @Sendable (ReplayAttempt) -> Void
    ) {
        self.target = target
        self.replayer = replayer
        self.options = options
        self.queueLimit = max(1, queueLimit)
        self.queueByteLimit = max(0, queueByteLimit)
        queuedBytes = QueuedBytes(limit: max(0, queueByteLimit))
        self.onResult = onResult
        let (stream, continuation) = AsyncStream<Job>.makeStream(bufferingPolicy: .bufferingOldest(max(1, queueLimit)))
        input = continuation
        let queuedBytes = queuedBytes
        consumer = Task {
            for await job in stream {
                switch job {
                case .send(let request):
                    var attempt = await replayer.replay(request, to: target, options: options)
                    queuedBytes.release(request)
                    attempt.kind = .forward
                    onResult(attempt)
                case .sendAndAnswer(let request, let answer):
                    var attempt = await replayer.replay(request, to: target, options: options)
                    queuedBytes.release(request)
                    attempt.kind = .forward
                    onResult(attempt)
                    answer.resume(returning: attempt)
                }
            }
        }
    }

    private func bytesFullReason() -> AttemptFailure {
        let count = droppedCount.withLock { $0 += 1; return $0 }
        let limit = queueByteLimit >= 1 << 20 ? "\(queueByteLimit >> 20) MiB" : "\(queueByteLimit) bytes"
        return AttemptFailure(.dropped, "forward queue full (\(limit) of bodies waiting for \(target)): not forwarded (\(count) dropped so far)")
    }

    /// How many requests were dropped because the queue was full or the forwarder shut down.
    public var dropped: Int { droppedCount.withLock { $0 } }

    /// Queues a capture for forwarding and returns at once.
    public func forward(_ request: CapturedRequest) {
        guard queuedBytes.reserve(request) else {
            return onResult(droppedAttempt(request, reason: bytesFullReason()))
        }
        let result = input.yield(.send(request))
        if let reason = rejection(result) {
            queuedBytes.release(request)
            onResult(droppedAttempt(request, reason: reason))
        }
    }

    /// Queues a capture behind the ones already waiting and returns the target's answer
    /// (for `--proxy-response`). The attempt is also reported through `onResult`.
    public func forwardAndWait(_ request: CapturedRequest) async -> ReplayAttempt {
        await withCheckedContinuation { (answer: CheckedContinuation<ReplayAttempt, Never>) in
            guard queuedBytes.reserve(request) else {
                let attempt = droppedAttempt(request, reason: bytesFullReason())
                onResult(attempt)
                return answer.resume(returning: attempt)
            }
            let result = input.yield(.sendAndAnswer(request, answer))
            if let reason = rejection(result) {
                queuedBytes.release(request)
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

    private func rejection(_ result: AsyncStream<Job>.Continuation.YieldResult) -> AttemptFailure? {
        switch result {
        case .enqueued: return nil
        case .dropped:
            let count = droppedCount.withLock { $0 += 1; return $0 }
            return AttemptFailure(.dropped, "forward queue full (\(queueLimit) waiting for \(target)): not forwarded (\(count) dropped so far)")
        case .terminated:
            let count = droppedCount.withLock { $0 += 1; return $0 }
            return AttemptFailure(.dropped, "forwarding has stopped: not forwarded (\(count) dropped so far)")
        @unknown default:
            return AttemptFailure(.other, "not forwarded")
        }
    }

    private func droppedAttempt(_ request: CapturedRequest, reason: AttemptFailure) -> ReplayAttempt {
        ReplayAttempt(
            kind: .forward, requestID: request.id, startedAt: .now(), targetURL: target, resigned: false, changedHeaders: [],
            response: nil, error: reason.message, failure: reason.kind, durationNanoseconds: 0)
    }
}
