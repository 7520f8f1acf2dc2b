import Foundation
import Synchronization
import HookCore
import HookSignatures
import TOMLKit

/// Settings read from the TOML config file. Every field is optional: flags win, then the
/// environment, then the file, then the built-in defaults.
public struct ConfigFile: Sendable {
    public init() {}

    public var host: String?
    public var port: Int?
    public var db: String?
    public var memory: Bool?
    public var keep: Int?
    public var status: Int?
    public var responseBody: String?
    public var responseHeaders: [String]?
    public var delay: Int?
    public var maxBody: Int?
    public var replayTo: String?
    /// Forward every capture here as it arrives (`--forward-to`).
    public var forwardTo: String?
    public var publicURL: String?
    public var handshakes: Bool?
    /// The SQLite store's text index for filters (`--no-text-index` when false).
    public var textIndex: Bool?
    /// Accept self-signed certificates from replay and forward targets.
    public var insecure: Bool?
    public var metaVerifyToken: String?
    public var secrets: [(provider: String, secret: String)] = []
    public var pins: [ProviderPin] = []
    public var customSchemes: [CustomScheme] = []
    /// `[[rule]]` tables: response rules, used when `--rules` is not given.
    public var rules: [ResponseRule] = []

    /// `$XDG_CONFIG_HOME/hookscope/config.toml`, else `~/.config/hookscope/config.toml`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            return xdg + "/hookscope/config.toml"
        }
        return (environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()) + "/.config/hookscope/config.toml"
    }

    /// Loads the file named by `--config`, or the default one when it exists.
    public static func load(explicitPath: String?) throws -> ConfigFile {
        let path = explicitPath.map(expandTilde) ?? defaultPath()
        guard FileManager.default.fileExists(atPath: path) else {
            if explicitPath != nil { throw UserError("--config: \(path) does not exist", usage: true) }
            return ConfigFile()
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw UserError("cannot read config file \(path): \(error.localizedDescription)")
        }
        let config = try parse(text, path: path)
        if let warning = readableSecretsWarning(config, path: path), !warnedAboutReadableSecrets.exchange(true, ordering: .relaxed) {
            FileHandle.standardError.write(Data("hookscope: warning: \(warning)\n".utf8))
        }
        return config
    }

    private static let warnedAboutReadableSecrets = Atomic(false)

    /// A warning when the file holds secrets and users other than its owner may read it.
    public static func readableSecretsWarning(_ config: ConfigFile, path: String) -> String? {
        guard !config.secrets.isEmpty || config.metaVerifyToken != nil,
              let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o044 != 0
        else { return nil }
        return "\(path) holds secrets and others can read it (mode \(String(mode, radix: 8))); run: chmod 600 \(path)"
    }

    public static func parse(_ text: String, path: String) throws -> ConfigFile {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw UserError("\(path):\(error.source.begin.line): \(error.description)")
        } catch {
            throw UserError("\(path): \(error)")
        }
        var config = ConfigFile()
        let reader = Reader(path: path)
        let known: Set<String> = [
            "host", "port", "db", "memory", "keep", "status", "response_body", "response_headers", "delay", "max_body",
            "replay_to", "forward_to", "public_url", "handshakes", "insecure", "secrets", "providers", "meta", "custom", "rule",
            "text_index",
        ]
        for key in table.keys where !known.contains(key) {
            throw UserError("\(path): unknown setting '\(key)'")
        }
        config.host = try reader.string(table, "host")
        config.port = try reader.int(table, "port")
        config.db = try reader.string(table, "db")
        config.memory = try reader.bool(table, "memory")
        config.keep = try reader.int(table, "keep")
        config.status = try reader.int(table, "status")
        config.responseBody = try reader.string(table, "response_body")
        config.responseHeaders = try reader.strings(table, "response_headers")
        config.delay = try reader.int(table, "delay")
        config.maxBody = try reader.int(table, "max_body")
        config.replayTo = try reader.string(table, "replay_to")
        config.forwardTo = try reader.string(table, "forward_to")
        config.publicURL = try reader.string(table, "public_url")
        config.handshakes = try reader.bool(table, "handshakes")
        config.textIndex = try reader.bool(table, "text_index")
        config.insecure = try reader.bool(table, "insecure")

        if let meta = table["meta"] {
            guard let metaTable = meta.table else { throw UserError("\(path): [meta] must be a table") }
            config.metaVerifyToken = try reader.string(metaTable, "verify_token", in: "meta")
        }

        let customIDs = Set(try (table["custom"]?.array ?? TOMLArray()).map { item -> String in
            guard let id = item.table?["id"]?.string else { throw UserError("\(path): every [[custom]] scheme needs an id") }
            return id.lowercased()
        })

        if let secrets = table["secrets"] {
            guard let secretsTable = secrets.table else { throw UserError("\(path): [secrets] must be a table of provider = \"secret\"") }
            for provider in secretsTable.keys {
                let id = provider.lowercased()
                guard ProviderCatalog.info(for: id) != nil || customIDs.contains(id) else {
                    throw UserError("\(path): [secrets] names unknown provider '\(provider)' (see `hookscope providers`)")
                }
                if let one = secretsTable[provider]?.string {
                    config.secrets.append((id, one))
                } else if let many = try reader.strings(secretsTable, provider, in: "secrets") {
                    config.secrets += many.map { (id, $0) }
                }
            }
        }

        if let providers = table["providers"] {
            guard let pinsTable = providers.table else { throw UserError("\(path): [providers] must be a table of \"/path\" = \"provider\"") }
            for pathPrefix in pinsTable.keys {
                guard let provider = pinsTable[pathPrefix]?.string else {
                    throw UserError("\(path): [providers] \"\(pathPrefix)\" must name a provider")
                }
                do {
                    config.pins.append(try ProviderPin.parse("\(pathPrefix)=\(provider)", extraIDs: customIDs))
                } catch {
                    throw UserError("\(path): [providers] \(error)")
                }
            }
        }

        for item in table["custom"]?.array ?? TOMLArray() {
            guard let scheme = item.table else { throw UserError("\(path): [[custom]] entries must be tables") }
            config.customSchemes.append(try reader.customScheme(scheme))
        }
        config.rules = try RuleParser.rules(in: table, text: text, path: path, customProviders: customIDs)
        return config
    }

    /// Typed access with one-line errors that name the file and the setting.
    private struct Reader {
        let path: String

        func where_(_ key: String, _ section: String?) -> String { section.map { "[\($0)] \(key)" } ?? key }

        func string(_ table: TOMLTable, _ key: String, in section: String? = nil) throws -> String? {
            guard let value = table[key] else { return nil }
            guard let text = value.string else { throw UserError("\(path): '\(where_(key, section))' must be a string") }
            return text
        }

        func int(_ table: TOMLTable, _ key: String, in section: String? = nil) throws -> Int? {
            guard let value = table[key] else { return nil }
            guard let number = value.int else { throw UserError("\(path): '\(where_(key, section))' must be an integer") }
            return number
        }

        func bool(_ table: TOMLTable, _ key: String, in section: String? = nil) throws -> Bool? {
            guard let value = table[key] else { return nil }
            guard let flag = value.bool else { throw UserError("\(path): '\(where_(key, section))' must be true or false") }
            return flag
        }

        func strings(_ table: TOMLTable, _ key: String, in section: String? = nil) throws -> [String]? {
            guard let value = table[key] else { return nil }
            guard let array = value.array else { throw UserError("\(path): '\(where_(key, section))' must be a list of strings") }
            return try array.map { item in
                guard let text = item.string else { throw UserError("\(path): '\(where_(key, section))' must be a list of strings") }
                return text
            }
        }

        func customScheme(_ table: TOMLTable) throws -> CustomScheme {
            let allowed: Set<String> = [
                "id", "header", "template", "algorithm", "encoding", "prefix", "timestamp_header", "id_header", "tolerance",
            ]
            for key in table.keys where !allowed.contains(key) {
                throw UserError("\(path): unknown setting '\(key)' in [[custom]]")
            }
            guard let id = try string(table, "id", in: "custom")?.lowercased(), !id.isEmpty else {
                throw UserError("\(path): every [[custom]] scheme needs an id")
            }
            guard ProviderCatalog.info(for: id) == nil else {
                throw UserError("\(path): custom scheme id '\(id)' is already a built-in provider")
            }
            guard let header = try string(table, "header", in: "custom") else {
                throw UserError("\(path): custom scheme '\(id)' needs a header (the signature header's name)")
            }
            guard let templateText = try string(table, "template", in: "custom") else {
                throw UserError("\(path): custom scheme '\(id)' needs a template such as \"{timestamp}.{body}\"")
            }
            let template: [TemplatePart]
            do {
                template = try CustomScheme.parseTemplate(templateText)
            } catch {
                throw UserError("\(path): custom scheme '\(id)': \(error)")
            }
            let algorithmText = try string(table, "algorithm", in: "custom") ?? "hmac-sha256"
            let algorithms: [String: MACAlgorithm] = [
                "hmac-sha1": .hmacSHA1, "hmac-sha256": .hmacSHA256, "hmac-sha512": .hmacSHA512,
            ]
            guard let algorithm = algorithms[algorithmText.lowercased()] else {
                throw UserError("\(path): custom scheme '\(id)': algorithm must be hmac-sha1, hmac-sha256 or hmac-sha512")
            }
            let encodingText = try string(table, "encoding", in: "custom") ?? "hex"
            guard let encoding = SignatureEncoding(rawValue: encodingText.lowercased()) else {
                throw UserError("\(path): custom scheme '\(id)': encoding must be hex or base64")
            }
            // Seconds, at most ten years (the arithmetic on a sender's timestamp stays in range).
            let tolerance = try int(table, "tolerance", in: "custom")
            if let tolerance, !(0...315_360_000).contains(tolerance) {
                throw UserError("\(path): custom scheme '\(id)': tolerance must be between 0 and 315360000 seconds, not \(tolerance)")
            }
            return CustomScheme(
                id: id, signatureHeader: header, template: template, algorithm: algorithm, encoding: encoding,
                prefix: try string(table, "prefix", in: "custom"),
                timestampHeader: try string(table, "timestamp_header", in: "custom"),
                idHeader: try string(table, "id_header", in: "custom"),
                tolerance: tolerance)
        }
    }
}
