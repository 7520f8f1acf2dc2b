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

    /// Captures taken out of the text index per pruning transaction. Taking one out costs about
    /// what indexing it did (FTS5's 'delete' tokenizes its text again): a step of 32 two-KB
    /// captures took a median 5.5 ms, where 500 took 124 ms (docs/benchmarks.md, "Pruning and the
    /// text index"); FTS5's own segment merges make some steps longer.
    static let textUnindexStep = 32
    /// Rows of a set-aside text index deleted per transaction while it is dropped.
    static let discardStep = 512

    /// Indexes the captures' text for the filter (`request_text`) in the background, from the
    /// first capture not indexed yet, whenever no capture was committed for `textIndexQuietTime`.
    /// Each step is its own transaction on the writer queue, so capture commits run between steps.
    /// Stops when the store is closed. The listener starts it (unless the text index is turned
    /// off: `discardTextIndex`); stores opened for reading do not. First it drops what is left of
    /// a set-aside index.
    public func startTextIndexing(checkEvery interval: Duration = .milliseconds(200)) {
        writeQueue.async { self.dropDiscardedTextIndexes { dropped in if dropped { self.writeQueue.async { self.giveSpaceBack() } } } }
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

    /// The text index turned off (`listen --no-text-index`, `text_index = false`): nothing is
    /// indexed, the index is emptied at once (set aside, then dropped in steps on the writer queue,
    /// and its pages given back), and text filters read every capture. `startTextIndexing`
    /// builds it again from the first capture.
    public func discardTextIndex() throws {
        try pool.write { db in
            let empty = try Self.textIndexedThrough(db) == 0
                && (try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM request_text_docsize)") ?? true)
            if !empty { try Self.discardTextIndex(db, keepingThrough: 0) }
        }
        writeQueue.async { self.dropDiscardedTextIndexes { dropped in if dropped { self.writeQueue.async { self.giveSpaceBack() } } } }
    }

    /// Every capture up to the watermark is in the index, and no other: true when the oldest
    /// capture is above the watermark (or there is none), so that deleting the oldest ones leaves
    /// nothing behind in the index.
    static func oldestIsUnindexed(_ db: Database) throws -> Bool {
        guard let oldest = try Int64.fetchOne(db, sql: "SELECT min(id) FROM request") else { return true }
        return oldest > (try textIndexedThrough(db))
    }

    /// Takes the captures of `rows` (whole `request` rows) that the index holds out of it, before
    /// they are deleted: FTS5's 'delete' of a contentless table needs the text it indexed, which
    /// `RequestFilter.indexedText` gives again from the row (the target, headers and body never
    /// change). A change to what `indexedText` gives must come with a migration that discards
    /// the index, or these would take out other words than went in.
    static func forgetText(of rows: [Row], db: Database) throws {
        guard !rows.isEmpty else { return }
        let through = try textIndexedThrough(db)
        let delete = try db.cachedStatement(sql: "INSERT INTO request_text (request_text, rowid, doc) VALUES ('delete', ?, ?)")
        for row in rows {
            let capture = try request(from: row)
            guard capture.id <= through else { continue }
            try delete.execute(arguments: [capture.id, RequestFilter.indexedText(of: capture)])
        }
    }

    static let createTextIndexSQL = "CREATE VIRTUAL TABLE request_text USING fts5(doc, content='', tokenize='trigram')"

    /// Replaces the text index with an empty one at once, whatever its size: the old one is
    /// renamed `request_text_discarded_N` and dropped later in steps (`dropDiscardedTextIndexes`),
    /// where FTS5's 'delete-all' or a DROP TABLE would free every page of it in one transaction.
    /// The watermark goes back to `keepingThrough` at most (the captures up to it must be deleted).
    static func discardTextIndex(_ db: Database, keepingThrough: Int64) throws {
        let numbers = try discardedTextIndexes(db).compactMap { Int($0.dropFirst("request_text_discarded_".count)) }
        try db.execute(sql: "ALTER TABLE request_text RENAME TO request_text_discarded_\((numbers.max() ?? 0) + 1)")
        try db.execute(sql: createTextIndexSQL)
        try db.execute(sql: "UPDATE request_text_state SET indexed_through = min(indexed_through, ?)", arguments: [keepingThrough])
    }

    /// The set-aside text indexes (the FTS5 tables, not their shadow tables).
    static func discardedTextIndexes(_ db: Database) throws -> [String] {
        try String.fetchAll(
            db,
            sql: """
                SELECT name FROM sqlite_master
                WHERE type = 'table' AND name GLOB 'request_text_discarded_[0-9]*' AND sql LIKE 'CREATE VIRTUAL TABLE%'
                """)
    }

    /// Drops the set-aside text indexes, `discardStep` rows of their shadow tables per transaction
    /// on the writer queue (capture commits run between the steps), then the emptied tables; then
    /// `done`, told whether there was anything to drop. Runs on `writeQueue` only.
    func dropDiscardedTextIndexes(droppedSoFar: Bool = false, then done: @escaping @Sendable (Bool) -> Void) {
        guard !closed.withLock({ $0 }) else { return done(droppedSoFar) }
        let more = try? pool.write { db -> Bool in
            guard let name = try Self.discardedTextIndexes(db).first else { return false }
            // The rows of 1 and 10 (FTS5's averages and structure records) stay: without them
            // FTS5 cannot open the table, and DROP TABLE opens it.
            for (shadow, rows) in [("data", "rowid > 10"), ("docsize", "1")] {
                let table = "\"\(name)_\(shadow)\""
                try db.execute(sql: "DELETE FROM \(table) WHERE rowid IN (SELECT rowid FROM \(table) WHERE \(rows) LIMIT \(Self.discardStep))")
                if db.changesCount > 0 { return true }
            }
            try db.execute(sql: "DROP TABLE \"\(name)\"")
            return true
        }
        guard more == true else { return done(droppedSoFar) }
        writeQueue.async { self.dropDiscardedTextIndexes(droppedSoFar: true, then: done) }
    }
}
