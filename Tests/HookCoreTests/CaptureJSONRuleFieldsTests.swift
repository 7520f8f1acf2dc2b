import Foundation
import Testing
import TextSafety
@testable import HookCore

@Suite struct CaptureJSONRuleFieldsTests {
    func capture(rule: String?, failure: AnswerFailure?, status: Int) -> CapturedRequest {
        CapturedRequest(
            receivedAt: CaptureTime(nanosecondsSince1970: 1_700_000_000_000_000_000), method: "POST", rawTarget: Array("/x".utf8),
            headers: [], remoteAddress: "127.0.0.1:1", body: Data(), response: CapturedResponse(status: status), rule: rule, failure: failure)
    }

    func object(_ request: CapturedRequest) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(CaptureJSON.line(for: request).utf8)) as? [String: Any])
    }

    /// A rule's answer names the rule; a failure has no status, only its kind; the listener's own
    /// answer has neither.
    @Test func ruleFailureAndTheStatusTheSenderGot() throws {
        let answered = try object(capture(rule: "stripe-down", failure: nil, status: 500))
        #expect(answered["rule"] as? String == "stripe-down")
        #expect(answered["failure"] is NSNull)
        #expect(answered["response_status"] as? Int == 500)

        let reset = try object(capture(rule: "3", failure: .reset, status: 0))
        #expect(reset["rule"] as? String == "3")
        #expect(reset["failure"] as? String == "reset")
        #expect(reset["response_status"] is NSNull)

        let plain = try object(capture(rule: nil, failure: nil, status: 200))
        #expect(plain["rule"] is NSNull)
        #expect(plain["failure"] is NSNull)
        #expect(plain["response_status"] as? Int == 200)
    }
}
