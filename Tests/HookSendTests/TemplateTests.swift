import Foundation
import HookCore
import HookSignatures
import Testing

@testable import HookSend

@Suite struct TemplateTests {
    @Test func placeholdersAreFilledAndOthersKept() {
        var generator = SystemRandomNumberGenerator()
        let values = Template.Values(deliveryID: "evt_1", now: Date(timeIntervalSince1970: 1_700_000_000.25))
        let text = Template("{{delivery_id}} {{now}} {{now_ms}} {{now_iso}} {{hex:4}} {{digits:3}} {{unknown}} {{hex:999}} {{").render(values, using: &generator)
        let parts = text.split(separator: " ")
        #expect(parts[0] == "evt_1")
        #expect(parts[1] == "1700000000")
        #expect(parts[2] == "1700000000250")
        #expect(parts[3] == "2023-11-14T22:13:20Z")
        #expect(parts[4].count == 4 && parts[4].allSatisfy(\.isHexDigit))
        #expect(parts[5].count == 3 && parts[5].allSatisfy(\.isNumber))
        #expect(parts[6] == "{{unknown}}")
        #expect(parts[7] == "{{hex:999}}")
        #expect(parts[8] == "{{")
        let uuid = Template("{{uuid}}").render(values, using: &generator)
        #expect(UUID(uuidString: uuid) != nil)
        #expect(uuid == uuid.lowercased())
    }
}
