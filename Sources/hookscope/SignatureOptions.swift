import ArgumentParser
import Foundation
import HookCore
import HookListen
import HookSignatures

/// Secrets and signature settings, shared by every command that verifies or re-signs:
/// flags first, then `HOOKSCOPE_SECRET_<PROVIDER>` variables, then the config file.
struct SignatureOptions: ParsableArguments {
    @Option(name: .customLong("secret"), help: ArgumentHelp("A signing secret, PROVIDER=SECRET (repeatable; several per provider for rotation). Other users can see it in `ps`: HOOKSCOPE_SECRET_<PROVIDER> or the config file keep it private.", valueName: "provider=secret"))
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
        try SignatureSettings.verifier(secrets: secrets, pins: pins, publicURL: publicURL, config: config, environment: environment)
    }
}
