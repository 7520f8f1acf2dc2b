import Dispatch
import Foundation
import GRDB
import HookCore
import Synchronization

extension SQLiteRequestStore {
    /// Captures indexed per step: one write transaction of about 10-30 ms for 2 KB captures, so a
    /// capture commit queued behind a step waits about that long at most.
    public static let textIndexStep = 256
    /// The indexer works only after this long without a capture commit: while captures arrive,
    /// the listener's commits keep the CPU, and text filters read the captures not indexed yet.
    static let textIndexQuietTime = Duration.milliseconds(250)

    /// Indexes the captures' text for the filter (`request_text`) in the background, from the
    /// first capture not indexed yet, whenever no capture was committed for `textIndexQuietTime`.
    /// Each step is its own transaction on the writer queue, so capture commits run between steps.
    /// Stops when the store is closed. The listener starts it; stores opened for reading do not.
    public func startTextIndexing(checkEvery interval: Duration = .milliseconds(200)) {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "hookscope.store.text-index", qos: .utility))
        let running = Mutex(false)
        let nanoseconds = Int(interval.components.seconds) * 1_000_000_000 + Int(interval.components.attoseconds / 1_000_000_000)
        timer.schedule(deadline: .now(), repeating: .nanoseconds(nanoseconds))
        timer.setEventHandler { [weak self] in
            guard let self, !self.closed.withLock({ $0 }) else { return timer.cancel() }
            if let last = self.lastCommit, ContinuousClock.now - last < Self.textIndexQuietTime { return }
            guard running.withLock({ busy in defer { busy = true }; return !busy }) else { return }
            self.writeQueue.async { self.indexTextSteps { running.withLock { $0 = false } } }
        }
        timer.resume()
    }

    /// Index steps on the writer queue until everything is indexed, the store is closed, or
    /// captures arrive again; then `done`.
    private func indexTextSteps(then done: @escaping @Sendable () -> Void) {
        guard !closed.withLock({ $0 }) else { return done() }
        if let last = lastCommit, ContinuousClock.now - last < Self.textIndexQuietTime { return done() }
        guard let indexed = try? indexTextOnce(), indexed > 0 else { return done() }
        // Behind whatever was queued meanwhile (capture commits go first).
        writeQueue.async { self.indexTextSteps(then: done) }
    }

    /// Indexes the next `textIndexStep` captures above the watermark in one transaction (read,
    /// index and move the watermark together); returns how many. Also used by tests and `index`.
    @discardableResult
    public func indexTextOnce(limit: Int = SQLiteRequestStore.textIndexStep) throws -> Int {
        try pool.write { db in
            let through = try Self.textIndexedThrough(db)
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM request WHERE id > ? ORDER BY id LIMIT ?",
                arguments: [through, limit])
            guard let lastID: Int64 = rows.last?["id"] else { return 0 }
            let insert = try db.cachedStatement(sql: "INSERT INTO request_text (rowid, doc) VALUES (?, ?)")
            for row in rows {
                let capture = try Self.request(from: row)
                try insert.execute(arguments: [capture.id, RequestFilter.indexedText(of: capture)])
            }
            try db.execute(sql: "UPDATE request_text_state SET indexed_through = ?", arguments: [lastID])
            return rows.count
        }
    }

    /// Indexes every capture not indexed yet (tests, benchmarks); returns how many.
    @discardableResult
    public func indexAllText() throws -> Int {
        var total = 0
        while true {
            let n = try indexTextOnce(limit: 2048)
            if n == 0 { return total }
            total += n
        }
    }

    /// The highest id the text index holds.
    public func textIndexedThrough() throws -> Int64 {
        try pool.read { db in try Self.textIndexedThrough(db) }
    }
}
