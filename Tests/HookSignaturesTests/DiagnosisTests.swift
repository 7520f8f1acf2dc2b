import Crypto
import Foundation
import HookCore
import Testing
@testable import HookSignatures

func hmacHex(_ key: [UInt8], _ message: String) -> String {
    Hex.encode(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: key)))
}

func hmacBase64(_ key: [UInt8], _ message: String) -> String {
    Data(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: key))).base64EncodedString()
}

@Suite struct DiagnosisTests {
    let stripeHeader = ("Stripe-Signature", "t=1700000000,v1=a5d9de1d23a233e086ce2cd0940311c91c3039e7d92c0d96a82fda4881746747")
    let githubHeaders = [("X-GitHub-Event", "push"), ("X-Hub-Signature-256", "sha256=b7b1e7e190c7aace9efb076f2394f2408bf389ed0398c526b97101ab2c84fed3")]

    @Test func reportShowsShapeExpectedAndReceived() {
        let report = verifier("stripe", "wrong_secret_value").verify(makeRequest(headers: [stripeHeader], body: #"{"hello":"world"}"#))
        #expect(report.summary.status == .invalid)
        #expect(report.text.contains("signed string: {timestamp}.{body}"))
        #expect(report.text.contains("received: v1=a5d9de1d23a233e086ce2cd0940311c91c3039e7d92c0d96a82fda4881746747"))
        let expected = hmacHex(Array("wrong_secret_value".utf8), #"1700000000.{"hello":"world"}"#)
        #expect(report.text.contains("v1=" + expected))
        #expect(!report.text.contains("wrong_secret_value"))
        #expect(report.summary.detail.contains("wrong secret"))
    }

    @Test func whsecUsedRawInsteadOfDecoded() {
        // A Standard Webhooks request signed by someone who used the whole whsec_ string as the key.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let sig = hmacBase64(Array(secret.utf8), #"msg_1.1700000000.{"a":1}"#)
        let request = makeRequest(headers: [("webhook-id", "msg_1"), ("webhook-timestamp", "1700000000"), ("webhook-signature", "v1," + sig)], body: #"{"a":1}"#)
        let report = verifier("standardwebhooks", secret).verify(request)
        #expect(report.summary.status == .invalid)
        #expect(report.summary.detail.contains("wrong secret encoding"))
        #expect(report.summary.detail.contains("used as is"))
        #expect(!report.text.contains(secret))
    }

    @Test func stripeSignedWithDecodedKey() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let sig = hmacHex(Base64.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!, "1700000000.{}")
        let report = verifier("stripe", secret).verify(makeRequest(headers: [("Stripe-Signature", "t=1700000000,v1=" + sig)], body: "{}"))
        #expect(report.summary.detail.contains("wrong secret encoding"))
        #expect(report.summary.detail.contains("base64-decoded"))
    }

    @Test func trailingNewlineAdded() {
        let report = verifier("stripe", "test_secret").verify(makeRequest(headers: [stripeHeader], body: "{\"hello\":\"world\"}\n"))
        #expect(report.summary.status == .invalid)
        #expect(report.summary.detail.contains("without its trailing newline"))
    }

    @Test func trailingNewlineRemoved() {
        let sig = hmacHex(Array("test_secret".utf8), "1700000000.{\"hello\":\"world\"}\n")
        let report = verifier("stripe", "test_secret").verify(makeRequest(headers: [("Stripe-Signature", "t=1700000000,v1=" + sig)], body: #"{"hello":"world"}"#))
        #expect(report.summary.detail.contains("with a trailing newline added"))
    }

    @Test func reserializedJSON() {
        let report = verifier("github", "test_secret").verify(makeRequest(headers: githubHeaders, body: #"{ "hello": "world" }"#))
        #expect(report.summary.status == .invalid)
        #expect(report.summary.detail.contains("with the whitespace between JSON tokens removed"))
    }

    @Test func reformattedJSONWithSeveralKeysIsExplainedTheSameWayEveryTime() {
        // Signed compact, delivered pretty-printed, keys not in sorted order: only a re-formatting
        // that keeps the key order explains it, and it must do so on every call.
        let signed = #"{"zeta":1,"alpha":{"b":[1,2],"a":"x y"},"mid":null}"#
        let sent = "{\n  \"zeta\": 1,\n  \"alpha\": {\"b\": [1, 2], \"a\": \"x y\"},\n  \"mid\": null\n}"
        let headers = [("X-GitHub-Event", "push"), ("X-Hub-Signature-256", "sha256=" + hmacHex(Array("test_secret".utf8), signed))]
        for _ in 0..<10 {
            let report = verifier("github", "test_secret").verify(makeRequest(headers: headers, body: sent))
            #expect(report.summary.status == .invalid)
            #expect(report.summary.detail.contains("with the whitespace between JSON tokens removed"))
        }
    }

    @Test func pythonDefaultsSignedCompactSent() {
        // A Python sender signs json.dumps(obj) (", " and ": ", non-ASCII as \uXXXX) but sends
        // the compact UTF-8 form: explained, and the same way on every call.
        let signed = #"{"id": "evt_1", "data": {"object": {"amount": 2000, "description": "Caf\u00e9 order", "url": "https://shop.example/o/1"}}}"#
        let sent = #"{"id":"evt_1","data":{"object":{"amount":2000,"description":"Café order","url":"https://shop.example/o/1"}}}"#
        let sig = hmacHex(Array("test_secret".utf8), "1700000000." + signed)
        for _ in 0..<5 {
            let report = verifier("stripe", "test_secret").verify(makeRequest(headers: [("Stripe-Signature", "t=1700000000,v1=" + sig)], body: sent))
            #expect(report.summary.status == .invalid)
            #expect(report.summary.detail.contains("non-ASCII escaped as \\uXXXX (Python json.dumps defaults)"), "\(report.summary.detail)")
        }
    }

    @Test func metaEscaping() {
        let signed = #"{"msg":"caf\u00e9 a\/b"}"#
        let sig = hmacHex(Array("app_secret_1234".utf8), signed)
        let report = verifier("meta", "app_secret_1234").verify(makeRequest(headers: [("X-Hub-Signature-256", "sha256=" + sig)], body: #"{"msg":"café a/b"}"#))
        #expect(report.summary.provider == "meta")
        #expect(report.summary.detail.contains("Meta's escaping"))
    }

    @Test func urlBehindProxy() {
        // Signed for https://example.com/webhook, but the configured public URL is a tunnel.
        let fixture = SignedFixture.all.first { $0.provider == "square" }!
        let report = verifier("square", "test_secret", publicURL: "https://tunnel.example.net").verify(fixture.request())
        #expect(report.summary.status == .invalid)
        #expect(report.summary.detail.contains("matches the URL https://example.com/webhook"))
        #expect(report.summary.detail.contains("--public-url"))
    }

    @Test func trelloWithAndWithoutPublicURL() {
        let fixture = SignedFixture.all.first { $0.provider == "trello" }!
        #expect(verifier("trello", "test_secret", publicURL: "https://example.com/").verify(fixture.request()).summary.status == .valid)
        let wrongPort = verifier("trello", "test_secret", publicURL: "https://example.com:8443").verify(fixture.request())
        #expect(wrongPort.summary.detail.contains("matches the URL https://example.com/webhook"))
    }

    @Test func twilioPortVariantIsAccepted() {
        let fixture = SignedFixture.all.first { $0.provider == "twilio" }!
        let report = verifier("twilio", "test_secret", publicURL: "https://example.com:443").verify(fixture.request())
        #expect(report.summary.status == .valid, "\(report.text)")
    }

    @Test func twilioSHA256WithoutSettingsHeader() {
        let url = "https://example.com/sms"
        let mac = HMAC<SHA256>.authenticationCode(for: Data((url + "Body" + "hi" + "From" + "+1").utf8), using: SymmetricKey(data: Data("tok_123".utf8)))
        let request = makeRequest(target: "/sms", headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", Data(mac).base64EncodedString())], body: "From=%2B1&Body=hi")
        let report = verifier("twilio", "tok_123").verify(request)
        #expect(report.summary.status == .invalid)
        #expect(report.summary.detail.contains("wrong scheme version"))
        let withSettings = makeRequest(target: "/sms", headers: [
            ("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", Data(mac).base64EncodedString()),
            ("X-Twilio-Webhooks-Signature-Settings", "key=KS123,algorithm=HMAC_SHA256"),
        ], body: "From=%2B1&Body=hi")
        #expect(verifier("twilio", "tok_123").verify(withSettings).summary.status == .valid)
    }

    @Test func hubspotV1ValueInV3Header() {
        let body = "{'example_field':'example_value'}"
        let request = makeRequest(target: "/webhook_uri", host: "www.example.com", headers: [
            ("X-HubSpot-Signature-v3", "69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750"), ("X-HubSpot-Request-Timestamp", "1700000000000"),
        ], body: body)
        let report = verifier("hubspot", OfficialVectorTests.hubspotSecret).verify(request)
        #expect(report.summary.status == .invalid)
        #expect(report.summary.detail.contains("v1 signature"))
    }

    @Test func hubspotVersionHeaderDisagrees() {
        let request = makeRequest(method: "POST", target: "/webhook_uri", host: "www.example.com", headers: [
            ("X-HubSpot-Signature", "4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383"), ("X-HubSpot-Signature-Version", "v1"),
        ], body: "{'example_field':'example_value'}")
        let report = verifier("hubspot", OfficialVectorTests.hubspotSecret).verify(request)
        #expect(report.summary.detail.contains("the signature is v2"))
    }

    @Test func sha1SignatureInSHA256Header() {
        let request = makeRequest(headers: [("X-GitHub-Event", "push"), ("X-Hub-Signature-256", "sha256=3cf4f6de54c71fe21f03b5918c4b48bb83e3897a")], body: #"{"hello":"world"}"#)
        let report = verifier("github", "test_secret").verify(request)
        #expect(report.summary.detail.contains("wrong scheme version"))
        #expect(report.summary.detail.contains("HMAC-SHA1"))
    }

    @Test func rotationNamesTheMatchingSecretAndSignature() {
        let request = makeRequest(headers: [("Stripe-Signature", "t=1700000000,v1=00112233,v1=a5d9de1d23a233e086ce2cd0940311c91c3039e7d92c0d96a82fda4881746747,v0=ffff")], body: #"{"hello":"world"}"#)
        let report = verifier("stripe", "old_secret_value", "test_secret").verify(request)
        #expect(report.summary.status == .valid)
        #expect(report.summary.detail.contains("secret #2 of 2"))
        #expect(report.summary.detail.contains("signature #2 of 2"))
        #expect(report.text.contains("ignored `v0=` entry"))
    }

    @Test func pagerDutyRotationList() {
        let hex = "b7b1e7e190c7aace9efb076f2394f2408bf389ed0398c526b97101ab2c84fed3"
        let request = makeRequest(headers: [("X-PagerDuty-Signature", "v1=deadbeef,v1=" + hex)], body: #"{"hello":"world"}"#)
        #expect(verifier("pagerduty", "test_secret").verify(request).summary.detail.contains("signature #2 of 2"))
    }

    @Test func mollieDuplicatedHeaderDuringRotation() {
        let hex = "b7b1e7e190c7aace9efb076f2394f2408bf389ed0398c526b97101ab2c84fed3"
        let request = makeRequest(headers: [("X-Mollie-Signature", "sha256=00ff"), ("X-Mollie-Signature", hex)], body: #"{"hello":"world"}"#)
        #expect(verifier("mollie", "test_secret").verify(request).summary.status == .valid)
    }

    @Test func gitlabTokenWithStrayNewline() {
        let request = makeRequest(headers: [("X-Gitlab-Token", "my-token")], body: "{}")
        let report = verifier("gitlab", "my-token\n").verify(request)
        #expect(report.summary.status == .invalid)
        #expect(report.summary.detail.contains("trimming whitespace"))
        #expect(!report.text.contains("my-token"))
    }

    @Test func discordTamperedBodyDiagnosed() {
        let fixture = SignedFixture.all.first { $0.provider == "discord" }!
        let report = verifier("discord", fixture.secret).verify(fixture.request(body: fixture.body + "\n"))
        #expect(report.summary.status == .invalid)
        #expect(report.summary.detail.contains("without its trailing newline"))
    }

    @Test func missingTimestampHeader() {
        let request = makeRequest(headers: [("X-Slack-Signature", "v0=abcd")], body: "x=1")
        let report = verifier("slack", "s3cr3t-signing").verify(request)
        #expect(report.summary.status == .invalid)
        #expect(report.summary.detail.contains("X-Slack-Request-Timestamp"))
    }
}
