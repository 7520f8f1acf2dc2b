import Crypto
import Foundation
import HookCore
import Testing
@testable import HookSignatures

@Suite struct MoreDiagnosisTests {
    @Test func latin1TranscodedBody() {
        // Signed as UTF-8 "café", delivered after a proxy turned it into Latin-1 bytes.
        let utf8Body = #"{"name":"café"}"#
        let sig = hmacHex(Array("test_secret".utf8), utf8Body)
        let latin1 = Array(utf8Body.data(using: .isoLatin1)!)
        let request = makeRequest(headers: [("X-Razorpay-Signature", sig)], bodyBytes: latin1)
        let report = verifier("razorpay", "test_secret").verify(request)
        #expect(report.summary.status == .invalid)
        #expect(report.summary.detail.contains("Latin-1"))
    }

    @Test func twilioAppSeesAnotherPort() {
        // Twilio's SDK drops whatever port the app sees: the RSOY… vector was computed without a port.
        let request = makeRequest(target: "/myapp.php?foo=1&bar=2", host: "mycompany.com:1234", headers: [
            ("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ], body: OfficialVectorTests.twilioForm)
        #expect(verifier("twilio", "12345").verify(request).summary.status == .valid)
    }

    @Test func hubspotDecodedURI() {
        let url = "https://example.com/hook?email=a@b.com"
        let sig = hmacBase64(Array("hs_secret_1234".utf8), "POST" + url + "{}" + "1700000000000")
        let request = makeRequest(target: "/hook?email=a%40b.com", headers: [("X-HubSpot-Signature-v3", sig), ("X-HubSpot-Request-Timestamp", "1700000000000")], body: "{}")
        #expect(verifier("hubspot", "hs_secret_1234").verify(request).summary.status == .valid)
    }

    @Test func secretFormatChecks() throws {
        #expect(throws: SecretError.self) { try SecretBook.parseFlag("discord=not-hex") }
        #expect(throws: SecretError.self) { try SecretBook.parseFlag("svix=whsec_@@@") }
        #expect(throws: SecretError.self) { try SecretBook.parseFlag("sendgrid=abcd") }
        #expect(try SecretBook.parseFlag("sendgrid=" + OfficialVectorTests.sendgridKey).provider == "sendgrid")
        #expect(try SecretBook.parseFlag("discord=3a768b2426484599ff5e4754ad4a3d4b2d8329eb727242674a6e5990811fe05f").provider == "discord")
    }

    @Test func svixHeadersWithStandardWebhooksSecret() {
        let request = makeRequest(headers: [
            ("svix-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"), ("svix-timestamp", "1614265330"),
            ("svix-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        ], body: #"{"test": 2432232314}"#, receivedAt: 1_614_265_330)
        #expect(verifier("standardwebhooks", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(request).summary.status == .valid)
    }
}
