import Foundation
import HookCore

/// A bad `--secret` value or environment entry. The message never contains the secret.
public struct SecretError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The configured secrets, several per provider id (rotation: old and new both verify).
public struct SecretBook: Sendable, Hashable {
    private var table: [String: [String]]

    public init(_ entries: [(provider: String, secret: String)] = []) {
        var table: [String: [String]] = [:]
        for entry in entries where !(table[entry.provider] ?? []).contains(entry.secret) {
            table[entry.provider, default: []].append(entry.secret)
        }
        self.table = table
    }

    /// The secrets for a provider id, in the order they were given.
    public func secrets(for provider: String) -> [String] {
        // Without any secret (the listener's default) there is nothing to hash the id for.
        table.isEmpty ? [] : table[provider] ?? []
    }

    /// Every provider id that has at least one secret.
    public var providers: [String] { table.keys.sorted() }

    /// Every secret, by provider id in order, each provider's in the order they are tried.
    public var entries: [(provider: String, secret: String)] {
        providers.flatMap { provider in table[provider, default: []].map { (provider, $0) } }
    }

    /// The book without a provider's `index`-th secret (0-based, as `secrets(for:)` lists them);
    /// nil when there is no such secret.
    public func removing(provider: String, at index: Int) -> SecretBook? {
        guard var list = table[provider], list.indices.contains(index) else { return nil }
        list.remove(at: index)
        var book = self
        book.table[provider] = list.isEmpty ? nil : list
        return book
    }

    public var isEmpty: Bool { table.isEmpty }

    /// Both books together. The receiver wins: for a provider both name, the receiver's secrets
    /// come first and the other's are appended (duplicates dropped), so a flag given on the command
    /// line (the receiver) is tried before one from the environment or the config file.
    public func merging(_ other: SecretBook) -> SecretBook {
        var merged = self
        for (provider, secrets) in other.table {
            for secret in secrets where !(merged.table[provider] ?? []).contains(secret) {
                merged.table[provider, default: []].append(secret)
            }
        }
        return merged
    }

    /// Parses a `--secret PROVIDER=SECRET` value. `extraIDs` are custom scheme ids that are also allowed.
    public static func parseFlag(_ value: String, extraIDs: Set<String> = []) throws -> (provider: String, secret: String) {
        guard let eq = value.firstIndex(of: "=") else {
            throw SecretError("--secret wants PROVIDER=SECRET (e.g. stripe=whsec_…), got a value without '='")
        }
        let provider = value[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
        let secret = String(value[value.index(after: eq)...])
        guard !provider.isEmpty else {
            throw SecretError("--secret wants PROVIDER=SECRET, the provider before '=' is empty")
        }
        guard ProviderCatalog.ids.contains(provider) || extraIDs.contains(provider) else {
            let known = ProviderCatalog.ids + extraIDs.sorted()
            throw SecretError("unknown provider '\(abbreviate(provider, max: 40))' in --secret; known: \(known.joined(separator: ", "))")
        }
        guard !secret.isEmpty else {
            throw SecretError("--secret \(provider)= has an empty secret")
        }
        if let problem = formatProblem(provider: provider, secret: secret) {
            throw SecretError("--secret \(provider)=…: \(problem)")
        }
        return (provider, secret)
    }

    /// Why a secret cannot be in the format the provider hands out, or nil when it can.
    /// The text never contains the secret.
    public static func formatProblem(provider: String, secret: String) -> String? {
        switch provider {
        case "standardwebhooks", "svix", "clerk", "resend":
            if StandardWebhooksKeys.looksAsymmetric(secret) {
                if StandardWebhooksKeys.publicKey(from: secret) == nil {
                    return "expected `whpk_` + base64 of a 32-byte Ed25519 public key (or `whsk_` + base64 of the secret key)"
                }
            } else if KeyFormat.whsecBase64.key(from: secret) == nil {
                return "expected the signing secret as shown in the dashboard, `whsec_<base64>`; the part after `whsec_` is not base64"
            }
        case "discord":
            let trimmed = secret.trimmingCharacters(in: .whitespaces)
            if Hex.decode(trimmed)?.count != 32 {
                return "expected the application's Public Key: 64 hex characters (Developer Portal > General Information)"
            }
        case "sendgrid":
            if OtherSchemes.sendgridKey(secret) == nil {
                return "expected the verification public key: base64 DER of a P-256 key (Mail Settings > Event Webhook > Signature Verification)"
            }
        default:
            break
        }
        return nil
    }

    /// The environment variable for a provider id: `HOOKSCOPE_SECRET_` + the id in upper case,
    /// with characters other than letters and digits written as `_`.
    public static func environmentVariable(for provider: String) -> String {
        if provider.utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII ids (all built-in ones): the same mapping byte by byte.
            let name = provider.utf8.map { byte -> UInt8 in
                switch byte {
                case 0x61...0x7A: byte - 0x20
                case 0x41...0x5A, 0x30...0x39: byte
                default: UInt8(ascii: "_")
                }
            }
            return "HOOKSCOPE_SECRET_" + String(decoding: name, as: UTF8.self)
        }
        let name = provider.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? String($0) : "_" }.joined()
        return "HOOKSCOPE_SECRET_" + name
    }

    /// Reads `HOOKSCOPE_SECRET_<ID>` and the rotation variants `HOOKSCOPE_SECRET_<ID>_2` … `_9`.
    public static func fromEnvironment(_ env: [String: String], knownIDs: [String] = ProviderCatalog.ids) -> SecretBook {
        var entries: [(provider: String, secret: String)] = []
        for id in knownIDs {
            let base = environmentVariable(for: id)
            for name in [base] + (2...9).map({ "\(base)_\($0)" }) {
                if let value = env[name], !value.isEmpty {
                    entries.append((id, value))
                }
            }
        }
        return SecretBook(entries)
    }

    public static func == (lhs: SecretBook, rhs: SecretBook) -> Bool { lhs.table == rhs.table }
    public func hash(into hasher: inout Hasher) { hasher.combine(table) }
}

/// A secret as it may be shown: a known prefix (`whsec_`, `pdl_ntf_`) and the last four characters.
/// Short secrets show only their length.
public func maskSecret(_ secret: String) -> String {
    let chars = Array(secret)
    guard chars.count >= 12 else { return "(\(chars.count) chars)" }
    var prefix = ""
    for known in ["whsec_", "whsk_", "whpk_", "pdl_ntf_", "sk_", "shpss_"] where secret.hasPrefix(known) {
        prefix = known
    }
    return prefix + "…" + String(chars.suffix(4))
}

/// How a provider turns the secret text into key bytes.
enum KeyFormat: Sendable, Hashable {
    /// The secret's UTF-8 bytes (Stripe, Paddle, GitHub, …).
    case utf8
    /// `whsec_` + base64: the key is the decoded bytes (Standard Webhooks, Svix). Unpadded is fine.
    case whsecBase64
    /// Decoded when the secret starts with `whsec_`, else the text as is (GitLab signing tokens: unconfirmed).
    case whsecIfPrefixed

    func key(from secret: String) -> [UInt8]? {
        switch self {
        case .utf8:
            return Array(secret.utf8)
        case .whsecBase64:
            var s = Substring(secret)
            if s.hasPrefix("whsec_") { s = s.dropFirst(6) }
            return Base64.decode(String(s))
        case .whsecIfPrefixed:
            return secret.hasPrefix("whsec_") ? KeyFormat.whsecBase64.key(from: secret) : Array(secret.utf8)
        }
    }

    /// The other reading of the same secret, for the "wrong encoding" diagnosis.
    var alternative: KeyFormat {
        switch self {
        case .utf8: .whsecBase64
        case .whsecBase64, .whsecIfPrefixed: .utf8
        }
    }

    var explanation: String {
        switch self {
        case .utf8: "the secret's text used as is (UTF-8)"
        case .whsecBase64: "the base64-decoded part after `whsec_`"
        case .whsecIfPrefixed: "the decoded part after `whsec_` (or the text as is without that prefix)"
        }
    }
}
