import ArgumentParser
import Foundation
import HookCore
import HookListen
import HookSignatures
import HookStore

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify one stored request's signature and say why it fails.",
        discussion: "Exit status: 0 valid, 1 invalid, 2 undetermined (no secret, unsigned), 3 error (unknown id, unreadable store).")

    @Argument(help: "The capture's id (see `hookscope list`).")
    var id: Int64

    @OptionGroup var store: StoreOptions
    @OptionGroup var signatures: SignatureOptions

    func run() async throws {
        let report: SignatureReport
        do {
            let config = try signatures.loadConfig()
            let verifier = try signatures.verifier(config: config)
            let requestStore = try await store.openExisting(config: config)
            guard let request = try await requestStore.request(id: id) else {
                throw CLIError("no capture with id \(id) in \(requestStore.displayName)")
            }
            report = verifier.verify(request, now: .now())
            if request.refusal != nil {
                throw CLIError("capture \(id) was refused (\(request.refusal!.rawValue)) and has no body to verify")
            }
        } catch let error as UserError where error.isUsage {
            throw error
        } catch {
            FileHandle.standardError.write(Data("hookscope: \(error)\n".utf8))
            throw ExitCode(3)
        }
        let summary = report.summary
        var text = "\(summary.provider.map { ProviderCatalog.displayName(for: $0) + ": " } ?? "")\(summary.status.screenWord)"
        let shown = summary.shown(with: report.lines)
        text += " - \(shown.detail)\n"
        for line in shown.lines { text += "  \(line)\n" }
        writeStdout(TerminalSafety.escape(Array(text.utf8), keepNewlines: true))
        switch summary.status {
        case .valid: return
        case .invalid: throw ExitCode(1)
        case .noSecret, .unsigned: throw ExitCode(2)
        }
    }
}

struct Providers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The signature schemes hookscope knows, with the headers each is detected by.")

    @Flag(help: "Print the Markdown reference (docs/providers.md).")
    var markdown = false

    func run() throws {
        if markdown {
            writeStdout(ProviderCatalog.markdown())
            return
        }
        let idWidth = ProviderCatalog.all.map(\.id.count).max() ?? 10
        let nameWidth = ProviderCatalog.all.map(\.displayName.count).max() ?? 10
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        var text = "\(pad("ID", idWidth))  \(pad("PROVIDER", nameWidth))  DETECTED BY\n"
        for provider in ProviderCatalog.all {
            text += "\(pad(provider.id, idWidth))  \(pad(provider.displayName, nameWidth))  \(provider.detectionHeaders.joined(separator: ", "))\n"
        }
        text += "\nSecrets: --secret ID=SECRET, HOOKSCOPE_SECRET_<ID>, or [secrets] in the config file. Custom schemes: [[custom]] in the config file.\n"
        writeStdout(text)
    }
}
