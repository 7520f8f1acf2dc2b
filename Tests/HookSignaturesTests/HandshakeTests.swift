import Crypto
import Foundation
import HookCore
import Testing
@testable import HookSignatures

@Suite struct HandshakeTests {
    let none = SignatureVerifier(secrets: SecretBook())

    func bodyText(_ response: CapturedResponse?) -> String { String(decoding: response?.body ?? Data(), as: UTF8.self) }

    @Test func slackURLVerification() {
        let request = makeRequest(headers: [("Content-Type", "application/json")], body: #"{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#)
        let response = HandshakeResponder.response(for: request, verifier: none, metaVerifyToken: nil)
        #expect(response?.status == 200)
        #expect(bodyText(response) == #"{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}"#)
    }

    @Test func zoomURLValidation() {
        let request = makeRequest(headers: [], body: #"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}"#)
        let response = HandshakeResponder.response(for: request, verifier: verifier("zoom", "zoom_secret_token"), metaVerifyToken: nil)
        let expected = hmacHex(Array("zoom_secret_token".utf8), "qgg8vlvZRS6UYooatFL8Aw")
        #expect(response?.status == 200)
        #expect(bodyText(response) == #"{"encryptedToken":""# + expected + #"","plainToken":"qgg8vlvZRS6UYooatFL8Aw"}"#)
        // Without the secret token there is no correct answer to give.
        #expect(HandshakeResponder.response(for: request, verifier: none, metaVerifyToken: nil) == nil)
    }

    @Test func twitchChallenge() {
        let request = makeRequest(headers: [("Twitch-Eventsub-Message-Type", "webhook_callback_verification")],
                                  body: #"{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"id":"f1c2"}}"#)
        let response = HandshakeResponder.response(for: request, verifier: none, metaVerifyToken: nil)
        #expect(response?.status == 200)
        #expect(bodyText(response) == "pogchamp-kappa-360noscope-vohiyo")
        #expect(response?.headers.value(named: "Content-Type") == "text/plain")
    }

    @Test func metaSubscribe() {
        let request = makeRequest(method: "GET", target: "/fb?hub.mode=subscribe&hub.verify_token=my-token&hub.challenge=1158201444", headers: [], body: "")
        let ok = HandshakeResponder.response(for: request, verifier: none, metaVerifyToken: "my-token")
        #expect(ok?.status == 200)
        #expect(bodyText(ok) == "1158201444")
        #expect(HandshakeResponder.response(for: request, verifier: none, metaVerifyToken: "other")?.status == 403)
        #expect(HandshakeResponder.response(for: request, verifier: none, metaVerifyToken: nil) == nil)
    }

    @Test func discordPing() throws {
        let key = Curve25519.Signing.PrivateKey()
        let body = #"{"type":1,"id":"123"}"#
        let signature = try key.signature(for: Data(("1700000000" + body).utf8))
        let request = makeRequest(headers: [("X-Signature-Ed25519", Hex.encode(signature)), ("X-Signature-Timestamp", "1700000000")], body: body)
        let good = verifier("discord", Hex.encode(key.publicKey.rawRepresentation))
        let response = HandshakeResponder.response(for: request, verifier: good, metaVerifyToken: nil)
        #expect(response?.status == 200)
        #expect(bodyText(response) == #"{"type":1}"#)
        let other = verifier("discord", Hex.encode(Curve25519.Signing.PrivateKey().publicKey.rawRepresentation))
        #expect(HandshakeResponder.response(for: request, verifier: other, metaVerifyToken: nil)?.status == 401)
    }

    @Test func trelloHead() {
        let request = makeRequest(method: "HEAD", headers: [], body: "")
        #expect(HandshakeResponder.response(for: request, verifier: none, metaVerifyToken: nil)?.status == 200)
    }

    @Test func ordinaryRequestsGetNil() {
        let fixture = SignedFixture.all.first { $0.provider == "stripe" }!
        #expect(HandshakeResponder.response(for: fixture.request(), verifier: none, metaVerifyToken: "x") == nil)
        #expect(HandshakeResponder.response(for: makeRequest(method: "GET", target: "/?a=1", headers: [], body: ""), verifier: none, metaVerifyToken: "x") == nil)
    }
}
