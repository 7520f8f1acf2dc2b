import Foundation
import HookStore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// One connection to the server, made when first needed and made again after it was lost. After a
/// failed attempt the next waits (100 ms, doubling up to 5 s): until then callers get the last
/// error at once, so a server that is down costs each capture one quick failure, not a connect
/// timeout, and the server is not hammered with connection attempts.
actor PostgresLink {
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private var connection: PostgresConnection?
    private var connecting: Task<PostgresConnection, any Error>?
    private var failures = 0
    private var retryAt: ContinuousClock.Instant?
    private var lastError: (any Error)?
    private var closed = false
    private static let ids = IDSource()

    init(configuration: PostgresConnection.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The open connection, else a new one (or the last error while waiting to retry).
    func get() async throws -> PostgresConnection {
        if closed { throw StoreError("the capture store is closed") }
        if let connection, !connection.isClosed { return connection }
        connection = nil
        if let connecting { return try await connecting.value }
        if let retryAt, ContinuousClock.now < retryAt, let lastError { throw lastError }
        let configuration = configuration
        let logger = logger
        let id = Self.ids.next()
        let task = Task { try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger) }
        connecting = task
        do {
            let made = try await task.value
            connecting = nil
            if closed {
                try? await made.close()
                throw StoreError("the capture store is closed")
            }
            connection = made
            failures = 0
            retryAt = nil
            lastError = nil
            return made
        } catch {
            connecting = nil
            failures += 1
            let delay = min(5_000, 100 << min(failures - 1, 6))
            retryAt = ContinuousClock.now + .milliseconds(delay)
            lastError = error
            throw error
        }
    }

    /// Whether the last attempt failed and no connection is open (the server is down or unreachable).
    var isDown: Bool { connection == nil && failures > 0 }

    /// A store dropped without `close()` (tests, commands that exit): the connection is closed, and
    /// kept alive until it is (postgres-nio checks that a connection is closed when it goes).
    deinit {
        if let connection {
            let closed: EventLoopFuture<Void> = connection.close()
            closed.whenComplete { _ in withExtendedLifetime(connection) {} }
        }
    }

    func close() async {
        closed = true
        if let connection { try? await connection.close() }
        connection = nil
    }

    /// Connection ids for postgres-nio's log metadata (unused: logging is off).
    private final class IDSource: Sendable {
        private let counter = Mutexed(0)
        func next() -> Int { counter.next() }
    }
}

/// A counter behind a lock.
final class Mutexed: @unchecked Sendable {
    private var value: Int
    private let lock = NSLock()
    init(_ value: Int) { self.value = value }
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

extension PostgresURL {
    /// The connection settings for postgres-nio: TLS as `sslmode` asks (libpq's `prefer` and
    /// `require` encrypt without checking the certificate; `verify-ca` and `verify-full` check it and
    /// the host name), the password from the URL, `PGPASSWORD` or the password file.
    func connectionConfiguration(environment: [String: String]) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case .disable:
            tls = .disable
        case .allow, .prefer, .require:
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = .none
            let context = try NIOSSLContext(configuration: settings)
            tls = sslMode == .require ? .require(context) : .prefer(context)
        case .verifyCA, .verifyFull:
            tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: resolvedPassword(environment: environment), database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [("application_name", "hookscope")]
        if let schema { configuration.options.additionalStartupParameters.append(("search_path", schema)) }
        return configuration
    }
}

/// A message for the user from a postgres-nio error: the server's own message when it sent one (it
/// never holds the password), else what failed, without the URL's password.
func describePostgres(_ error: any Error) -> String {
    if let error = error as? StoreError { return error.description }
    if let error = error as? ConnectionLostError { return error.description }
    if let error = error as? PSQLError {
        if let message = error.serverInfo?[.message] {
            if let state = error.serverInfo?[.sqlState], state == "28P01" || state == "28000" {
                return message + " (the password comes from the URL, PGPASSWORD or ~/.pgpass)"
            }
            return message
        }
        switch error.code {
        case .connectionError:
            return "cannot connect: \(error.underlying.map(describeNetwork) ?? "connection failed")"
        case .serverClosedConnection, .uncleanShutdown:
            return "the server closed the connection"
        case .clientClosedConnection:
            return "the connection was closed"
        case .sslUnsupported:
            return "the server does not support TLS (sslmode=disable connects without it)"
        case .failedToAddSSLHandler:
            return "cannot set up TLS: \(error.underlying.map { "\($0)" } ?? "unknown error")"
        case .authMechanismRequiresPassword:
            return "the server asks for a password: give it in the URL, PGPASSWORD or ~/.pgpass"
        case .unsupportedAuthMechanism:
            return "the server asks for an authentication method hookscope does not support (use scram-sha-256 or md5)"
        case .saslError:
            return "authentication failed"
        case .queryCancelled:
            return "the query was cancelled"
        default:
            return "database error \(error.code)"
        }
    }
    return describeNetwork(error)
}

/// Whether `error` says the server cannot be reached for now (down, restarting, the connection
/// lost, too many connections), rather than that it refused what was asked.
func isConnectionFailure(_ error: any Error) -> Bool {
    if error is ConnectionLostError { return true }
    if let error = error as? PSQLError {
        if let state = error.serverInfo?[.sqlState] {
            return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state)
        }
        let lost: [PSQLError.Code] = [
            .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection, .sslUnsupported,
            .failedToAddSSLHandler, .receivedUnencryptedDataAfterSSLRequest,
        ]
        return lost.contains(error.code)
    }
    return error is IOError || error is ChannelError || error is NIOConnectionError
}

private func describeNetwork(_ error: any Error) -> String {
    if let error = error as? NIOSSLError {
        if case .handshakeFailed = error, "\(error)".contains("CERTIFICATE_VERIFY_FAILED") {
            return "TLS handshake failed: the server's certificate is not trusted here or does not name the host "
                + "(sslmode=verify-ca and verify-full check it; require encrypts without checking)"
        }
        return "TLS handshake failed"
    }
    if let error = error as? NIOConnectionError {
        if let first = error.connectionErrors.first { return describeNetwork(first.error) }
        if let resolution = error.dnsAAAAError ?? error.dnsAError { return "cannot resolve the host: \(resolution)" }
        return "connection failed"
    }
    if let error = error as? IOError {
        switch error.errnoCode {
        case ECONNREFUSED: return "connection refused"
        case ETIMEDOUT: return "timed out"
        case ECONNRESET: return "connection reset"
        case EHOSTUNREACH, ENETUNREACH: return "host unreachable"
        default: return String(cString: strerror(error.errnoCode))
        }
    }
    if error is ChannelError { return "connection failed (\(error))" }
    return "\(error)"
}
