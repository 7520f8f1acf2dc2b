import Foundation
import HookCore
import HookReplay
import HookServer
import HookSignatures
import HookStore

/// The values `listen` was given on its command line, as typed: nil (or empty, or false) when a
/// flag was not given. `ListenSettings.resolve` checks them.
public struct ListenFlags: Sendable {
    public var host: String?
    public var port: Int?
    public var db: String?
    public var memory = false
    public var keep: Int?
    public var status: Int?
    public var responseBody: String?
    public var responseHeaders: [String] = []
    public var delay: Int?
    public var maxBody: Int?
    public var secrets: [String] = []
    public var pins: [String] = []
    public var publicURL: String?
    public var noHandshakes = false
    public var noTextIndex = false
    public var metaVerifyToken: String?
    public var replayTo: String?
    public var forwardTo: String?
    /// `--rules FILE`.
    public var rules: String?
    public var proxyResponse = false
    public var insecure = false
    public var headless = false
    public var json = false

    public init() {}
}

/// Everything a listening session needs, resolved once and checked: flags first, then the
/// environment, then the config file, then the defaults. A bad value is a `UserError` that names
/// where it came from (`--delay` for the flag, `delay` for the config file's setting); a bad flag
/// is a usage error.
public struct ListenSettings: Sendable {
    /// Where the captures go.
    public enum Storage: Sendable, Equatable {
        /// In memory only, the newest up to `ListenSettings.memoryStoreBytes`.
        case memory
        /// The SQLite file at this path.
        case sqlite(path: String)
        /// A PostgreSQL database (`--db postgres://…`), shared with other listeners and readers.
        case postgres(PostgresURL)
    }

    public var listener: ListenerConfiguration
    public var storage: Storage
    /// Keep at most this many captures.
    public var keep: Int?
    /// Keep the SQLite store's text index for filters (built in the background); when false, the
    /// index is dropped and text filters read every capture.
    public var textIndex = true
    public var verifier: SignatureVerifier
    /// Answer provider handshakes (Slack's url_verification and the like) by ourselves.
    public var handshakes: Bool
    public var metaVerifyToken: String?
    /// The replay key's default target.
    public var replayTo: String?
    /// Every capture is forwarded here as it arrives.
    public var forwardTo: String?
    /// The response rules, in order (`--rules`, else the config file's `[[rule]]` tables).
    public var rules: [ResponseRule] = []
    /// The rules file, reloaded when it changes; nil when the rules come from the config file.
    public var rulesFile: String?
    /// With `forwardTo`: the sender gets the target's answer.
    public var proxyResponse: Bool
    /// Accept self-signed certificates from forward and replay targets.
    public var insecure: Bool
    /// Headless lines are JSON objects.
    public var json: Bool
    /// Asked for lines (`--headless` or `--json`): no terminal interface even on a terminal.
    public var wantsLines: Bool
    /// Where the TUI's `x` writes exports.
    public var exportDirectory: String

    /// The longest `--delay`: longer than any sender waits for an answer.
    public static let maxDelayMilliseconds = 3_600_000

    /// What the memory store holds at most; the oldest captures go first.
    public static let memoryStoreBytes = 512 << 20

    /// Checks and merges `flags`, `environment` and `config`.
    public static func resolve(flags: ListenFlags, environment: [String: String], config: ConfigFile) throws -> ListenSettings {
        /// The name of a setting as the user gave it: the flag when it was given, else the config key.
        func named(_ flag: String, _ key: String, flagGiven: Bool) -> (name: String, usage: Bool) {
            flagGiven ? (flag, true) : (key, false)
        }
        func check(_ valid: Bool, _ name: (name: String, usage: Bool), _ rule: String) throws {
            if !valid { throw UserError("\(name.name) \(rule)", usage: name.usage) }
        }

        if let forwardTo = flags.forwardTo, case .failure(let error) = ReplayTarget.parse(forwardTo) {
            throw UserError("--forward-to: \(error)", usage: true)
        }
        if flags.forwardTo == nil, let forwardTo = config.forwardTo, case .failure(let error) = ReplayTarget.parse(forwardTo) {
            throw UserError("forward_to: \(error)")
        }
        let forwardTo = flags.forwardTo ?? config.forwardTo
        if flags.proxyResponse && forwardTo == nil {
            throw UserError("--proxy-response needs --forward-to (or forward_to in the config file)", usage: true)
        }
        if flags.memory && flags.db != nil { throw UserError("--memory and --db exclude each other", usage: true) }

        var listener = ListenerConfiguration()
        listener.host = flags.host ?? config.host ?? "127.0.0.1"
        let port = flags.port ?? config.port ?? 9777
        try check((0...65535).contains(port), named("--port", "port", flagGiven: flags.port != nil), "must be between 0 and 65535, not \(port)")
        listener.port = port

        let status = flags.status ?? config.status ?? 200
        try check(
            (100...599).contains(status), named("--status", "status", flagGiven: flags.status != nil),
            "must be an HTTP status between 100 and 599, not \(status)")
        let headerTexts = flags.responseHeaders.isEmpty ? (config.responseHeaders ?? []) : flags.responseHeaders
        let headerName = named("--response-header", "response_headers", flagGiven: !flags.responseHeaders.isEmpty)
        let headers = try headerTexts.map { text in
            do {
                return try ResponseHeader.parse(text)
            } catch {
                throw UserError("\(headerName.name) \(error)", usage: headerName.usage)
            }
        }
        listener.response = CapturedResponse(
            status: status, headers: headers, body: Data((flags.responseBody ?? config.responseBody ?? "").utf8))

        let delay = flags.delay ?? config.delay ?? 0
        try check(
            (0...maxDelayMilliseconds).contains(delay), named("--delay", "delay", flagGiven: flags.delay != nil),
            "must be between 0 and \(maxDelayMilliseconds) milliseconds (one hour), not \(delay)")
        listener.delay = .milliseconds(delay)

        let maxBody = flags.maxBody ?? config.maxBody ?? listener.maxBodySize
        try check(maxBody >= 0, named("--max-body", "max_body", flagGiven: flags.maxBody != nil), "must be 0 or more bytes, not \(maxBody)")
        listener.maxBodySize = maxBody

        let keep = flags.keep ?? config.keep
        if let keep { try check(keep >= 1, named("--keep", "keep", flagGiven: flags.keep != nil), "must be at least 1, not \(keep)") }

        let verifier = try SignatureSettings.verifier(
            secrets: flags.secrets, pins: flags.pins, publicURL: flags.publicURL, config: config, environment: environment)

        var rules = config.rules
        var rulesFile: String?
        if let path = flags.rules {
            let expanded = expandTilde(path)
            rules = try RuleParser.load(path: expanded, customProviders: Set(config.customSchemes.map(\.id)))
            rulesFile = expanded
        }

        let memory = flags.memory || (flags.db == nil && config.memory == true)
        var settings = ListenSettings(
            listener: listener,
            storage: memory ? .memory : try StorePath.storage(flag: flags.db, config: config, environment: environment),
            keep: keep,
            verifier: verifier,
            handshakes: !flags.noHandshakes && config.handshakes != false,
            metaVerifyToken: flags.metaVerifyToken ?? config.metaVerifyToken,
            replayTo: flags.replayTo ?? config.replayTo,
            forwardTo: forwardTo,
            proxyResponse: flags.proxyResponse,
            insecure: flags.insecure || config.insecure == true,
            json: flags.json,
            wantsLines: flags.headless || flags.json,
            exportDirectory: exportDirectory(environment: environment))
        settings.rules = rules
        settings.rulesFile = rulesFile
        settings.textIndex = !flags.noTextIndex && config.textIndex != false
        return settings
    }

    /// Checks the flags alone (the rules of `resolve`, with no config file): the command runs this
    /// before it reads the config file, so a bad flag value is reported first, as a usage error,
    /// whatever is wrong with the file.
    public static func checkFlags(_ flags: ListenFlags) throws {
        // Secrets and pins may name custom schemes of the config file: `resolve` checks them with it.
        var flags = flags
        flags.secrets = []
        flags.pins = []
        // Rules may name custom schemes too; `resolve` reads the file.
        flags.rules = nil
        do {
            // A forward target stands in for the file's `forward_to`, which `--proxy-response` may rely on.
            var config = ConfigFile()
            config.forwardTo = "http://127.0.0.1/"
            _ = try resolve(flags: flags, environment: [:], config: config)
        } catch let error as UserError where error.isUsage {
            throw error
        } catch {
            // Not a flag's value (a secret, say): reported by `resolve` with everything else.
        }
    }

    /// `$XDG_STATE_HOME/hookscope/exports`, else `~/.local/state/hookscope/exports`.
    public static func exportDirectory(environment: [String: String]) -> String {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/hookscope/exports" }
        return (environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()) + "/.local/state/hookscope/exports"
    }
}

/// The store every command reads and `listen` writes.
public enum StorePath {
    /// `--db` (or the config file's `db`) as a store: a PostgreSQL URL or an SQLite path; a value
    /// with another URL scheme is refused (a usage error for the flag).
    public static func address(flag: String?, config: ConfigFile, environment: [String: String]) throws -> StoreAddress {
        let text = flag ?? config.db
        guard let text else { return .sqlite(path: StoreLocation.defaultPath(environment: environment)) }
        do {
            switch try StoreAddress.parse(text) {
            case .sqlite(let path): return .sqlite(path: expandTilde(path))
            case .postgres(let url): return .postgres(url)
            }
        } catch {
            let message = flag != nil ? error.description : error.description.replacingOccurrences(of: "--db:", with: "db in the config file:")
            throw UserError(message, usage: flag != nil)
        }
    }

    static func storage(flag: String?, config: ConfigFile, environment: [String: String]) throws -> ListenSettings.Storage {
        switch try address(flag: flag, config: config, environment: environment) {
        case .sqlite(let path): .sqlite(path: path)
        case .postgres(let url): .postgres(url)
        }
    }

    /// `--db`, else `db` in the config file, else the default (`$XDG_DATA_HOME/hookscope/captures.sqlite`).
    public static func resolve(flag: String?, config: ConfigFile, environment: [String: String]) -> String {
        flag.map(expandTilde) ?? config.db.map(expandTilde) ?? StoreLocation.defaultPath(environment: environment)
    }
}

/// A header of the listener's own answer, as `--response-header` and `response_headers` give it.
public enum ResponseHeader {
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// `Name: value`, with a token for the name and no control characters in the value.
    public static func parse(_ text: String) throws(ParseError) -> HeaderField {
        guard let colon = text.firstIndex(of: ":") else {
            throw ParseError(description: "must look like 'Name: value', not '\(text)'")
        }
        let name = text[..<colon].trimmingCharacters(in: .whitespaces)
        let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.utf8.allSatisfy(isHTTPTokenByte) else {
            throw ParseError(description: "has an invalid header name '\(name)'")
        }
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F }) else {
            throw ParseError(description: "value for '\(name)' contains control characters")
        }
        return HeaderField(name, value)
    }
}
