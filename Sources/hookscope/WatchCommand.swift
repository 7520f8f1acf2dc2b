import ArgumentParser
import Foundation
import HookListen
import HookStore

/// `hookscope watch`: the TUI on a store that another process (a headless listener) writes.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The TUI on a store without a listener of its own: captures appear as other processes store them.",
        discussion: """
            --db takes an SQLite file or a postgres:// URL (a store shared by a team: changes are heard \
            through LISTEN/NOTIFY). Replay, re-sign, export, filters and s (secrets stay in this process) \
            work as in `listen`; the keys that change the listener's answers (u, F, !) are not there. \
            Exit status: 0, 64 usage error, 3 any other error (a missing store, no terminal).
            """)

    @OptionGroup var store: StoreOptions
    @OptionGroup var signatures: SignatureOptions

    @Option(name: .customLong("replay-to"), help: ArgumentHelp("Default target of the replay key.", valueName: "url"))
    var replayTo: String?

    @Flag(help: "Accept self-signed certificates from replay targets.")
    var insecure = false

    func run() async throws {
        do {
            let config = try signatures.loadConfig()
            var flags = ListenFlags()
            flags.db = store.db
            flags.secrets = signatures.secrets
            flags.pins = signatures.pins
            flags.publicURL = signatures.publicURL
            flags.replayTo = replayTo
            flags.insecure = insecure
            let settings = try ListenSettings.resolve(flags: flags, environment: ProcessInfo.processInfo.environment, config: config)
            if case .sqlite(let path) = settings.storage, !FileManager.default.fileExists(atPath: path) {
                throw CLIError("no captures yet: \(path) does not exist (start `hookscope listen --headless --db \(path)` first)")
            }
            guard isTerminal(0), isTerminal(1) else {
                throw CLIError("watch needs a terminal; `hookscope list` and `hookscope expect` read a store from scripts")
            }
            try await ListenSession.watch(settings: settings, runInterface: runTUI)
        } catch let error as UserError where error.isUsage {
            throw error
        } catch {
            FileHandle.standardError.write(Data("hookscope: \(error)\n".utf8))
            throw ExitCode(3)
        }
    }
}
