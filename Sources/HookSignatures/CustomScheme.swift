import Foundation
import HookCore

/// One piece of a signed string.
public enum TemplatePart: Sendable, Hashable {
    /// The timestamp header's value, exactly as sent.
    case timestamp
    /// The message id header's value, exactly as sent.
    case id
    /// The raw body bytes.
    case body
    /// The full URL the sender called (`--public-url` + target, else built from the Host header).
    case url
    /// The request method, e.g. `POST`.
    case method
    /// Literal text, e.g. `.` or `v0:`.
    case literal(String)

    var placeholder: String {
        switch self {
        case .timestamp: "{timestamp}"
        case .id: "{id}"
        case .body: "{body}"
        case .url: "{url}"
        case .method: "{method}"
        case .literal(let text): text
        }
    }
}

/// A user-defined HMAC scheme (from the config file). It is detected by its signature header and
/// verified and diagnosed exactly like the built-in HMAC schemes, which run on the same machinery.
public struct CustomScheme: Sendable, Hashable {
    /// The provider id used for `--secret ID=…` and shown in reports.
    public var id: String
    public var signatureHeader: String
    public var template: [TemplatePart]
    public var algorithm: MACAlgorithm
    public var encoding: SignatureEncoding
    /// Text before the signature in the header, e.g. `sha256=`.
    public var prefix: String?
    public var timestampHeader: String?
    public var idHeader: String?
    /// Accepted timestamp age in seconds (both directions), or nil for no check.
    public var tolerance: Int?

    public init(
        id: String, signatureHeader: String, template: [TemplatePart], algorithm: MACAlgorithm = .hmacSHA256,
        encoding: SignatureEncoding = .hex, prefix: String? = nil, timestampHeader: String? = nil,
        idHeader: String? = nil, tolerance: Int? = nil
    ) {
        self.id = id
        self.signatureHeader = signatureHeader
        self.template = template
        self.algorithm = algorithm
        self.encoding = encoding
        self.prefix = prefix
        self.timestampHeader = timestampHeader
        self.idHeader = idHeader
        self.tolerance = tolerance
    }

    /// Parses template text such as `{timestamp}.{body}` or `v0:{timestamp}:{body}`.
    /// Placeholders: `{timestamp}`, `{id}`, `{body}`, `{url}`, `{method}`; everything else is literal.
    public static func parseTemplate(_ text: String) throws -> [TemplatePart] {
        var parts: [TemplatePart] = []
        var literal = ""
        var rest = Substring(text)
        let names: [(String, TemplatePart)] = [
            ("{timestamp}", .timestamp), ("{id}", .id), ("{body}", .body), ("{url}", .url), ("{method}", .method),
        ]
        outer: while !rest.isEmpty {
            for (name, part) in names where rest.hasPrefix(name) {
                if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
                parts.append(part)
                rest = rest.dropFirst(name.count)
                continue outer
            }
            if rest.first == "{" {
                let end = rest.firstIndex(of: "}") ?? rest.endIndex
                throw SecretError("unknown placeholder \(rest[rest.startIndex..<end])} in signature template; use {timestamp}, {id}, {body}, {url} or {method}")
            }
            literal.append(rest.removeFirst())
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        guard parts.contains(.body) || parts.contains(.timestamp) || parts.contains(.id) else {
            throw SecretError("signature template '\(text)' signs nothing from the request; include {body}")
        }
        return parts
    }

    var spec: HMACSpec {
        HMACSpec(
            provider: id, headers: [signatureHeader],
            format: .single(prefix: prefix, prefixOptional: false),
            parts: template, algorithm: algorithm, encoding: encoding,
            timestamp: timestampHeader.map { .header($0) } ?? .none, timestampUnit: .auto,
            idHeader: idHeader, tolerance: tolerance, checkFuture: true, keyFormat: .utf8)
    }
}
