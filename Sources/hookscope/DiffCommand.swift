import ArgumentParser
import Foundation
import HookCore
import HookListen
import HookSignatures
import HookStore

struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What differs between two captures: request line, headers, body and signature inputs.",
        discussion: """
            Headers added, removed, changed, or with names in another case or order; JSON bodies by path \
            (with type, key-order and whitespace-only changes named), form bodies by field, other text by line, \
            binary bodies by their first differing byte; each side's signature report (provider, timestamp, \
            signed string, verdict) side by side, verified with the configured secrets.
            Exit status: 0 identical, 1 different, 64 usage error, 3 other errors (unknown id, unreadable store).
            """)

    @Argument(help: "The first capture's id (A).")
    var a: Int64

    @Argument(help: "The second capture's id (B).")
    var b: Int64

    @OptionGroup var store: StoreOptions
    @OptionGroup var signatures: SignatureOptions

    @Flag(help: "One JSON object with the list of differences.")
    var json = false

    func run() async throws {
        let diff: CaptureDiff
        do {
            let config = try signatures.loadConfig()
            let verifier = try signatures.verifier(config: config)
            let requestStore = try await store.openExisting(config: config)
            guard let left = try await requestStore.request(id: a) else {
                throw CLIError("no capture with id \(a) in \(requestStore.displayName)")
            }
            guard let right = try await requestStore.request(id: b) else {
                throw CLIError("no capture with id \(b) in \(requestStore.displayName)")
            }
            let now = CaptureTime.now()
            diff = CaptureDiff(left, right, signatureLines: (verifier.verify(left, now: now).lines, verifier.verify(right, now: now).lines))
        } catch let error as UserError where error.isUsage {
            throw error
        } catch {
            FileHandle.standardError.write(Data("hookscope: \(error)\n".utf8))
            throw ExitCode(3)
        }
        let text: String
        if json {
            text = CaptureDiffText.json(diff) + "\n"
        } else {
            let environment = ProcessInfo.processInfo.environment
            let colour = isTerminal(1) && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
            text = CaptureDiffText.terminalText(CaptureDiffText.lines(diff), colour: colour)
        }
        guard writeStdout(text) else { throw ExitCode(3) }
        if !diff.identical { throw ExitCode(1) }
    }
}
