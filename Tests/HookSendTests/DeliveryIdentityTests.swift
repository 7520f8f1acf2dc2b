import Foundation
import HookCore
import HookSignatures
import Testing

@testable import HookSend

/// What a listener reads back from a sent delivery: the provider's event type and delivery id,
/// where that provider puts them.
@Suite struct DeliveryIdentityTests {
    @Test(arguments: Samples.all.filter { $0.provider != nil }.map(\.name))
    func aSentSampleIsRecognisedByItsEventAndDeliveryID(_ name: String) throws {
        let sample = try #require(Samples.named(name))
        let provider = try #require(sample.provider)
        let delivery = try DeliveryBuilder(
            source: DeliverySource(sample: sample), verifier: verifier([(provider, sampleSecrets[provider]!)]),
            targetURL: "http://127.0.0.1:9777/\(provider)"
        ).make(n: 1).get()
        let identity = DeliveryIdentity.of(delivery.request, provider: provider)
        let expectedEvent: String? = switch name {
        case "slack/event_callback": "app_mention"
        case "linear/issue.create": "Issue.create"
        case "twilio/sms.incoming": nil
        default: sample.event
        }
        #expect(identity.event == expectedEvent)
        switch name {
        case "slack/url_verification": #expect(identity.deliveryID == nil)
        case "twilio/sms.incoming": #expect(identity.deliveryID == delivery.request.headers.value(named: "I-Twilio-Idempotency-Token"))
        default: #expect(identity.deliveryID == delivery.deliveryID)
        }
    }

    @Test func otherBodiesAndProvidersGiveNothingOrTheirHeaders() {
        let request = CapturedRequest(
            receivedAt: CaptureTime(nanosecondsSince1970: 0), method: "POST", rawTarget: Array("/x".utf8),
            headers: [HeaderField("X-Delivery-Id", "d-1")], remoteAddress: "127.0.0.1:1", body: Data("not json".utf8),
            response: CapturedResponse(status: 200))
        #expect(DeliveryIdentity.of(request, provider: "stripe") == DeliveryIdentity())
        #expect(DeliveryIdentity.of(request, provider: nil) == DeliveryIdentity(deliveryID: "d-1"))
    }
}
