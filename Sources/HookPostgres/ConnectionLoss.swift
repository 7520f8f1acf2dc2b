import PostgresNIO
import Synchronization

/// The connection closed while a query waited for its answer.
struct ConnectionLostError: Error, CustomStringConvertible {
    var description: String { "the server closed the connection" }
}

/// Runs `body` (queries on `connection`) and fails it with `ConnectionLostError` when the
/// connection closes while it waits. postgres-nio fails a query in flight when the connection is
/// cut, but not always when the server ends it under a query (a fast shutdown: FATAL 57P01, then
/// the socket closes): the query was left unanswered for ever, and with it every capture waiting
/// for the commit. `body` is then abandoned (its task stays suspended; one per lost connection).
/// `body` runs in a task of its own, which the caller's cancellation does not reach: a TUI effect
/// replaced by a newer one never cuts a transaction halfway (its ROLLBACK would be cancelled too).
func unlessConnectionCloses<T: Sendable>(
    _ connection: PostgresConnection, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let outcome = Outcome(continuation)
        // Checks every 250 ms; a closed connection gets 250 ms more for postgres-nio's own error.
        let watchdog = Task {
            var closedChecks = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                if Task.isCancelled { return }
                if connection.isClosed {
                    closedChecks += 1
                    if closedChecks == 2 {
                        outcome.resume(with: .failure(ConnectionLostError()))
                        return
                    }
                }
            }
        }
        Task {
            let result: Result<T, any Error>
            do {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            watchdog.cancel()
            outcome.resume(with: result)
        }
    }
}

/// A continuation resumed by the first of two racers.
private final class Outcome<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func resume(with result: Result<T, any Error>) {
        let first = continuation.withLock { continuation in
            defer { continuation = nil }
            return continuation
        }
        first?.resume(with: result)
    }
}

/// One transaction at a time on a connection. postgres-nio sends the queries of concurrent callers
/// on one connection between each other's, so two transactions there would become one: a BEGIN
/// inside the other, and one's failure aborting the other (or its ROLLBACK taking back the other's
/// rows, which its caller was told were stored).
final class TransactionGate: Sendable {
    private struct State {
        var busy = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func run<T>(_ body: () async throws -> T) async throws -> T {
        await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if !state.busy {
                    state.busy = true
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.busy = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
