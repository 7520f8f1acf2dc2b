import ArgumentParser
import Foundation
import HookCore
import HookSignatures

/// Secrets and signature settings, shared by every command that verifies or re-signs:
/// flags first, then `HOOKSCOPE_SECRET_<PROVIDER>` variables, then the config file.
struct SignatureOptions: ParsableArguments {
    @Option(name: .customLong("secret"), help: ArgumentHelp("A signing secret, PROVIDER=SECRET (repeatable; several per provider for rotation).", valueName: "provider=secret"))
    var secrets: [String] = []

    @Option(name: .customLong("provider"), help: ArgumentHelp("Pin a provider to a path prefix, PATH=PROVIDER (repeatable).", valueName: "path=provider"))
    var pins: [String] = []

    @Option(name: .customLong("public-url"), help: ArgumentHelp("The URL senders use to reach this listener (for URL-signed schemes: Twilio, Square, HubSpot, Trello).", valueName: "url"))
    var publicURL: String?

    @Option(name: .customLong("config"), help: ArgumentHelp("TOML config file (default: $XDG_CONFIG_HOME/hookscope/config.toml).", valueName: "file"))
    var configPath: String?

    func loadConfig() throws -> ConfigFile {
        try ConfigFile.load(explicitPath: configPath)
    }

    /// The verifier built from flags, environment and config file.
    func verifier(config: ConfigFile, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SignatureVerifier {
        let customIDs = Set(config.customSchemes.map(\.id))
        var flagEntries: [(provider: String, secret: String)] = []
        for value in secrets {
            do {
                flagEntries.append(try SecretBook.parseFlag(value, extraIDs: customIDs))
            } catch {
                throw CLIError("--secret: \(error)")
            }
        }
        let environmentBook = SecretBook.fromEnvironment(environment, knownIDs: ProviderCatalog.ids + customIDs.sorted())
        let book = SecretBook(flagEntries).merging(environmentBook).merging(SecretBook(config.secrets))
        var allPins: [ProviderPin] = []
        for value in pins {
            do {
                allPins.append(try ProviderPin.parse(value, extraIDs: customIDs))
            } catch {
                throw CLIError("--provider: \(error)")
            }
        }
        allPins += config.pins
        let url = publicURL ?? config.publicURL
        if let url, URL(string: url)?.scheme.map({ ["http", "https"].contains($0.lowercased()) }) != true {
            throw CLIError("--public-url must be an http:// or https:// URL, not '\(url)'")
        }
        return SignatureVerifier(secrets: book, pins: allPins, customSchemes: config.customSchemes, publicURL: url)
    }
}
