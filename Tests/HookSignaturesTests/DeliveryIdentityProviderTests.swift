import Foundation
import HookCore
import Testing

@testable import HookSignatures

/// Each provider's event type and delivery id, read from a request shaped as that provider sends
/// it (headers and body as in its documentation or SDK fixtures).
@Suite struct DeliveryIdentityProviderTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var provider: String
        var headers: [(String, String)]
        var body: String
        var event: String?
        var deliveryID: String?
        var testDescription: String { provider }
    }

    static let cases: [Case] = [
        Case(provider: "standardwebhooks", headers: [("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"), ("webhook-timestamp", "1614265330")],
             body: #"{"type":"invoice.paid","timestamp":"2021-02-25T15:02:10Z","data":{"id":"in_1"}}"#,
             event: "invoice.paid", deliveryID: "msg_p5jXN8AQM9LWM0D4loKWxJek"),
        Case(provider: "svix", headers: [("svix-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"), ("svix-timestamp", "1674087231")],
             body: #"{"type":"user.created","data":{"id":"user_1"}}"#, event: "user.created", deliveryID: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"),
        Case(provider: "clerk", headers: [("svix-id", "msg_clerk1")], body: #"{"data":{"id":"user_29w83sxmDNGwOuEthce5gg56FcC"},"object":"event","type":"user.updated"}"#,
             event: "user.updated", deliveryID: "msg_clerk1"),
        Case(provider: "resend", headers: [("svix-id", "msg_resend1")], body: #"{"type":"email.delivered","created_at":"2024-02-22T23:41:12.126Z","data":{"email_id":"56761188"}}"#,
             event: "email.delivered", deliveryID: "msg_resend1"),
        Case(provider: "stripe", headers: [("Stripe-Signature", "t=1,v1=00")],
             body: #"{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","api_version":"2022-11-15","data":{"object":{"id":"pi_1","object":"payment_intent","type":"nested-not-this"}},"type":"payment_intent.succeeded"}"#,
             event: "payment_intent.succeeded", deliveryID: "evt_1NG8Du2eZvKYlo2CUI79vXWy"),
        Case(provider: "github", headers: [("X-GitHub-Event", "issues"), ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")],
             body: #"{"action":"opened","issue":{"number":1347,"action":"not-this"}}"#, event: "issues.opened", deliveryID: "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        Case(provider: "github", headers: [("X-GitHub-Event", "push"), ("X-GitHub-Delivery", "d-push")],
             body: #"{"ref":"refs/heads/main","commits":[]}"#, event: "push", deliveryID: "d-push"),
        Case(provider: "slack", headers: [("X-Slack-Request-Timestamp", "1531420618"), ("X-Slack-Retry-Num", "1")],
             body: #"{"token":"x","team_id":"T1","event":{"type":"app_mention","text":"hi"},"type":"event_callback","event_id":"Ev08MFMKH6","event_time":1234567890}"#,
             event: "app_mention", deliveryID: "Ev08MFMKH6"),
        Case(provider: "slack", headers: [("Content-Type", "application/x-www-form-urlencoded")],
             body: "payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A%22U1%22%7D%7D", event: "block_actions", deliveryID: nil),
        Case(provider: "slack", headers: [("Content-Type", "application/x-www-form-urlencoded")],
             body: "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fwebhook-collect&text=", event: "/webhook-collect", deliveryID: nil),
        Case(provider: "shopify", headers: [("X-Shopify-Topic", "orders/create"), ("X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"), ("X-Shopify-Event-Id", "ev-1")],
             body: #"{"id":820982911946154508}"#, event: "orders/create", deliveryID: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"),
        Case(provider: "shopify", headers: [("shopify-topic", "products/update"), ("shopify-webhook-id", "wh-2")],
             body: "{}", event: "products/update", deliveryID: "wh-2"),
        Case(provider: "twilio", headers: [("I-Twilio-Idempotency-Token", "8f6a1c3e-tok")],
             body: "MessageSid=SM1&SmsStatus=received&Body=hi", event: nil, deliveryID: "8f6a1c3e-tok"),
        Case(provider: "discord", headers: [], body: #"{"type":1,"id":"786008729715212338","application_id":"1","token":"t"}"#,
             event: "PING", deliveryID: "786008729715212338"),
        Case(provider: "discord", headers: [], body: #"{"version":1,"application_id":"1","type":1,"event":{"type":"APPLICATION_AUTHORIZED","timestamp":"2024-10-18T14:42:53.064834"}}"#,
             event: "APPLICATION_AUTHORIZED", deliveryID: nil),
        Case(provider: "paddle", headers: [],
             body: #"{"event_id":"evt_01h","event_type":"transaction.completed","occurred_at":"2024-01-01T00:00:00Z","notification_id":"ntf_01h8bkr","data":{}}"#,
             event: "transaction.completed", deliveryID: "ntf_01h8bkr"),
        Case(provider: "square", headers: [],
             body: #"{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64"}}"#,
             event: "webhooks.test_notification", deliveryID: "ac3ac95b-f97d-458c-a6e6-18981597e05f"),
        Case(provider: "zoom", headers: [], body: #"{"event":"meeting.started","event_ts":1626230691572,"payload":{"account_id":"a"}}"#,
             event: "meeting.started", deliveryID: nil),
        Case(provider: "twitch", headers: [("Twitch-Eventsub-Message-Id", "befa7b53-d79d-478f-86b9-120f112b044e"),
                                           ("Twitch-Eventsub-Message-Type", "notification"), ("Twitch-Eventsub-Subscription-Type", "channel.follow")],
             body: "{}", event: "channel.follow", deliveryID: "befa7b53-d79d-478f-86b9-120f112b044e"),
        Case(provider: "twitch", headers: [("Twitch-Eventsub-Message-Id", "m-2"), ("Twitch-Eventsub-Message-Type", "webhook_callback_verification"),
                                           ("Twitch-Eventsub-Subscription-Type", "channel.follow")],
             body: #"{"challenge":"x"}"#, event: "webhook_callback_verification", deliveryID: "m-2"),
        Case(provider: "linear", headers: [("Linear-Event", "Issue"), ("Linear-Delivery", "234d1a4e-b617-4388-90fe-adc3633d6b72")],
             body: #"{"action":"create","type":"Issue","data":{"id":"i"},"webhookTimestamp":1676056940508}"#,
             event: "Issue.create", deliveryID: "234d1a4e-b617-4388-90fe-adc3633d6b72"),
        Case(provider: "mailgun", headers: [],
             body: #"{"signature":{"timestamp":"1529006854","token":"a8ce0edb","signature":"d2271d"},"event-data":{"event":"delivered","id":"CPgfbmQMTCKtHW6uIWtuVe","timestamp":1521472262.908181}}"#,
             event: "delivered", deliveryID: "CPgfbmQMTCKtHW6uIWtuVe"),
        Case(provider: "sendgrid", headers: [],
             body: #"[{"email":"a@example.com","event":"processed","sg_event_id":"sg1"},{"email":"b@example.com","event":"delivered","sg_event_id":"sg2"},{"event":"processed","sg_event_id":"sg3"}]"# + "\r\n",
             event: "processed,delivered", deliveryID: nil),
        Case(provider: "sendgrid", headers: [], body: #"[{"email":"a@example.com","event":"dropped","sg_event_id":"sg_only"}]"#,
             event: "dropped", deliveryID: "sg_only"),
        Case(provider: "intercom", headers: [], body: #"{"type":"notification_event","topic":"conversation.user.created","id":"notif_ccd8a4d0","delivery_attempts":1}"#,
             event: "conversation.user.created", deliveryID: "notif_ccd8a4d0"),
        Case(provider: "gitlab", headers: [("X-Gitlab-Event", "Push Hook"), ("Idempotency-Key", "f1c3b2a0-idem"), ("X-Gitlab-Event-UUID", "uuid-1")],
             body: #"{"object_kind":"push"}"#, event: "Push Hook", deliveryID: "f1c3b2a0-idem"),
        Case(provider: "bitbucket", headers: [("X-Event-Key", "repo:push"), ("X-Request-UUID", "afe9e5f2-7ea6-4c62-b8c5-d4c3b0a8c1b4")],
             body: "{}", event: "repo:push", deliveryID: "afe9e5f2-7ea6-4c62-b8c5-d4c3b0a8c1b4"),
        Case(provider: "typeform", headers: [], body: #"{"event_id":"01GTE6HQX5","event_type":"form_response","form_response":{"form_id":"f"}}"#,
             event: "form_response", deliveryID: "01GTE6HQX5"),
        Case(provider: "hubspot", headers: [],
             body: #"[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123}]"#,
             event: "contact.creation", deliveryID: "1"),
        Case(provider: "pagerduty", headers: [],
             body: #"{"event":{"id":"01DEN1HNLBOXLKGTPDZEYC7TEO","event_type":"incident.triggered","resource_type":"incident","data":{"id":"PGR0VU2"}}}"#,
             event: "incident.triggered", deliveryID: "01DEN1HNLBOXLKGTPDZEYC7TEO"),
        Case(provider: "calendly", headers: [], body: #"{"created_at":"2020-11-23T17:51:18.327602Z","event":"invitee.created","payload":{}}"#,
             event: "invitee.created", deliveryID: nil),
        Case(provider: "razorpay", headers: [("X-Razorpay-Event-Id", "FJKb3kGbWaYquz")], body: #"{"entity":"event","event":"payment.captured","payload":{}}"#,
             event: "payment.captured", deliveryID: "FJKb3kGbWaYquz"),
        Case(provider: "meta", headers: [],
             body: #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{},"field":"messages"}]}]}"#,
             event: "whatsapp_business_account.messages", deliveryID: nil),
        Case(provider: "vercel", headers: [], body: #"{"id":"cmwzb5xxx","type":"deployment.created","createdAt":1700000000000,"payload":{}}"#,
             event: "deployment.created", deliveryID: "cmwzb5xxx"),
        Case(provider: "sentry", headers: [("Sentry-Hook-Resource", "issue"), ("Request-ID", "7a8b2d3e-req")], body: #"{"action":"created","data":{"issue":{}}}"#,
             event: "issue.created", deliveryID: "7a8b2d3e-req"),
        Case(provider: "trello", headers: [], body: #"{"model":{"id":"m"},"action":{"id":"51f9424bcd6e040f3c002412","type":"updateCard","data":{}}}"#,
             event: "updateCard", deliveryID: "51f9424bcd6e040f3c002412"),
        Case(provider: "dropbox", headers: [], body: #"{"list_folder":{"accounts":["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"]}}"#, event: nil, deliveryID: nil),
        Case(provider: "mollie", headers: [], body: #"{"resource":"event","id":"event_GvJ8WHrp5isUdRub9CJyH","type":"payment-link.paid","entityId":"pl_1"}"#,
             event: "payment-link.paid", deliveryID: "event_GvJ8WHrp5isUdRub9CJyH"),
        Case(provider: "mollie", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "id=tr_d0b0E3EA3v", event: nil, deliveryID: nil),
        Case(provider: "coinbase", headers: [],
             body: #"{"id":1,"scheduled_for":"2017-01-31T20:50:02Z","attempt_number":1,"event":{"id":"24934862-d980-46cb-9402-43c81b0cdba6","type":"charge:created","data":{}}}"#,
             event: "charge:created", deliveryID: "24934862-d980-46cb-9402-43c81b0cdba6"),
    ]

    static func request(_ c: Case) -> CapturedRequest {
        CapturedRequest(
            receivedAt: CaptureTime(nanosecondsSince1970: 1_700_000_000_000_000_000), method: "POST", rawTarget: Array("/\(c.provider)".utf8),
            headers: c.headers.map { HeaderField($0.0, $0.1) }, remoteAddress: "127.0.0.1:1", body: Data(c.body.utf8),
            response: CapturedResponse(status: 200))
    }

    @Test(arguments: cases)
    func eachProviderIsReadWhereItPutsThem(_ c: Case) {
        let identity = DeliveryIdentity.of(Self.request(c), provider: c.provider)
        #expect(identity.event == c.event)
        #expect(identity.deliveryID == c.deliveryID)
    }

    /// Every built-in provider has a case above.
    @Test func everyProviderIsCovered() {
        let covered = Set(Self.cases.map(\.provider))
        #expect(Set(ProviderCatalog.ids).subtracting(covered).isEmpty, "\(Set(ProviderCatalog.ids).subtracting(covered))")
    }

    /// Unsigned (no secret on the webhook, so no signature header and no provider in the verdict):
    /// the event and delivery headers still say whose it is.
    @Test func anUnsignedDeliveryIsReadByItsHeaders() {
        let github = Self.cases.first { $0.provider == "github" }!
        #expect(DeliveryIdentity.of(Self.request(github), provider: nil) == DeliveryIdentity(event: "issues.opened", deliveryID: github.deliveryID))
        let shopify = Self.cases.first { $0.provider == "shopify" }!
        #expect(DeliveryIdentity.of(Self.request(shopify), provider: nil).event == "orders/create")
    }

    /// Hostile or odd bodies give nothing rather than a wrong answer, and long values are cut.
    @Test func oddBodiesGiveNothingAndLongValuesAreCut() {
        func identity(_ body: String, headers: [(String, String)] = []) -> DeliveryIdentity {
            DeliveryIdentity.of(Self.request(Case(provider: "stripe", headers: headers, body: body)), provider: "stripe")
        }
        #expect(identity(#"{"type":"a","id":"#) == DeliveryIdentity())                  // cut short: not read at all
        #expect(identity(#"{"data":{"type":"nested"}}"#) == DeliveryIdentity())         // not at the top level
        #expect(identity(#"{"type":{"x":1},"id":["evt"]}"#) == DeliveryIdentity())       // not text
        #expect(identity(#"{"type":"quote \" and \u00e9","id":12}"#) == DeliveryIdentity(event: "quote \" and é", deliveryID: "12"))
        #expect(identity("[1,2]") == DeliveryIdentity())
        #expect(identity("") == DeliveryIdentity())
        let long = String(repeating: "x", count: 5000)
        #expect(identity(#"{"type":"\#(long)"}"#).event?.count == DeliveryIdentity.maxLength)
        #expect(identity(#"{"type":""}"#) == DeliveryIdentity())                         // empty is none
        // NUL, which a PostgreSQL text column refuses, reads as U+FFFD.
        #expect(identity(#"{"type":"a\u0000b","id":"evt_\u0000"}"#) == DeliveryIdentity(event: "a\u{FFFD}b", deliveryID: "evt_\u{FFFD}"))
    }

    @Test func jsonPeekSkipsNestedValuesAndStringsWithBrackets() {
        let peek = JSONPeek(Array(#" { "a" : [1, {"b": "]}"}], "s": "x\"}", "c" : { "d" : -1.5e3 } } "#.utf8))
        #expect(peek.text("c", "d") == "-1.5e3")
        #expect(peek.text("a", 1, "b") == "]}")
        #expect(peek.text("s") == "x\"}")
        #expect(peek.text("a", 5) == nil)
        #expect(peek.text("missing") == nil)
    }
}
