import Foundation
import HookCore
import HookTestSupport
@testable import HookSignatures

/// Builds a capture as the listener would store it.
func makeRequest(
    method: String = "POST", target: String = "/webhook", host: String? = "example.com",
    headers: [(String, String)], body: String, receivedAt seconds: Int64 = 1_700_000_000
) -> CapturedRequest {
    makeRequest(method: method, target: target, host: host, headers: headers, bodyBytes: Array(body.utf8), receivedAt: seconds)
}

func makeRequest(
    method: String = "POST", target: String = "/webhook", host: String? = "example.com",
    headers: [(String, String)], bodyBytes: [UInt8], receivedAt seconds: Int64 = 1_700_000_000
) -> CapturedRequest {
    var fields: [HeaderField] = []
    if let host { fields.append(HeaderField("Host", host)) }
    fields += headers.map { HeaderField($0.0, $0.1) }
    return sampleCapture(
        receivedAt: time(seconds), method: method, rawTarget: Array(target.utf8), headers: fields, body: Data(bodyBytes))
}

func time(_ seconds: Int64) -> CaptureTime { CaptureTime(nanosecondsSince1970: seconds * 1_000_000_000) }

func verifier(_ provider: String, _ secrets: String..., publicURL: String? = nil) -> SignatureVerifier {
    SignatureVerifier(secrets: SecretBook(secrets.map { (provider, $0) }), publicURL: publicURL)
}

extension SignatureReport {
    var text: String { lines.joined(separator: "\n") }
}
