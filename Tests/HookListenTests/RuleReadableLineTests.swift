import Foundation
import HookCore
import Testing

@testable import HookListen

@Suite struct RuleReadableLineTests {
    /// A readable line says which rule answered, and what a sender that got no response got.
    @Test func theReadableLineNamesTheRuleAndTheFailure() {
        let base = RequestSummary(
            id: 7, receivedAt: CaptureTime(nanosecondsSince1970: 0), method: "POST", rawTarget: Array("/x".utf8), bodySize: 0,
            responseStatus: 0, refusal: nil, signature: .unsigned, rule: "flaky\u{1B}", failure: .reset)
        #expect(CaptureLine.readable(base).hasSuffix("POST /x 0 B -> reset (rule flaky\\x1b) unsigned"))
        var answered = base
        answered.failure = nil
        answered.responseStatus = 500
        answered.rule = "2"
        #expect(CaptureLine.readable(answered).hasSuffix("-> 500 (rule 2) unsigned"))
    }
}
