import Foundation
import HookCore

/// How the signature values sit in their header.
enum SignatureFormat: Sendable, Hashable {
    /// The whole value, after an optional prefix such as `sha256=`.
    case single(prefix: String?, prefixOptional: Bool)
    /// `t=…,v1=…` style: pairs split on `separator`, the timestamp under `timestampKey`, signatures under `signatureKey`.
    case keyed(separator: Character, timestampKey: String?, signatureKey: String)
    /// Standard Webhooks: space-separated `v1,<base64>` entries.
    case versionedList(version: String)
}

enum TimestampSource: Sendable, Hashable {
    case none
    case header(String)
    /// Carried in the signature header (`t=` / `ts=`).
    case signatureField
    /// A number inside the JSON body (Linear's `webhookTimestamp`); the check is skipped when absent.
    case jsonBodyField(String)
}

enum TimestampUnit: Sendable, Hashable {
    case seconds
    case milliseconds
    case rfc3339
    /// Digits: seconds, or milliseconds when the number is too large to be seconds; otherwise RFC 3339.
    case auto
}

/// An HMAC scheme described as data: built-in HMAC providers and custom schemes share it.
struct HMACSpec: Sendable, Hashable {
    var provider: String
    /// Signature header names; the first present one is used.
    var headers: [String]
    var format: SignatureFormat
    var parts: [TemplatePart]
    var algorithm: MACAlgorithm
    var encoding: SignatureEncoding
    var timestamp: TimestampSource
    var timestampUnit: TimestampUnit
    var idHeader: String?
    var tolerance: Int?
    /// Whether a timestamp too far in the future is rejected (several SDKs only check the past).
    var checkFuture: Bool
    var keyFormat: KeyFormat
    /// URL-signed schemes whose SDK accepts the URL with and without the default port (Twilio).
    var acceptsPortVariants = false
    /// HubSpot v3 signs the URI with percent-escapes decoded (per its docs); accept both.
    var acceptsDecodedURL = false

    var shape: String { parts.map(\.placeholder).joined() }
    var signsURL: Bool { parts.contains(.url) }
    var signsBody: Bool { parts.contains(.body) }

    /// The text before each signature when written back, e.g. `sha256=`.
    var writtenPrefix: String {
        switch format {
        case .single(let prefix, _): prefix ?? ""
        case .keyed(_, _, let key): key + "="
        case .versionedList(let version): version + ","
        }
    }
}

/// The built-in HMAC schemes.
enum BuiltinSpecs {
    static func standardWebhooks(_ provider: String, prefix: String = "webhook") -> HMACSpec {
        HMACSpec(
            provider: provider, headers: ["\(prefix)-signature"], format: .versionedList(version: "v1"),
            parts: [.id, .literal("."), .timestamp, .literal("."), .body], algorithm: .hmacSHA256, encoding: .base64,
            timestamp: .header("\(prefix)-timestamp"), timestampUnit: .seconds, idHeader: "\(prefix)-id",
            tolerance: 300, checkFuture: true, keyFormat: .whsecBase64)
    }

    static func bodyOnly(
        _ provider: String, header: String, alg: MACAlgorithm = .hmacSHA256, enc: SignatureEncoding = .hex,
        prefix: String? = nil, prefixOptional: Bool = false
    ) -> HMACSpec {
        HMACSpec(
            provider: provider, headers: [header], format: .single(prefix: prefix, prefixOptional: prefixOptional),
            parts: [.body], algorithm: alg, encoding: enc, timestamp: .none, timestampUnit: .seconds,
            idHeader: nil, tolerance: nil, checkFuture: false, keyFormat: .utf8)
    }

    static let stripe = HMACSpec(
        provider: "stripe", headers: ["Stripe-Signature"],
        format: .keyed(separator: ",", timestampKey: "t", signatureKey: "v1"),
        parts: [.timestamp, .literal("."), .body], algorithm: .hmacSHA256, encoding: .hex,
        timestamp: .signatureField, timestampUnit: .seconds, idHeader: nil, tolerance: 300, checkFuture: false,
        keyFormat: .utf8)

    static let calendly: HMACSpec = {
        var spec = stripe
        spec.provider = "calendly"
        spec.headers = ["Calendly-Webhook-Signature"]
        spec.tolerance = 180
        return spec
    }()

    static let paddle = HMACSpec(
        provider: "paddle", headers: ["Paddle-Signature"],
        format: .keyed(separator: ";", timestampKey: "ts", signatureKey: "h1"),
        parts: [.timestamp, .literal(":"), .body], algorithm: .hmacSHA256, encoding: .hex,
        timestamp: .signatureField, timestampUnit: .seconds, idHeader: nil, tolerance: 5, checkFuture: true,
        keyFormat: .utf8)

    static let slack = HMACSpec(
        provider: "slack", headers: ["X-Slack-Signature"], format: .single(prefix: "v0=", prefixOptional: false),
        parts: [.literal("v0:"), .timestamp, .literal(":"), .body], algorithm: .hmacSHA256, encoding: .hex,
        timestamp: .header("X-Slack-Request-Timestamp"), timestampUnit: .seconds, idHeader: nil, tolerance: 300,
        checkFuture: true, keyFormat: .utf8)

    static let zoom: HMACSpec = {
        var spec = slack
        spec.provider = "zoom"
        spec.headers = ["x-zm-signature"]
        spec.timestamp = .header("x-zm-request-timestamp")
        return spec
    }()

    static let twitch = HMACSpec(
        provider: "twitch", headers: ["Twitch-Eventsub-Message-Signature"],
        format: .single(prefix: "sha256=", prefixOptional: false),
        parts: [.id, .timestamp, .body], algorithm: .hmacSHA256, encoding: .hex,
        timestamp: .header("Twitch-Eventsub-Message-Timestamp"), timestampUnit: .rfc3339,
        idHeader: "Twitch-Eventsub-Message-Id", tolerance: 600, checkFuture: true, keyFormat: .utf8)

    static let hubspotV3 = HMACSpec(
        provider: "hubspot", headers: ["X-HubSpot-Signature-v3"], format: .single(prefix: nil, prefixOptional: false),
        parts: [.method, .url, .body, .timestamp], algorithm: .hmacSHA256, encoding: .base64,
        timestamp: .header("X-HubSpot-Request-Timestamp"), timestampUnit: .milliseconds, idHeader: nil,
        tolerance: 300, checkFuture: false, keyFormat: .utf8, acceptsDecodedURL: true)

    static let square = HMACSpec(
        provider: "square", headers: ["x-square-hmacsha256-signature"], format: .single(prefix: nil, prefixOptional: false),
        parts: [.url, .body], algorithm: .hmacSHA256, encoding: .base64, timestamp: .none, timestampUnit: .seconds,
        idHeader: nil, tolerance: nil, checkFuture: false, keyFormat: .utf8)

    static let squareLegacy: HMACSpec = {
        var spec = square
        spec.headers = ["x-square-signature"]
        spec.algorithm = .hmacSHA1
        return spec
    }()

    static let trello = HMACSpec(
        provider: "trello", headers: ["X-Trello-Webhook"], format: .single(prefix: nil, prefixOptional: false),
        parts: [.body, .url], algorithm: .hmacSHA1, encoding: .base64, timestamp: .none, timestampUnit: .seconds,
        idHeader: nil, tolerance: nil, checkFuture: false, keyFormat: .utf8)

    static let linear: HMACSpec = {
        var spec = bodyOnly("linear", header: "Linear-Signature")
        spec.timestamp = .jsonBodyField("webhookTimestamp")
        spec.timestampUnit = .milliseconds
        spec.tolerance = 60
        spec.checkFuture = true
        return spec
    }()

    static let pagerduty = HMACSpec(
        provider: "pagerduty", headers: ["X-PagerDuty-Signature"],
        format: .keyed(separator: ",", timestampKey: nil, signatureKey: "v1"),
        parts: [.body], algorithm: .hmacSHA256, encoding: .hex, timestamp: .none, timestampUnit: .seconds,
        idHeader: nil, tolerance: nil, checkFuture: false, keyFormat: .utf8)

    static let github = bodyOnly("github", header: "X-Hub-Signature-256", prefix: "sha256=")
    static let githubLegacy = bodyOnly("github", header: "X-Hub-Signature", alg: .hmacSHA1, prefix: "sha1=")
    static let meta = bodyOnly("meta", header: "X-Hub-Signature-256", prefix: "sha256=")
    static let intercom = bodyOnly("intercom", header: "X-Hub-Signature", alg: .hmacSHA1, prefix: "sha1=")
    static let bitbucket = bodyOnly("bitbucket", header: "X-Hub-Signature", prefix: "sha256=")
    static let shopify: HMACSpec = {
        var spec = bodyOnly("shopify", header: "X-Shopify-Hmac-Sha256", enc: .base64)
        spec.headers.append("shopify-hmac-sha256")
        return spec
    }()
    static let typeform = bodyOnly("typeform", header: "Typeform-Signature", enc: .base64, prefix: "sha256=")
    static let razorpay = bodyOnly("razorpay", header: "X-Razorpay-Signature")
    static let vercel = bodyOnly("vercel", header: "x-vercel-signature", alg: .hmacSHA1)
    static let sentry = bodyOnly("sentry", header: "Sentry-Hook-Signature")
    static let dropbox = bodyOnly("dropbox", header: "X-Dropbox-Signature")
    static let mollie = bodyOnly("mollie", header: "X-Mollie-Signature", prefix: "sha256=", prefixOptional: true)
    static let coinbase = bodyOnly("coinbase", header: "X-CC-Webhook-Signature")
    static let gitlabSigned: HMACSpec = {
        var spec = standardWebhooks("gitlab")
        spec.keyFormat = .whsecIfPrefixed
        return spec
    }()
}

/// One way a request may be signed: a candidate the verifier tries.
enum Candidate: Sendable, Hashable {
    case hmac(HMACSpec)
    case twilio
    case discord
    case sendgrid
    case mailgun
    case gitlabToken
    case hubspotLegacy

    var provider: String {
        switch self {
        case .hmac(let spec): spec.provider
        case .twilio: "twilio"
        case .discord: "discord"
        case .sendgrid: "sendgrid"
        case .mailgun: "mailgun"
        case .gitlabToken: "gitlab"
        case .hubspotLegacy: "hubspot"
        }
    }

    /// The header whose presence the candidate needs (for "pinned but header missing").
    var primaryHeader: String {
        switch self {
        case .hmac(let spec): spec.headers[0]
        case .twilio: "X-Twilio-Signature"
        case .discord: "X-Signature-Ed25519"
        case .sendgrid: "X-Twilio-Email-Event-Webhook-Signature"
        case .mailgun: "signature (in the body)"
        case .gitlabToken: "X-Gitlab-Token"
        case .hubspotLegacy: "X-HubSpot-Signature"
        }
    }

    /// The default candidates for a provider id (used for `--provider PATH=NAME` pins).
    static func defaults(for provider: String) -> [Candidate] {
        switch provider {
        case "standardwebhooks": [.hmac(BuiltinSpecs.standardWebhooks("standardwebhooks"))]
        case "svix", "clerk", "resend":
            [.hmac(BuiltinSpecs.standardWebhooks(provider, prefix: "svix")), .hmac(BuiltinSpecs.standardWebhooks(provider))]
        case "stripe": [.hmac(BuiltinSpecs.stripe)]
        case "github": [.hmac(BuiltinSpecs.github), .hmac(BuiltinSpecs.githubLegacy)]
        case "slack": [.hmac(BuiltinSpecs.slack)]
        case "shopify": [.hmac(BuiltinSpecs.shopify)]
        case "twilio": [.twilio]
        case "discord": [.discord]
        case "paddle": [.hmac(BuiltinSpecs.paddle)]
        case "square": [.hmac(BuiltinSpecs.square), .hmac(BuiltinSpecs.squareLegacy)]
        case "zoom": [.hmac(BuiltinSpecs.zoom)]
        case "twitch": [.hmac(BuiltinSpecs.twitch)]
        case "linear": [.hmac(BuiltinSpecs.linear)]
        case "mailgun": [.mailgun]
        case "sendgrid": [.sendgrid]
        case "intercom": [.hmac(BuiltinSpecs.intercom)]
        case "gitlab": [.gitlabToken, .hmac(BuiltinSpecs.gitlabSigned)]
        case "bitbucket": [.hmac(BuiltinSpecs.bitbucket)]
        case "typeform": [.hmac(BuiltinSpecs.typeform)]
        case "hubspot": [.hmac(BuiltinSpecs.hubspotV3), .hubspotLegacy]
        case "pagerduty": [.hmac(BuiltinSpecs.pagerduty)]
        case "calendly": [.hmac(BuiltinSpecs.calendly)]
        case "razorpay": [.hmac(BuiltinSpecs.razorpay)]
        case "meta": [.hmac(BuiltinSpecs.meta)]
        case "vercel": [.hmac(BuiltinSpecs.vercel)]
        case "sentry": [.hmac(BuiltinSpecs.sentry)]
        case "trello": [.hmac(BuiltinSpecs.trello)]
        case "dropbox": [.hmac(BuiltinSpecs.dropbox)]
        case "mollie": [.hmac(BuiltinSpecs.mollie)]
        case "coinbase": [.hmac(BuiltinSpecs.coinbase)]
        default: []
        }
    }

    /// The candidates a request's headers (and body) point at, most likely first.
    static func detect(_ request: CapturedRequest) -> [Candidate] {
        let h = request.headers
        // One pass over the headers, then set lookups: detection runs for every captured request.
        let names = Set(h.map { $0.name.lowercased() })
        func has(_ name: String) -> Bool { names.contains(name.lowercased()) }
        var out: [Candidate] = []
        if has("svix-signature") {
            out += ["svix", "clerk", "resend", "standardwebhooks"].map { .hmac(BuiltinSpecs.standardWebhooks($0, prefix: "svix")) }
        }
        if has("webhook-signature") {
            if has("X-Gitlab-Event") || has("X-Gitlab-Instance") { out.append(.hmac(BuiltinSpecs.gitlabSigned)) }
            out += ["standardwebhooks", "svix", "clerk", "resend"].map { .hmac(BuiltinSpecs.standardWebhooks($0)) }
        }
        if has("X-Gitlab-Token") { out.append(.gitlabToken) }
        if has("Stripe-Signature") { out.append(.hmac(BuiltinSpecs.stripe)) }
        if has("Calendly-Webhook-Signature") { out.append(.hmac(BuiltinSpecs.calendly)) }
        if has("Paddle-Signature") { out.append(.hmac(BuiltinSpecs.paddle)) }
        let fromGitHub = has("X-GitHub-Event") || has("X-GitHub-Delivery") || has("X-GitHub-Hook-ID")
        if has("X-Hub-Signature-256") {
            out += fromGitHub ? [.hmac(BuiltinSpecs.github), .hmac(BuiltinSpecs.meta)] : [.hmac(BuiltinSpecs.meta), .hmac(BuiltinSpecs.github)]
        }
        if let legacy = h.value(named: "X-Hub-Signature") {
            if legacy.lowercased().hasPrefix("sha256=") {
                out.append(.hmac(BuiltinSpecs.bitbucket))
            } else if fromGitHub {
                out += [.hmac(BuiltinSpecs.githubLegacy), .hmac(BuiltinSpecs.intercom)]
            } else if has("X-Event-Key") {
                out += [.hmac(BuiltinSpecs.bitbucket), .hmac(BuiltinSpecs.intercom), .hmac(BuiltinSpecs.githubLegacy)]
            } else {
                out += [.hmac(BuiltinSpecs.intercom), .hmac(BuiltinSpecs.githubLegacy), .hmac(BuiltinSpecs.bitbucket)]
            }
        }
        if has("X-Slack-Signature") { out.append(.hmac(BuiltinSpecs.slack)) }
        if has("X-Shopify-Hmac-Sha256") || has("shopify-hmac-sha256") { out.append(.hmac(BuiltinSpecs.shopify)) }
        if has("X-Twilio-Signature") { out.append(.twilio) }
        if has("X-Signature-Ed25519") { out.append(.discord) }
        if has("x-square-hmacsha256-signature") { out.append(.hmac(BuiltinSpecs.square)) }
        else if has("x-square-signature") { out.append(.hmac(BuiltinSpecs.squareLegacy)) }
        if has("x-zm-signature") { out.append(.hmac(BuiltinSpecs.zoom)) }
        if has("Twitch-Eventsub-Message-Signature") { out.append(.hmac(BuiltinSpecs.twitch)) }
        if has("Linear-Signature") { out.append(.hmac(BuiltinSpecs.linear)) }
        if has("X-Twilio-Email-Event-Webhook-Signature") { out.append(.sendgrid) }
        if has("Typeform-Signature") { out.append(.hmac(BuiltinSpecs.typeform)) }
        if has("X-HubSpot-Signature-v3") { out.append(.hmac(BuiltinSpecs.hubspotV3)) }
        if has("X-HubSpot-Signature") { out.append(.hubspotLegacy) }
        if has("X-PagerDuty-Signature") { out.append(.hmac(BuiltinSpecs.pagerduty)) }
        if has("X-Razorpay-Signature") { out.append(.hmac(BuiltinSpecs.razorpay)) }
        if has("x-vercel-signature") { out.append(.hmac(BuiltinSpecs.vercel)) }
        if has("Sentry-Hook-Signature") { out.append(.hmac(BuiltinSpecs.sentry)) }
        if has("X-Trello-Webhook") { out.append(.hmac(BuiltinSpecs.trello)) }
        if has("X-Dropbox-Signature") { out.append(.hmac(BuiltinSpecs.dropbox)) }
        if has("X-Mollie-Signature") { out.append(.hmac(BuiltinSpecs.mollie)) }
        if has("X-CC-Webhook-Signature") { out.append(.hmac(BuiltinSpecs.coinbase)) }
        if out.isEmpty, MailgunFields.parse(Array(request.body)) != nil { out.append(.mailgun) }
        return out
    }
}
