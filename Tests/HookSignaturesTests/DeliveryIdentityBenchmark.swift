import Foundation
import HookCore
import Testing
@testable import HookSignatures

/// Identity-cost benchmark, not a unit test: runs only when HOOKSCOPE_BENCH is set. The listener
/// reads every capture's event type and delivery id (`DeliveryIdentity.of`) before the insert;
/// this times it on the 2 KB Stripe webhook of the wrk benchmarks (`VerdictBenchmark.body`, where
/// `type` and `id` are top-level members) against reading the same two fields after a full
/// `JSONSerialization` parse, and prints nanoseconds per call. Run as `VerdictBenchmark` says.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["HOOKSCOPE_BENCH"] != nil))
struct DeliveryIdentityBenchmark {
    static func nanosecondsPerCall(_ iterations: Int, _ work: () -> String?) -> Double {
        var sink = 0
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0..<iterations { sink &+= work()?.utf8.count ?? 0 }
        }
        #expect(sink > 0)
        return Double(elapsed.components.seconds) * 1e9 / Double(iterations) + Double(elapsed.components.attoseconds) / 1e9 / Double(iterations)
    }

    @Test func identityOfTheBenchmarkWebhook() {
        let request = VerdictBenchmark.request(signed: true)
        let iterations = VerdictBenchmark.iterations / 10
        let peek = Self.nanosecondsPerCall(iterations) { DeliveryIdentity.of(request, provider: "stripe").deliveryID }
        let parse = Self.nanosecondsPerCall(iterations) {
            let object = (try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any]
            return (object?["type"] as? String).flatMap { _ in object?["id"] as? String }
        }
        #expect(DeliveryIdentity.of(request, provider: "stripe") == DeliveryIdentity(event: "payment_intent.succeeded", deliveryID: "evt_1NG8Du2eZvKYlo2CUI79vXWy"))
        print(String(format: "DeliveryIdentity.of (JSONPeek): %.0f ns/call; full JSONSerialization parse: %.0f ns/call (%d calls)", peek, parse, iterations))
    }
}
