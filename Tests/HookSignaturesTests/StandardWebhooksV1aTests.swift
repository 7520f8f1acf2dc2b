import Crypto
import Foundation
import HookCore
import Testing
@testable import HookSignatures

/// Standard Webhooks' asymmetric `v1a` signatures: Ed25519 over `id.timestamp.body`, keys written
/// `whpk_<base64 public key>` and `whsk_<base64 secret key>`. No official vector exists (the reference
/// libraries implement only `v1`), so a key pair is made here and signatures are made with it.
@Suite struct StandardWebhooksV1aTests {
    static let body = #"{"type":"user.created","data":{"id":"u_1"}}"#
    static let id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
    static let ts: Int64 = 1_700_000_000

    struct Keys {
        let signing = Curve25519.Signing.PrivateKey()
        var whpk: String { "whpk_" + signing.publicKey.rawRepresentation.base64EncodedString() }
        var whsk: String { "whsk_" + signing.rawRepresentation.base64EncodedString() }
        func sign(id: String = StandardWebhooksV1aTests.id, ts: Int64 = StandardWebhooksV1aTests.ts, body: String = StandardWebhooksV1aTests.body) -> String {
            let signature = try! signing.signature(for: Array("\(id).\(ts).\(body)".utf8))
            return "v1a," + Data(signature).base64EncodedString()
        }
    }

    func request(signature: String, body: String = Self.body, receivedAt: Int64 = Self.ts + 10) -> CapturedRequest {
        makeRequest(headers: [
            ("Content-Type", "application/json"), ("webhook-id", Self.id), ("webhook-timestamp", String(Self.ts)),
            ("webhook-signature", signature),
        ], body: body, receivedAt: receivedAt)
    }

    @Test func validV1aVerifiesWithThePublicKey() {
        let keys = Keys()
        let report = verifier("standardwebhooks", keys.whpk).verify(request(signature: keys.sign()), now: time(Self.ts + 10))
        #expect(report.summary.status == .valid, "\(report.text)")
        #expect(report.summary.detail.contains("v1a"))
    }

    @Test func theSecretKeyAlsoVerifies() {
        let keys = Keys()
        let report = verifier("standardwebhooks", keys.whsk).verify(request(signature: keys.sign()), now: time(Self.ts + 10))
        #expect(report.summary.status == .valid, "\(report.text)")
    }

    @Test func tamperedBodyWrongKeyAndExpiryAreInvalid() {
        let keys = Keys()
        let tampered = verifier("standardwebhooks", keys.whpk).verify(
            request(signature: keys.sign(), body: Self.body.replacingOccurrences(of: "u_1", with: "u_2")), now: time(Self.ts + 10))
        #expect(tampered.summary.status == .invalid)
        let other = Keys()
        let wrongKey = verifier("standardwebhooks", other.whpk).verify(request(signature: keys.sign()), now: time(Self.ts + 10))
        #expect(wrongKey.summary.status == .invalid)
        #expect(wrongKey.summary.detail.contains("does not verify"))
        let late = verifier("standardwebhooks", keys.whpk).verify(request(signature: keys.sign(), receivedAt: Self.ts + 3600), now: time(Self.ts + 3600))
        #expect(late.summary.status == .invalid)
        #expect(late.summary.detail.contains("timestamp too old"), "\(late.summary.detail)")
    }

    @Test func alteredBodyIsDiagnosed() {
        let keys = Keys()
        // The sender signed the body with a trailing newline; it was stripped on the way.
        let report = verifier("standardwebhooks", keys.whpk).verify(request(signature: keys.sign(body: Self.body + "\n")), now: time(Self.ts + 10))
        #expect(report.summary.status == .invalid)
        #expect(report.summary.detail.contains("trailing newline"), "\(report.text)")
    }

    @Test func withoutAPublicKeyItSaysWhichKeyIsNeeded() {
        let keys = Keys()
        let none = SignatureVerifier(secrets: SecretBook([]), publicURL: nil).verify(request(signature: keys.sign()), now: time(Self.ts + 10))
        #expect(none.summary.status == .noSecret)
        let hmacOnly = verifier("standardwebhooks", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(request(signature: keys.sign()), now: time(Self.ts + 10))
        #expect(hmacOnly.summary.status == .noSecret)
        #expect(hmacOnly.summary.detail.contains("whpk_"), "\(hmacOnly.summary.detail)")
    }

    @Test func mixedListUsesEachKeyForItsEntry() {
        let keys = Keys()
        let hmacSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array("\(Self.id).\(Self.ts).\(Self.body)".utf8), using: SymmetricKey(data: Base64.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!))
        let v1 = "v1," + Data(mac).base64EncodedString()
        // v1 valid, v1a from another key pair: the HMAC entry decides.
        let other = Keys()
        let both = verifier("standardwebhooks", hmacSecret, other.whpk).verify(request(signature: "\(other.sign(body: "x")) \(v1)"), now: time(Self.ts + 10))
        #expect(both.summary.status == .valid, "\(both.text)")
        // Only the HMAC secret: the v1 entry verifies, the v1a entry is noted as unchecked.
        let hmacOnly = verifier("standardwebhooks", hmacSecret).verify(request(signature: "\(keys.sign()) \(v1)"), now: time(Self.ts + 10))
        #expect(hmacOnly.summary.status == .valid)
        #expect(hmacOnly.text.contains("not checked"))
    }

    @Test func badPublicKeyIsRefusedAsASecret() {
        #expect(SecretBook.formatProblem(provider: "standardwebhooks", secret: "whpk_AAAA") != nil)
        #expect(SecretBook.formatProblem(provider: "standardwebhooks", secret: Keys().whpk) == nil)
        #expect(SecretBook.formatProblem(provider: "standardwebhooks", secret: Keys().whsk) == nil)
    }

    @Test func resignWithTheSecretKeyWritesAFreshV1a() throws {
        let keys = Keys()
        let later = Self.ts + 86_400
        let original = request(signature: keys.sign())
        let headers = try verifier("standardwebhooks", keys.whsk).resign(original, now: time(later)).get()
        #expect(headers.value(named: "webhook-signature")?.hasPrefix("v1a,") == true)
        #expect(headers.value(named: "webhook-timestamp") == String(later))
        var replayed = original
        replayed.headers = headers
        replayed.receivedAt = time(later)
        #expect(verifier("standardwebhooks", keys.whpk).verify(replayed, now: time(later)).summary.status == .valid)
        // A public key alone cannot sign.
        let failure = verifier("standardwebhooks", keys.whpk).resign(original, now: time(later))
        guard case .failure(let error) = failure else { Issue.record("re-signed with a public key"); return }
        #expect(error.description.contains("whsk_"))
    }
}
