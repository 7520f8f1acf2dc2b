import Foundation
import HookCore
import Testing
@testable import HookSignatures

/// Appendix A of providers.md: official vectors from the providers' own SDKs and docs.
@Suite struct OfficialVectorTests {
    @Test func standardWebhooksVector() {
        let request = makeRequest(headers: [
            ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"), ("webhook-timestamp", "1614265330"),
            ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        ], body: #"{"test": 2432232314}"#, receivedAt: 1_614_265_331)
        let report = verifier("standardwebhooks", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(request, now: time(1_614_265_331))
        #expect(report.summary.status == .valid)
        #expect(report.summary.provider == "standardwebhooks")
    }

    @Test func standardWebhooksUnpaddedSecret() {
        // The same key, written without the base64 padding the library appends.
        let request = makeRequest(headers: [
            ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"), ("webhook-timestamp", "1614265330"),
            ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        ], body: #"{"test": 2432232314}"#, receivedAt: 1_614_265_330)
        let key = Base64.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!
        var unpadded = Data(key).base64EncodedString()
        while unpadded.hasSuffix("=") { unpadded.removeLast() }
        #expect(verifier("standardwebhooks", "whsec_" + unpadded).verify(request).summary.status == .valid)
    }

    @Test func svixVector() {
        let request = makeRequest(headers: [
            ("svix-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"), ("svix-timestamp", "1614265330"),
            ("svix-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        ], body: #"{"test": 2432232314}"#, receivedAt: 1_614_265_330)
        let report = verifier("svix", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(request)
        #expect(report.summary.status == .valid)
        #expect(report.summary.provider == "svix")
        // Clerk and Resend deliver through Svix, and Standard Webhooks is the same scheme: any of
        // their secrets verifies the request, and the label comes from its headers, whichever
        // secrets are loaded.
        for id in ["resend", "clerk", "standardwebhooks"] {
            let summary = verifier(id, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(request).summary
            #expect(summary.provider == "svix" && summary.status == .valid, "\(id): \(summary)")
        }
        let none = SignatureVerifier(secrets: SecretBook()).verify(request).summary
        #expect(none.provider == "svix" && none.status == .noSecret)
        let wrong = verifier("standardwebhooks", "whsec_" + Data(repeating: 7, count: 24).base64EncodedString()).verify(request).summary
        #expect(wrong.provider == "svix" && wrong.status == .invalid)
        // The unbranded headers are Standard Webhooks', also with a Svix secret.
        let unbranded = makeRequest(headers: [
            ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"), ("webhook-timestamp", "1614265330"),
            ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        ], body: #"{"test": 2432232314}"#, receivedAt: 1_614_265_330)
        let svixSecret = verifier("svix", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(unbranded).summary
        #expect(svixSecret.provider == "standardwebhooks" && svixSecret.status == .valid)
        // A path pinned to Clerk says Clerk.
        let pinned = SignatureVerifier(
            secrets: SecretBook([("clerk", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]), pins: [ProviderPin(pathPrefix: "/", provider: "clerk")])
        #expect(pinned.verify(request).summary.provider == "clerk")
        #expect(pinned.verify(request).summary.status == .valid)
    }

    @Test(arguments: [
        ("It's a Secret to Everybody", "Hello, World!", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"),
        ("mysecret", #"{"foo":"bar"}"#, "sha256=4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3"),
        ("development", #"{"foo":"Foo\n\u001B[34mbar: ♥♥♥♥♥♥♥♥\nthis-is-lost\u001B[0m\u001B[2K"}"#, "sha256=afecc3caa27548bb90d51a50384cb2868b9a3327b4ad6a01c9bd4ed0f8b0b12c"),
        ("development", #"{"foo":"\\u001b"}"#, "sha256=6f8326efbacfbd04e870cea25b5652e635be8c9807f2fd5348ef60753c9e96ed"),
    ])
    func githubVectors(secret: String, body: String, signature: String) {
        let request = makeRequest(headers: [("X-GitHub-Event", "push"), ("X-Hub-Signature-256", signature)], body: body)
        let report = verifier("github", secret).verify(request)
        #expect(report.summary.status == .valid)
        #expect(report.summary.provider == "github")
    }

    @Test func githubLowerCaseEscapeIsDiagnosed() {
        // The octokit vector only matches the upper-case \u001B form; sending lower-case must fail and say why.
        let body = #"{"foo":"Foo\n\u001b[34mbar: ♥♥♥♥♥♥♥♥\nthis-is-lost\u001b[0m\u001b[2K"}"#
        let request = makeRequest(headers: [("X-GitHub-Event", "push"), ("X-Hub-Signature-256", "sha256=afecc3caa27548bb90d51a50384cb2868b9a3327b4ad6a01c9bd4ed0f8b0b12c")], body: body)
        let report = verifier("github", "development").verify(request)
        #expect(report.summary.status == .invalid)
        #expect(report.summary.detail.contains("upper-case hex"))
    }

    @Test func slackVector() {
        let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
        let request = makeRequest(headers: [
            ("X-Slack-Request-Timestamp", "1531420618"),
            ("X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"),
        ], body: body, receivedAt: 1_531_420_618)
        #expect(verifier("slack", "8f742231b10e8888abcd99yyyzzz85a5").verify(request).summary.status == .valid)
    }

    static let twilioForm = "CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309&To=%2B18005551212&Caller=%2B14158675309"

    @Test(arguments: [
        ("https://mycompany.com", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ("https://mycompany.com", "kvajT1Ptam85bY51eRf/AJRuM3w="),
        ("http://mycompany.com", "0ZXoZLH/DfblKGATFgpif+LLRf4="),
    ])
    func twilioFormVectors(publicURL: String, signature: String) {
        let request = makeRequest(target: "/myapp.php?foo=1&bar=2", host: "localhost:9777", headers: [
            ("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", signature),
        ], body: Self.twilioForm)
        let report = verifier("twilio", "12345", publicURL: publicURL).verify(request)
        #expect(report.summary.status == .valid, "\(report.text)")
    }

    @Test func twilioDuplicateParameters() {
        let request = makeRequest(target: "/myapp.php?foo=1&bar=2", host: "mycompany.com", headers: [
            ("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", "IK+Dwps556ElfBT0I3Rgjkr1wJU="),
        ], body: "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234")
        #expect(verifier("twilio", "12345").verify(request).summary.status == .valid)
    }

    @Test func twilioJSONVector() {
        let request = makeRequest(
            target: "/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620",
            host: "mycompany.com",
            headers: [("Content-Type", "application/json"), ("X-Twilio-Signature", "a9nBmqA0ju/hNViExpshrM61xv4=")],
            body: #"{"property": "value", "boolean": true}"#)
        #expect(verifier("twilio", "12345").verify(request).summary.status == .valid)
    }

    @Test(arguments: [
        ("Ibxx_5AKakO-3qeNVR61Dw", "/679a4f3a-dcfa-49ee-bac5-9d0edad886b9",
         #"{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}"#,
         "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4="),
        ("signature-key", "/webhooks", #"{"data":{"type":"webhooks","id":">id<"}}"#, "Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U="),
    ])
    func squareVectors(key: String, path: String, body: String, signature: String) {
        let request = makeRequest(target: path, host: "webhook.site", headers: [("x-square-hmacsha256-signature", signature)], body: body)
        #expect(verifier("square", key).verify(request).summary.status == .valid)
    }

    @Test func paddleVectorWithRotation() {
        let request = makeRequest(headers: [
            ("Paddle-Signature", "ts=1696195954;h1=dummy;h1=d96299976a6eb066f484d7fde011ac56fc32b38fc9940bc419d6e537fdc6ef02"),
        ], body: "hello-world", receivedAt: 1_696_195_954)
        let report = verifier("paddle", "pdl_ntf_01hbpjmytsa32fhr36nqgc3kgb_other", "pdl_ntf_01hbpjmytsa32fhr36nqgc3kgb_WvRO0eL4Bj9rgYYIBZY6wZhG4EHy9jzh").verify(request)
        #expect(report.summary.status == .valid)
        #expect(report.summary.detail.contains("secret #2 of 2"))
        #expect(report.summary.detail.contains("signature #2 of 2"))
    }

    static let hubspotSecret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"

    @Test func hubspotV3Vector() {
        let request = makeRequest(target: "/webhook_uri", host: "www.example.com", headers: [
            ("X-HubSpot-Signature-v3", "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw="), ("X-HubSpot-Request-Timestamp", "15000000"),
        ], body: "{'example_field':'example_value'}", receivedAt: 15_000)
        #expect(verifier("hubspot", Self.hubspotSecret).verify(request).summary.status == .valid)
    }

    @Test(arguments: [
        ("POST", "v1", "{'example_field':'example_value'}", "69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750"),
        ("POST", "v2", "{'example_field':'example_value'}", "4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383"),
        ("GET", "v2", "", "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"),
        ("POST", "v1", #"[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]"#, "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"),
    ])
    func hubspotLegacyVectors(method: String, version: String, body: String, signature: String) {
        let request = makeRequest(method: method, target: "/webhook_uri", host: "www.example.com", headers: [
            ("X-HubSpot-Signature", signature), ("X-HubSpot-Signature-Version", version),
        ], body: body)
        let report = verifier("hubspot", Self.hubspotSecret).verify(request)
        #expect(report.summary.status == .valid, "\(report.text)")
    }

    static let sendgridKey = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
    static let sendgridPayload = #"[{"email":"hello@world.com","event":"dropped","reason":"Bounced Address","sg_event_id":"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA","sg_message_id":"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0","smtp-id":"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>","timestamp":1600112492}]"#

    func sendgridRequest(body: String) -> CapturedRequest {
        makeRequest(headers: [
            ("X-Twilio-Email-Event-Webhook-Signature", "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM="),
            ("X-Twilio-Email-Event-Webhook-Timestamp", "1600112502"),
        ], body: body, receivedAt: 1_600_112_502)
    }

    @Test func sendgridVector() {
        let report = verifier("sendgrid", Self.sendgridKey).verify(sendgridRequest(body: Self.sendgridPayload + "\r\n"))
        #expect(report.summary.status == .valid)
        #expect(report.summary.provider == "sendgrid")
    }

    @Test func sendgridWithoutTrailingCRLFIsDiagnosed() {
        let report = verifier("sendgrid", Self.sendgridKey).verify(sendgridRequest(body: Self.sendgridPayload))
        #expect(report.summary.status == .invalid)
        #expect(report.summary.detail.contains("trailing CRLF"))
    }

    @Test func sendgridWrongKey() {
        let other = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA=="
        #expect(verifier("sendgrid", other).verify(sendgridRequest(body: Self.sendgridPayload + "\r\n")).summary.status == .invalid)
    }
}
