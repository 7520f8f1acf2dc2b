import Foundation
import HookCore
import HookSignatures
import Testing

@testable import HookSend

/// What `send` writes matches the providers' published test vectors (../shared/providers.md,
/// appendix A) and, where none is published, the derived ones of appendix B: the same secret,
/// body, time (and id or URL) give the same signature header.
@Suite struct SendVectorTests {
    struct Vector: Sendable, CustomStringConvertible {
        var provider: String
        var secret: String
        var body: String
        var seconds: Int64
        var nanoseconds: Int64 = 0
        var deliveryID: String?
        var url = "http://127.0.0.1:9777/hook"
        var header: String
        var expected: String
        var description: String { "\(provider): \(expected)" }
    }

    static let vectors: [Vector] = [
        Vector(
            provider: "github", secret: "It's a Secret to Everybody", body: "Hello, World!", seconds: 1_700_000_000,
            header: "X-Hub-Signature-256", expected: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"),
        Vector(
            provider: "github", secret: "mysecret", body: #"{"foo":"bar"}"#, seconds: 1_700_000_000,
            header: "X-Hub-Signature-256", expected: "sha256=4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3"),
        Vector(
            provider: "standardwebhooks", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", body: #"{"test": 2432232314}"#,
            seconds: 1_614_265_330, deliveryID: "msg_p5jXN8AQM9LWM0D4loKWxJek",
            header: "webhook-signature", expected: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        Vector(
            provider: "svix", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", body: #"{"test": 2432232314}"#,
            seconds: 1_614_265_330, deliveryID: "msg_p5jXN8AQM9LWM0D4loKWxJek",
            header: "svix-signature", expected: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        Vector(
            provider: "slack", secret: "8f742231b10e8888abcd99yyyzzz85a5",
            body: "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
            seconds: 1_531_420_618,
            header: "X-Slack-Signature", expected: "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"),
        Vector(
            provider: "twilio", secret: "12345",
            body: "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212",
            seconds: 1_700_000_000, url: "https://mycompany.com/myapp.php?foo=1&bar=2",
            header: "X-Twilio-Signature", expected: "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        Vector(
            provider: "paddle", secret: "pdl_ntf_01hbpjmytsa32fhr36nqgc3kgb_WvRO0eL4Bj9rgYYIBZY6wZhG4EHy9jzh", body: "hello-world",
            seconds: 1_696_195_954,
            header: "Paddle-Signature", expected: "ts=1696195954;h1=d96299976a6eb066f484d7fde011ac56fc32b38fc9940bc419d6e537fdc6ef02"),
        // Appendix B (derived): secret `test_secret`, body {"hello":"world"}, time 1700000000.
        Vector(
            provider: "stripe", secret: "test_secret", body: #"{"hello":"world"}"#, seconds: 1_700_000_000,
            header: "Stripe-Signature", expected: "t=1700000000,v1=a5d9de1d23a233e086ce2cd0940311c91c3039e7d92c0d96a82fda4881746747"),
        Vector(
            provider: "shopify", secret: "test_secret", body: #"{"hello":"world"}"#, seconds: 1_700_000_000,
            header: "X-Shopify-Hmac-Sha256", expected: "t7Hn4ZDHqs6e+wdvI5TyQIvzie0DmMUmuXEBqyyE/tM="),
        Vector(
            provider: "zoom", secret: "test_secret", body: #"{"hello":"world"}"#, seconds: 1_700_000_000,
            header: "x-zm-signature", expected: "v0=3f9194a49468d3e83cf85860c062ae6b4a77012cabc1bda8af279244e5bdf3a5"),
        Vector(
            provider: "square", secret: "test_secret", body: #"{"hello":"world"}"#, seconds: 1_700_000_000, url: "https://example.com/webhook",
            header: "x-square-hmacsha256-signature", expected: "OcXhCAKfHZgR6TFzwpKBiotcpWLt4Hljr4ARcSE3+CA="),
    ]

    @Test(arguments: vectors)
    func theSignatureHeaderIsThePublishedOne(_ vector: Vector) throws {
        let signer = SignatureVerifier(secrets: SecretBook([(vector.provider, vector.secret)]))
        var source = try DeliverySource(body: Data(vector.body.utf8), provider: vector.provider, verifier: signer)
        source.fixedDeliveryID = vector.deliveryID
        let now = CaptureTime(nanosecondsSince1970: vector.seconds * 1_000_000_000 + vector.nanoseconds)
        var generator = SystemRandomNumberGenerator()
        let delivery = try DeliveryBuilder(source: source, verifier: signer, targetURL: vector.url)
            .make(n: 1, now: now, using: &generator).get()
        #expect(delivery.request.headers.value(named: vector.header) == vector.expected)
        #expect(delivery.request.body == Data(vector.body.utf8))
    }
}
