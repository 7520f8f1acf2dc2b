import Foundation
import HookCore

/// What hookscope knows about one provider's signature scheme, for `hookscope providers` and the docs.
public struct ProviderInfo: Sendable, Hashable {
    /// The id used by `--secret ID=SECRET`, the environment and JSON.
    public var id: String
    public var displayName: String
    /// The headers whose presence identifies the scheme (the first is the signature header).
    public var detectionHeaders: [String]
    /// The signed bytes, e.g. `{timestamp}.{body}`.
    public var signedShape: String
    /// The algorithm and encoding, e.g. `HMAC-SHA256, hex (t=…,v1=…)`.
    public var algorithm: String
    /// Where the user finds the secret, and its format.
    public var secretHint: String
    /// Accepted timestamp age in seconds, or nil when the scheme has no timestamp check.
    public var tolerance: Int?

    public init(
        id: String, displayName: String, detectionHeaders: [String], signedShape: String,
        algorithm: String, secretHint: String, tolerance: Int?
    ) {
        self.id = id
        self.displayName = displayName
        self.detectionHeaders = detectionHeaders
        self.signedShape = signedShape
        self.algorithm = algorithm
        self.secretHint = secretHint
        self.tolerance = tolerance
    }

    /// The environment variable that holds this provider's secret.
    public var environmentVariable: String { SecretBook.environmentVariable(for: id) }
}

/// Every built-in provider, in the order `hookscope providers` lists them.
public enum ProviderCatalog {
    public static let all: [ProviderInfo] = [
        ProviderInfo(
            id: "standardwebhooks", displayName: "Standard Webhooks",
            detectionHeaders: ["webhook-signature", "webhook-id", "webhook-timestamp"],
            signedShape: "{id}.{timestamp}.{body}", algorithm: "HMAC-SHA256, base64 (v1,<sig> list); Ed25519 for v1a,<sig> entries",
            secretHint: "the endpoint's signing secret, `whsec_<base64>` (the key is the decoded bytes); for asymmetric `v1a` signatures the sender's public key `whpk_<base64>` (or `whsk_<base64>` to re-sign)", tolerance: 300),
        ProviderInfo(
            id: "svix", displayName: "Svix",
            detectionHeaders: ["svix-signature", "svix-id", "svix-timestamp"],
            signedShape: "{id}.{timestamp}.{body}", algorithm: "HMAC-SHA256, base64 (v1,<sig> list)",
            secretHint: "Svix dashboard, endpoint > Signing Secret, `whsec_<base64>`", tolerance: 300),
        ProviderInfo(
            id: "clerk", displayName: "Clerk",
            detectionHeaders: ["svix-signature", "svix-id", "svix-timestamp"],
            signedShape: "{id}.{timestamp}.{body}", algorithm: "HMAC-SHA256, base64 (v1,<sig> list; Svix)",
            secretHint: "Clerk dashboard > Webhooks > endpoint > Signing Secret, `whsec_<base64>`", tolerance: 300),
        ProviderInfo(
            id: "resend", displayName: "Resend",
            detectionHeaders: ["svix-signature", "svix-id", "svix-timestamp"],
            signedShape: "{id}.{timestamp}.{body}", algorithm: "HMAC-SHA256, base64 (v1,<sig> list; Svix)",
            secretHint: "Resend dashboard > Webhooks > endpoint > Signing Secret, `whsec_<base64>`", tolerance: 300),
        ProviderInfo(
            id: "stripe", displayName: "Stripe",
            detectionHeaders: ["Stripe-Signature"],
            signedShape: "{timestamp}.{body}", algorithm: "HMAC-SHA256, hex (t=<ts>,v1=<sig>)",
            secretHint: "Dashboard > Developers > Webhooks > endpoint > Signing secret (or `stripe listen`); the whole `whsec_…` string is the key", tolerance: 300),
        ProviderInfo(
            id: "github", displayName: "GitHub",
            detectionHeaders: ["X-Hub-Signature-256", "X-Hub-Signature", "X-GitHub-Event"],
            signedShape: "{body}", algorithm: "HMAC-SHA256, hex (sha256=<sig>); legacy HMAC-SHA1 (sha1=<sig>)",
            secretHint: "the Secret you typed in the repository/org/app webhook settings", tolerance: nil),
        ProviderInfo(
            id: "slack", displayName: "Slack",
            detectionHeaders: ["X-Slack-Signature", "X-Slack-Request-Timestamp"],
            signedShape: "v0:{timestamp}:{body}", algorithm: "HMAC-SHA256, hex (v0=<sig>)",
            secretHint: "api.slack.com/apps > your app > Basic Information > Signing Secret", tolerance: 300),
        ProviderInfo(
            id: "shopify", displayName: "Shopify",
            detectionHeaders: ["X-Shopify-Hmac-Sha256", "shopify-hmac-sha256"],
            signedShape: "{body}", algorithm: "HMAC-SHA256, base64",
            secretHint: "Partner dashboard > app > Client credentials > Client secret (or the store's Notifications webhook key)", tolerance: nil),
        ProviderInfo(
            id: "twilio", displayName: "Twilio",
            detectionHeaders: ["X-Twilio-Signature"],
            signedShape: "{url}{sorted form name+value…} (JSON: {url} with ?bodySHA256=<hex>)",
            algorithm: "HMAC-SHA1, base64 (SharedKey: HMAC-SHA256)",
            secretHint: "Console > Account > API keys & tokens > Auth Token (primary)", tolerance: nil),
        ProviderInfo(
            id: "discord", displayName: "Discord",
            detectionHeaders: ["X-Signature-Ed25519", "X-Signature-Timestamp"],
            signedShape: "{timestamp}{body}", algorithm: "Ed25519, hex",
            secretHint: "Developer Portal > application > General Information > Public Key (hex)", tolerance: nil),
        ProviderInfo(
            id: "paddle", displayName: "Paddle",
            detectionHeaders: ["Paddle-Signature"],
            signedShape: "{timestamp}:{body}", algorithm: "HMAC-SHA256, hex (ts=<ts>;h1=<sig>)",
            secretHint: "Paddle > Developer tools > Notifications > destination > secret key; the whole `pdl_ntf_…` string is the key", tolerance: 5),
        ProviderInfo(
            id: "square", displayName: "Square",
            detectionHeaders: ["x-square-hmacsha256-signature", "x-square-signature"],
            signedShape: "{url}{body}", algorithm: "HMAC-SHA256, base64 (legacy x-square-signature: HMAC-SHA1)",
            secretHint: "Developer Console > app > Webhooks > subscription > Signature key", tolerance: nil),
        ProviderInfo(
            id: "zoom", displayName: "Zoom",
            detectionHeaders: ["x-zm-signature", "x-zm-request-timestamp"],
            signedShape: "v0:{timestamp}:{body}", algorithm: "HMAC-SHA256, hex (v0=<sig>)",
            secretHint: "Zoom App Marketplace > app > Features > Access > Secret Token", tolerance: 300),
        ProviderInfo(
            id: "twitch", displayName: "Twitch",
            detectionHeaders: ["Twitch-Eventsub-Message-Signature", "Twitch-Eventsub-Message-Id", "Twitch-Eventsub-Message-Timestamp"],
            signedShape: "{id}{timestamp}{body}", algorithm: "HMAC-SHA256, hex (sha256=<sig>)",
            secretHint: "the `secret` you passed when creating the EventSub subscription", tolerance: 600),
        ProviderInfo(
            id: "linear", displayName: "Linear",
            detectionHeaders: ["Linear-Signature"],
            signedShape: "{body}", algorithm: "HMAC-SHA256, hex (webhookTimestamp in the body, 60 s)",
            secretHint: "Linear > Settings > API > Webhooks > webhook > Signing secret", tolerance: 60),
        ProviderInfo(
            id: "mailgun", displayName: "Mailgun",
            detectionHeaders: ["(body) signature.timestamp, signature.token, signature.signature"],
            signedShape: "{timestamp}{token} (the body is not signed)", algorithm: "HMAC-SHA256, hex",
            secretHint: "Mailgun > Sending > Webhooks > HTTP webhook signing key", tolerance: 900),
        ProviderInfo(
            id: "sendgrid", displayName: "SendGrid",
            detectionHeaders: ["X-Twilio-Email-Event-Webhook-Signature", "X-Twilio-Email-Event-Webhook-Timestamp"],
            signedShape: "{timestamp}{body}", algorithm: "ECDSA P-256 SHA-256, base64 DER",
            secretHint: "Settings > Mail Settings > Event Webhook > Signature Verification: the public key (base64 DER)", tolerance: nil),
        ProviderInfo(
            id: "intercom", displayName: "Intercom",
            detectionHeaders: ["X-Hub-Signature"],
            signedShape: "{body}", algorithm: "HMAC-SHA1, hex (sha1=<sig>)",
            secretHint: "Developer Hub > app > Basic information > Client secret", tolerance: nil),
        ProviderInfo(
            id: "gitlab", displayName: "GitLab",
            detectionHeaders: ["X-Gitlab-Token", "X-Gitlab-Event"],
            signedShape: "(none: the token is sent in clear; signing token: {id}.{timestamp}.{body})",
            algorithm: "token comparison (signing token: HMAC-SHA256, base64 v1,<sig>)",
            secretHint: "Project > Settings > Webhooks > Secret token (or Signing token)", tolerance: 300),
        ProviderInfo(
            id: "bitbucket", displayName: "Bitbucket",
            detectionHeaders: ["X-Hub-Signature", "X-Event-Key"],
            signedShape: "{body}", algorithm: "HMAC-SHA256, hex (sha256=<sig>)",
            secretHint: "Repository settings > Webhooks > webhook > Secret", tolerance: nil),
        ProviderInfo(
            id: "typeform", displayName: "Typeform",
            detectionHeaders: ["Typeform-Signature"],
            signedShape: "{body}", algorithm: "HMAC-SHA256, base64 (sha256=<sig>)",
            secretHint: "the `secret` set on the webhook (Connect > Webhooks > Edit, or the Webhooks API)", tolerance: nil),
        ProviderInfo(
            id: "hubspot", displayName: "HubSpot",
            detectionHeaders: ["X-HubSpot-Signature-v3", "X-HubSpot-Request-Timestamp", "X-HubSpot-Signature"],
            signedShape: "{method}{url}{body}{timestamp} (v1: secret+body, v2: secret+method+url+body, SHA-256)",
            algorithm: "HMAC-SHA256, base64 (v3)",
            secretHint: "Developer account > app > Auth > Client secret", tolerance: 300),
        ProviderInfo(
            id: "pagerduty", displayName: "PagerDuty",
            detectionHeaders: ["X-PagerDuty-Signature"],
            signedShape: "{body}", algorithm: "HMAC-SHA256, hex (v1=<sig>[,v1=<sig>])",
            secretHint: "shown once when the v3 webhook subscription is created", tolerance: nil),
        ProviderInfo(
            id: "calendly", displayName: "Calendly",
            detectionHeaders: ["Calendly-Webhook-Signature"],
            signedShape: "{timestamp}.{body}", algorithm: "HMAC-SHA256, hex (t=<ts>,v1=<sig>)",
            secretHint: "the signing_key of the webhook subscription (set or returned by the API)", tolerance: 180),
        ProviderInfo(
            id: "razorpay", displayName: "Razorpay",
            detectionHeaders: ["X-Razorpay-Signature"],
            signedShape: "{body}", algorithm: "HMAC-SHA256, hex",
            secretHint: "Dashboard > Settings > Webhooks > webhook > Secret (not the API key secret)", tolerance: nil),
        ProviderInfo(
            id: "meta", displayName: "Meta",
            detectionHeaders: ["X-Hub-Signature-256"],
            signedShape: "{body}", algorithm: "HMAC-SHA256, hex (sha256=<sig>)",
            secretHint: "developers.facebook.com > app > App settings > Basic > App secret", tolerance: nil),
        ProviderInfo(
            id: "vercel", displayName: "Vercel",
            detectionHeaders: ["x-vercel-signature"],
            signedShape: "{body}", algorithm: "HMAC-SHA1, hex",
            secretHint: "the webhook secret shown once at creation (integrations: the Client Secret)", tolerance: nil),
        ProviderInfo(
            id: "sentry", displayName: "Sentry",
            detectionHeaders: ["Sentry-Hook-Signature"],
            signedShape: "{body}", algorithm: "HMAC-SHA256, hex",
            secretHint: "Settings > Developer Settings > integration > Client Secret", tolerance: nil),
        ProviderInfo(
            id: "trello", displayName: "Trello",
            detectionHeaders: ["X-Trello-Webhook"],
            signedShape: "{body}{url}", algorithm: "HMAC-SHA1, base64",
            secretHint: "trello.com/power-ups/admin > Power-Up > API key > Secret (OAuth secret)", tolerance: nil),
        ProviderInfo(
            id: "dropbox", displayName: "Dropbox",
            detectionHeaders: ["X-Dropbox-Signature"],
            signedShape: "{body}", algorithm: "HMAC-SHA256, hex",
            secretHint: "App Console > app > Settings > App secret", tolerance: nil),
        ProviderInfo(
            id: "mollie", displayName: "Mollie",
            detectionHeaders: ["X-Mollie-Signature"],
            signedShape: "{body}", algorithm: "HMAC-SHA256, hex (optional sha256= prefix)",
            secretHint: "Dashboard > Developers > Webhooks > subscription > Signing secret", tolerance: nil),
        ProviderInfo(
            id: "coinbase", displayName: "Coinbase Commerce",
            detectionHeaders: ["X-CC-Webhook-Signature"],
            signedShape: "{body}", algorithm: "HMAC-SHA256, hex",
            secretHint: "Commerce > Settings > Webhook subscriptions > Show shared secret", tolerance: nil),
    ]

    /// Every built-in provider id.
    public static let ids: [String] = all.map(\.id)

    public static func info(for id: String) -> ProviderInfo? {
        all.first { $0.id == id }
    }

    /// The providers that sign with one scheme under other names (Svix, and Clerk and Resend, which
    /// deliver through Svix, use Standard Webhooks' scheme): a secret of any of them verifies a
    /// request of the others. Every other id is a family of its own.
    public static let standardWebhooksFamily: Set<String> = ["standardwebhooks", "svix", "clerk", "resend"]

    /// The ids whose secrets verify the same requests as `id`'s (`id` itself included).
    public static func schemeFamily(of id: String) -> Set<String> {
        standardWebhooksFamily.contains(id) ? standardWebhooksFamily : [id]
    }

    /// The display name of a provider id (the id itself for custom schemes).
    public static func displayName(for id: String) -> String {
        info(for: id)?.displayName ?? id
    }

    /// The provider reference, `docs/providers.md`.
    public static func markdown() -> String {
        var out = """
        # Signature providers

        Generated from `ProviderCatalog` (Sources/HookSignatures/ProviderCatalog.swift); do not edit by hand.
        Regenerate with `UPDATE_DOCS=1 swift test --filter ProviderDocsTests`.

        Give a secret with `--secret ID=SECRET`, the environment variable shown (add `_2` … `_9` for
        extra secrets during a rotation), or the config file. Tolerance is the accepted age of the
        signed timestamp, measured against the time the request was received.

        | id | provider | detected by | tolerance |
        | --- | --- | --- | --- |

        """
        for p in all {
            let tol = p.tolerance.map { "\($0) s" } ?? "none"
            out += "| `\(p.id)` | \(p.displayName) | \(p.detectionHeaders.map { "`\($0)`" }.joined(separator: ", ")) | \(tol) |\n"
        }
        for p in all {
            out += """

            ## \(p.displayName) (`\(p.id)`)

            * **Headers:** \(p.detectionHeaders.map { "`\($0)`" }.joined(separator: ", "))
            * **Signed bytes:** `\(p.signedShape)`
            * **Algorithm:** \(p.algorithm)
            * **Secret:** \(p.secretHint)
            * **Environment:** `\(p.environmentVariable)`
            * **Timestamp tolerance:** \(p.tolerance.map { "\($0) seconds" } ?? "none (the scheme has no signed timestamp)")

            """
        }
        return out
    }
}
