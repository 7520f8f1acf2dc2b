import ArgumentParser
import Foundation
import HookCore
import HookListen
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

/// `--db PATH`, shared by every command that reads captures.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("SQLite file holding the captures (default: $XDG_DATA_HOME/hookscope/captures.sqlite).", valueName: "path"))
    var db: String?

    /// `--db`, else `db` in the config file, else the default: the store `listen` writes with that config.
    func path(config: ConfigFile) -> String {
        StorePath.resolve(flag: db, config: config, environment: ProcessInfo.processInfo.environment)
    }

    /// Opens the store for reading; a missing file is an error rather than a new empty database.
    func openExisting(config: ConfigFile) throws -> SQLiteRequestStore {
        try openExisting(path: path(config: config))
    }

    /// As `openExisting(config:)` with the default config file (commands without `--config`).
    func openExisting() throws -> SQLiteRequestStore {
        try openExisting(config: ConfigFile.load(explicitPath: nil))
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
