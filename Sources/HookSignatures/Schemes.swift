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
    /// Boxed: a candidate is copied as one reference, not as the spec's many strings and arrays.
    indirect case hmac(HMACSpec)
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
        // One pass over the headers into a bit set, then bit tests: detection runs for every captured request.
        let present = DetectedHeader.present(in: h)
        func has(_ name: DetectedHeader) -> Bool { present & (1 << name.rawValue) != 0 }
        var out: [Candidate] = []
        if has(.svixSignature) {
            out += Detected.svixHeaders
        }
        if has(.webhookSignature) {
            if has(.xGitlabEvent) || has(.xGitlabInstance) { out.append(Detected.gitlabSigned) }
            out += Detected.webhookHeaders
        }
        if has(.xGitlabToken) { out.append(.gitlabToken) }
        if has(.stripeSignature) { out.append(Detected.stripe) }
        if has(.calendlyWebhookSignature) { out.append(Detected.calendly) }
        if has(.paddleSignature) { out.append(Detected.paddle) }
        let fromGitHub = has(.xGithubEvent) || has(.xGithubDelivery) || has(.xGithubHookId)
        if has(.xHubSignature256) {
            out += fromGitHub ? [Detected.github, Detected.meta] : [Detected.meta, Detected.github]
        }
        if has(.xHubSignature), let legacy = h.value(named: "X-Hub-Signature") {
            if legacy.lowercased().hasPrefix("sha256=") {
                out.append(Detected.bitbucket)
            } else if fromGitHub {
                out += [Detected.githubLegacy, Detected.intercom]
            } else if has(.xEventKey) {
                out += [Detected.bitbucket, Detected.intercom, Detected.githubLegacy]
            } else {
                out += [Detected.intercom, Detected.githubLegacy, Detected.bitbucket]
            }
        }
        if has(.xSlackSignature) { out.append(Detected.slack) }
        if has(.xShopifyHmacSha256) || has(.shopifyHmacSha256) { out.append(Detected.shopify) }
        if has(.xTwilioSignature) { out.append(.twilio) }
        if has(.xSignatureEd25519) { out.append(.discord) }
        if has(.xSquareHmacsha256Signature) { out.append(Detected.square) }
        else if has(.xSquareSignature) { out.append(Detected.squareLegacy) }
        if has(.xZmSignature) { out.append(Detected.zoom) }
        if has(.twitchEventsubMessageSignature) { out.append(Detected.twitch) }
        if has(.linearSignature) { out.append(Detected.linear) }
        if has(.xTwilioEmailEventWebhookSignature) { out.append(.sendgrid) }
        if has(.typeformSignature) { out.append(Detected.typeform) }
        if has(.xHubspotSignatureV3) { out.append(Detected.hubspotV3) }
        if has(.xHubspotSignature) { out.append(.hubspotLegacy) }
        if has(.xPagerdutySignature) { out.append(Detected.pagerduty) }
        if has(.xRazorpaySignature) { out.append(Detected.razorpay) }
        if has(.xVercelSignature) { out.append(Detected.vercel) }
        if has(.sentryHookSignature) { out.append(Detected.sentry) }
        if has(.xTrelloWebhook) { out.append(Detected.trello) }
        if has(.xDropboxSignature) { out.append(Detected.dropbox) }
        if has(.xMollieSignature) { out.append(Detected.mollie) }
        if has(.xCcWebhookSignature) { out.append(Detected.coinbase) }
        if out.isEmpty, MailgunFields.mayBeIn(request.body), MailgunFields.parse(Array(request.body)) != nil { out.append(.mailgun) }
        return out
    }
}

/// The candidates `Candidate.detect` hands out, built once (each a single boxed spec).
private enum Detected {
    // One candidate per header set, named by the headers alone: Svix, Clerk, Resend and Standard
    // Webhooks sign alike, so any of their secrets verifies either (`SignatureVerifier.keys(for:)`)
    // and the label does not depend on which secrets are loaded.
    static let svixHeaders: [Candidate] = [.hmac(BuiltinSpecs.standardWebhooks("svix", prefix: "svix"))]
    static let webhookHeaders: [Candidate] = [.hmac(BuiltinSpecs.standardWebhooks("standardwebhooks"))]
    static let bitbucket = Candidate.hmac(BuiltinSpecs.bitbucket)
    static let calendly = Candidate.hmac(BuiltinSpecs.calendly)
    static let coinbase = Candidate.hmac(BuiltinSpecs.coinbase)
    static let dropbox = Candidate.hmac(BuiltinSpecs.dropbox)
    static let github = Candidate.hmac(BuiltinSpecs.github)
    static let githubLegacy = Candidate.hmac(BuiltinSpecs.githubLegacy)
    static let gitlabSigned = Candidate.hmac(BuiltinSpecs.gitlabSigned)
    static let hubspotV3 = Candidate.hmac(BuiltinSpecs.hubspotV3)
    static let intercom = Candidate.hmac(BuiltinSpecs.intercom)
    static let linear = Candidate.hmac(BuiltinSpecs.linear)
    static let meta = Candidate.hmac(BuiltinSpecs.meta)
    static let mollie = Candidate.hmac(BuiltinSpecs.mollie)
    static let paddle = Candidate.hmac(BuiltinSpecs.paddle)
    static let pagerduty = Candidate.hmac(BuiltinSpecs.pagerduty)
    static let razorpay = Candidate.hmac(BuiltinSpecs.razorpay)
    static let sentry = Candidate.hmac(BuiltinSpecs.sentry)
    static let shopify = Candidate.hmac(BuiltinSpecs.shopify)
    static let slack = Candidate.hmac(BuiltinSpecs.slack)
    static let square = Candidate.hmac(BuiltinSpecs.square)
    static let squareLegacy = Candidate.hmac(BuiltinSpecs.squareLegacy)
    static let stripe = Candidate.hmac(BuiltinSpecs.stripe)
    static let trello = Candidate.hmac(BuiltinSpecs.trello)
    static let twitch = Candidate.hmac(BuiltinSpecs.twitch)
    static let typeform = Candidate.hmac(BuiltinSpecs.typeform)
    static let vercel = Candidate.hmac(BuiltinSpecs.vercel)
    static let zoom = Candidate.hmac(BuiltinSpecs.zoom)
}

/// The header names whose presence `Candidate.detect` looks at (names compare ignoring ASCII case).
enum DetectedHeader: Int, CaseIterable {
    case svixSignature
    case webhookSignature
    case xGitlabEvent
    case xGitlabInstance
    case xGitlabToken
    case stripeSignature
    case calendlyWebhookSignature
    case paddleSignature
    case xGithubEvent
    case xGithubDelivery
    case xGithubHookId
    case xHubSignature256
    case xHubSignature
    case xEventKey
    case xSlackSignature
    case xShopifyHmacSha256
    case shopifyHmacSha256
    case xTwilioSignature
    case xSignatureEd25519
    case xSquareHmacsha256Signature
    case xSquareSignature
    case xZmSignature
    case twitchEventsubMessageSignature
    case linearSignature
    case xTwilioEmailEventWebhookSignature
    case typeformSignature
    case xHubspotSignatureV3
    case xHubspotSignature
    case xPagerdutySignature
    case xRazorpaySignature
    case xVercelSignature
    case sentryHookSignature
    case xTrelloWebhook
    case xDropboxSignature
    case xMollieSignature
    case xCcWebhookSignature

    var name: String {
        switch self {
        case .svixSignature: "svix-signature"
        case .webhookSignature: "webhook-signature"
        case .xGitlabEvent: "x-gitlab-event"
        case .xGitlabInstance: "x-gitlab-instance"
        case .xGitlabToken: "x-gitlab-token"
        case .stripeSignature: "stripe-signature"
        case .calendlyWebhookSignature: "calendly-webhook-signature"
        case .paddleSignature: "paddle-signature"
        case .xGithubEvent: "x-github-event"
        case .xGithubDelivery: "x-github-delivery"
        case .xGithubHookId: "x-github-hook-id"
        case .xHubSignature256: "x-hub-signature-256"
        case .xHubSignature: "x-hub-signature"
        case .xEventKey: "x-event-key"
        case .xSlackSignature: "x-slack-signature"
        case .xShopifyHmacSha256: "x-shopify-hmac-sha256"
        case .shopifyHmacSha256: "shopify-hmac-sha256"
        case .xTwilioSignature: "x-twilio-signature"
        case .xSignatureEd25519: "x-signature-ed25519"
        case .xSquareHmacsha256Signature: "x-square-hmacsha256-signature"
        case .xSquareSignature: "x-square-signature"
        case .xZmSignature: "x-zm-signature"
        case .twitchEventsubMessageSignature: "twitch-eventsub-message-signature"
        case .linearSignature: "linear-signature"
        case .xTwilioEmailEventWebhookSignature: "x-twilio-email-event-webhook-signature"
        case .typeformSignature: "typeform-signature"
        case .xHubspotSignatureV3: "x-hubspot-signature-v3"
        case .xHubspotSignature: "x-hubspot-signature"
        case .xPagerdutySignature: "x-pagerduty-signature"
        case .xRazorpaySignature: "x-razorpay-signature"
        case .xVercelSignature: "x-vercel-signature"
        case .sentryHookSignature: "sentry-hook-signature"
        case .xTrelloWebhook: "x-trello-webhook"
        case .xDropboxSignature: "x-dropbox-signature"
        case .xMollieSignature: "x-mollie-signature"
        case .xCcWebhookSignature: "x-cc-webhook-signature"
        }
    }

    /// Lowercased names and their bits, indexed by length: a header is compared only with names as
    /// long as its own (an array index, not a hashed lookup, per header).
    private static let byLength: [[(name: [UInt8], bit: UInt64)]] = {
        let names = allCases.map { (name: Array($0.name.utf8), bit: UInt64(1) << UInt64($0.rawValue)) }
        var table = Array(repeating: [(name: [UInt8], bit: UInt64)](), count: (names.map(\.name.count).max() ?? 0) + 1)
        for entry in names { table[entry.name.count].append(entry) }
        return table
    }()

    /// A bit set of the names present among `headers`.
    static func present(in headers: [HeaderField]) -> UInt64 {
        var mask: UInt64 = 0
        let table = byLength
        for field in headers {
            let length = field.name.utf8.count
            guard length < table.count else { continue }
            for candidate in table[length] where mask & candidate.bit == 0 && equalsLowercased(field.name, candidate.name) {
                mask |= candidate.bit
            }
        }
        return mask
    }

    /// Whether `name` folded to ASCII lower case is `lower` (the same length).
    private static func equalsLowercased(_ name: String, _ lower: [UInt8]) -> Bool {
        let fast = name.utf8.withContiguousStorageIfAvailable { bytes in
            lower.withUnsafeBufferPointer { HeaderField.equalFoldingASCII(bytes, $0) }
        }
        if let fast { return fast }
        var i = 0
        for byte in name.utf8 {
            let folded = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            if folded != lower[i] { return false }
            i += 1
        }
        return true
    }
}
