import Foundation
import HookCore

/// What a provider says a delivery is: its event type and the id that stays the same across its
/// retries, read from where that provider puts them (a header, or the JSON body).
public struct DeliveryIdentity: Sendable, Hashable {
    public var event: String?
    public var deliveryID: String?

    public init(event: String? = nil, deliveryID: String? = nil) {
        self.event = event
        self.deliveryID = deliveryID
    }

    /// `push`, or `pull_request.opened` when the body names an action.
    static func joined(_ event: String?, _ action: String?) -> String? {
        guard let event else { return nil }
        return action.map { "\(event).\($0)" } ?? event
    }

    /// Bodies larger than this are not parsed for an event type or id.
    static let maxParsedBody = 1 << 20

    /// The identity of `request` as `provider` (the verdict's provider) sends it; empty for a
    /// provider whose deliveries carry neither, or a body that does not parse.
    public static func of(_ request: CapturedRequest, provider: String?) -> DeliveryIdentity {
        let header = { (name: String) in request.headers.value(named: name) }
        var json: [String: Any]? {
            guard request.body.count <= maxParsedBody else { return nil }
            return (try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any]
        }
        func field(_ object: [String: Any]?, _ path: String...) -> String? {
            var value: Any? = object
            for key in path { value = (value as? [String: Any])?[key] }
            if let text = value as? String { return text }
            if let number = value as? NSNumber { return number.stringValue }
            return nil
        }
        switch provider {
        case "github":
            let event = header("X-GitHub-Event")
            let action = field(json, "action")
            return DeliveryIdentity(event: joined(event, action), deliveryID: header("X-GitHub-Delivery"))
        case "stripe":
            let body = json
            return DeliveryIdentity(event: field(body, "type"), deliveryID: field(body, "id"))
        case "shopify":
            return DeliveryIdentity(event: header("X-Shopify-Topic"), deliveryID: header("X-Shopify-Webhook-Id") ?? header("X-Shopify-Event-Id"))
        case "slack":
            let body = json
            return DeliveryIdentity(event: field(body, "event", "type") ?? field(body, "type"), deliveryID: field(body, "event_id"))
        case "standardwebhooks", "svix", "clerk", "resend":
            return DeliveryIdentity(event: field(json, "type"), deliveryID: header("webhook-id") ?? header("svix-id"))
        case "paddle":
            let body = json
            return DeliveryIdentity(event: field(body, "event_type"), deliveryID: field(body, "notification_id"))
        case "linear":
            let event = header("Linear-Event")
            let action = field(json, "action")
            return DeliveryIdentity(event: joined(event, action), deliveryID: header("Linear-Delivery"))
        case "twilio":
            return DeliveryIdentity(deliveryID: header("I-Twilio-Idempotency-Token"))
        default:
            return DeliveryIdentity(deliveryID: header("X-Delivery-Id"))
        }
    }
}
