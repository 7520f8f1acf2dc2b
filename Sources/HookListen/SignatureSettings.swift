import Foundation
import HookCore
import HookSignatures

/// The signature settings every command that verifies or re-signs shares: `--secret` values first,
/// then `HOOKSCOPE_SECRET_<PROVIDER>` variables, then the config file. A bad flag value is a usage
/// error (exit 64), in every command.
public enum SignatureSettings {
    /// The verifier built from the flags' texts, the environment and the config file.
    public static func verifier(
        secrets: [String], pins: [String], publicURL: String?, config: ConfigFile, environment: [String: String]
    ) throws -> SignatureVerifier {
        let customIDs = Set(config.customSchemes.map(\.id))
        var flagEntries: [(provider: String, secret: String)] = []
        for value in secrets {
            do {
                flagEntries.append(try SecretBook.parseFlag(value, extraIDs: customIDs))
            } catch {
                let text = "\(error)"
                throw UserError(text.hasPrefix("--secret") ? text : "--secret: \(text)", usage: true)
            }
        }
        let environmentBook = SecretBook.fromEnvironment(environment, knownIDs: ProviderCatalog.ids + customIDs.sorted())
        let book = SecretBook(flagEntries).merging(environmentBook).merging(SecretBook(config.secrets))
        var allPins: [ProviderPin] = []
        for value in pins {
            do {
                allPins.append(try ProviderPin.parse(value, extraIDs: customIDs))
            } catch {
                throw UserError("--provider: \(error)", usage: true)
            }
        }
        allPins += config.pins
        let url = publicURL ?? config.publicURL
        if let url, URL(string: url)?.scheme.map({ ["http", "https"].contains($0.lowercased()) }) != true {
            let name = publicURL != nil ? "--public-url" : "public_url"
            throw UserError("\(name) must be an http:// or https:// URL, not '\(url)'", usage: publicURL != nil)
        }
        return SignatureVerifier(secrets: book, pins: allPins, customSchemes: config.customSchemes, publicURL: url)
    }
}
