import Foundation
import HookStore
import Logging
import PostgresNIO

/// Hears of every change committed to a PostgreSQL store, by any process, through LISTEN/NOTIFY:
/// the store's triggers (migration "v12-notify") notify the schema's channel at each COMMIT that
/// added, changed or deleted captures. Waiting costs the server nothing: no query runs until a
/// notification comes.
///
/// On its own connection. When that is lost it says so (`lost`), reconnects (100 ms, doubling up
/// to 5 s) and, once listening again, reports every kind of change (`resumed`, then captures,
/// updates and deletions), since what was committed meanwhile was not heard.
public final class PostgresStoreFollower: Sendable {
    /// What a notification (or a reconnection) says changed.
    public enum Change: Sendable, Hashable {
        /// New captures: read the rows above the last id seen.
        case captures
        case store(StoreChange)
    }

    private let task: Task<Void, Never>
    private static let logger = Logger(label: "hookscope.postgres.follow", factory: { _ in SwiftLogNoOpLogHandler() })

    private init(task: Task<Void, Never>) { self.task = task }

    /// Connects and LISTENs; returns once listening, so that every commit after the return is heard.
    /// `changed` is called in the order notifications come, from one task at a time.
    /// Throws when the first connection fails (the error names the store without its password).
    public static func start(
        _ url: PostgresURL, environment: [String: String] = ProcessInfo.processInfo.environment,
        changed: @escaping @Sendable (Change) -> Void
    ) async throws -> PostgresStoreFollower {
        var shown = url
        shown.password = nil
        let configuration: PostgresConnection.Configuration
        do {
            configuration = try url.connectionConfiguration(environment: environment)
        } catch {
            throw StoreError("cannot follow the capture database \(shown): \(describePostgres(error))")
        }
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Result<Void, any Error>.self, bufferingPolicy: .bufferingNewest(1))
        let task = Task {
            var failures = 0
            var first = true
            while !Task.isCancelled {
                var listening = false
                do {
                    let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
                    do {
                        let channel = try await connection.query(
                            "SELECT left('hookscope_' || current_schema(), 63)", logger: logger
                        ).collect().first?.decode(String.self) ?? "hookscope_public"
                        try await connection.listen(on: channel) { notifications in
                            listening = true
                            failures = 0
                            if first {
                                first = false
                                readyContinuation.yield(.success(()))
                            } else {
                                changed(.store(.resumed))
                                changed(.captures)
                                changed(.store(.deleted))
                            }
                            for try await notification in notifications {
                                switch notification.payload {
                                case "c": changed(.captures)
                                case "d": changed(.store(.deleted))
                                default: changed(.store(.updated))
                                }
                            }
                        }
                        try? await connection.close()
                    } catch {
                        try? await connection.close()
                        throw error
                    }
                    // The sequence ended without an error: the connection closed.
                    if !Task.isCancelled { changed(.store(.lost("the connection to \(shown) closed; reconnecting"))) }
                } catch {
                    if Task.isCancelled { break }
                    if first {
                        readyContinuation.yield(.failure(StoreError("cannot follow the capture database \(shown): \(describePostgres(error))")))
                        return
                    }
                    if listening || failures == 0 {
                        changed(.store(.lost("lost the connection to \(shown) (\(describePostgres(error))); reconnecting")))
                    }
                }
                failures += 1
                try? await Task.sleep(for: .milliseconds(min(5_000, 100 << min(failures - 1, 6))))
            }
            readyContinuation.finish()
        }
        for await result in ready {
            switch result {
            case .success: return PostgresStoreFollower(task: task)
            case .failure(let error):
                task.cancel()
                throw error
            }
        }
        task.cancel()
        throw CancellationError()
    }

    /// Stops listening and closes the connection.
    public func stop() {
        task.cancel()
    }

    deinit { task.cancel() }
}
