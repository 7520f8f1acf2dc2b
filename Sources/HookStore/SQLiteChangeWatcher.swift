import Dispatch
import Foundation
import GRDB
import Synchronization

/// Tells when another connection (another process: a listener writing the store `expect` or a TUI
/// reads) committed to an SQLite store.
///
/// It asks SQLite's `PRAGMA data_version` on a connection of its own, `interval` apart (100 ms by
/// default): the value changes when any other connection has committed since the last ask. Asking
/// reads a counter from the WAL index in shared memory: no disk read, and no lock a writer waits on,
/// so the listener does not pay for a watcher (bench/expect-latency.sh measures both).
public final class SQLiteChangeWatcher: Sendable {
    private let queue: DatabaseQueue
    // Dispatch sources are safe to use from any thread.
    nonisolated(unsafe) private let timer: any DispatchSourceTimer
    private let timerQueue = DispatchQueue(label: "hookscope.watcher")

    /// Starts watching `path`; `changed` runs on a background queue after each change seen.
    public init(path: String, interval: Duration = .milliseconds(100), changed: @escaping @Sendable () -> Void) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "hookscope.watcher"
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw StoreError("cannot watch the capture database \(path): \(error)")
        }
        let queue = self.queue
        let lastVersion = LastVersion()
        let readVersion = { () -> Int? in try? queue.inDatabase { try Int.fetchOne($0, sql: "PRAGMA data_version") } }
        lastVersion.value.withLock { $0 = readVersion() }
        let milliseconds = max(1, Int(interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000))
        timer = DispatchSource.makeTimerSource(queue: timerQueue)
        timer.schedule(deadline: .now() + .milliseconds(milliseconds), repeating: .milliseconds(milliseconds), leeway: .milliseconds(milliseconds / 5))
        timer.setEventHandler {
            guard let version = readVersion() else { return }
            let isNew = lastVersion.value.withLock { last in
                defer { last = version }
                return last != version
            }
            if isNew { changed() }
        }
        timer.resume()
    }

    /// Stops watching; `changed` is not called after this returns.
    public func stop() {
        timer.cancel()
        // A check already running finishes first.
        timerQueue.sync {}
    }

    deinit { timer.cancel() }
}

/// The last `data_version` seen, shared with the timer's handler.
private final class LastVersion: Sendable {
    let value = Mutex<Int?>(nil)
}
