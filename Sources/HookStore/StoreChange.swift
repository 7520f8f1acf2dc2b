import Synchronization

/// What another process did to a store that a viewer (`hookscope watch`) follows, besides adding
/// captures (those come as captures): the viewer reloads what it shows.
public enum StoreChange: Sendable, Hashable {
    /// Rows changed in place: verdicts, answers, replays and forwards, delivery identities.
    case updated
    /// Captures were deleted (by a user, or pruned by `--keep`): the count changed too.
    case deleted
    /// The viewer lost its way to hear of changes (the database connection); it says why and
    /// keeps trying.
    case lost(String)
    /// Following again after `lost`: what changed meanwhile is read anew.
    case resumed
}

/// Hands a viewer what another process changed, merged: changes noted while the viewer reloads
/// (at most one hand-over per `interval`) come once each, in the order first noted, so a burst of
/// verdict updates costs one reload, not one per row.
public final class StoreChangeFeed: Sendable {
    public let changes: AsyncStream<StoreChange>
    private let pending: Noted
    private let bell: AsyncStream<Void>.Continuation

    public init(interval: Duration = .milliseconds(200)) {
        let (changes, output) = AsyncStream.makeStream(of: StoreChange.self)
        let (rings, bell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.changes = changes
        self.bell = bell
        let pending = Noted()
        self.pending = pending
        Task {
            for await _ in rings {
                let batch = pending.list.withLock { noted in
                    defer { noted.removeAll() }
                    return noted
                }
                for change in batch { output.yield(change) }
                try? await Task.sleep(for: interval)
            }
            output.finish()
        }
    }

    public func note(_ change: StoreChange) {
        pending.list.withLock { noted in
            if !noted.contains(change) { noted.append(change) }
        }
        bell.yield()
    }

    /// Ends `changes` (after what was noted is handed over).
    public func finish() { bell.finish() }

    deinit {
        bell.finish()
    }

    private final class Noted: Sendable {
        let list = Mutex<[StoreChange]>([])
    }
}
