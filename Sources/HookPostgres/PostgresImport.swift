import Foundation
import HookCore
import HookStore
import NIOCore
import PostgresNIO

/// Adds captures to a PostgreSQL store all or nothing, while listeners may be writing to it.
///
/// Each batch goes into a temporary table of the import's own connection (`add`); `finish` moves
/// them all into the store in one transaction, under the advisory lock the listeners' commits take:
/// the ids come from the same identity as theirs (unique), in the order of the file, and become
/// visible at once, above every id committed before (readers that follow "ids above N" miss none).
/// Until then nothing of the import is in the store; a bad entry, a failed write or an import that
/// is killed leaves it as it was (the temporary table goes with the connection), and the listeners'
/// captures are never touched. They wait for the lock only while `finish` copies the rows.
public final class PostgresImport: CaptureImport {
    /// The address, without its password.
    public let url: PostgresURL
    private let connectURL: PostgresURL
    private let environment: [String: String]
    private var connection: PostgresConnection?
    private var staged: Int64 = 0
    public private(set) var added: [ClosedRange<Int64>] = []

    public var displayName: String { url.description }

    public init(url: PostgresURL, environment: [String: String] = ProcessInfo.processInfo.environment) {
        connectURL = url
        var shown = url
        shown.password = nil
        self.url = shown
        self.environment = environment
    }

    /// Stages `batch`. The first batch opens the store (creating or migrating its tables) and the
    /// import's connection.
    public func add(_ batch: [CapturedRequest]) async throws {
        guard !batch.isEmpty else { return }
        do {
            let connection: PostgresConnection
            if let open = self.connection {
                connection = open
            } else {
                connection = try await connect()
                self.connection = connection
            }
            let insert = stagingInsert(batch)
            _ = try await unlessConnectionCloses(connection) { try await connection.query(insert, logger: PostgresRequestStore.logger) }
            staged += Int64(batch.count)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot import into \(url): \(describePostgres(error))")
        }
    }

    /// Moves every staged capture into the store in one transaction; the store numbers the
    /// attempts of each delivery id (after the captures it holds, as `DeliveryNumbering` says,
    /// then those earlier in the file) and keeps the ids of verdicts without their cause for the signature catch-up.
    public func finish() async throws {
        guard let connection, staged > 0 else { return }
        let columns = PostgresRequestStore.insertColumns
        let selected = columns.map { column in
            column == "attempt"
                ? """
                CASE WHEN s.delivery_id IS NULL THEN 1
                    ELSE \(PostgresRequestStore.attemptsHeldSQL("s.delivery_id"))
                        + row_number() OVER (PARTITION BY s.delivery_id ORDER BY s.ord) END
                """
                : "s.\(column)"
        }
        let lockSchema = url.schema ?? ""
        let invalid = VerdictStatus.invalid.rawValue
        let staged = staged
        do {
            let ids = try await PostgresRequestStore.transaction(connection) { connection in
                // The lock of `PostgresRequestStore.commit`: one writer at a time hands out ids.
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtext('hookscope'), hashtext(\(lockSchema)))", logger: PostgresRequestStore.logger)
                // Rows come out of the SELECT in file order, and the identity numbers them as they go in.
                let rows = try await connection.query(
                    """
                    WITH inserted AS (
                        INSERT INTO request (\(unescaped: columns.joined(separator: ", ")))
                        SELECT \(unescaped: selected.joined(separator: ", ")) FROM pg_temp.hookscope_import s ORDER BY s.ord
                        RETURNING id, sig_status, sig_diagnosis),
                    unexplained_ids AS (
                        INSERT INTO unexplained (id) SELECT id FROM inserted WHERE sig_status = \(invalid) AND sig_diagnosis IS NOT NULL)
                    SELECT id FROM inserted ORDER BY id
                    """, logger: PostgresRequestStore.logger)
                var ids: [Int64] = []
                ids.reserveCapacity(Int(staged))
                for try await id in rows.decode(Int64.self) { ids.append(id) }
                guard ids.count == staged else { throw StoreError("the server stored \(ids.count) of \(staged) captures") }
                return ids
            }
            added.append(ids: ids)
        } catch let error as StoreError {
            throw StoreError("cannot import into \(url): \(error.description)")
        } catch {
            throw StoreError("cannot import into \(url): \(describePostgres(error))")
        }
        try? await connection.close()
        self.connection = nil
    }

    /// Closes the connection: the staged captures go with it, and a transaction still open is
    /// rolled back. The store was not touched.
    public func rollBack() async {
        if let connection { try? await connection.close() }
        connection = nil
        staged = 0
        added = []
    }

    /// An import dropped without `finish` or `rollBack`: its connection is closed (postgres-nio
    /// checks that a connection is closed when it goes), and the staged captures go with it.
    deinit {
        if let connection {
            let closed: EventLoopFuture<Void> = connection.close()
            closed.whenComplete { _ in withExtendedLifetime(connection) {} }
        }
    }

    /// Opens the store (its migrations), then the import's own connection and its staging table:
    /// the capture columns and the position in the file.
    private func connect() async throws -> PostgresConnection {
        let store = try await PostgresRequestStore.open(connectURL, environment: environment)
        await store.close()
        let configuration = try connectURL.connectionConfiguration(environment: environment)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: PostgresRequestStore.logger)
        do {
            try await connection.query(
                PostgresQuery(unsafeSQL: """
                    CREATE TEMPORARY TABLE hookscope_import AS
                    SELECT 0::bigint AS ord, \(PostgresRequestStore.insertColumns.joined(separator: ", ")) FROM request WITH NO DATA
                    """), logger: PostgresRequestStore.logger)
        } catch {
            try? await connection.close()
            throw error
        }
        return connection
    }

    /// One multi-row INSERT of `batch` into the staging table, numbered on from those staged before.
    private func stagingInsert(_ batch: [CapturedRequest]) -> PostgresQuery {
        let columns = PostgresRequestStore.insertColumns
        var binds = PostgresBindings(capacity: batch.count * (columns.count + 1))
        var rows: [String] = []
        rows.reserveCapacity(batch.count)
        for (offset, request) in batch.enumerated() {
            let first = binds.count
            rows.append("(" + (1...columns.count + 1).map { "$\(first + $0)" }.joined(separator: ",") + ")")
            binds.append(staged + Int64(offset))
            PostgresRequestStore.bind(request, into: &binds)
        }
        return PostgresQuery(
            unsafeSQL: "INSERT INTO pg_temp.hookscope_import (ord, \(columns.joined(separator: ", "))) VALUES \(rows.joined(separator: ","))",
            binds: binds)
    }
}
