import Foundation
import Testing

@testable import HookStore

/// What `--db` names: an SQLite file or a PostgreSQL database, and nothing else.
@Suite struct StoreAddressTests {
    @Test func pathsAndFileURLsAreSQLiteFiles() throws {
        #expect(try StoreAddress.parse("/tmp/a.sqlite") == .sqlite(path: "/tmp/a.sqlite"))
        #expect(try StoreAddress.parse("captures.sqlite") == .sqlite(path: "captures.sqlite"))
        #expect(try StoreAddress.parse("file:/tmp/a.sqlite") == .sqlite(path: "/tmp/a.sqlite"))
        #expect(try StoreAddress.parse("file:///tmp/a.sqlite") == .sqlite(path: "/tmp/a.sqlite"))
        // A colon without "//" is a file name.
        #expect(try StoreAddress.parse("a:b.sqlite") == .sqlite(path: "a:b.sqlite"))
    }

    /// Taken as a path, `mysql://…` would create a directory named `mysql:`.
    @Test(arguments: ["mysql://u@h/db", "sqlite://x", "https://example.com/db", "redis://h:6379"])
    func otherSchemesAreRefused(text: String) {
        #expect(throws: StoreAddressError.self) { try StoreAddress.parse(text) }
        do {
            _ = try StoreAddress.parse(text)
        } catch {
            #expect(error.description.hasPrefix("--db: unsupported scheme"))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func postgresURLsAreRead() throws {
        let url = try PostgresURL.parse("postgres://alice:s%40cret@db.example.com:6543/hooks?sslmode=verify-full")
        #expect(url == PostgresURL(user: "alice", password: "s@cret", host: "db.example.com", port: 6543, database: "hooks", sslMode: .verifyFull))
        #expect(try StoreAddress.parse("postgresql://bob@127.0.0.1/x") == .postgres(PostgresURL(user: "bob", host: "127.0.0.1", database: "x")))
        let v6 = try PostgresURL.parse("postgres://bob@[::1]:5433/x?schema=team_a")
        #expect(v6.host == "::1")
        #expect(v6.port == 5433)
        #expect(v6.schema == "team_a")
        // The database defaults to the user's name, as with libpq.
        #expect(try PostgresURL.parse("postgres://carol@h").database == "carol")
    }

    @Test(arguments: [
        "postgres://h/db", "postgres://u@h:0/db", "postgres://u@h:x/db", "postgres://u@h/db?sslmode=sometimes",
        "postgres://u@h/db?schema=Bad-Name", "postgres://u@h/db?password=x",
    ])
    func badPostgresURLsAreRefused(text: String) {
        #expect(throws: StoreAddressError.self) { try PostgresURL.parse(text) }
    }

    /// The password is never part of what messages show.
    @Test func theDescriptionHasNoPassword() throws {
        let url = try PostgresURL.parse("postgres://alice:hunter2@db:5432/hooks?sslmode=require")
        #expect(url.password == "hunter2")
        #expect(url.description == "postgres://alice@db:5432/hooks?sslmode=require")
        do {
            _ = try PostgresURL.parse("postgres://alice:hunter2@db:99999/hooks")
            Issue.record("a bad port was accepted")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }

    /// The URL's password first, then PGPASSWORD, then a private password file.
    @Test func thePasswordComesFromTheURLThenTheEnvironmentThenThePasswordFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-pgpass-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("pgpass").path
        try "# comment\nother:5432:*:alice:wrong\ndb:5432:hooks:alice:from\\:file\n*:*:*:*:fallback\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        let url = try PostgresURL.parse("postgres://alice@db:5432/hooks")
        #expect(url.resolvedPassword(environment: ["PGPASSFILE": file]) == "from:file")
        #expect(url.resolvedPassword(environment: ["PGPASSFILE": file, "PGPASSWORD": "env"]) == "env")
        #expect(try PostgresURL.parse("postgres://alice:url@db:5432/hooks").resolvedPassword(environment: ["PGPASSWORD": "env"]) == "url")
        #expect(try PostgresURL.parse("postgres://bob@elsewhere:1/x").resolvedPassword(environment: ["PGPASSFILE": file]) == "fallback")
        // Readable by others: ignored, as libpq does.
        chmod(file, 0o644)
        #expect(url.resolvedPassword(environment: ["PGPASSFILE": file]) == nil)
    }
}
