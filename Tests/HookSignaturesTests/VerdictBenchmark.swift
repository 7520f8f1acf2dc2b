import Crypto
import Foundation
import HookCore
import Testing
@testable import HookSignatures

/// Verdict-cost benchmark, not a unit test: runs only when HOOKSCOPE_BENCH is set. It times
/// `SignatureVerifier.summary(for:now:)`, which the listener calls for every capture, on the 2 KB
/// Stripe-like webhook the wrk benchmarks post (bench/lib.sh, bench/make-webhook-body.py), and
/// prints nanoseconds per call: (a) no secret configured (the listener's default), (b) a Stripe secret
/// that does not match (the verdict is invalid and the diagnosis runs), (c) no signature header,
/// (d) the right Stripe secret. Build and run it in release:
///
///     swift build -c release -Xswiftc -enable-testing --build-tests
///     HOOKSCOPE_BENCH=1 swift test -c release -Xswiftc -enable-testing --skip-build --filter VerdictBenchmark
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["HOOKSCOPE_BENCH"] != nil))
struct VerdictBenchmark {
    /// Calls per timed run; HOOKSCOPE_BENCH_N overrides it (e.g. for a quick run under perf).
    static let iterations = ProcessInfo.processInfo.environment["HOOKSCOPE_BENCH_N"].flatMap { Int($0) } ?? 200_000

    /// The body bench/make-webhook-body.py writes: a Stripe event padded to 2048 bytes.
    static let body: [UInt8] = {
        func json(note: String) -> String {
            """
            {"id": "evt_1NG8Du2eZvKYlo2CUI79vXWy", "object": "event", "api_version": "2023-10-16", "created": 1700000000, \
            "type": "payment_intent.succeeded", "livemode": false, "pending_webhooks": 1, "request": {"id": "req_9uYbkmTz2vF0Xh", \
            "idempotency_key": "7c1d0f8e-62c5-4bb5-8f3a-3f0b3c0f9a11"}, "data": {"object": {"id": "pi_3NG8Du2eZvKYlo2C0", \
            "object": "payment_intent", "amount": 2000, "amount_received": 2000, "currency": "usd", "customer": "cus_OxYz12AbCdEf34", \
            "description": "Order #6735", "payment_method": "pm_1NG8Dt2eZvKYlo2CsWzq1Qv7", "payment_method_types": ["card"], \
            "receipt_email": "jenny.rosen@example.com", "status": "succeeded", "metadata": {"order": "6735", "note": "\(note)"}, \
            "shipping": {"name": "Jenny Rosen", "address": {"line1": "510 Townsend St", "city": "San Francisco", "state": "CA", \
            "postal_code": "94103", "country": "US"}}}}}
            """
        }
        let unpadded = json(note: String(repeating: "x", count: 1200))
        return Array(json(note: String(repeating: "x", count: 1200 + 2048 - unpadded.utf8.count)).utf8)
    }()

    /// The request as wrk sends it to /stripe/hook (bench/lib.sh's post.lua).
    static let secret = "whsec_benchmark_secret"

    /// `v1=` for `t=1700000000` and the body, signed with `secret`.
    static let validSignature: String = {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("1700000000.".utf8) + body, using: SymmetricKey(data: Array(secret.utf8)))
        return "t=1700000000,v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }()

    static func request(signed: Bool, signature: String? = nil) -> CapturedRequest {
        var headers = [
            HeaderField("Host", "127.0.0.1:8080"),
            HeaderField("Content-Length", String(body.count)),
            HeaderField("Content-Type", "application/json"),
            HeaderField("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"),
        ]
        if signed {
            headers.append(HeaderField("Stripe-Signature", signature ?? "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"))
        }
        return CapturedRequest(
            receivedAt: time(1_700_000_010), method: "POST", rawTarget: Array("/stripe/hook".utf8), headers: headers,
            remoteAddress: "127.0.0.1:50000", body: Data(body), response: CapturedResponse(status: 200))
    }

    /// Best of three runs of `iterations` calls (one run when a run takes over 20 s), in ns per call.
    static func nsPerCall(_ verifier: SignatureVerifier, _ request: CapturedRequest) -> (ns: Double, runs: Int) {
        let clock = ContinuousClock()
        var sink = 0
        for _ in 0..<min(1_000, iterations) { sink &+= verifier.summary(for: request, now: request.receivedAt).detail.utf8.count }
        var best = Double.infinity
        var runs = 0
        while runs < 3 {
            let start = clock.now
            for _ in 0..<iterations {
                sink &+= verifier.summary(for: request, now: request.receivedAt).detail.utf8.count
            }
            let elapsed = clock.now - start
            runs += 1
            let c = elapsed.components
            best = min(best, (Double(c.seconds) * 1e9 + Double(c.attoseconds) / 1e9) / Double(iterations))
            if elapsed > .seconds(20) { break }
        }
        #expect(sink != 0)
        return (best, runs)
    }

    @Test func summaryCost() {
        #expect(Self.body.count == 2048)
        let cases: [(String, SignatureVerifier, CapturedRequest, SignatureSummary)] = [
            ("(a) stripe, no secret", SignatureVerifier(secrets: SecretBook()), Self.request(signed: true),
             SignatureSummary(provider: "stripe", status: .noSecret, detail: "no secret for stripe: set --secret stripe=… or HOOKSCOPE_SECRET_STRIPE")),
            ("(b) stripe, wrong secret", verifier("stripe", "whsec_benchmark_secret_not_the_signer"), Self.request(signed: true),
             SignatureSummary(provider: "stripe", status: .invalid, detail: "signature mismatch: wrong secret or altered body (1 secret tried)")),
            ("(c) unsigned", SignatureVerifier(secrets: SecretBook()), Self.request(signed: false), .unsigned),
            ("(d) stripe, right secret", verifier("stripe", Self.secret), Self.request(signed: true, signature: Self.validSignature),
             SignatureSummary(provider: "stripe", status: .valid, detail: "signature matches")),
        ]
        // HOOKSCOPE_BENCH_CASES=ac runs only those cases (e.g. to profile one path).
        let only = ProcessInfo.processInfo.environment["HOOKSCOPE_BENCH_CASES"]
        for (name, verifier, request, expected) in cases where only.map({ $0.contains(name.dropFirst().prefix(1)) }) ?? true {
            let summary = verifier.summary(for: request, now: request.receivedAt)
            #expect(summary == expected, "\(name)")
            #expect(summary == verifier.verify(request, now: request.receivedAt).summary, "\(name)")
            let (ns, runs) = Self.nsPerCall(verifier, request)
            print("VerdictBenchmark \(name): \(String(format: "%.0f", ns)) ns per summary(for:), n=\(Self.iterations), best of \(runs)")
        }
    }
}
