import Foundation
import GRDB
import GRDBSQLite
import Glibc
import HookCore
import Synchronization

/// Captures in an SQLite file (WAL), through GRDB.
///
/// Writes go through a group committer: concurrent `insert` calls that arrive while a transaction
/// is being committed are written together in the next one, so durability (each request is
/// committed before its response is sent) does not cost one fsync-free transaction per request.
public final class SQLiteRequestStore: NamedRequestStore, CallbackInserting {
    /// Captures handed over together, and who to tell once they are committed.
    private struct Submission {
        var requests: [CapturedRequest]
        var completion: @Sendable (Result<[CapturedRequest], any Error>) -> Void
    }

    private struct WriterState {
        var pending: [Submission] = []
        var pendingCount = 0
        var writing = false
        var count = 0
        /// The highest id among the `count` rows (updated with `count`, after each commit): readers
        /// that start after reading the pair see all of those rows, plus maybe newer ones above it.
        var maxID: Int64 = 0
        /// When the last capture batch was committed: the text indexer waits for a quiet moment.
        var lastCommit: ContinuousClock.Instant?
        /// The oldest id when the store was opened or `checkOtherWriters(changed:)` last looked: a
        /// larger one means rows went.
        var oldestSeen: Int64?
    }

    let pool: DatabasePool
    private let keep: Int?
    private let onCommit: (@Sendable ([CapturedRequest]) -> Void)?
    private let onOtherWriters: (@Sendable ([RequestSummary]) -> Void)?
    private let writer = Mutex(WriterState())
    let writeQueue = DispatchQueue(label: "hookscope.store.writer")
    public let path: String
    public var displayName: String { path }
    /// The database file and its WAL as opened (device and inode): a commit into files that were
    /// deleted or replaced since is not a stored capture (see `checkFilesAreStillOurs`).
    private let files = Mutex(FileIdentities())

    struct FileIdentities {
        var database: FileIdentity?
        var wal: FileIdentity?
    }

    struct FileIdentity: Equatable {
        var device: UInt64
        var inode: UInt64

        init?(_ path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    /// Opens (creating if needed) the database at `path` and migrates it.
    /// - Parameters:
    ///   - keep: retention cap: keep at most this many captures, dropping the oldest first.
    ///   - onCommit: called with each committed batch, in id order, on the writer thread.
    ///   - forReading: a store only read from (`list`, `show`, `export`) may be read-only; one that
    ///     captures may not: SQLite would open a read-only file or mount for reading only, and every
    ///     capture would then fail.
    ///   - onOtherWriters: called with the captures another process (another listener on this file)
    ///     committed, in id order, on the writer thread, before the batch of this store's own that
    ///     follows them: found at each commit and by `checkOtherWriters()`. Nil: not looked for.
    public init(
        path: String, keep: Int? = nil, forReading: Bool = false, onCommit: (@Sendable ([CapturedRequest]) -> Void)? = nil,
        onOtherWriters: (@Sendable ([RequestSummary]) -> Void)? = nil
    ) throws {
        self.path = path
        self.keep = keep
        self.onCommit = onCommit
        self.onOtherWriters = onOtherWriters
        try Self.preparePrivateFiles(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "hookscope"
        configuration.prepareDatabase { db in
            // New databases only (an existing file keeps its page size): a capture with a 2 KB body
            // takes about 2.6 KB, so 4 KB pages hold one capture each; 8 KB pages hold three, which
            // means fewer pages written to the WAL (and copied back at checkpoints) per capture.
            try db.execute(sql: "PRAGMA page_size = 8192")
            // New databases only, too: pages freed by deletes go back to the file system in small
            // steps after each pruning or deleting batch (`incremental_vacuum`), instead of staying
            // in the file until a VACUUM. A store made before keeps auto_vacuum off.
            if !db.configuration.readonly, try Int.fetchOne(db, sql: "PRAGMA page_count") == 0 {
                try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            }
        }
        // One opener at a time across processes: GRDB's migrator reads which migrations ran
        // before it takes SQLite's write lock, so two hookscopes opening a store at the same moment
        // both applied the same migration ("duplicate column name"). The lock is flock(2) on the
        // store's directory, held for the open and the migrations only: a descriptor of the
        // database file itself would, once closed, drop SQLite's own (fcntl) locks on it.
        let directory = (path as NSString).deletingLastPathComponent
        let lockFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if lockFD >= 0 { _ = flock(lockFD, LOCK_EX) }
        defer { if lockFD >= 0 { Glibc.close(lockFD) } }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
            if !forReading, pool.writeWithoutTransaction({ db in sqlite3_db_readonly(db.sqliteConnection, "main") }) == 1 {
                throw StoreError(
                    "cannot open the capture database \(path): it can be read but not written (a read-only file or file system); choose another with --db, or --memory")
            }
            let (count, maxID, oldest) = try pool.read { db in
                (try Int.fetchOne(db, sql: "SELECT count(*) FROM request") ?? 0,
                 try Int64.fetchOne(db, sql: "SELECT max(id) FROM request") ?? 0,
                 try Int64.fetchOne(db, sql: "SELECT min(id) FROM request"))
            }
            writer.withLock { $0.count = count; $0.maxID = maxID; $0.oldestSeen = oldest }
            files.withLock { $0 = FileIdentities(database: FileIdentity(path), wal: FileIdentity(path + "-wal")) }
            if let keep, count > keep { schedulePruning() }
        } catch let error as DatabaseError {
            // Moving a file aside is advice for a damaged one only: never for a live database.
            let damaged = [ResultCode.SQLITE_NOTADB, .SQLITE_CORRUPT].contains(error.resultCode)
            throw StoreError(
                "cannot open the capture database \(path): \(Self.describe(error)); \(damaged ? "move it aside or choose another with --db" : "choose another with --db")")
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot open the capture database \(path): \(error)")
        }
    }

    /// The captures hold Authorization headers and tokens in full: the directory this creates is
    /// 0700 (also an existing one named `hookscope`, the default store's), the database file is
    /// created 0600, and an existing one readable by others is made 0600 with its -wal and -shm.
    /// SQLite creates -wal and -shm with the database file's mode.
    static func preparePrivateFiles(_ path: String) throws {
        let files = FileManager.default
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            if files.fileExists(atPath: directory) {
                if (directory as NSString).lastPathComponent == "hookscope" { chmod(directory, 0o700) }
            } else {
                do {
                    try files.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                } catch {
                    throw StoreError("cannot create the directory for the capture database \(path): \(error.localizedDescription)")
                }
            }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { Glibc.close(fd) }
        for file in [path, path + "-wal", path + "-shm"] {
            var info = stat()
            if stat(file, &info) == 0, info.st_uid == getuid(), info.st_mode & 0o077 != 0 {
                chmod(file, 0o600)
            }
        }
    }

    static func describe(_ error: DatabaseError) -> String {
        switch error.resultCode {
        case .SQLITE_NOTADB: "the file is not an SQLite database"
        case .SQLITE_CORRUPT: "the database file is damaged"
        case .SQLITE_CANTOPEN: "the file cannot be opened"
        case .SQLITE_READONLY: "the file is read-only"
        case .SQLITE_PERM: "permission denied"
        case .SQLITE_FULL: "the disk is full"
        case .SQLITE_BUSY, .SQLITE_LOCKED: "another process kept it locked for 5 s (another hookscope?)"
        default: error.message ?? "SQLite error \(error.resultCode.rawValue)"
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE request (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    received_at INTEGER NOT NULL,
                    method TEXT NOT NULL,
                    target BLOB NOT NULL,
                    http_version TEXT NOT NULL,
                    remote TEXT NOT NULL,
                    body_size INTEGER NOT NULL,
                    chunked INTEGER NOT NULL,
                    refusal TEXT,
                    response_status INTEGER NOT NULL,
                    sig_provider TEXT,
                    sig_status TEXT NOT NULL,
                    sig_detail TEXT NOT NULL,
                    headers BLOB NOT NULL,
                    response_headers BLOB NOT NULL,
                    response_body BLOB NOT NULL,
                    body BLOB NOT NULL
                )
                """)
        }
        migrator.registerMigration("v2-replays") { db in
            try db.execute(sql: """
                CREATE TABLE replay (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    request_id INTEGER NOT NULL REFERENCES request(id) ON DELETE CASCADE,
                    started_at INTEGER NOT NULL,
                    target_url TEXT NOT NULL,
                    resigned INTEGER NOT NULL,
                    changed_headers TEXT NOT NULL,
                    response_status INTEGER,
                    response_headers BLOB,
                    response_body BLOB,
                    error TEXT,
                    duration_ns INTEGER NOT NULL
                );
                CREATE INDEX replay_request ON replay(request_id);
                """)
        }
        migrator.registerMigration("v3-id-index") { db in
            // A narrow index over the ids: the virtualized list asks for "the N-th capture", and
            // stepping over N entries of this index costs little, where stepping over N table rows
            // (each with its headers and body) took seconds at a million captures.
            try db.execute(sql: "CREATE INDEX request_ids ON request(id)")
        }
        migrator.registerMigration("v4-replay-kind") { db in
            // Forwards (`listen --forward-to`) and replays someone asked for, told apart. Attempts
            // stored before were all counted as replays.
            try db.execute(sql: "ALTER TABLE replay ADD COLUMN kind TEXT NOT NULL DEFAULT 'replay'")
        }
        migrator.registerMigration("v5-unexplained") { db in
            // The ids of captures whose verdict was stored without its cause (a flood used up the
            // diagnosis budget), kept apart so that the listener explains them later whatever
            // their age, also after a restart. A database from before this table is looked at
            // among its newest 10,000 captures only: a scan of a large store would delay the start.
            try db.execute(sql: """
                CREATE TABLE unexplained (id INTEGER PRIMARY KEY);
                INSERT INTO unexplained (id)
                    SELECT id FROM request
                    WHERE id > (SELECT coalesce(max(id), 0) - 10000 FROM request)
                        AND sig_status = ? AND instr(sig_detail, ?) > 0;
                """, arguments: [VerdictStatus.invalid.rawValue, SignatureSummary.notDiagnosedNote])
        }
        migrator.registerMigration("v6-replay-failure") { db in
            // The kind of a failed attempt (a `ReplayFailure` raw value), NULL when the target
            // answered. Attempts stored without it are classified here from their message.
            try db.execute(sql: "ALTER TABLE replay ADD COLUMN failure TEXT")
            let unanswered = try Row.fetchAll(db, sql: "SELECT id, error FROM replay WHERE response_status IS NULL")
            for row in unanswered {
                let failure = Self.failureOfOldRow(message: row["error"])
                try db.execute(sql: "UPDATE replay SET failure = ? WHERE id = ?", arguments: [failure.rawValue, row["id"]])
            }
        }
        migrator.registerMigration("v7-sig-diagnosis") { db in
            // Whether a mismatch's cause was looked for (a `DiagnosisState` raw value; NULL when it
            // was). Rows stored before it are in the `unexplained` table when it was not; whether
            // it was skipped or deferred is read from the note their detail ends with.
            try db.execute(sql: """
                ALTER TABLE request ADD COLUMN sig_diagnosis TEXT;
                UPDATE request SET sig_diagnosis = CASE WHEN instr(sig_detail, ?) > 0 THEN ? ELSE ? END
                    WHERE id IN (SELECT id FROM unexplained);
                """, arguments: [SignatureSummary.diagnosedLaterNote, DiagnosisState.deferred.rawValue, DiagnosisState.skipped.rawValue])
        }
        migrator.registerMigration("v8-replay-edited-and-targets") { db in
            // Whether an attempt sent a copy edited in the editor (attempts stored before were not),
            // and the replay targets used, so the replay prompt offers them after a restart:
            // `used` orders them, newest highest.
            try db.execute(sql: """
                ALTER TABLE replay ADD COLUMN edited INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE replay_target (url TEXT PRIMARY KEY, used INTEGER NOT NULL);
                """)
        }
        migrator.registerMigration("v9-local-address") { db in
            // "ip:port" the capture arrived on; NULL for the rows stored before. After the body in
            // the row: only whole-capture reads, which read the body anyway, select it.
            try db.execute(sql: "ALTER TABLE request ADD COLUMN local_address TEXT")
        }
        migrator.registerMigration("v10-deliveries") { db in
            // The provider's event type and delivery id (read by the listener before the insert),
            // and which attempt of that delivery the capture is (numbered by the insert). `attempt`
            // is NULL for the rows stored before: their identity is read later, off the capture path
            // (`DeliveryCatchUp`), and `request_unidentified` finds them. `request_delivery` serves
            // the attempt count of each insert, the `delivery:` filter and the detail's list of
            // attempts; `request_event` the `event:` filter's prefix globs.
            try db.execute(sql: """
                ALTER TABLE request ADD COLUMN event TEXT;
                ALTER TABLE request ADD COLUMN delivery_id TEXT;
                ALTER TABLE request ADD COLUMN attempt INTEGER;
                CREATE INDEX request_delivery ON request(delivery_id, id) WHERE delivery_id IS NOT NULL;
                CREATE INDEX request_event ON request(event) WHERE event IS NOT NULL;
                CREATE INDEX request_unidentified ON request(id) WHERE attempt IS NULL;
                """)
        }
        migrator.registerMigration("v11-rules") { db in
            // The response rule that answered (name or 1-based index) and the failure the sender got
            // instead of a response (`timeout`, `reset`, `close`; `response_status` is then 0); NULL
            // for the listener's own answer and for the rows stored before.
            try db.execute(sql: """
                ALTER TABLE request ADD COLUMN rule TEXT;
                ALTER TABLE request ADD COLUMN failure TEXT;
                """)
        }
        migrator.registerMigration("v12-filter-index") { db in
            // The filter's terms on columns as index searches (`FilterSQL.condition`): each index
            // is ordered by id within a value, so the first screenful of matches is read in id
            // order without a scan. NOCASE: methods and provider ids compare ASCII-case-insensitively.
            // Text terms look up `request_text`, an FTS5 trigram index (substrings of 3+ characters,
            // case-insensitive) of `RequestFilter.indexedText`, contentless (the captures hold the
            // text). `TextIndexer` fills it off the capture path, up to `indexed_through`.
            try db.execute(sql: """
                CREATE INDEX request_method ON request(method COLLATE NOCASE);
                CREATE INDEX request_status ON request(response_status);
                CREATE INDEX request_sig_status ON request(sig_status);
                CREATE INDEX request_sig_provider ON request(sig_provider COLLATE NOCASE);
                CREATE VIRTUAL TABLE request_text USING fts5(doc, content='', tokenize='trigram');
                CREATE TABLE request_text_state (indexed_through INTEGER NOT NULL);
                INSERT INTO request_text_state (indexed_through) VALUES (0);
                """)
        }
        migrator.registerMigration("v13-text-index") { db in
            // The method index leaves POST out: nearly every webhook is a POST, so the capture
            // path skips this index's insert (it cost about a quarter of the four column indexes'
            // 11.6% of a capture's instructions, docs/benchmarks.md); `method:POST` reads the
            // captures in id order instead, where POSTs are dense (`FilterSQL.condition`).
            try db.execute(sql: """
                DROP INDEX request_method;
                CREATE INDEX request_method ON request(method COLLATE NOCASE) WHERE method <> 'POST';
                """)
            // Pruning and deletes take captures out of `request_text` since this migration. Stores
            // pruned before it hold entries of deleted captures there (harmless to results: every
            // candidate is joined to the captures, but the index only grew): their index is set
            // aside, dropped in steps by the next listener, and built again from the start.
            let through = try Self.textIndexedThrough(db)
            let entries = try Int.fetchOne(db, sql: "SELECT count(*) FROM request_text_docsize") ?? 0
            let indexed = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM request INDEXED BY request_ids WHERE id <= ?", arguments: [through]) ?? 0
            if entries != indexed { try Self.discardTextIndex(db, keepingThrough: 0) }
        }
        return migrator
    }

    /// The kind of failure of a row stored before the `failure` column, read from its message:
    /// the messages `HTTPReplayer`, `ReplayPlan` and `Forwarder` wrote then start with these words.
    private static func failureOfOldRow(message: String?) -> ReplayFailure {
        let text = message ?? ""
        if text.hasPrefix("connection refused") { return .refused }
        if text.hasPrefix("connection reset") { return .reset }
        if text.hasPrefix("timed out") { return .timeout }
        if text.hasPrefix("TLS handshake failed") { return .tls }
        if text.hasPrefix("cannot resolve host") { return .dns }
        if text.hasPrefix("forward queue full") || text.hasPrefix("forwarding has stopped") { return .dropped }
        if text.hasPrefix("invalid URL") || text.hasPrefix("refusing to send") || text.hasPrefix("cannot re-sign") {
            return .unsent
        }
        return .other
    }

    static let summaryColumns =
        "id, received_at, method, target, body_size, response_status, refusal, sig_provider, sig_status, sig_detail, sig_diagnosis, rule, failure, event, delivery_id, attempt"

    // MARK: writing

    public func insert(_ request: CapturedRequest) async throws -> CapturedRequest {
        try await withCheckedThrowingContinuation { continuation in
            insert(request) { continuation.resume(with: $0) }
        }
    }

    /// The same as `insert(_:)` for callers that are not async (the listener's event loops): the
    /// completion runs on the writer thread once the capture is committed.
    public func insert(_ request: CapturedRequest, completion: @escaping @Sendable (Result<CapturedRequest, any Error>) -> Void) {
        insert(contentsOf: [request]) { completion($0.map { $0[0] }) }
    }

    /// Several captures at once: one lock and at most one wake-up of the writer for all of them, and
    /// one completion (on the writer thread) once they are committed.
    public func insert(contentsOf requests: [CapturedRequest], completion: @escaping @Sendable (Result<[CapturedRequest], any Error>) -> Void) {
        guard !requests.isEmpty else { return completion(.success([])) }
        let startWriter = writer.withLock { state -> Bool in
            state.pending.append(Submission(requests: requests, completion: completion))
            state.pendingCount += requests.count
            if state.writing { return false }
            state.writing = true
            return true
        }
        if startWriter {
            writeQueue.async { self.drain() }
        }
    }

    /// Commits pending inserts in batches until none are left. Runs on `writeQueue` only.
    private func drain() {
        while true {
            if closed.withLock({ $0 }) {
                let submissions = writer.withLock { state in
                    defer { state.pending.removeAll(); state.pendingCount = 0; state.writing = false }
                    return state.pending
                }
                for submission in submissions { submission.completion(.failure(StoreError("the capture store is closed"))) }
                return
            }
            let (submissions, count) = writer.withLock { state -> ([Submission], Int) in
                if state.pending.isEmpty {
                    state.writing = false
                    return ([], 0)
                }
                defer {
                    state.pending.removeAll(keepingCapacity: true)
                    state.pendingCount = 0
                }
                return (state.pending, state.pendingCount)
            }
            if submissions.isEmpty { return }
            do {
                // The retention cap is kept by the commit only for what this batch adds (plus a
                // little): a larger excess (a store opened with a smaller --keep) is pruned in
                // batches of its own between commits, so no capture waits behind a bulk delete.
                let (excess, backlog) = writer.withLock { state -> (Int, Bool) in
                    let over = keep.map { max(0, state.count + count - $0) } ?? 0
                    let now = min(over, count + Self.pruneStep)
                    return (now, over > now)
                }
                if backlog { schedulePruning() }
                let knownMaxID = writer.withLock { $0.maxID }
                var others: [RequestSummary] = []
                var pruned = 0
                let stored = try pool.write { db -> [CapturedRequest] in
                    // Rows above the last id this store committed or reported are another process's.
                    if onOtherWriters != nil { others = try Self.summaries(after: knownMaxID, in: db) }
                    var stored: [CapturedRequest] = []
                    stored.reserveCapacity(count)
                    let statement = try db.cachedStatement(sql: Self.insertSQL)
                    var scratch: [UInt8] = []
                    for submission in submissions {
                        for request in submission.requests {
                            var copy = request
                            // Counted inside the transaction: earlier captures of this batch count too.
                            copy.attempt = try request.deliveryID.map { id in
                                1 + (try Int.fetchOne(db.cachedStatement(sql: Self.countDeliverySQL), arguments: [id]) ?? 0)
                            } ?? 1
                            try Self.insert(copy, with: statement, scratch: &scratch, db: db)
                            copy.id = db.lastInsertedRowID
                            if request.signature.causeNotLookedFor {
                                try db.cachedStatement(sql: Self.noteUnexplainedSQL).execute(arguments: [copy.id])
                            }
                            stored.append(copy)
                        }
                    }
                    // Only captures the text index does not hold: taking one out of it costs about
                    // as much as indexing it, so the oldest indexed ones are left to `pruneOnce`.
                    if excess > 0, try Self.oldestIsUnindexed(db) {
                        try db.execute(
                            sql: "DELETE FROM request WHERE id IN (SELECT id FROM request ORDER BY id LIMIT ?)",
                            arguments: [excess])
                        pruned = db.changesCount
                        try db.execute(sql: "DELETE FROM unexplained WHERE id < (SELECT min(id) FROM request)")
                    }
                    return stored
                }
                if pruned < excess { schedulePruning() }
                try checkFilesAreStillOurs()
                writer.withLock { state in
                    state.count += others.count + stored.count - pruned
                    state.lastCommit = .now
                    if let last = stored.last?.id { state.maxID = max(state.maxID, last) }
                }
                if !others.isEmpty { onOtherWriters?(others) }
                onCommit?(stored)
                var start = 0
                for submission in submissions {
                    let end = start + submission.requests.count
                    submission.completion(.success(Array(stored[start..<end])))
                    start = end
                }
            } catch {
                let failure = (error as? DatabaseError).map { StoreError("cannot store the capture: \(Self.describe($0))") }
                for submission in submissions {
                    submission.completion(.failure(failure ?? error))
                }
            }
        }
    }

    /// Looks for captures another process committed since this store's last commit or check and
    /// hands them to `onOtherWriters` (a `SQLiteChangeWatcher` calls this when the file changed).
    /// Returns at once; the work runs on the writer thread, between commits.
    ///
    /// With `changed` (a viewer, `watch`): a change that added no capture, or one after which the
    /// oldest capture is another, changed or deleted rows; the count is read again then (it is
    /// kept, not counted, otherwise) and `changed` says which.
    public func checkOtherWriters(changed: (@Sendable (StoreChange) -> Void)? = nil) {
        guard onOtherWriters != nil else { return }
        writeQueue.async {
            guard !self.closed.withLock({ $0 }) else { return }
            let (knownMaxID, oldestBefore) = self.writer.withLock { ($0.maxID, $0.oldestSeen) }
            // One snapshot: the count (when read) holds exactly the rows up to the last of `others`.
            guard let (others, oldest, total) = try? self.pool.read({ db -> ([RequestSummary], Int64?, Int?) in
                let others = try Self.summaries(after: knownMaxID, in: db)
                let oldest = try Int64.fetchOne(db, sql: "SELECT min(id) FROM request")
                guard changed != nil, others.isEmpty || (oldestBefore != nil && oldest != oldestBefore) else { return (others, oldest, nil) }
                return (others, oldest, try Int.fetchOne(db, sql: "SELECT count(*) FROM request") ?? 0)
            }) else { return }
            let change = self.writer.withLock { state -> StoreChange? in
                state.oldestSeen = oldest
                guard let total else { return nil }
                defer { state.count = total - others.count }
                return total < state.count + others.count ? .deleted : .updated
            }
            if let last = others.last {
                self.writer.withLock { state in
                    state.count += others.count
                    state.maxID = max(state.maxID, last.id)
                }
                self.onOtherWriters?(others)
            }
            if let change { changed?(change) }
        }
    }

    /// The summaries of the rows above `id`, oldest first.
    private static func summaries(after id: Int64, in db: Database) throws -> [RequestSummary] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT \(summaryColumns) FROM request WHERE id > ? ORDER BY id"), arguments: [id])
            .map(summary(from:))
    }

    /// Rows deleted in one transaction by pruning and `deleteAll`: about 10 ms of work for 2 KB
    /// captures, so a capture commit queued behind one waits about that long at most.
    static let pruneStep = 500

    private let pruning = Mutex(false)

    /// Deletes the oldest captures beyond `keep`, `pruneStep` at a time on the writer queue, each
    /// batch its own transaction, until the store holds `keep`; then, after a bulk prune, gives
    /// the space back (`checkpoint(.truncate)` and `incremental_vacuum`). Capture commits queued
    /// meanwhile run between the batches. Captures the text index holds leave it in the same
    /// transaction as their rows, `textUnindexStep` at a time.
    private func schedulePruning() {
        guard let keep, !pruning.withLock({ running in defer { running = true }; return running }) else { return }
        writeQueue.async { self.pruneOnce(keep: keep, removedSoFar: 0) }
    }

    /// One batch of `schedulePruning`, on the writer queue; queues the next behind whatever
    /// commits were queued meanwhile.
    private func pruneOnce(keep: Int, removedSoFar: Int) {
        if closed.withLock({ $0 }) { return }
        let excess = writer.withLock { max(0, $0.count - keep) }
        guard excess > 0 else {
            pruning.withLock { $0 = false }
            // Not after the capture or two a commit left to this (the oldest were indexed): SQLite
            // reuses their pages for the next captures.
            if removedSoFar >= Self.pruneStep { giveSpaceBack() }
            return
        }
        let removed: Int
        do {
            removed = try pool.write { db -> Int in
                var limit = min(excess, Self.pruneStep)
                if try !Self.oldestIsUnindexed(db) {
                    // The oldest captures are in the text index: out of it first, with their text.
                    let rows = try Row.fetchAll(
                        db, sql: "SELECT * FROM request WHERE id <= ? ORDER BY id LIMIT ?",
                        arguments: [try Self.textIndexedThrough(db), min(limit, Self.textUnindexStep)])
                    try Self.forgetText(of: rows, db: db)
                    limit = rows.count
                }
                try db.execute(
                    sql: "DELETE FROM request WHERE id IN (SELECT id FROM request ORDER BY id LIMIT ?)",
                    arguments: [limit])
                let removed = db.changesCount
                try db.execute(sql: "DELETE FROM unexplained WHERE id < (SELECT coalesce(min(id), 0) FROM request)")
                return removed
            }
            writer.withLock { $0.count = removed == 0 ? keep : $0.count - removed }
        } catch {
            pruning.withLock { $0 = false }
            return
        }
        writeQueue.async { self.pruneOnce(keep: keep, removedSoFar: removedSoFar + removed) }
    }

    /// After a bulk delete: the WAL back to nothing and free pages back to the file system (in
    /// steps, for stores created with incremental auto-vacuum; a no-op for older ones).
    /// One step of 2,000 pages at a time on the writer queue, like the pruning batches, so that
    /// capture commits queued meanwhile run between the steps; `done` runs after the last one.
    /// Runs on `writeQueue` only.
    func giveSpaceBack(then done: @escaping @Sendable () -> Void = {}) {
        guard !closed.withLock({ $0 }) else { return done() }
        let freed = (try? pool.writeWithoutTransaction { db -> Int in
            let before = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            guard before > 0 else { return 0 }
            try db.execute(sql: "PRAGMA incremental_vacuum(2000)")
            return before - (try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0)
        }) ?? 0
        if freed > 0 {
            writeQueue.async { self.giveSpaceBack(then: done) }
            return
        }
        _ = try? pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        done()
    }

    /// Two `stat` calls per commit (a batch of captures): the database file and its WAL must still
    /// be the ones opened. Deleted (`rm` of the file, its -wal and -shm) or replaced, SQLite would
    /// go on writing into unlinked files, gone at exit: every capture from then on fails instead
    /// (the sender gets a 5xx and can retry; the listener says why), and nothing is acknowledged
    /// that cannot be read back.
    private func checkFilesAreStillOurs() throws {
        let current = FileIdentities(database: FileIdentity(path), wal: FileIdentity(path + "-wal"))
        let lost = files.withLock { opened -> Bool in
            if opened.wal == nil { opened.wal = current.wal }
            return current.database == nil || current.database != opened.database || (opened.wal != nil && current.wal != opened.wal)
        }
        if lost {
            throw StoreError(
                "the capture database was deleted or replaced while hookscope was running: captures cannot be stored; restart hookscope to create a new one")
        }
    }

    private static let insertSQL = """
        INSERT INTO request (received_at, method, target, http_version, remote, body_size, chunked,
            refusal, response_status, sig_provider, sig_status, sig_detail, headers,
            response_headers, response_body, body, sig_diagnosis, local_address, rule, failure, event, delivery_id, attempt)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// The captures of a delivery the store holds, counted through `request_delivery` up to
    /// `DeliveryNumbering.counted`, then the newest one's attempt number (`DeliveryNumbering`).
    private static let countDeliverySQL = """
        SELECT CASE WHEN n < \(DeliveryNumbering.counted) THEN n
            ELSE coalesce((SELECT attempt FROM request WHERE delivery_id = ?1 ORDER BY id DESC LIMIT 1), n) END
        FROM (SELECT count(*) AS n FROM (SELECT 1 FROM request WHERE delivery_id = ?1 LIMIT \(DeliveryNumbering.counted)))
        """

    /// Inserts one capture with the prepared INSERT, binding every value straight from the capture
    /// (no `StatementArguments`, no intermediate `Data`): this runs once per captured request.
    /// SQLite copies each bound text and blob (`SQLITE_TRANSIENT`), so `scratch` can be reused.
    private static func insert(_ request: CapturedRequest, with statement: Statement, scratch: inout [UInt8], db: Database) throws {
        let handle = statement.sqliteStatement
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        var code = SQLITE_OK
        func check(_ result: CInt) { if code == SQLITE_OK { code = result } }
        func bind(_ index: CInt, _ text: String?) {
            guard var text else { return check(sqlite3_bind_null(handle, index)) }
            text.withUTF8 { utf8 in
                utf8.withMemoryRebound(to: CChar.self) { chars in
                    if let base = chars.baseAddress {
                        // The 64-bit length: SQLite answers SQLITE_TOOBIG past its limit where a CInt would trap.
                        check(sqlite3_bind_text64(handle, index, base, sqlite3_uint64(chars.count), transient, UInt8(SQLITE_UTF8)))
                    } else {
                        check(sqlite3_bind_text(handle, index, "", 0, transient))
                    }
                }
            }
        }
        func bind(_ index: CInt, _ bytes: UnsafeRawBufferPointer) {
            // A zero-length blob, not NULL, when there are no bytes (the columns are NOT NULL).
            check(sqlite3_bind_blob64(handle, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, sqlite3_uint64(bytes.count), transient))
        }
        check(sqlite3_bind_int64(handle, 1, request.receivedAt.nanosecondsSince1970))
        bind(2, request.method)
        request.rawTarget.withUnsafeBytes { bind(3, $0) }
        bind(4, request.httpVersion)
        bind(5, request.remoteAddress)
        check(sqlite3_bind_int64(handle, 6, Int64(request.bodySize)))
        check(sqlite3_bind_int64(handle, 7, request.bodyWasChunked ? 1 : 0))
        bind(8, request.refusal?.rawValue)
        check(sqlite3_bind_int64(handle, 9, Int64(request.response.status)))
        bind(10, request.signature.provider)
        bind(11, request.signature.status.rawValue)
        bind(12, request.signature.detail)
        HeaderCoding.encode(request.headers, into: &scratch)
        scratch.withUnsafeBytes { bind(13, $0) }
        HeaderCoding.encode(request.response.headers, into: &scratch)
        scratch.withUnsafeBytes { bind(14, $0) }
        request.response.body.withUnsafeBytes { bind(15, $0) }
        request.body.withUnsafeBytes { bind(16, $0) }
        bind(17, Self.storedDiagnosis(request.signature))
        bind(18, request.localAddress)
        bind(19, request.rule)
        bind(20, request.failure?.rawValue)
        bind(21, request.event)
        bind(22, request.deliveryID)
        check(sqlite3_bind_int64(handle, 23, Int64(request.attempt)))
        if code == SQLITE_OK {
            code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
        }
        let message = db.sqliteConnection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: insertSQL)
    }

    /// SQLite's `SQLITE_TRANSIENT` (a macro Swift cannot import): SQLite copies the value before the call returns.
    private static var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

    private static let noteUnexplainedSQL = "INSERT OR IGNORE INTO unexplained (id) VALUES (?)"

    public func updateSignature(id: Int64, _ signature: SignatureSummary) async throws {
        try await updateSignatures([(id, signature)])
    }

    /// Also keeps the `unexplained` table in step: a verdict without its cause is noted there (the
    /// re-verification after a secret changed can store one), an explained one is taken out.
    public func updateSignatures(_ updates: [(id: Int64, signature: SignatureSummary)]) async throws {
        guard !updates.isEmpty else { return }
        try await pool.write { db in
            let statement = try db.cachedStatement(
                sql: "UPDATE request SET sig_provider = ?, sig_status = ?, sig_detail = ?, sig_diagnosis = ? WHERE id = ?")
            let note = try db.cachedStatement(sql: Self.noteUnexplainedSQL)
            let explained = try db.cachedStatement(sql: "DELETE FROM unexplained WHERE id = ?")
            for (id, signature) in updates {
                try statement.execute(arguments: [
                    signature.provider, signature.status.rawValue, signature.detail, Self.storedDiagnosis(signature), id,
                ])
                if db.changesCount == 0 { continue }
                try (signature.causeNotLookedFor ? note : explained).execute(arguments: [id])
            }
        }
    }

    public func updateResponse(id: Int64, _ response: CapturedResponse) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE request SET response_status = ?, response_headers = ?, response_body = ? WHERE id = ?",
                arguments: [response.status, HeaderCoding.encode(response.headers), response.body, id])
        }
    }

    public func unexplainedIDs(afterID: Int64, limit: Int) async throws -> [Int64] {
        try await pool.read { db in
            // Joined with the captures: an id whose capture was deleted by another process is not returned.
            try Int64.fetchAll(
                db,
                sql: "SELECT unexplained.id FROM unexplained JOIN request USING (id) WHERE unexplained.id > ? ORDER BY unexplained.id LIMIT ?",
                arguments: [afterID, limit])
        }
    }

    public func delete(id: Int64) async throws {
        let removed = try await pool.write { db in
            try Self.forgetText(of: try Row.fetchAll(db, sql: "SELECT * FROM request WHERE id = ?", arguments: [id]), db: db)
            try db.execute(sql: "DELETE FROM request WHERE id = ?", arguments: [id])
            let removed = db.changesCount
            try db.execute(sql: "DELETE FROM unexplained WHERE id = ?", arguments: [id])
            return removed
        }
        writer.withLock { $0.count -= removed }
    }

    /// Removes the captures whose ids fall in `ranges`, in one transaction (an import that failed
    /// takes back what it stored).
    public func delete(idRanges ranges: [ClosedRange<Int64>]) async throws {
        guard !ranges.isEmpty else { return }
        let removed = try await pool.write { db in
            var removed = 0
            let through = try Self.textIndexedThrough(db)
            for range in ranges {
                try Self.forgetText(
                    of: try Row.fetchAll(
                        db, sql: "SELECT * FROM request WHERE id BETWEEN ? AND ? AND id <= ?",
                        arguments: [range.lowerBound, range.upperBound, through]),
                    db: db)
                try db.execute(sql: "DELETE FROM request WHERE id BETWEEN ? AND ?", arguments: [range.lowerBound, range.upperBound])
                removed += db.changesCount
                try db.execute(sql: "DELETE FROM unexplained WHERE id BETWEEN ? AND ?", arguments: [range.lowerBound, range.upperBound])
            }
            return removed
        }
        writer.withLock { $0.count -= removed }
    }

    /// Closes the database; the store must not be used afterwards.
    /// Checkpoints the WAL into the database file, then closes: a copy of the file alone then
    /// holds every capture. (SQLite checkpoints when the last connection closes, but the pool's
    /// read-only readers may be that last one, and they cannot.)
    /// Runs on the writer queue, after whatever commits, pruning batches or space-giving were
    /// queued before it; those queued after see `closed` and leave the pool alone.
    public func close() throws {
        try writeQueue.sync {
            closed.withLock { $0 = true }
            _ = try? pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
            try pool.close()
        }
    }

    /// When the last capture batch was committed (nil before the first).
    var lastCommit: ContinuousClock.Instant? { writer.withLock { $0.lastCommit } }

    /// Set by `close()`, on the writer queue: work queued there afterwards does nothing.
    let closed = Mutex(false)

    /// Deletes every capture stored so far, `pruneStep` at a time (each batch its own
    /// transaction, so captures arriving meanwhile are committed between batches and kept), then
    /// gives the space back. `progress` is told how many were deleted after each batch.
    public func deleteAll() async throws {
        try await deleteAll(progress: { _ in })
    }

    public func deleteAll(progress: @Sendable (Int) -> Void) async throws {
        let last = try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM request") ?? 0 }
        var deleted = 0
        while true {
            let removed = try await pool.write { db -> Int in
                try db.execute(
                    sql: "DELETE FROM request WHERE id IN (SELECT id FROM request WHERE id <= ? ORDER BY id LIMIT ?)",
                    arguments: [last, Self.pruneStep])
                let removed = db.changesCount
                try db.execute(sql: "DELETE FROM unexplained WHERE id <= ? AND id NOT IN (SELECT id FROM request)", arguments: [last])
                return removed
            }
            if removed == 0 { break }
            deleted += removed
            writer.withLock { $0.count = max(0, $0.count - removed) }
            progress(deleted)
        }
        writer.withLock { state in if state.count == 0 { state.maxID = 0 } }
        // The text index starts empty (the old one is set aside, then dropped in steps); captures
        // above `last` that it held become "not indexed yet" (the watermark goes back to `last`),
        // so filters read them until they are indexed again.
        try await pool.write { db in try Self.discardTextIndex(db, keepingThrough: last) }
        await withCheckedContinuation { continuation in
            writeQueue.async {
                self.dropDiscardedTextIndexes { _ in self.writeQueue.async { self.giveSpaceBack { continuation.resume() } } }
            }
        }
    }

    public func addReplay(_ attempt: ReplayAttempt) async throws -> ReplayAttempt {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO replay (request_id, kind, started_at, target_url, resigned, changed_headers, response_status,
                        response_headers, response_body, error, failure, duration_ns, edited)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    attempt.requestID, attempt.kind.rawValue, attempt.startedAt.nanosecondsSince1970, attempt.targetURL, attempt.resigned,
                    attempt.changedHeaders.joined(separator: "\n"), attempt.response?.status,
                    attempt.response.map { HeaderCoding.encode($0.headers) }, attempt.response?.body, attempt.error,
                    attempt.failure?.rawValue, attempt.durationNanoseconds, attempt.edited,
                ])
            var stored = attempt
            stored.id = db.lastInsertedRowID
            return stored
        }
    }

    public func replays(ofRequest requestID: Int64) async throws -> [ReplayAttempt] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM replay WHERE request_id = ? ORDER BY id", arguments: [requestID]).map(Self.attempt(from:))
        }
    }

    public func replays(ofRequests ids: [Int64]) async throws -> [Int64: [ReplayAttempt]] {
        guard !ids.isEmpty else { return [:] }
        return try await pool.read { db in
            var attempts: [Int64: [ReplayAttempt]] = [:]
            // In chunks, under SQLite's limit on bound parameters.
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = Array(ids[start..<min(ids.count, start + 500)])
                let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM replay WHERE request_id IN (\(placeholders)) ORDER BY id", arguments: StatementArguments(chunk))
                for row in rows {
                    let attempt = try Self.attempt(from: row)
                    attempts[attempt.requestID, default: []].append(attempt)
                }
            }
            return attempts
        }
    }

    /// A `replay` row as the attempt it records.
    private static func attempt(from row: Row) throws -> ReplayAttempt {
        let status: Int? = row["response_status"]
        let changed: String = row["changed_headers"]
        return ReplayAttempt(
            id: row["id"], kind: ReplayKind(rawValue: row["kind"] ?? "") ?? .replay, requestID: row["request_id"],
            startedAt: CaptureTime(nanosecondsSince1970: row["started_at"]), targetURL: row["target_url"],
            resigned: row["resigned"], changedHeaders: changed.isEmpty ? [] : changed.components(separatedBy: "\n"),
            response: try status.map { status in
                CapturedResponse(
                    status: status, headers: try HeaderCoding.decode(row["response_headers"] ?? Data()),
                    body: row["response_body"] ?? Data())
            },
            error: row["error"], failure: Self.failure(row), durationNanoseconds: row["duration_ns"], edited: row["edited"])
    }

    /// The `failure` column of a `replay` row (nil for a value this version does not know).
    private static func failure(_ row: Row) -> ReplayFailure? {
        (row["failure"] as String?).flatMap(ReplayFailure.init(rawValue:))
    }

    public func latestForwards(among ids: [Int64]) async throws -> [Int64: ReplayOutcome] {
        try await latestReplays(among: ids, preferring: .forward).filter { $0.value.kind == .forward }
    }

    public func latestReplays(among ids: [Int64], preferring kind: ReplayKind?) async throws -> [Int64: ReplayOutcome] {
        guard !ids.isEmpty else { return [:] }
        return try await pool.read { db in
            var outcomes: [Int64: ReplayOutcome] = [:]
            // In chunks, under SQLite's limit on bound parameters.
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = Array(ids[start..<min(ids.count, start + 500)])
                let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                // The newest attempt per capture (of `kind` where there is one), without reading the response bodies.
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT request_id, kind, target_url, response_status, error, failure, duration_ns, resigned, edited FROM replay
                        WHERE id IN (
                            SELECT coalesce(MAX(CASE WHEN kind = ? THEN id END), MAX(id)) FROM replay
                            WHERE request_id IN (\(placeholders)) GROUP BY request_id)
                        """,
                    arguments: StatementArguments([kind?.rawValue as (any DatabaseValueConvertible)?] + chunk.map { $0 as (any DatabaseValueConvertible)? }))
                for row in rows {
                    let outcome = ReplayOutcome(
                        requestID: row["request_id"], kind: ReplayKind(rawValue: row["kind"] ?? "") ?? .replay, targetURL: row["target_url"], status: row["response_status"],
                        error: row["error"], failure: Self.failure(row), durationNanoseconds: row["duration_ns"],
                        resigned: row["resigned"], edited: row["edited"])
                    outcomes[outcome.requestID] = outcome
                }
            }
            return outcomes
        }
    }

    public func replayTargets(limit: Int) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT url FROM replay_target ORDER BY used DESC LIMIT ?", arguments: [limit])
        }
    }

    public func rememberReplayTarget(_ target: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO replay_target (url, used) VALUES (?, (SELECT coalesce(max(used), 0) + 1 FROM replay_target))
                    ON CONFLICT (url) DO UPDATE SET used = excluded.used
                    """,
                arguments: [target])
            try db.execute(
                sql: "DELETE FROM replay_target WHERE url NOT IN (SELECT url FROM replay_target ORDER BY used DESC LIMIT ?)",
                arguments: [replayTargetsKept])
        }
    }

    // MARK: reading

    public func count() async throws -> Int {
        writer.withLock { $0.count }
    }

    public func request(id: Int64) async throws -> CapturedRequest? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM request WHERE id = ?"), arguments: [id]).map(Self.request(from:))
        }
    }

    public func summaries(offset: Int, limit: Int) async throws -> [RequestSummary] {
        // `total` rows have ids <= `maxID`, and the read below starts after this pair was written, so
        // it sees all of them; captures committed meanwhile have larger ids and are left out of the
        // count from the end (positions are ranks by id, so appending never moves a row).
        let (total, maxID) = writer.withLock { ($0.count, $0.maxID) }
        guard limit > 0, offset < total else { return [] }
        return try await pool.read { db in
            // Find the first id of the window through the narrow id index, from whichever end is
            // nearer, then read the window by id.
            let offset = max(0, offset)
            let firstID: Int64?
            if offset > total / 2 {
                firstID = try Int64.fetchOne(
                    db, sql: "SELECT id FROM request INDEXED BY request_ids WHERE id <= ? ORDER BY id DESC LIMIT 1 OFFSET ?",
                    arguments: [maxID, max(0, total - 1 - offset)])
            } else {
                firstID = try Int64.fetchOne(
                    db, sql: "SELECT id FROM request INDEXED BY request_ids ORDER BY id LIMIT 1 OFFSET ?", arguments: [offset])
            }
            guard let firstID else { return [] }
            return try Row.fetchAll(
                db, sql: "SELECT \(Self.summaryColumns) FROM request WHERE id >= ? ORDER BY id LIMIT ?",
                arguments: [firstID, limit]
            ).map(Self.summary(from:))
        }
    }

    public func summaries(afterID: Int64, limit: Int) async throws -> [RequestSummary] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.summaryColumns) FROM request WHERE id > ? ORDER BY id LIMIT ?",
                arguments: [afterID, max(0, limit)]
            ).map(Self.summary(from:))
        }
    }

    public func requests(afterID: Int64, limit: Int) async throws -> [CapturedRequest] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM request WHERE id > ? ORDER BY id LIMIT ?", arguments: [afterID, max(0, limit)]
            ).map(Self.request(from:))
        }
    }

    public func summaries(deliveryID: String, limit: Int) async throws -> [RequestSummary] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.summaryColumns) FROM request WHERE delivery_id = ? ORDER BY id LIMIT ?",
                arguments: [deliveryID, max(0, limit)]
            ).map(Self.summary(from:))
        }
    }

    public func unidentifiedRequests(afterID: Int64, limit: Int) async throws -> [CapturedRequest] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM request WHERE attempt IS NULL AND id > ? ORDER BY id LIMIT ?",
                arguments: [afterID, max(0, limit)]
            ).map(Self.request(from:))
        }
    }

    /// One transaction: the identities, then the attempts of every delivery id they name numbered
    /// again in id order (captures of it stored since the upgrade were counted without these).
    public func setIdentities(_ identities: [(id: Int64, event: String?, deliveryID: String?)]) async throws {
        guard !identities.isEmpty else { return }
        try await pool.write { db in
            let update = try db.cachedStatement(sql: "UPDATE request SET event = ?, delivery_id = ?, attempt = 1 WHERE id = ? AND attempt IS NULL")
            var deliveries: [String] = []
            for identity in identities {
                try update.execute(arguments: [identity.event, identity.deliveryID, identity.id])
                if db.changesCount > 0, let id = identity.deliveryID, !deliveries.contains(id) { deliveries.append(id) }
            }
            let renumber = try db.cachedStatement(sql: """
                UPDATE request SET attempt = (
                    SELECT count(*) FROM request AS earlier WHERE earlier.delivery_id = ?1 AND earlier.id <= request.id)
                WHERE delivery_id = ?1
                """)
            for id in deliveries { try renumber.execute(arguments: [id]) }
        }
    }

    /// Runs SQLite's integrity check; returns "ok" when the database is sound.
    public func integrityCheck() throws -> String {
        try pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    private static func signature(from row: Row) -> SignatureSummary {
        SignatureSummary(
            provider: row["sig_provider"],
            status: VerdictStatus(rawValue: row["sig_status"] ?? "") ?? .unsigned,
            detail: row["sig_detail"] ?? "",
            diagnosis: (row["sig_diagnosis"] as String?).flatMap(DiagnosisState.init(rawValue:)) ?? .complete)
    }

    /// The `sig_diagnosis` column: NULL when the cause was looked for, so that the column costs
    /// nothing on almost every row.
    private static func storedDiagnosis(_ signature: SignatureSummary) -> String? {
        signature.diagnosis == .complete ? nil : signature.diagnosis.rawValue
    }

    static func summary(from row: Row) -> RequestSummary {
        RequestSummary(
            id: row["id"],
            receivedAt: CaptureTime(nanosecondsSince1970: row["received_at"]),
            method: row["method"],
            rawTarget: [UInt8]((row["target"] as Data?) ?? Data()),
            bodySize: row["body_size"],
            responseStatus: row["response_status"],
            refusal: (row["refusal"] as String?).flatMap(Refusal.init(rawValue:)),
            signature: signature(from: row),
            rule: row["rule"],
            failure: (row["failure"] as String?).flatMap(AnswerFailure.init(rawValue:)),
            event: row["event"], deliveryID: row["delivery_id"], attempt: row["attempt"] ?? 1)
    }

    static func request(from row: Row) throws -> CapturedRequest {
        CapturedRequest(
            id: row["id"],
            receivedAt: CaptureTime(nanosecondsSince1970: row["received_at"]),
            method: row["method"],
            rawTarget: [UInt8]((row["target"] as Data?) ?? Data()),
            httpVersion: row["http_version"],
            headers: try HeaderCoding.decode(row["headers"] ?? Data()),
            remoteAddress: row["remote"],
            localAddress: row["local_address"],
            body: row["body"] ?? Data(),
            bodyWasChunked: row["chunked"],
            bodySize: row["body_size"],
            refusal: (row["refusal"] as String?).flatMap(Refusal.init(rawValue:)),
            response: CapturedResponse(
                status: row["response_status"],
                headers: try HeaderCoding.decode(row["response_headers"] ?? Data()),
                body: row["response_body"] ?? Data()),
            signature: signature(from: row),
            rule: row["rule"],
            failure: (row["failure"] as String?).flatMap(AnswerFailure.init(rawValue:)),
            event: row["event"], deliveryID: row["delivery_id"], attempt: row["attempt"] ?? 1)
    }
}
