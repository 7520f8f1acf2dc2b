import NIOCore
import Synchronization

/// Every open connection of the listener, with when it became idle, so that at the connection
/// cap the longest-idle keep-alive connection can be closed to make room.
final class ConnectionRegistry: Sendable {
    private struct Entry {
        var channel: any Channel
        /// nil while a request is in progress.
        var idleSince: NIODeadline?
    }

    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    var count: Int { entries.withLock { $0.count } }
    var idleCount: Int { entries.withLock { $0.values.count { $0.idleSince != nil } } }

    /// Registers a new connection. Returns false when the cap is reached and no idle connection
    /// could be closed to make room: the caller then closes the new connection.
    func admit(_ channel: any Channel) -> Bool {
        let (admitted, victim) = entries.withLock { entries -> (Bool, (any Channel)?) in
            var victim: (any Channel)?
            if entries.count >= limit {
                guard let oldest = entries.filter({ $0.value.idleSince != nil })
                    .min(by: { $0.value.idleSince! < $1.value.idleSince! })
                else { return (false, nil) }
                entries.removeValue(forKey: oldest.key)
                victim = oldest.value.channel
            }
            entries[ObjectIdentifier(channel)] = Entry(channel: channel, idleSince: .now())
            return (true, victim)
        }
        victim?.close(promise: nil)
        return admitted
    }

    func markBusy(_ channel: any Channel) {
        entries.withLock { $0[ObjectIdentifier(channel)]?.idleSince = nil }
    }

    func markIdle(_ channel: any Channel) {
        entries.withLock { $0[ObjectIdentifier(channel)]?.idleSince = .now() }
        // Stopping: a connection whose answer is written goes now.
        if closing.withLock({ $0.started }) { channel.close(promise: nil) }
    }

    func remove(_ channel: any Channel) {
        let empty = entries.withLock { entries in
            entries.removeValue(forKey: ObjectIdentifier(channel))
            return entries.isEmpty
        }
        if empty { resumeWaiters() }
    }

    func closeAll() {
        let channels = entries.withLock { $0.values.map(\.channel) }
        for channel in channels { channel.close(promise: nil) }
    }

    private struct Closing {
        var started = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let closing = Mutex(Closing())

    /// Stops without cutting an answer short: idle connections are closed now, each busy one once
    /// its answer is written (a request whose capture was committed gets its 2xx), and whatever is
    /// still open after `grace` (a sender trickling a body) is closed then.
    func closeGracefully(grace: Duration) async {
        closing.withLock { $0.started = true }
        let idle = entries.withLock { $0.values.filter { $0.idleSince != nil }.map(\.channel) }
        for channel in idle { channel.close(promise: nil) }
        let deadline = Task {
            try? await Task.sleep(for: grace)
            self.resumeWaiters()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = entries.withLock { $0.isEmpty }
            if done { return continuation.resume() }
            closing.withLock { $0.waiters.append(continuation) }
            // Emptied between the check and the append: resume it here.
            if entries.withLock({ $0.isEmpty }) { resumeWaiters() }
        }
        deadline.cancel()
        closeAll()
    }

    private func resumeWaiters() {
        let waiters = closing.withLock { closing in
            defer { closing.waiters.removeAll() }
            return closing.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Bytes of request bodies held in memory across all connections.
final class BodyBudget: Sendable {
    private let used = Atomic<Int>(0)
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Reserves `bytes`; false when that would exceed the budget.
    func reserve(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        var current = used.load(ordering: .relaxed)
        while true {
            if current + bytes > limit { return false }
            let (exchanged, original) = used.compareExchange(
                expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        used.subtract(bytes, ordering: .relaxed)
    }

    var inUse: Int { used.load(ordering: .relaxed) }
}
