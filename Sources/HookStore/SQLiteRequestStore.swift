import Foundation
import GRDB
import GRDBSQLite
import HookCore
import Synchronization

/// Captures in an SQLite file (WAL), through GRDB.
///
/// Writes go through a group committer: concurrent `insert` calls that arrive while a transaction
/// is being committed are written together in the next one, so durability (each request is
/// committed before its response is sent) does not cost one fsync-free transaction per request.
public final class SQLiteRequestStore: RequestStore, CallbackInserting {
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
    }

    private let pool: DatabasePool
    private let keep: Int?
    private let onCommit: (@Sendable ([CapturedRequest]) -> Void)?
    private let writer = Mutex(WriterState())
    private let writeQueue = DispatchQueue(label: "hookscope.store.writer")
    public let path: String

    /// Opens (creating if needed) the database at `path` and migrates it.
    /// - Parameters:
    ///   - keep: retention cap: keep at most this many captures, dropping the oldest first.
    ///   - onCommit: called with each committed batch, in id order, on the writer thread.
    public init(path: String, keep: Int? = nil, onCommit: (@Sendable ([CapturedRequest]) -> Void)? = nil) throws {
        self.path = path
        self.keep = keep
        self.onCommit = onCommit
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw StoreError("cannot create the directory for the capture database \(path): \(error.localizedDescription)")
            }
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "hookscope"
        configuration.prepareDatabase { db in
            // New databases only (an existing file keeps its page size): a capture with a 2 KB body
            // takes about 2.6 KB, so 4 KB pages hold one capture each; 8 KB pages hold three, which
            // means fewer pages written to the WAL (and copied back at checkpoints) per capture.
            try db.execute(sql: "PRAGMA page_size = 8192")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
            let (count, maxID) = try pool.read { db in
                (try Int.fetchOne(db, sql: "SELECT count(*) FROM request") ?? 0,
                 try Int64.fetchOne(db, sql: "SELECT max(id) FROM request") ?? 0)
            }
            writer.withLock { $0.count = count; $0.maxID = maxID }
        } catch let error as DatabaseError {
            throw StoreError("cannot open the capture database \(path): \(Self.describe(error)); move it aside or choose another with --db")
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot open the capture database \(path): \(error)")
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
        migrator.registerMigration("v7-local-address") { db in
            // "ip:port" the capture arrived on; NULL for the rows stored before. After the body in
            // the row: only whole-capture reads, which read the body anyway, select it.
            try db.execute(sql: "ALTER TABLE request ADD COLUMN local_address TEXT")
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

    private static let summaryColumns =
        "id, received_at, method, target, body_size, response_status, refusal, sig_provider, sig_status, sig_detail"

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
                let excess = writer.withLock { state in
                    keep.map { max(0, state.count + count - $0) } ?? 0
                }
                let stored = try pool.write { db -> [CapturedRequest] in
                    var stored: [CapturedRequest] = []
                    stored.reserveCapacity(count)
                    let statement = try db.cachedStatement(sql: Self.insertSQL)
                    var scratch: [UInt8] = []
                    for submission in submissions {
                        for request in submission.requests {
                            try Self.insert(request, with: statement, scratch: &scratch, db: db)
                            var copy = request
                            copy.id = db.lastInsertedRowID
                            if request.signature.causeNotLookedFor {
                                try db.cachedStatement(sql: Self.noteUnexplainedSQL).execute(arguments: [copy.id])
                            }
                            stored.append(copy)
                        }
                    }
                    if excess > 0 {
                        try db.execute(
                            sql: "DELETE FROM request WHERE id IN (SELECT id FROM request ORDER BY id LIMIT ?)",
                            arguments: [excess])
                        try db.execute(sql: "DELETE FROM unexplained WHERE id < (SELECT min(id) FROM request)")
                    }
                    return stored
                }
                writer.withLock { state in
                    state.count += stored.count - excess
                    if let last = stored.last?.id { state.maxID = max(state.maxID, last) }
                }
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

    private static let insertSQL = """
        INSERT INTO request (received_at, method, target, http_version, remote, body_size, chunked,
            refusal, response_status, sig_provider, sig_status, sig_detail, headers,
            response_headers, response_body, body, local_address)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
        bind(17, request.localAddress)
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
            let statement = try db.cachedStatement(sql: "UPDATE request SET sig_provider = ?, sig_status = ?, sig_detail = ? WHERE id = ?")
            let note = try db.cachedStatement(sql: Self.noteUnexplainedSQL)
            let explained = try db.cachedStatement(sql: "DELETE FROM unexplained WHERE id = ?")
            for (id, signature) in updates {
                try statement.execute(arguments: [signature.provider, signature.status.rawValue, signature.detail, id])
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
            for range in ranges {
                try db.execute(sql: "DELETE FROM request WHERE id BETWEEN ? AND ?", arguments: [range.lowerBound, range.upperBound])
                removed += db.changesCount
                try db.execute(sql: "DELETE FROM unexplained WHERE id BETWEEN ? AND ?", arguments: [range.lowerBound, range.upperBound])
            }
            return removed
        }
        writer.withLock { $0.count -= removed }
    }

    /// Closes the database; the store must not be used afterwards.
    public func close() throws {
        try pool.close()
    }

    public func deleteAll() async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM request")
            try db.execute(sql: "DELETE FROM unexplained")
        }
        writer.withLock { $0.count = 0; $0.maxID = 0 }
    }

    public func addReplay(_ attempt: ReplayAttempt) async throws -> ReplayAttempt {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO replay (request_id, kind, started_at, target_url, resigned, changed_headers, response_status,
                        response_headers, response_body, error, failure, duration_ns)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    attempt.requestID, attempt.kind.rawValue, attempt.startedAt.nanosecondsSince1970, attempt.targetURL, attempt.resigned,
                    attempt.changedHeaders.joined(separator: "\n"), attempt.response?.status,
                    attempt.response.map { HeaderCoding.encode($0.headers) }, attempt.response?.body, attempt.error,
                    attempt.failure?.rawValue, attempt.durationNanoseconds,
                ])
            var stored = attempt
            stored.id = db.lastInsertedRowID
            return stored
        }
    }

    public func replays(ofRequest requestID: Int64) async throws -> [ReplayAttempt] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM replay WHERE request_id = ? ORDER BY id", arguments: [requestID]).map { row in
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
                    error: row["error"], failure: Self.failure(row), durationNanoseconds: row["duration_ns"])
            }
        }
    }

    /// The `failure` column of a `replay` row (nil for a value this version does not know).
    private static func failure(_ row: Row) -> ReplayFailure? {
        (row["failure"] as String?).flatMap(ReplayFailure.init(rawValue:))
    }

    public func latestReplays(among ids: [Int64]) async throws -> [Int64: ReplayOutcome] {
        guard !ids.isEmpty else { return [:] }
        return try await pool.read { db in
            var outcomes: [Int64: ReplayOutcome] = [:]
            // In chunks, under SQLite's limit on bound parameters.
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = Array(ids[start..<min(ids.count, start + 500)])
                let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                // The newest attempt per capture, without reading the response bodies.
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT request_id, kind, target_url, response_status, error, failure, duration_ns FROM replay
                        WHERE id IN (SELECT MAX(id) FROM replay WHERE request_id IN (\(placeholders)) GROUP BY request_id)
                        """,
                    arguments: StatementArguments(chunk))
                for row in rows {
                    let outcome = ReplayOutcome(
                        requestID: row["request_id"], kind: ReplayKind(rawValue: row["kind"] ?? "") ?? .replay, targetURL: row["target_url"], status: row["response_status"],
                        error: row["error"], failure: Self.failure(row), durationNanoseconds: row["duration_ns"])
                    outcomes[outcome.requestID] = outcome
                }
            }
            return outcomes
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

    /// Runs SQLite's integrity check; returns "ok" when the database is sound.
    public func integrityCheck() throws -> String {
        try pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    private static func signature(from row: Row) -> SignatureSummary {
        SignatureSummary(
            provider: row["sig_provider"],
            status: VerdictStatus(rawValue: row["sig_status"] ?? "") ?? .unsigned,
            detail: row["sig_detail"] ?? "")
    }

    private static func summary(from row: Row) -> RequestSummary {
        RequestSummary(
            id: row["id"],
            receivedAt: CaptureTime(nanosecondsSince1970: row["received_at"]),
            method: row["method"],
            rawTarget: [UInt8]((row["target"] as Data?) ?? Data()),
            bodySize: row["body_size"],
            responseStatus: row["response_status"],
            refusal: (row["refusal"] as String?).flatMap(Refusal.init(rawValue:)),
            signature: signature(from: row))
    }

    private static func request(from row: Row) throws -> CapturedRequest {
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
            signature: signature(from: row))
    }
}
