import ArgumentParser
import Foundation
import HookCore
import HookListen
import HookPostgres
import HookStore

struct Hookscope: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "hookscope",
        abstract: "A terminal webhook debugger: capture, inspect, verify and replay webhooks.",
        version: version,
        subcommands: [
            Listen.self, List.self, Show.self, Verify.self, Diff.self, Providers.self, Export.self, Import.self, Replay.self, Send.self,
            Expect.self, Watch.self,
        ],
        defaultSubcommand: Listen.self
    )
}

/// A failure with a message for the user; main prints it on one line.
typealias CLIError = UserError

/// `--db PATH|URL`, shared by every command that reads captures.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The captures: an SQLite file (default: $XDG_DATA_HOME/hookscope/captures.sqlite) or postgres://USER@HOST:PORT/DB?sslmode=….",
            valueName: "path|url"))
    var db: String?

    /// `--db`, else `db` in the config file, else the default: the store `listen` writes with that
    /// config. Another URL scheme than postgres:// or file: is a usage error.
    func address(config: ConfigFile) throws -> StoreAddress {
        try StorePath.address(flag: db, config: config, environment: ProcessInfo.processInfo.environment)
    }

    /// The store as messages name it (a PostgreSQL URL without its password).
    func path(config: ConfigFile) throws -> String {
        switch try address(config: config) {
        case .sqlite(let path): path
        case .postgres(let url): url.description
        }
    }

    /// Opens the store for reading; a missing SQLite file is an error rather than a new empty database.
    func openExisting(config: ConfigFile) async throws -> any NamedRequestStore {
        switch try address(config: config) {
        case .sqlite(let path):
            return try openExisting(path: path)
        case .postgres(let url):
            do {
                return try await PostgresRequestStore.open(url)
            } catch {
                throw CLIError("\(error)")
            }
        }
    }

    /// As `openExisting(config:)` with the default config file (commands without `--config`).
    func openExisting() async throws -> any NamedRequestStore {
        try await openExisting(config: ConfigFile.load(explicitPath: nil))
    }

    private func openExisting(path: String) throws -> SQLiteRequestStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError("no captures yet: \(path) does not exist (run `hookscope listen` first, or pass --db)")
        }
        do {
            return try SQLiteRequestStore(path: path, forReading: true)
        } catch {
            throw CLIError("\(error)")
        }
    }
}

/// Whether a file descriptor is a terminal.
func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

/// Writes to stdout unbuffered; false when stdout is gone (closed pipe).
@discardableResult
func writeStdout(_ text: String) -> Bool {
    writeFully(1, Array(text.utf8)) == 0
}
