import ArgumentParser
import Foundation
import HookCore
import HookStore

struct Hookscope: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "hookscope",
        abstract: "A terminal webhook debugger: capture, inspect, verify and replay webhooks.",
        version: version,
        subcommands: [Listen.self, List.self, Show.self, Verify.self, Providers.self, Export.self, Import.self, Replay.self],
        defaultSubcommand: Listen.self
    )
}

/// A failure with a message for the user; main prints it on one line.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `--db PATH`, shared by every command that reads captures.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("SQLite file holding the captures (default: $XDG_DATA_HOME/hookscope/captures.sqlite).", valueName: "path"))
    var db: String?

    /// `--db`, else `db` in the config file, else the default: the store `listen` writes with that config.
    func path(config: ConfigFile) -> String {
        db.map(expandTilde) ?? config.db.map(expandTilde) ?? StoreLocation.defaultPath()
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
            return try SQLiteRequestStore(path: path)
        } catch {
            throw CLIError("\(error)")
        }
    }
}

func expandTilde(_ path: String) -> String {
    path.hasPrefix("~/") ? NSHomeDirectory() + String(path.dropFirst()) : path
}

/// Whether a file descriptor is a terminal.
func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

/// Writes to stdout unbuffered; false when stdout is gone (closed pipe).
@discardableResult
func writeStdout(_ text: String) -> Bool {
    writeFully(1, Array(text.utf8)) == 0
}
