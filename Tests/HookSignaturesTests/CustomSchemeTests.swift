import Foundation
import HookCore
import Testing
@testable import HookSignatures

@Suite struct CustomSchemeTests {
    let scheme = CustomScheme(
        id: "acme", signatureHeader: "X-Acme-Signature", template: try! CustomScheme.parseTemplate("{timestamp}.{body}"),
        algorithm: .hmacSHA256, encoding: .hex, prefix: "sha256=", timestampHeader: "X-Acme-Timestamp", tolerance: 300)
    let body = #"{"order":42}"#

    func request(body: String? = nil, receivedAt: Int64 = 1_700_000_010) -> CapturedRequest {
        let sig = hmacHex(Array("acme_secret_value".utf8), "1700000000." + body!.replacingOccurrences(of: "\n", with: ""))
        return makeRequest(headers: [("X-Acme-Timestamp", "1700000000"), ("X-Acme-Signature", "sha256=" + sig)], body: body!, receivedAt: receivedAt)
    }

    var verifier: SignatureVerifier {
        SignatureVerifier(secrets: SecretBook([("acme", "acme_secret_value")]), customSchemes: [scheme])
    }

    @Test func templateParsing() throws {
        #expect(try CustomScheme.parseTemplate("v0:{timestamp}:{body}") == [.literal("v0:"), .timestamp, .literal(":"), .body])
        #expect(try CustomScheme.parseTemplate("{method}{url}{id}{body}") == [.method, .url, .id, .body])
        #expect(throws: SecretError.self) { try CustomScheme.parseTemplate("{nonce}.{body}") }
        #expect(throws: SecretError.self) { try CustomScheme.parseTemplate("static") }
    }

    @Test func validCustomSignature() {
        let report = verifier.verify(request(body: body))
        #expect(report.summary.status == .valid)
        #expect(report.summary.provider == "acme")
        #expect(report.text.contains("signed string: {timestamp}.{body}"))
    }

    @Test func customSchemeIsDiagnosedLikeBuiltins() {
        let report = verifier.verify(request(body: body + "\n"))
        #expect(report.summary.status == .invalid)
        #expect(report.summary.detail.contains("without its trailing newline"))
        let late = verifier.verify(request(body: body, receivedAt: 1_700_000_400))
        #expect(late.summary.detail.contains("too old"))
        let noSecret = SignatureVerifier(secrets: SecretBook(), customSchemes: [scheme]).verify(request(body: body))
        #expect(noSecret.summary.status == .noSecret)
        #expect(noSecret.summary.detail.contains("HOOKSCOPE_SECRET_ACME"))
    }

    @Test func customBase64SHA512WithIDAndURL() throws {
        let custom = CustomScheme(id: "bank", signatureHeader: "X-Bank-Sig", template: try CustomScheme.parseTemplate("{id}|{method}|{url}|{body}"),
                                  algorithm: .hmacSHA512, encoding: .base64, idHeader: "X-Bank-Id")
        let message = "evt_1|POST|https://example.com/bank|{}"
        let sig = Data(MACAlgorithm.hmacSHA512.mac(key: Array("bank_secret_123".utf8), message: Array(message.utf8))).base64EncodedString()
        let request = makeRequest(target: "/bank", headers: [("X-Bank-Id", "evt_1"), ("X-Bank-Sig", sig)], body: "{}")
        let v = SignatureVerifier(secrets: SecretBook([("bank", "bank_secret_123")]), customSchemes: [custom])
        #expect(v.verify(request).summary.status == .valid)
        let behindProxy = SignatureVerifier(secrets: SecretBook([("bank", "bank_secret_123")]), customSchemes: [custom], publicURL: "https://abc.tunnel.dev")
        #expect(behindProxy.verify(request).summary.detail.contains("matches the URL https://example.com/bank"))
    }
}
