import HookCore
import HookStore
import NIOCore
import Synchronization

/// The listener's captures, handed to the store once per event-loop tick instead of one by one: the
/// requests a loop finishes while handling one round of socket events go to the writer together (one
/// lock, at most one wake-up) and come back together (one task on the loop completes them all).
final class TickBatcher: Sendable {
    private let loop: any EventLoop
    private let pending: NIOLoopBoundBox<[(CapturedRequest, EventLoopPromise<CapturedRequest>)]>

    /// Call on `loop`.
    init(loop: any EventLoop) {
        self.loop = loop
        pending = NIOLoopBoundBox([], eventLoop: loop)
    }

    /// Call on the loop. The batch leaves when the loop runs its tasks, after this round of events.
    func add(_ request: CapturedRequest, promise: EventLoopPromise<CapturedRequest>, store: any CallbackInserting) {
        if pending.value.isEmpty {
            loop.execute { self.flush(store) }
        }
        pending.value.append((request, promise))
    }

    private func flush(_ store: any CallbackInserting) {
        let batch = pending.value
        pending.value = []
        guard !batch.isEmpty else { return }
        let loop = self.loop
        store.insert(contentsOf: batch.map(\.0)) { result in
            loop.execute {
                switch result {
                case .success(let stored):
                    for (index, (_, promise)) in batch.enumerated() { promise.succeed(stored[index]) }
                case .failure(let error):
                    for (_, promise) in batch { promise.fail(error) }
                }
            }
        }
    }
}

/// The batchers of the listener's event loops, made on first use by each loop.
final class TickBatchers: Sendable {
    private let batchers = Mutex<[ObjectIdentifier: TickBatcher]>([:])

    /// Call on `loop`.
    func batcher(for loop: any EventLoop) -> TickBatcher {
        batchers.withLock { batchers in
            if let batcher = batchers[ObjectIdentifier(loop)] { return batcher }
            let batcher = TickBatcher(loop: loop)
            batchers[ObjectIdentifier(loop)] = batcher
            return batcher
        }
    }
}

