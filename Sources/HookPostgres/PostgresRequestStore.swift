import Foundation
import HookCore
import HookStore
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Captures in a PostgreSQL database (`--db postgres://…`), shared by several listeners and readers.
///
/// The same contract as `SQLiteRequestStore`: every field byte for byte (bytea for the target, the
/// header lists and the bodies), each capture committed before `insert` returns (group commit:
/// captures handed over while a transaction commits go together in the next one), `keep` pruning,
/// and the `unexplained` ids for the signature catch-up.
///
/// Several writers: each commit holds a transaction-scoped advisory lock from its first id to its
/// COMMIT, so ids become visible in increasing order (a reader that asks for "ids above N" misses
/// none committed later by another listener), and pruning to `keep` counts every writer's rows.
/// The number of captures is kept by triggers in `request_count`, so `count()` does not scan.
public final class PostgresRequestStore: NamedRequestStore, CallbackInserting, Sendable {
    private struct Submission {
        var requests: [CapturedRequest]
        var completion: @Sendable (Result<[CapturedRequest], any Error>) -> Void
    }

    private struct WriterState {
        var pending: [Submission] = []
        var writing = false
        var closed = false
        /// Rows beyond `keep` left after a commit (another listener's, or a store opened with a
        /// smaller `keep`): pruned in batches of their own when no capture waits.
        var pruneBacklog = false
    }

    /// The address, without its password.
    public let url: PostgresURL
    private let keep: Int?
    private let onCommit: (@Sendable ([CapturedRequest]) -> Void)?
    private let writerLink: PostgresLink
    /// Writes other than captures (verdicts, answers, replays, deletes), one transaction at a time
    /// on a connection of their own: they never hold up a commit, nor share its transaction.
    private let writesLink: PostgresLink
    private let writes = TransactionGate()
    private let readerLink: PostgresLink
    private let writer = Mutex(WriterState())
    /// The advisory lock's second key: one lock per schema, so stores in different schemas of one
    /// database do not wait for each other.
    private let lockSchema: String
    static let logger = Logger(label: "hookscope.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// What messages call the store: its URL without the password.
    public var displayName: String { url.description }

    private init(url: PostgresURL, configuration: PostgresConnection.Configuration, keep: Int?, onCommit: (@Sendable ([CapturedRequest]) -> Void)?) {
        var url = url
        url.password = nil
        self.url = url
        self.keep = keep
        self.onCommit = onCommit
        self.lockSchema = url.schema ?? ""
        writerLink = PostgresLink(configuration: configuration, logger: Self.logger)
        writesLink = PostgresLink(configuration: configuration, logger: Self.logger)
        readerLink = PostgresLink(configuration: configuration, logger: Self.logger)
    }

    /// Connects, creates or migrates the tables, and returns the store.
    /// - Parameters:
    ///   - keep: keep at most this many captures (counting every writer's), dropping the oldest first.
    ///   - onCommit: called with each batch this store committed, in id order.
    public static func open(
        _ url: PostgresURL, keep: Int? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
        onCommit: (@Sendable ([CapturedRequest]) -> Void)? = nil
    ) async throws -> PostgresRequestStore {
        let configuration: PostgresConnection.Configuration
        do {
            configuration = try url.connectionConfiguration(environment: environment)
        } catch {
            throw StoreError("cannot open the capture database \(url): \(describePostgres(error))")
        }
        let store = PostgresRequestStore(url: url, configuration: configuration, keep: keep, onCommit: onCommit)
        do {
            try await store.migrate()
        } catch {
            await store.writerLink.close()
            await store.readerLink.close()
            throw StoreError("cannot open the capture database \(store.url): \(describePostgres(error))")
        }
        if keep != nil { store.writer.withLock { $0.pruneBacklog = true } }
        store.startWriterIfNeeded()
        return store
    }

    /// Closes the connections; captures handed over afterwards fail.
    public func close() async {
        let pending = writer.withLock { state in
            state.closed = true
            defer { state.pending.removeAll() }
            return state.pending
        }
        for submission in pending { submission.completion(.failure(StoreError("the capture store is closed"))) }
        await writerLink.close()
        await writesLink.close()
        await readerLink.close()
    }

    // MARK: schema

    /// Each migration: an id and its statements (one statement per query in the extended protocol).
    /// `v9-baseline` is the SQLite store's schema as of its migration "v9-local-address"; later
    /// migrations take the SQLite store's ids, so the two stay comparable.
    static let migrations: [(id: String, statements: [String])] = [
        ("v9-baseline", [
            """
            CREATE TABLE request (
                id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                received_at bigint NOT NULL,
                method text NOT NULL,
                target bytea NOT NULL,
                http_version text NOT NULL,
                remote text NOT NULL,
                body_size bigint NOT NULL,
                chunked boolean NOT NULL,
                refusal text,
                response_status bigint NOT NULL,
                sig_provider text,
                sig_status text NOT NULL,
                sig_detail text NOT NULL,
                sig_diagnosis text,
                headers bytea NOT NULL,
                response_headers bytea NOT NULL,
                response_body bytea NOT NULL,
                body bytea NOT NULL,
                local_address text
            )
            """,
            """
            CREATE TABLE replay (
                id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                request_id bigint NOT NULL REFERENCES request(id) ON DELETE CASCADE,
                kind text NOT NULL DEFAULT 'replay',
                started_at bigint NOT NULL,
                target_url text NOT NULL,
                resigned boolean NOT NULL,
                edited boolean NOT NULL DEFAULT false,
                changed_headers text NOT NULL,
                response_status bigint,
                response_headers bytea,
                response_body bytea,
                error text,
                failure text,
                duration_ns bigint NOT NULL
            )
            """,
            "CREATE INDEX replay_request ON replay(request_id)",
            // The captures whose verdict lacks its cause (see `SignatureCatchUp`); gone with their capture.
            "CREATE TABLE unexplained (id bigint PRIMARY KEY REFERENCES request(id) ON DELETE CASCADE)",
            "CREATE TABLE replay_target (url text PRIMARY KEY, used bigint NOT NULL)",
            // How many captures there are, kept by statement triggers: count(*) scans the table.
            "CREATE TABLE request_count (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), n bigint NOT NULL)",
            "INSERT INTO request_count (n) VALUES (0)",
            """
            CREATE FUNCTION request_count_added() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN UPDATE request_count SET n = n + (SELECT count(*) FROM added); RETURN NULL; END $$
            """,
            """
            CREATE FUNCTION request_count_removed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN UPDATE request_count SET n = n - (SELECT count(*) FROM removed); RETURN NULL; END $$
            """,
            """
            CREATE TRIGGER request_counted_in AFTER INSERT ON request REFERENCING NEW TABLE AS added
                FOR EACH STATEMENT EXECUTE FUNCTION request_count_added()
            """,
            """
            CREATE TRIGGER request_counted_out AFTER DELETE ON request REFERENCING OLD TABLE AS removed
                FOR EACH STATEMENT EXECUTE FUNCTION request_count_removed()
            """,
        ]),
        // As the SQLite store's migrations of the same ids: the provider's event type and delivery
        // id with the attempt the store numbered, and the response rule that answered with the
        // failure the sender got instead of a response.
        ("v10-deliveries", [
            "ALTER TABLE request ADD COLUMN event text",
            "ALTER TABLE request ADD COLUMN delivery_id text",
            "ALTER TABLE request ADD COLUMN attempt bigint",
            "CREATE INDEX request_delivery ON request(delivery_id, id) WHERE delivery_id IS NOT NULL",
        ]),
        ("v11-rules", [
            "ALTER TABLE request ADD COLUMN rule text",
            "ALTER TABLE request ADD COLUMN failure text",
        ]),
        // Viewers (`watch`, `expect`) LISTEN on the schema's channel (`PostgresStoreFollower`) and
        // hear of every writer's changes, whichever process or command made them: 'c' new captures,
        // 'u' rows changed in place (verdicts, answers, identities, replays and forwards), 'd'
        // captures deleted. Statement triggers that touched no row stay quiet, and PostgreSQL sends
        // one of each payload per transaction, at its COMMIT (none for a rolled-back one).
        ("v12-notify", [
            """
            CREATE FUNCTION hookscope_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM changed) THEN
                    PERFORM pg_notify(left('hookscope_' || current_schema(), 63), TG_ARGV[0]);
                END IF;
                RETURN NULL;
            END $$
            """,
            """
            CREATE TRIGGER request_notify_added AFTER INSERT ON request REFERENCING NEW TABLE AS changed
                FOR EACH STATEMENT EXECUTE FUNCTION hookscope_notify('c')
            """,
            """
            CREATE TRIGGER request_notify_updated AFTER UPDATE ON request REFERENCING NEW TABLE AS changed
                FOR EACH STATEMENT EXECUTE FUNCTION hookscope_notify('u')
            """,
            """
            CREATE TRIGGER request_notify_deleted AFTER DELETE ON request REFERENCING OLD TABLE AS changed
                FOR EACH STATEMENT EXECUTE FUNCTION hookscope_notify('d')
            """,
            """
            CREATE TRIGGER replay_notify_added AFTER INSERT ON replay REFERENCING NEW TABLE AS changed
                FOR EACH STATEMENT EXECUTE FUNCTION hookscope_notify('u')
            """,
        ]),
    ]

    /// Runs the migrations not yet applied, one opener at a time (the advisory lock): the table
    /// `hookscope_migrations` lists those applied. A reader whose role may not create tables can
    /// open a store that is up to date: nothing is created then.
    private func migrate() async throws {
        let connection = try await writerLink.get()
        let (lockSchema, url) = (lockSchema, url)
        try await Self.transaction(connection) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('hookscope'), hashtext(\(lockSchema)))", logger: Self.logger)
            if let schema = url.schema {
                let exists = try await connection.query("SELECT 1 FROM pg_namespace WHERE nspname = \(schema)", logger: Self.logger).collect()
                if exists.isEmpty {
                    // The name was checked to be [a-z_][a-z0-9_]* when the URL was parsed.
                    try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"), logger: Self.logger)
                }
            }
            let table = try await connection.query("SELECT to_regclass('hookscope_migrations') IS NOT NULL", logger: Self.logger).collect()
            if try table.first?.decode(Bool.self) != true {
                try await connection.query(
                    "CREATE TABLE hookscope_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                    logger: Self.logger)
            }
            var applied: Set<String> = []
            for try await id in try await connection.query("SELECT id FROM hookscope_migrations", logger: Self.logger).decode(String.self) {
                applied.insert(id)
            }
            for migration in Self.migrations where !applied.contains(migration.id) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: Self.logger)
                }
                try await connection.query("INSERT INTO hookscope_migrations (id) VALUES (\(migration.id))", logger: Self.logger)
            }
        }
    }

    /// BEGIN, `body`, COMMIT; ROLLBACK when `body` throws (the connection may be gone then). Fails
    /// when the connection closes under it (`unlessConnectionCloses`).
    static func transaction<T: Sendable>(
        _ connection: PostgresConnection, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await unlessConnectionCloses(connection) {
            try await connection.query("BEGIN", logger: logger)
            do {
                let value = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return value
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    // MARK: the capture columns

    /// The capture columns a commit writes, in the order of `bind(_:into:)`. Adding a column: add it
    /// in a migration, here, in `bind`, and in `request(from:)` (and `summaryColumns` when the list shows it).
    static let insertColumns = [
        "received_at", "method", "target", "http_version", "remote", "body_size", "chunked", "refusal", "response_status",
        "sig_provider", "sig_status", "sig_detail", "sig_diagnosis", "headers", "response_headers", "response_body", "body",
        "local_address", "rule", "failure", "event", "delivery_id", "attempt",
    ]

    static let summaryColumns =
        "id, received_at, method, target, body_size, response_status, refusal, sig_provider, sig_status, sig_detail, sig_diagnosis, rule, failure, event, delivery_id, attempt"

    static func bind(_ request: CapturedRequest, into binds: inout PostgresBindings) {
        binds.append(request.receivedAt.nanosecondsSince1970)
        binds.append(request.method)
        binds.append(ByteBuffer(bytes: request.rawTarget))
        binds.append(request.httpVersion)
        binds.append(request.remoteAddress)
        binds.append(Int64(request.bodySize))
        binds.append(request.bodyWasChunked)
        binds.append(request.refusal?.rawValue)
        binds.append(Int64(request.response.status))
        binds.append(request.signature.provider)
        binds.append(request.signature.status.rawValue)
        binds.append(request.signature.detail)
        binds.append(storedDiagnosis(request.signature))
        binds.append(ByteBuffer(data: HeaderCoding.encode(request.headers)))
        binds.append(ByteBuffer(data: HeaderCoding.encode(request.response.headers)))
        binds.append(ByteBuffer(data: request.response.body))
        binds.append(ByteBuffer(data: request.body))
        binds.append(request.localAddress)
        binds.append(request.rule)
        binds.append(request.failure?.rawValue)
        binds.append(request.event)
        binds.append(request.deliveryID)
        binds.append(Int64(request.attempt))
    }

    /// What the next attempt of the delivery id `expression` (SQL) follows, as `DeliveryNumbering`
    /// says and the SQLite store does: its held captures, counted through `request_delivery` up to
    /// the bound, then the newest one's number. Also used by `PostgresImport`.
    static func attemptsHeldSQL(_ expression: String) -> String {
        let bound = DeliveryNumbering.counted
        return """
            (SELECT CASE WHEN n < \(bound) THEN n
                ELSE coalesce((SELECT attempt FROM request WHERE delivery_id = \(expression) ORDER BY id DESC LIMIT 1), n) END
            FROM (SELECT count(*) AS n FROM (SELECT 1 FROM request WHERE delivery_id = \(expression) LIMIT \(bound)) held) counted)
            """
    }

    /// NULL when the cause was looked for (almost every row), as in the SQLite store.
    private static func storedDiagnosis(_ signature: SignatureSummary) -> String? {
        signature.diagnosis == .complete ? nil : signature.diagnosis.rawValue
    }

    /// One multi-row INSERT for `requests`, returning their ids.
    private static func insertQuery(_ requests: ArraySlice<CapturedRequest>) -> PostgresQuery {
        var binds = PostgresBindings(capacity: requests.count * insertColumns.count)
        var rows: [String] = []
        rows.reserveCapacity(requests.count)
        for request in requests {
            let first = binds.count
            rows.append("(" + (1...insertColumns.count).map { "$\(first + $0)" }.joined(separator: ",") + ")")
            bind(request, into: &binds)
        }
        return PostgresQuery(
            unsafeSQL: "INSERT INTO request (\(insertColumns.joined(separator: ", "))) VALUES \(rows.joined(separator: ",")) RETURNING id",
            binds: binds)
    }

    // MARK: writing

    public func insert(_ request: CapturedRequest) async throws -> CapturedRequest {
        try await withCheckedThrowingContinuation { continuation in
            insert(request) { continuation.resume(with: $0) }
        }
    }

    public func insert(_ request: CapturedRequest, completion: @escaping @Sendable (Result<CapturedRequest, any Error>) -> Void) {
        insert(contentsOf: [request]) { completion($0.map { $0[0] }) }
    }

    public func insert(contentsOf requests: [CapturedRequest], completion: @escaping @Sendable (Result<[CapturedRequest], any Error>) -> Void) {
        guard !requests.isEmpty else { return completion(.success([])) }
        let closed = writer.withLock { state -> Bool in
            if state.closed { return true }
            state.pending.append(Submission(requests: requests, completion: completion))
            return false
        }
        if closed { return completion(.failure(StoreError("the capture store is closed"))) }
        startWriterIfNeeded()
    }

    private func startWriterIfNeeded() {
        let start = writer.withLock { state -> Bool in
            guard !state.writing, !state.closed, !state.pending.isEmpty || state.pruneBacklog else { return false }
            state.writing = true
            return true
        }
        if start { Task { await self.drain() } }
    }

    /// Captures per INSERT statement: under the protocol's 65,535 bound values.
    private static let rowsPerStatement = 1_000

    /// Rows deleted per pruning or `deleteAll` transaction.
    static let pruneStep = 500

    /// Commits pending captures in batches until none are left; then prunes a backlog, a batch at a
    /// time, looking for new captures between batches.
    private func drain() async {
        while true {
            enum Work { case commit([Submission]), prune, none }
            let work = writer.withLock { state -> Work in
                if !state.pending.isEmpty {
                    defer { state.pending.removeAll(keepingCapacity: true) }
                    return .commit(state.pending)
                }
                if state.pruneBacklog && !state.closed { return .prune }
                state.writing = false
                return .none
            }
            switch work {
            case .none:
                return
            case .prune:
                let more = (try? await pruneBatch()) ?? false
                writer.withLock { $0.pruneBacklog = more }
            case .commit(let submissions):
                let requests = submissions.flatMap(\.requests)
                do {
                    let (stored, backlog) = try await commit(requests)
                    if backlog { writer.withLock { $0.pruneBacklog = true } }
                    onCommit?(stored)
                    var start = 0
                    for submission in submissions {
                        let end = start + submission.requests.count
                        submission.completion(.success(Array(stored[start..<end])))
                        start = end
                    }
                } catch {
                    // The server down or the connection lost: a 503 the sender retries; the next
                    // commit reconnects (after a wait that grows while connecting fails).
                    let message = "cannot store the capture in \(url): \(describePostgres(error))"
                    let failure: any Error = isConnectionFailure(error) ? StoreUnavailableError(message) : StoreError(message)
                    for submission in submissions { submission.completion(.failure(failure)) }
                }
            }
        }
    }

    /// One transaction: the advisory lock, the rows, their `unexplained` ids, and the oldest rows
    /// beyond `keep` (at most this batch's count plus `pruneStep`; true when more remain).
    private func commit(_ requests: [CapturedRequest]) async throws -> ([CapturedRequest], Bool) {
        let connection = try await writerLink.get()
        let lockSchema = lockSchema
        let keep = keep
        return try await Self.transaction(connection) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('hookscope'), hashtext(\(lockSchema)))", logger: Self.logger)
            // Attempts: 1 + what the captures of the same delivery id the store holds give
            // (`attemptsHeldSQL`, under the lock: every writer's), then those earlier in this batch.
            var requests = requests
            let deliveryIDs = Array(Set(requests.compactMap(\.deliveryID)))
            var seen: [String: Int] = [:]
            if !deliveryIDs.isEmpty {
                let rows = try await connection.query(
                    "SELECT d, \(unescaped: Self.attemptsHeldSQL("d")) FROM unnest(\(deliveryIDs)::text[]) AS d",
                    logger: Self.logger)
                for try await (id, count) in rows.decode((String, Int64).self) { seen[id] = Int(count) }
            }
            for index in requests.indices {
                guard let id = requests[index].deliveryID else {
                    requests[index].attempt = 1
                    continue
                }
                let before = seen[id, default: 0]
                requests[index].attempt = before + 1
                seen[id] = before + 1
            }
            var ids: [Int64] = []
            ids.reserveCapacity(requests.count)
            var start = 0
            while start < requests.count {
                let end = min(requests.count, start + Self.rowsPerStatement)
                for try await id in try await connection.query(Self.insertQuery(requests[start..<end]), logger: Self.logger).decode(Int64.self) {
                    ids.append(id)
                }
                start = end
            }
            // The identity hands out ids in the order of the VALUES rows; sorted, they pair with `requests`.
            ids.sort()
            guard ids.count == requests.count else { throw StoreError("the server returned \(ids.count) ids for \(requests.count) captures") }
            var stored = requests
            var unexplained: [Int64] = []
            for index in stored.indices {
                stored[index].id = ids[index]
                if stored[index].signature.causeNotLookedFor { unexplained.append(ids[index]) }
            }
            if !unexplained.isEmpty {
                try await connection.query(
                    "INSERT INTO unexplained (id) SELECT unnest(\(unexplained)::bigint[]) ON CONFLICT DO NOTHING", logger: Self.logger)
            }
            var backlog = false
            if let keep {
                let limit = Int64(requests.count + Self.pruneStep)
                let rows = try await connection.query(
                    """
                    WITH excess AS (SELECT greatest(0, n - \(Int64(keep))) AS n FROM request_count),
                        doomed AS (DELETE FROM request WHERE id IN (
                            SELECT id FROM request ORDER BY id LIMIT least((SELECT n FROM excess), \(limit))) RETURNING id)
                    SELECT (SELECT n FROM excess) - (SELECT count(*) FROM doomed)
                    """, logger: Self.logger
                ).collect()
                backlog = (try rows.first?.decode(Int64.self) ?? 0) > 0
            }
            return (stored, backlog)
        }
    }

    /// One pruning transaction down towards `keep`; true when more remain.
    private func pruneBatch() async throws -> Bool {
        guard let keep else { return false }
        let connection = try await writerLink.get()
        let lockSchema = lockSchema
        return try await Self.transaction(connection) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('hookscope'), hashtext(\(lockSchema)))", logger: Self.logger)
            let rows = try await connection.query(
                """
                WITH excess AS (SELECT greatest(0, n - \(Int64(keep))) AS n FROM request_count),
                    doomed AS (DELETE FROM request WHERE id IN (
                        SELECT id FROM request ORDER BY id LIMIT least((SELECT n FROM excess), \(Int64(Self.pruneStep)))) RETURNING id)
                SELECT (SELECT n FROM excess) - (SELECT count(*) FROM doomed)
                """, logger: Self.logger
            ).collect()
            return (try rows.first?.decode(Int64.self) ?? 0) > 0
        }
    }

    /// A write outside the capture commits (verdicts, answers, replays, deletes), on its own connection.
    @discardableResult
    private func write<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await writes.run {
                let connection = try await writesLink.get()
                return try await Self.transaction(connection, body)
            }
        } catch {
            throw StoreError("cannot write to the capture database \(url): \(describePostgres(error))")
        }
    }

    /// A read on the readers' connection; once more on a new connection when that one was lost
    /// (the server restarted since it was last used), which a read may safely be.
    private func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            do {
                let connection = try await readerLink.get()
                return try await unlessConnectionCloses(connection) { try await body(connection) }
            } catch where isConnectionFailure(error) {
                let connection = try await readerLink.get()
                return try await unlessConnectionCloses(connection) { try await body(connection) }
            }
        } catch {
            throw StoreError("cannot read the capture database \(url): \(describePostgres(error))")
        }
    }

    public func updateSignature(id: Int64, _ signature: SignatureSummary) async throws {
        try await updateSignatures([(id, signature)])
    }

    /// Also keeps `unexplained` in step, as the SQLite store does; an id that is gone is skipped.
    public func updateSignatures(_ updates: [(id: Int64, signature: SignatureSummary)]) async throws {
        guard !updates.isEmpty else { return }
        let updates = updates.map { Update(id: $0.id, signature: $0.signature) }
        try await write { connection in
            for update in updates {
                let signature = update.signature
                let diagnosis = Self.storedDiagnosis(signature)
                if signature.causeNotLookedFor {
                    try await connection.query(
                        """
                        WITH updated AS (UPDATE request SET sig_provider = \(signature.provider), sig_status = \(signature.status.rawValue),
                            sig_detail = \(signature.detail), sig_diagnosis = \(diagnosis) WHERE id = \(update.id) RETURNING id)
                        INSERT INTO unexplained (id) SELECT id FROM updated ON CONFLICT DO NOTHING
                        """, logger: Self.logger)
                } else {
                    try await connection.query(
                        """
                        WITH updated AS (UPDATE request SET sig_provider = \(signature.provider), sig_status = \(signature.status.rawValue),
                            sig_detail = \(signature.detail), sig_diagnosis = \(diagnosis) WHERE id = \(update.id) RETURNING id)
                        DELETE FROM unexplained WHERE id IN (SELECT id FROM updated)
                        """, logger: Self.logger)
                }
            }
        }
    }

    private struct Update: Sendable {
        var id: Int64
        var signature: SignatureSummary
    }

    public func updateResponse(id: Int64, _ response: CapturedResponse) async throws {
        let headers = ByteBuffer(data: HeaderCoding.encode(response.headers))
        let body = ByteBuffer(data: response.body)
        try await write { connection in
            try await connection.query(
                """
                UPDATE request SET response_status = \(Int64(response.status)), response_headers = \(headers), response_body = \(body)
                WHERE id = \(id)
                """, logger: Self.logger)
        }
    }

    public func unexplainedIDs(afterID: Int64, limit: Int) async throws -> [Int64] {
        try await read { connection in
            var ids: [Int64] = []
            for try await id in try await connection.query(
                "SELECT id FROM unexplained WHERE id > \(afterID) ORDER BY id LIMIT \(Int64(max(0, limit)))", logger: Self.logger
            ).decode(Int64.self) {
                ids.append(id)
            }
            return ids
        }
    }

    public func delete(id: Int64) async throws {
        try await write { connection in
            try await connection.query("DELETE FROM request WHERE id = \(id)", logger: Self.logger)
        }
    }

    public func deleteAll() async throws {
        try await deleteAll(progress: { _ in })
    }

    /// Deletes the captures stored so far, `pruneStep` at a time, each batch its own transaction:
    /// captures arriving meanwhile (from this listener or another) are committed between batches
    /// and kept.
    public func deleteAll(progress: @Sendable (Int) -> Void) async throws {
        let last = try await read { connection in
            try await connection.query("SELECT coalesce(max(id), 0) FROM request", logger: Self.logger).collect().first?.decode(Int64.self) ?? 0
        }
        var deleted = 0
        while true {
            let removed = try await write { connection in
                try await connection.query(
                    """
                    WITH doomed AS (DELETE FROM request WHERE id IN (
                        SELECT id FROM request WHERE id <= \(last) ORDER BY id LIMIT \(Int64(Self.pruneStep))) RETURNING id)
                    SELECT count(*) FROM doomed
                    """, logger: Self.logger
                ).collect().first?.decode(Int64.self) ?? 0
            }
            if removed == 0 { break }
            deleted += Int(removed)
            progress(deleted)
        }
    }

    public func addReplay(_ attempt: ReplayAttempt) async throws -> ReplayAttempt {
        let headers = attempt.response.map { ByteBuffer(data: HeaderCoding.encode($0.headers)) }
        let body = attempt.response.map { ByteBuffer(data: $0.body) }
        let status = attempt.response.map { Int64($0.status) }
        let id = try await write { connection in
            try await connection.query(
                """
                INSERT INTO replay (request_id, kind, started_at, target_url, resigned, changed_headers, response_status,
                    response_headers, response_body, error, failure, duration_ns, edited)
                VALUES (\(attempt.requestID), \(attempt.kind.rawValue), \(attempt.startedAt.nanosecondsSince1970), \(attempt.targetURL),
                    \(attempt.resigned), \(attempt.changedHeaders.joined(separator: "\n")), \(status), \(headers), \(body),
                    \(attempt.error), \(attempt.failure?.rawValue), \(attempt.durationNanoseconds), \(attempt.edited))
                RETURNING id
                """, logger: Self.logger
            ).collect().first?.decode(Int64.self) ?? 0
        }
        var stored = attempt
        stored.id = id
        return stored
    }

    public func rememberReplayTarget(_ target: String) async throws {
        try await write { connection in
            try await connection.query(
                """
                INSERT INTO replay_target (url, used) VALUES (\(target), (SELECT coalesce(max(used), 0) + 1 FROM replay_target))
                ON CONFLICT (url) DO UPDATE SET used = excluded.used
                """, logger: Self.logger)
            try await connection.query(
                "DELETE FROM replay_target WHERE url NOT IN (SELECT url FROM replay_target ORDER BY used DESC LIMIT \(Int64(replayTargetsKept)))",
                logger: Self.logger)
        }
    }

    // MARK: reading

    public func count() async throws -> Int {
        try await read { connection in
            Int(try await connection.query("SELECT n FROM request_count", logger: Self.logger).collect().first?.decode(Int64.self) ?? 0)
        }
    }

    public func request(id: Int64) async throws -> CapturedRequest? {
        try await read { connection in
            try await connection.query("SELECT * FROM request WHERE id = \(id)", logger: Self.logger).collect().first.map(Self.request(from:))
        }
    }

    /// One statement, so the count it ranks from the newest end with and the rows are one snapshot.
    public func summaries(offset: Int, limit: Int) async throws -> [RequestSummary] {
        guard limit > 0 else { return [] }
        let offset = Int64(max(0, offset))
        return try await read { connection in
            try await connection.query(
                """
                WITH total AS (SELECT n FROM request_count),
                    first AS (SELECT CASE WHEN \(offset) > (SELECT n FROM total) / 2
                        THEN (SELECT id FROM request ORDER BY id DESC OFFSET greatest(0, (SELECT n FROM total) - 1 - \(offset)) LIMIT 1)
                        ELSE (SELECT id FROM request ORDER BY id OFFSET \(offset) LIMIT 1) END AS id)
                SELECT \(unescaped: Self.summaryColumns) FROM request
                WHERE \(offset) < (SELECT n FROM total) AND id >= (SELECT id FROM first)
                ORDER BY id LIMIT \(Int64(limit))
                """, logger: Self.logger
            ).collect().map(Self.summary(from:))
        }
    }

    public func summaries(afterID: Int64, limit: Int) async throws -> [RequestSummary] {
        try await read { connection in
            try await connection.query(
                "SELECT \(unescaped: Self.summaryColumns) FROM request WHERE id > \(afterID) ORDER BY id LIMIT \(Int64(max(0, limit)))",
                logger: Self.logger
            ).collect().map(Self.summary(from:))
        }
    }

    public func requests(afterID: Int64, limit: Int) async throws -> [CapturedRequest] {
        try await read { connection in
            try await connection.query(
                "SELECT * FROM request WHERE id > \(afterID) ORDER BY id LIMIT \(Int64(max(0, limit)))", logger: Self.logger
            ).collect().map(Self.request(from:))
        }
    }

    public func replays(ofRequest requestID: Int64) async throws -> [ReplayAttempt] {
        try await read { connection in
            try await connection.query("SELECT * FROM replay WHERE request_id = \(requestID) ORDER BY id", logger: Self.logger)
                .collect().map(Self.attempt(from:))
        }
    }

    public func replays(ofRequests ids: [Int64]) async throws -> [Int64: [ReplayAttempt]] {
        guard !ids.isEmpty else { return [:] }
        return try await read { connection in
            var attempts: [Int64: [ReplayAttempt]] = [:]
            for row in try await connection.query(
                "SELECT * FROM replay WHERE request_id = ANY(\(ids)::bigint[]) ORDER BY id", logger: Self.logger
            ).collect() {
                let attempt = try Self.attempt(from: row)
                attempts[attempt.requestID, default: []].append(attempt)
            }
            return attempts
        }
    }

    public func latestForwards(among ids: [Int64]) async throws -> [Int64: ReplayOutcome] {
        try await latestReplays(among: ids, preferring: .forward).filter { $0.value.kind == .forward }
    }

    public func latestReplays(among ids: [Int64], preferring kind: ReplayKind?) async throws -> [Int64: ReplayOutcome] {
        guard !ids.isEmpty else { return [:] }
        let preferred = kind?.rawValue ?? ""
        return try await read { connection in
            var outcomes: [Int64: ReplayOutcome] = [:]
            let rows = try await connection.query(
                """
                SELECT request_id, kind, target_url, response_status, error, failure, duration_ns, resigned, edited FROM replay
                WHERE id IN (
                    SELECT coalesce(max(CASE WHEN kind = \(preferred) THEN id END), max(id)) FROM replay
                    WHERE request_id = ANY(\(ids)::bigint[]) GROUP BY request_id)
                """, logger: Self.logger
            ).collect()
            for row in rows {
                let columns = row.makeRandomAccess()
                let outcome = ReplayOutcome(
                    requestID: try columns["request_id"].decode(Int64.self),
                    kind: ReplayKind(rawValue: try columns["kind"].decode(String.self)) ?? .replay,
                    targetURL: try columns["target_url"].decode(String.self),
                    status: try columns["response_status"].decode(Int64?.self).map(Int.init),
                    error: try columns["error"].decode(String?.self),
                    failure: try columns["failure"].decode(String?.self).flatMap(ReplayFailure.init(rawValue:)),
                    durationNanoseconds: try columns["duration_ns"].decode(Int64.self),
                    resigned: try columns["resigned"].decode(Bool.self),
                    edited: try columns["edited"].decode(Bool.self))
                outcomes[outcome.requestID] = outcome
            }
            return outcomes
        }
    }

    public func replayTargets(limit: Int) async throws -> [String] {
        try await read { connection in
            var targets: [String] = []
            for try await url in try await connection.query(
                "SELECT url FROM replay_target ORDER BY used DESC LIMIT \(Int64(max(0, limit)))", logger: Self.logger
            ).decode(String.self) {
                targets.append(url)
            }
            return targets
        }
    }

    // MARK: rows

    private static func bytes(_ cell: PostgresCell) throws -> Data {
        var buffer = try cell.decode(ByteBuffer?.self) ?? ByteBuffer()
        return buffer.readData(length: buffer.readableBytes) ?? Data()
    }

    private static func signature(from columns: PostgresRandomAccessRow) throws -> SignatureSummary {
        SignatureSummary(
            provider: try columns["sig_provider"].decode(String?.self),
            status: VerdictStatus(rawValue: try columns["sig_status"].decode(String.self)) ?? .unsigned,
            detail: try columns["sig_detail"].decode(String.self),
            diagnosis: try columns["sig_diagnosis"].decode(String?.self).flatMap(DiagnosisState.init(rawValue:)) ?? .complete)
    }

    /// The columns both kinds of row have besides the request: the response rule that answered,
    /// the failure the sender got instead, and the delivery identity with its attempt.
    private struct AnswerColumns {
        var rule: String?
        var failure: AnswerFailure?
        var event: String?
        var deliveryID: String?
        var attempt: Int

        init(_ columns: PostgresRandomAccessRow) throws {
            rule = try columns["rule"].decode(String?.self)
            failure = try columns["failure"].decode(String?.self).flatMap(AnswerFailure.init(rawValue:))
            event = try columns["event"].decode(String?.self)
            deliveryID = try columns["delivery_id"].decode(String?.self)
            attempt = Int(try columns["attempt"].decode(Int64?.self) ?? 1)
        }
    }

    private static func summary(from row: PostgresRow) throws -> RequestSummary {
        let columns = row.makeRandomAccess()
        let answer = try AnswerColumns(columns)
        return RequestSummary(
            id: try columns["id"].decode(Int64.self),
            receivedAt: CaptureTime(nanosecondsSince1970: try columns["received_at"].decode(Int64.self)),
            method: try columns["method"].decode(String.self),
            rawTarget: [UInt8](try bytes(columns["target"])),
            bodySize: Int(try columns["body_size"].decode(Int64.self)),
            responseStatus: Int(try columns["response_status"].decode(Int64.self)),
            refusal: try columns["refusal"].decode(String?.self).flatMap(Refusal.init(rawValue:)),
            signature: try signature(from: columns),
            rule: answer.rule, failure: answer.failure, event: answer.event, deliveryID: answer.deliveryID, attempt: answer.attempt)
    }

    private static func request(from row: PostgresRow) throws -> CapturedRequest {
        let columns = row.makeRandomAccess()
        let answer = try AnswerColumns(columns)
        return CapturedRequest(
            id: try columns["id"].decode(Int64.self),
            receivedAt: CaptureTime(nanosecondsSince1970: try columns["received_at"].decode(Int64.self)),
            method: try columns["method"].decode(String.self),
            rawTarget: [UInt8](try bytes(columns["target"])),
            httpVersion: try columns["http_version"].decode(String.self),
            headers: try HeaderCoding.decode(try bytes(columns["headers"])),
            remoteAddress: try columns["remote"].decode(String.self),
            localAddress: try columns["local_address"].decode(String?.self),
            body: try bytes(columns["body"]),
            bodyWasChunked: try columns["chunked"].decode(Bool.self),
            bodySize: Int(try columns["body_size"].decode(Int64.self)),
            refusal: try columns["refusal"].decode(String?.self).flatMap(Refusal.init(rawValue:)),
            response: CapturedResponse(
                status: Int(try columns["response_status"].decode(Int64.self)),
                headers: try HeaderCoding.decode(try bytes(columns["response_headers"])),
                body: try bytes(columns["response_body"])),
            signature: try signature(from: columns),
            rule: answer.rule, failure: answer.failure, event: answer.event, deliveryID: answer.deliveryID, attempt: answer.attempt)
    }

    private static func attempt(from row: PostgresRow) throws -> ReplayAttempt {
        let columns = row.makeRandomAccess()
        let status = try columns["response_status"].decode(Int64?.self)
        let changed = try columns["changed_headers"].decode(String.self)
        return ReplayAttempt(
            id: try columns["id"].decode(Int64.self),
            kind: ReplayKind(rawValue: try columns["kind"].decode(String.self)) ?? .replay,
            requestID: try columns["request_id"].decode(Int64.self),
            startedAt: CaptureTime(nanosecondsSince1970: try columns["started_at"].decode(Int64.self)),
            targetURL: try columns["target_url"].decode(String.self),
            resigned: try columns["resigned"].decode(Bool.self),
            changedHeaders: changed.isEmpty ? [] : changed.components(separatedBy: "\n"),
            response: try status.map { status in
                CapturedResponse(
                    status: Int(status), headers: try HeaderCoding.decode(try bytes(columns["response_headers"])),
                    body: try bytes(columns["response_body"]))
            },
            error: try columns["error"].decode(String?.self),
            failure: try columns["failure"].decode(String?.self).flatMap(ReplayFailure.init(rawValue:)),
            durationNanoseconds: try columns["duration_ns"].decode(Int64.self),
            edited: try columns["edited"].decode(Bool.self))
    }
}
