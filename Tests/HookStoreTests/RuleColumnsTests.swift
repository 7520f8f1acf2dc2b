import Foundation
import HookCore
import Testing

@testable import HookStore

/// The rule that answered a capture and the failure its sender got are stored with it, in both stores,
/// and a filter on them finds the same captures in each.
@Suite struct RuleColumnsTests {
    @Test(arguments: StoreKind.tested)
    func ruleAndFailureRoundTripAndFilter(kind: StoreKind) async throws {
        let store = try await kind.make()
        var answered = sampleRequest(1)
        answered.rule = "stripe-down"
        answered.response = CapturedResponse(status: 500)
        var reset = sampleRequest(2)
        reset.rule = "2"
        reset.failure = .reset
        reset.response = CapturedResponse(status: 0)
        let plain = sampleRequest(3)
        let ids = try await [answered, reset, plain].asyncMap { try await store.insert($0).id }

        let loaded = try #require(try await store.request(id: ids[1]))
        #expect(loaded.rule == "2")
        #expect(loaded.failure == .reset)
        let summaries = try await store.summaries(afterID: 0, limit: 10)
        #expect(summaries.map(\.rule) == ["stripe-down", "2", nil])
        #expect(summaries.map(\.failure) == [nil, .reset, nil])
        #expect(try await store.requests(afterID: 0, limit: 10).map(\.failure) == [nil, .reset, nil])

        func matching(_ text: String) throws -> [Int64] {
            let filter = try RequestFilter.parse(text)
            return summaries.filter { filter.matchesSummary($0) == true }.map(\.id)
        }
        #expect(try matching("rule:stripe-down") == [ids[0]])
        #expect(try matching("rule:STRIPE-DOWN") == [ids[0]])
        #expect(try matching("rule:2") == [ids[1]])
        #expect(try matching("-rule:2") == [ids[0], ids[2]])
        // The sender of the reset got no status at all: `status:` never matches it.
        #expect(try matching("status:5xx") == [ids[0]])
        #expect(try matching("-status:5xx").contains(ids[1]))
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
