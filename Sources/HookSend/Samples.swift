import Foundation

/// The built-in samples, written from each provider's documented payload shapes: realistic
/// envelopes with short, made-up data.
public enum Samples {
    public static func named(_ name: String) -> Sample? { all.first { $0.name == name } }

    /// The first sample of a provider: its headers are the envelope `--body FILE` is sent in.
    public static func first(for provider: String) -> Sample? { all.first { $0.provider == provider } }

    public static let all: [Sample] = stripe + github + shopify + slack + standardWebhooks + [twilioSMS, paddle, linear, generic]

    private static func h(_ name: String, _ value: String) -> (name: String, value: Template) { (name, Template(value)) }

    // MARK: Stripe

    private static func stripeEvent(_ type: String, summary: String, object: String) -> Sample {
        Sample(
            name: "stripe/\(type)", provider: "stripe", summary: summary,
            headers: [
                h("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"),
                h("Content-Type", "application/json; charset=utf-8"),
                h("Cache-Control", "no-cache"),
                h("Stripe-Signature", "t=0,v1=00"),
            ],
            body: Template("""
                {
                  "id": "{{delivery_id}}",
                  "object": "event",
                  "api_version": "2024-06-20",
                  "created": {{now}},
                  "data": {
                    "object": \(object)
                  },
                  "livemode": false,
                  "pending_webhooks": 1,
                  "request": {
                    "id": "req_{{alnum:14}}",
                    "idempotency_key": "{{uuid}}"
                  },
                  "type": "\(type)"
                }
                """),
            deliveryID: .prefixed("evt_", 24))
    }

    static let stripe: [Sample] = [
        stripeEvent("payment_intent.succeeded", summary: "a PaymentIntent of 20.00 USD succeeded", object: """
            {
                  "id": "pi_{{alnum:24}}",
                  "object": "payment_intent",
                  "amount": 2000,
                  "amount_received": 2000,
                  "currency": "usd",
                  "customer": "cus_{{alnum:14}}",
                  "latest_charge": "ch_{{alnum:24}}",
                  "livemode": false,
                  "metadata": {"order_id": "{{digits:6}}"},
                  "payment_method": "pm_{{alnum:24}}",
                  "status": "succeeded"
                }
            """),
        stripeEvent("invoice.paid", summary: "a subscription invoice of 15.00 USD was paid", object: """
            {
                  "id": "in_{{alnum:24}}",
                  "object": "invoice",
                  "amount_due": 1500,
                  "amount_paid": 1500,
                  "billing_reason": "subscription_cycle",
                  "currency": "usd",
                  "customer": "cus_{{alnum:14}}",
                  "paid": true,
                  "status": "paid",
                  "subscription": "sub_{{alnum:24}}"
                }
            """),
        stripeEvent("checkout.session.completed", summary: "a Checkout Session was completed and paid", object: """
            {
                  "id": "cs_test_{{alnum:58}}",
                  "object": "checkout.session",
                  "amount_total": 4200,
                  "currency": "usd",
                  "customer": "cus_{{alnum:14}}",
                  "customer_details": {"email": "jenny.rosen@example.com", "name": "Jenny Rosen"},
                  "mode": "payment",
                  "payment_intent": "pi_{{alnum:24}}",
                  "payment_status": "paid",
                  "status": "complete"
                }
            """),
        stripeEvent("customer.subscription.updated", summary: "a subscription moved to another price", object: """
            {
                  "id": "sub_{{alnum:24}}",
                  "object": "subscription",
                  "cancel_at_period_end": false,
                  "current_period_end": {{now}},
                  "customer": "cus_{{alnum:14}}",
                  "items": {"object": "list", "data": [{"id": "si_{{alnum:14}}", "price": {"id": "price_{{alnum:24}}", "unit_amount": 1500, "currency": "usd"}, "quantity": 1}]},
                  "status": "active"
                },
                "previous_attributes": {
                  "items": {"object": "list", "data": [{"id": "si_{{alnum:14}}", "price": {"id": "price_{{alnum:24}}", "unit_amount": 900, "currency": "usd"}, "quantity": 1}]}
                }
            """),
    ]

    // MARK: GitHub

    private static func githubEvent(_ name: String, header: String, summary: String, body: String) -> Sample {
        Sample(
            name: "github/\(name)", provider: "github", summary: summary,
            headers: [
                h("User-Agent", "GitHub-Hookshot/{{hex:7}}"),
                h("Content-Type", "application/json"),
                h("X-GitHub-Delivery", "{{delivery_id}}"),
                h("X-GitHub-Event", header),
                h("X-GitHub-Hook-ID", "4{{digits:8}}"),
                h("X-GitHub-Hook-Installation-Target-ID", "7{{digits:8}}"),
                h("X-GitHub-Hook-Installation-Target-Type", "repository"),
                h("X-Hub-Signature-256", "sha256=00"),
            ],
            body: Template(body), deliveryID: .uuid)
    }

    private static let githubRepository = """
        {"id": 7{{digits:8}}, "name": "webhook-consumer", "full_name": "octo-org/webhook-consumer", "private": true, "owner": {"login": "octo-org", "id": 9{{digits:7}}, "type": "Organization"}, "html_url": "https://github.com/octo-org/webhook-consumer", "default_branch": "main"}
        """
    private static let githubSender = """
        {"login": "octocat", "id": 583231, "type": "User", "html_url": "https://github.com/octocat"}
        """

    static let github: [Sample] = [
        githubEvent("push", header: "push", summary: "one commit pushed to main", body: """
            {"ref":"refs/heads/main","before":"{{hex:40}}","after":"{{hex:40}}","repository":\(githubRepository),"pusher":{"name":"octocat","email":"octocat@example.com"},"sender":\(githubSender),"created":false,"deleted":false,"forced":false,"compare":"https://github.com/octo-org/webhook-consumer/compare/{{hex:12}}...{{hex:12}}","commits":[{"id":"{{hex:40}}","message":"Handle duplicate deliveries","timestamp":"{{now_iso}}","author":{"name":"The Octocat","email":"octocat@example.com","username":"octocat"},"added":[],"removed":[],"modified":["webhooks/handler.py"]}]}
            """),
        githubEvent("pull_request.opened", header: "pull_request", summary: "a pull request was opened", body: """
            {"action":"opened","number":42,"pull_request":{"id":1{{digits:9}},"number":42,"state":"open","title":"Verify webhook signatures","user":{"login":"octocat","id":583231},"body":"Checks X-Hub-Signature-256 before parsing.","created_at":"{{now_iso}}","head":{"ref":"verify-signatures","sha":"{{hex:40}}"},"base":{"ref":"main","sha":"{{hex:40}}"},"draft":false,"merged":false},"repository":\(githubRepository),"sender":\(githubSender)}
            """),
        githubEvent("issues.opened", header: "issues", summary: "an issue was opened", body: """
            {"action":"opened","issue":{"id":2{{digits:9}},"number":7,"title":"Deliveries arrive twice","user":{"login":"octocat","id":583231},"state":"open","labels":[],"body":"The handler charges twice when a delivery is retried.","created_at":"{{now_iso}}"},"repository":\(githubRepository),"sender":\(githubSender)}
            """),
        githubEvent("ping", header: "ping", summary: "the ping GitHub sends when a webhook is created", body: """
            {"zen":"Design for failure.","hook_id":4{{digits:8}},"hook":{"type":"Repository","id":4{{digits:8}},"name":"web","active":true,"events":["push","pull_request"],"config":{"content_type":"json","insecure_ssl":"0","url":"https://example.com/webhooks/github"}},"repository":\(githubRepository),"sender":\(githubSender)}
            """),
    ]

    // MARK: Shopify

    private static func shopifyTopic(_ topic: String, summary: String, body: String) -> Sample {
        Sample(
            name: "shopify/\(topic)", provider: "shopify", summary: summary,
            headers: [
                h("Content-Type", "application/json"),
                h("X-Shopify-Topic", topic),
                h("X-Shopify-Hmac-Sha256", "AA=="),
                h("X-Shopify-Shop-Domain", "hookscope-dev.myshopify.com"),
                h("X-Shopify-API-Version", "2024-10"),
                h("X-Shopify-Webhook-Id", "{{delivery_id}}"),
                h("X-Shopify-Triggered-At", "{{now_iso}}"),
                h("X-Shopify-Event-Id", "{{uuid}}"),
            ],
            body: Template(body), deliveryID: .uuid)
    }

    static let shopify: [Sample] = [
        shopifyTopic("orders/create", summary: "an order for two items was placed", body: """
            {"id":5{{digits:12}},"admin_graphql_api_id":"gid://shopify/Order/5{{digits:12}}","email":"jon@example.com","created_at":"{{now_iso}}","currency":"USD","current_total_price":"39.98","financial_status":"paid","name":"#1001","order_number":1001,"line_items":[{"id":1{{digits:13}},"title":"Webhook mug","quantity":2,"price":"19.99","sku":"MUG-01"}],"customer":{"id":7{{digits:12}},"email":"jon@example.com","first_name":"Jon","last_name":"Doe"}}
            """),
        shopifyTopic("app/uninstalled", summary: "the app was uninstalled from the shop", body: """
            {"id":6{{digits:10}},"name":"Hookscope Dev","email":"owner@example.com","domain":"hookscope-dev.myshopify.com","myshopify_domain":"hookscope-dev.myshopify.com","plan_name":"partner_test","created_at":"{{now_iso}}"}
            """),
    ]

    // MARK: Slack

    private static func slackPayload(_ name: String, summary: String, body: String) -> Sample {
        Sample(
            name: "slack/\(name)", provider: "slack", summary: summary,
            headers: [
                h("Content-Type", "application/json"),
                h("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)"),
                h("X-Slack-Signature", "v0=00"),
                h("X-Slack-Request-Timestamp", "0"),
            ],
            body: Template(body), deliveryID: .prefixed("Ev", 10, DeliveryIDStyle.upper))
    }

    static let slack: [Sample] = [
        slackPayload("event_callback", summary: "an app_mention event in a channel", body: """
            {"token":"{{alnum:24}}","team_id":"T{{alnum:8}}","api_app_id":"A{{alnum:10}}","event":{"type":"app_mention","user":"U{{alnum:10}}","text":"<@U{{alnum:10}}> is the deploy done?","ts":"{{now}}.000200","channel":"C{{alnum:10}}","event_ts":"{{now}}.000200"},"type":"event_callback","event_id":"{{delivery_id}}","event_time":{{now}},"authorizations":[{"team_id":"T{{alnum:8}}","user_id":"U{{alnum:10}}","is_bot":true}],"event_context":"4-{{alnum:40}}"}
            """),
        slackPayload("url_verification", summary: "the challenge Slack sends when an Events API URL is saved", body: """
            {"token":"{{alnum:24}}","challenge":"{{alnum:48}}","type":"url_verification"}
            """),
    ]

    // MARK: Standard Webhooks and Svix

    static let standardWebhooks: [Sample] = [
        Sample(
            name: "standardwebhooks/invoice.paid", provider: "standardwebhooks",
            summary: "an event in the Standard Webhooks envelope (webhook-id, -timestamp, -signature)",
            headers: [
                h("Content-Type", "application/json"),
                h("webhook-id", "{{delivery_id}}"),
                h("webhook-timestamp", "0"),
                h("webhook-signature", "v1,AA=="),
            ],
            body: Template("""
                {"type":"invoice.paid","timestamp":"{{now_iso}}","data":{"id":"inv_{{alnum:20}}","amount":1500,"currency":"USD","customer_id":"cus_{{alnum:16}}"}}
                """),
            deliveryID: .prefixed("msg_", 27)),
        Sample(
            name: "svix/user.created", provider: "svix", summary: "an event as Svix delivers it (svix-id, -timestamp, -signature)",
            headers: [
                h("User-Agent", "Svix-Webhooks/1.38.0"),
                h("Content-Type", "application/json"),
                h("svix-id", "{{delivery_id}}"),
                h("svix-timestamp", "0"),
                h("svix-signature", "v1,AA=="),
            ],
            body: Template("""
                {"type":"user.created","timestamp":"{{now_iso}}","data":{"id":"user_{{alnum:27}}","email":"ada@example.com","first_name":"Ada","created_at":{{now_ms}}}}
                """),
            deliveryID: .prefixed("msg_", 27)),
    ]

    // MARK: Twilio, Paddle, Linear, generic

    static let twilioSMS = Sample(
        name: "twilio/sms.incoming", provider: "twilio", summary: "an incoming SMS, form-encoded, signed over the URL",
        headers: [
            h("Content-Type", "application/x-www-form-urlencoded"),
            h("User-Agent", "TwilioProxy/1.1"),
            h("I-Twilio-Idempotency-Token", "{{uuid}}"),
            h("X-Twilio-Signature", "AA=="),
        ],
        body: Template(
            "ToCountry=US&ToState=CA&SmsMessageSid={{delivery_id}}&NumMedia=0&ToCity=&FromZip=&SmsSid={{delivery_id}}"
                + "&FromState=CA&SmsStatus=received&FromCity=&Body=Is+my+order+shipped%3F&FromCountry=US&To=%2B15005550006"
                + "&ToZip=&NumSegments=1&MessageSid={{delivery_id}}&AccountSid=AC{{hex:32}}&From=%2B15005550001&ApiVersion=2010-04-01"),
        deliveryID: .prefixed("SM", 32, DeliveryIDStyle.hex))

    static let paddle = Sample(
        name: "paddle/transaction.completed", provider: "paddle", summary: "a Paddle Billing transaction completed",
        headers: [
            h("Content-Type", "application/json"),
            h("Paddle-Signature", "ts=0;h1=00"),
        ],
        body: Template("""
            {"event_id":"evt_{{alnum:26}}","event_type":"transaction.completed","occurred_at":"{{now_iso}}","notification_id":"{{delivery_id}}","data":{"id":"txn_{{alnum:26}}","status":"completed","customer_id":"ctm_{{alnum:26}}","currency_code":"USD","details":{"totals":{"subtotal":"1500","tax":"300","total":"1800"}},"items":[{"price_id":"pri_{{alnum:26}}","quantity":1}]}}
            """),
        deliveryID: .prefixed("ntf_", 26, DeliveryIDStyle.lower))

    static let linear = Sample(
        name: "linear/issue.create", provider: "linear", summary: "an issue was created (webhookTimestamp inside the body)",
        headers: [
            h("Content-Type", "application/json; charset=utf-8"),
            h("User-Agent", "Linear-Webhook"),
            h("Linear-Delivery", "{{delivery_id}}"),
            h("Linear-Event", "Issue"),
            h("Linear-Signature", "00"),
        ],
        body: Template("""
            {"action":"create","actor":{"id":"{{uuid}}","type":"user","name":"Ada Lovelace"},"createdAt":"{{now_iso}}","data":{"id":"{{uuid}}","identifier":"ENG-{{digits:3}}","title":"Retry failed deliveries","priority":2,"teamId":"{{uuid}}","stateId":"{{uuid}}","createdAt":"{{now_iso}}"},"url":"https://linear.app/example/issue/ENG-1/retry-failed-deliveries","type":"Issue","organizationId":"{{uuid}}","webhookTimestamp":{{now_ms}},"webhookId":"{{uuid}}"}
            """),
        deliveryID: .uuid)

    static let generic = Sample(
        name: "generic/json", provider: nil,
        summary: "a plain JSON event, unsigned (or signed by the scheme --provider names)",
        headers: [
            h("Content-Type", "application/json"),
            h("User-Agent", "hookscope-send"),
            h("X-Delivery-Id", "{{delivery_id}}"),
        ],
        body: Template("""
            {"id":"{{delivery_id}}","type":"example.created","created_at":"{{now_iso}}","data":{"message":"hello from hookscope"}}
            """),
        deliveryID: .uuid)
}
