import Foundation
import HookPostgres
import HookStore
import HookTestSupport

/// PostgreSQL stores for the contract tests, each in a schema of its own (see `TestPostgresServer`).
enum TestPostgres {
    static var wanted: Bool { TestPostgresServer.wanted }

    static func open(keep: Int? = nil) async throws -> PostgresRequestStore {
        try await PostgresRequestStore.open(try PostgresURL.parse(try TestPostgresServer.freshSchemaURL()), keep: keep)
    }
}
