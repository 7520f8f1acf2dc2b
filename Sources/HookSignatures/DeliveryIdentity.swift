import Foundation
import HookCore

/// What a provider says a delivery is: its event type and the id that stays the same across its
/// retries, read from where that provider puts them (a header, the JSON body, or a form field).
/// The listener reads it once per capture, before the insert; the store numbers the attempts of
/// each delivery id.
public struct DeliveryIdentity: Sendable, Hashable {
    public var event: String?
    public var deliveryID: String?

    public init(event: String? = nil, deliveryID: String? = nil) {
        self.event = event.flatMap(Self.kept)
        self.deliveryID = deliveryID.flatMap(Self.kept)
    }

    /// Longer values are cut to this many characters: ids and event names are short, and the
    /// store indexes them.
    static let maxLength = 200

    /// NUL (a `\u0000` in a JSON body, a `%00` in a form) reads as U+FFFD: a PostgreSQL text
    /// column cannot hold it, and the commit of every capture sharing the transaction would fail.
    private static func kept(_ value: String) -> String? {
        guard !value.isEmpty else { return nil }
        let value = value.utf8.contains(0) ? value.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : value
        return value.count > maxLength ? String(value.prefix(maxLength)) : value
    }

    /// `push`, or `pull_request.opened` when the body names an action.
    static func joined(_ event: String?, _ action: String?) -> String? {
        guard let event else { return nil }
        return action.map { "\(event).\($0)" } ?? event
    }

    /// Bodies larger than this are not looked into for an event type or id.
    static let maxParsedBody = 1 << 20

    /// The provider whose event and delivery-id headers a request carries, for a capture no scheme
    /// recognised (the sender did not sign it, or the verdict names no provider): GitHub sends
    /// `X-GitHub-Event` whether or not the webhook has a secret.
    static func providerByHeaders(_ request: CapturedRequest) -> String? {
        let headers = request.headers
        let byHeader: [(String, String)] = [
            ("X-GitHub-Event", "github"), ("X-Shopify-Topic", "shopify"), ("shopify-topic", "shopify"),
            ("X-Gitlab-Event", "gitlab"), ("Twitch-Eventsub-Message-Id", "twitch"), ("Linear-Delivery", "linear"),
            ("svix-id", "svix"), ("webhook-id", "standardwebhooks"), ("Sentry-Hook-Resource", "sentry"),
            ("X-Razorpay-Event-Id", "razorpay"), ("X-Slack-Request-Timestamp", "slack"), ("X-Event-Key", "bitbucket"),
            ("Paddle-Signature", "paddle"), ("Stripe-Signature", "stripe"),
        ]
        return byHeader.first { headers.first(named: $0.0) != nil }?.1
    }

    /// The identity of `request` as `provider` (the verdict's provider) sends it; for no provider,
    /// as the provider its headers name (`providerByHeaders`), else its `X-Delivery-Id` header.
    /// Empty for a provider whose deliveries carry neither, or a body that cannot be read.
    public static func of(_ request: CapturedRequest, provider: String?) -> DeliveryIdentity {
        guard let provider = provider ?? providerByHeaders(request) else {
            return DeliveryIdentity(deliveryID: request.headers.value(named: "X-Delivery-Id"))
        }
        let header = { (name: String) in request.headers.value(named: name) }
        let bodyReadable = request.body.count <= maxParsedBody
        let json = JSONPeek(bodyReadable ? request.body : Data())
        var form: FormPeek { FormPeek(bytes: bodyReadable ? [UInt8](request.body) : []) }
        switch provider {
        case "github":
            return DeliveryIdentity(event: joined(header("X-GitHub-Event"), json.text("action")), deliveryID: header("X-GitHub-Delivery"))
        case "stripe":
            return DeliveryIdentity(event: json.text("type"), deliveryID: json.text("id"))
        case "shopify":
            // Classic webhooks send `X-Shopify-*`; the newer events webhooks `shopify-*` (also `x-shopify-*`).
            return DeliveryIdentity(
                event: header("X-Shopify-Topic") ?? header("shopify-topic"),
                deliveryID: header("X-Shopify-Webhook-Id") ?? header("shopify-webhook-id") ?? header("X-Shopify-Event-Id") ?? header("shopify-event-id"))
        case "slack":
            if json.root != nil {
                // Events API: the inner event's type; `url_verification` and others name their own.
                return DeliveryIdentity(event: json.text("event", "type") ?? json.text("type"), deliveryID: json.text("event_id"))
            }
            // Interactivity posts a `payload` field holding JSON; slash commands post `command`.
            if let payload = form.value("payload") {
                return DeliveryIdentity(event: JSONPeek(Array(payload.utf8)).text("type"))
            }
            return DeliveryIdentity(event: form.value("command"))
        case "standardwebhooks", "svix", "clerk", "resend":
            return DeliveryIdentity(event: json.text("type"), deliveryID: header("webhook-id") ?? header("svix-id"))
        case "paddle":
            return DeliveryIdentity(event: json.text("event_type"), deliveryID: json.text("notification_id"))
        case "linear":
            let event = header("Linear-Event") ?? json.text("type")
            return DeliveryIdentity(event: joined(event, json.text("action")), deliveryID: header("Linear-Delivery"))
        case "twilio":
            return DeliveryIdentity(deliveryID: header("I-Twilio-Idempotency-Token"))
        case "discord":
            // Webhook events carry `event.type`; interactions a numeric type and their own id.
            if let event = json.text("event", "type") { return DeliveryIdentity(event: event) }
            let names = ["1": "PING", "2": "APPLICATION_COMMAND", "3": "MESSAGE_COMPONENT", "4": "APPLICATION_COMMAND_AUTOCOMPLETE", "5": "MODAL_SUBMIT"]
            return DeliveryIdentity(event: json.text("type").map { names[$0] ?? $0 }, deliveryID: json.text("id"))
        case "square":
            return DeliveryIdentity(event: json.text("type"), deliveryID: json.text("event_id"))
        case "zoom":
            return DeliveryIdentity(event: json.text("event"))
        case "twitch":
            // Notifications name their subscription type; verification and revocation messages their kind.
            let kind = header("Twitch-Eventsub-Message-Type")
            let event = kind == nil || kind == "notification" ? header("Twitch-Eventsub-Subscription-Type") ?? kind : kind
            return DeliveryIdentity(event: event, deliveryID: header("Twitch-Eventsub-Message-Id"))
        case "mailgun":
            if json.root != nil { return DeliveryIdentity(event: json.text("event-data", "event"), deliveryID: json.text("event-data", "id")) }
            return DeliveryIdentity(event: form.value("event"))
        case "sendgrid", "hubspot":
            // A batch of events: the kinds it holds, and the event's id when it holds one.
            let (kindKey, idKey) = provider == "sendgrid" ? ("event", "sg_event_id") : ("subscriptionType", "eventId")
            guard let root = json.root, let items = json.elements(of: root) else { return DeliveryIdentity() }
            var kinds: [String] = []
            for item in items {
                if let kind = json.member(kindKey, of: item).flatMap(json.scalarText), !kinds.contains(kind) { kinds.append(kind) }
            }
            let id = items.count == 1 ? json.member(idKey, of: items[0]).flatMap(json.scalarText) : nil
            return DeliveryIdentity(event: kinds.isEmpty ? nil : kinds.joined(separator: ","), deliveryID: id)
        case "intercom":
            return DeliveryIdentity(event: json.text("topic"), deliveryID: json.text("id"))
        case "gitlab":
            return DeliveryIdentity(
                event: header("X-Gitlab-Event"),
                deliveryID: header("Idempotency-Key") ?? header("webhook-id") ?? header("X-Gitlab-Event-UUID"))
        case "bitbucket":
            return DeliveryIdentity(event: header("X-Event-Key"), deliveryID: header("X-Request-UUID") ?? header("X-Request-Id"))
        case "typeform":
            return DeliveryIdentity(event: json.text("event_type"), deliveryID: json.text("event_id"))
        case "pagerduty":
            return DeliveryIdentity(event: json.text("event", "event_type"), deliveryID: json.text("event", "id"))
        case "calendly":
            return DeliveryIdentity(event: json.text("event"))
        case "razorpay":
            return DeliveryIdentity(event: json.text("event"), deliveryID: header("X-Razorpay-Event-Id"))
        case "meta":
            // `whatsapp_business_account.messages`: the object and the field that changed.
            return DeliveryIdentity(event: joined(json.text("object"), json.text("entry", 0, "changes", 0, "field")))
        case "vercel":
            return DeliveryIdentity(event: json.text("type"), deliveryID: json.text("id"))
        case "sentry":
            return DeliveryIdentity(event: joined(header("Sentry-Hook-Resource"), json.text("action")), deliveryID: header("Request-ID"))
        case "trello":
            return DeliveryIdentity(event: json.text("action", "type"), deliveryID: json.text("action", "id"))
        case "mollie":
            // Next-gen webhooks post an event object; classic ones only `id=tr_…`, the payment's id.
            guard json.text("resource") == "event" else { return DeliveryIdentity() }
            return DeliveryIdentity(event: json.text("type"), deliveryID: json.text("id"))
        case "coinbase":
            return DeliveryIdentity(event: json.text("event", "type"), deliveryID: json.text("event", "id"))
        default:
            // Dropbox names neither; custom schemes and hookscope's plain sample may send `X-Delivery-Id`.
            return DeliveryIdentity(deliveryID: header("X-Delivery-Id"))
        }
    }

    /// `request` with its event and delivery id read (`of(_:provider:)` with the verdict's
    /// provider); the attempt is left to the store.
    public static func identified(_ request: CapturedRequest) -> CapturedRequest {
        var request = request
        let identity = of(request, provider: request.signature.provider)
        request.event = identity.event
        request.deliveryID = identity.deliveryID
        return request
    }
}
