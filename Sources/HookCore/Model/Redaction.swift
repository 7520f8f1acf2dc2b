import Foundation

/// What exporters hide: credentials in well-known headers, and any header value holding one of the
/// configured secrets. `includeSecrets` turns all of it off.
public struct Redaction: Sendable, Hashable {
    public var includeSecrets: Bool
    /// Secret values (e.g. signing secrets); a header value containing one is redacted.
    public var secrets: [[UInt8]]

    /// What replaces a redacted value.
    public static let placeholder = "<redacted>"

    /// Redacts credentials; no extra secrets.
    public static let `default` = Redaction()
    /// Keeps everything.
    public static let none = Redaction(includeSecrets: true)

    public init(includeSecrets: Bool = false, secrets: [String] = []) {
        self.includeSecrets = includeSecrets
        // Very short secrets would redact by accident; they are still matched when equal to the value.
        self.secrets = secrets.filter { !$0.isEmpty }.map { Array($0.utf8) }
    }

    static let sensitiveNames: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "apikey",
        "x-auth-token", "x-access-token", "x-csrf-token", "x-xsrf-token", "x-gitlab-token", "x-amz-security-token",
    ]
    static let sensitiveFragments = ["api-key", "api_key", "apikey", "secret", "token", "password", "passwd", "session", "credential"]
    private static let fragmentSearchers = sensitiveFragments.map { ByteSearcher(Array($0.utf8), ignoreCase: false) }

    /// Whether a header name is a credential by itself.
    public func isSensitive(name: String) -> Bool {
        let lower = name.lowercased()
        if Redaction.sensitiveNames.contains(lower) { return true }
        // On bytes: Foundation's `String.contains(_:)` took most of a curl export's time.
        let bytes = Array(lower.utf8)
        return Redaction.fragmentSearchers.contains { $0.occurs(in: bytes) }
    }

    /// The header as it should be exported: the value replaced by `placeholder` when redacted.
    public func apply(_ header: HeaderField) -> HeaderField {
        guard isRedacted(header) else { return header }
        return HeaderField(name: header.name, rawValue: Array(Redaction.placeholder.utf8))
    }

    public func isRedacted(_ header: HeaderField) -> Bool {
        if includeSecrets { return false }
        if isSensitive(name: header.name) { return true }
        for secret in secrets {
            if header.rawValue == secret { return true }
            if secret.count >= 6, ByteSearcher(secret, ignoreCase: false).occurs(in: header.rawValue) { return true }
        }
        return false
    }
}
