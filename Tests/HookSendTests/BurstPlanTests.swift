import Foundation
import HookCore
import HookSignatures
import Testing

@testable import HookSend

@Suite struct BurstPlanTests {
    @Test func copiesFollowTheirDeliveryUnlessShuffled() {
        var generator = SystemRandomNumberGenerator()
        let plain = BurstPlan(count: 3, duplicates: 2).order(using: &generator)
        #expect(plain.map(\.n) == [1, 1, 1, 2, 2, 2, 3, 3, 3])
        #expect(plain.map(\.copy) == [0, 1, 2, 0, 1, 2, 0, 1, 2])
        let shuffled = BurstPlan(count: 50, duplicates: 1, shuffle: true).order(using: &generator)
        #expect(shuffled.count == 100)
        #expect(Set(shuffled.map { "\($0.n)/\($0.copy)" }).count == 100)
        #expect(shuffled.map(\.n) != plain.map(\.n))
        #expect(shuffled.map(\.n) != shuffled.map(\.n).sorted())
    }

    @Test func theSummaryCountsStatusesFailuresCopiesAndPercentiles() {
        var summary = BurstSummary()
        for (n, ms) in (1...100).map({ ($0, Int64($0)) }) {
            summary.add(SendResult(n: n, copy: 0, deliveryID: "d\(n)", status: 200, error: nil, failure: nil, durationNanoseconds: ms * 1_000_000))
        }
        summary.add(SendResult(n: 1, copy: 1, deliveryID: "d1", status: 200, error: nil, failure: nil, durationNanoseconds: 1))
        summary.add(SendResult(n: 2, copy: 1, deliveryID: "d2", status: 409, error: nil, failure: nil, durationNanoseconds: 1))
        #expect(summary.copies == 2)
        #expect(summary.copiesAnswered2xx == 1)
        #expect(!summary.allAnswered2xx)
        #expect(summary.statuses == [200: 101, 409: 1])
        #expect(summary.percentile(50) == 49_000_000)
        #expect(summary.percentile(99) == 99_000_000)  // rank ⌈0.99 × 102⌉ = 101 of the sorted 102
        summary.add(SendResult(n: 3, copy: 1, deliveryID: "d3", status: nil, error: "connection refused", failure: .refused, durationNanoseconds: 1))
        #expect(summary.failures == [.refused: 1])
        #expect(summary.deliveries.count == 100)
    }
}
