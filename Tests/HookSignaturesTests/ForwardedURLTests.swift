import Crypto
import Foundation
import HookCore
import Testing
@testable import HookSignatures

@Suite struct ForwardedURLTests {
    @Test func tunnelForwardedHeadersGiveTheSignedURL() {
        // ngrok/cloudflared style: the listener sees localhost, the proxy says what the sender called.
        let sig = hmacBase64(Array("sq_key_123456".utf8), "http://public.example.dev/sq" + "{}")
        let request = makeRequest(target: "/sq", host: "127.0.0.1:9777", headers: [
            ("X-Forwarded-Proto", "http"), ("X-Forwarded-Host", "public.example.dev"), ("x-square-hmacsha256-signature", sig),
        ], body: "{}")
        #expect(verifier("square", "sq_key_123456").verify(request).summary.status == .valid)
        let rfc7239 = makeRequest(target: "/sq", host: "127.0.0.1:9777", headers: [
            ("Forwarded", "for=1.2.3.4;proto=http;host=public.example.dev"), ("x-square-hmacsha256-signature", sig),
        ], body: "{}")
        #expect(verifier("square", "sq_key_123456").verify(rfc7239).summary.status == .valid)
    }

    @Test func largeBodyMismatchStillReports() {
        var body = [UInt8](repeating: UInt8(ascii: "a"), count: 3_000_000)
        body[10] = 0xE9
        let request = makeRequest(headers: [("X-Razorpay-Signature", String(repeating: "0", count: 64))], bodyBytes: body)
        let report = verifier("razorpay", "test_secret").verify(request)
        #expect(report.summary.status == .invalid)
        #expect(report.summary.detail.contains("wrong secret or altered body"))
    }
}
