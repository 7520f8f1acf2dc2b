import Foundation
import HookCore
import HookSignatures
import Testing

@testable import HookSend

@Suite struct SampleTests {
    @Test func everySampleHasAProviderSecretHereOrIsTheGenericOne() {
        for sample in Samples.all {
            if let provider = sample.provider {
                #expect(sampleSecrets[provider] != nil, "\(sample.name)")
                #expect(sample.name.hasPrefix(provider + "/"))
            } else {
                #expect(sample.name == "generic/json")
            }
        }
        #expect(Set(Samples.all.map(\.name)).count == Samples.all.count)
    }

    /// The issue's list: these must exist.
    @Test func theListedEventsAreThere() {
        for name in [
            "stripe/payment_intent.succeeded", "stripe/invoice.paid", "stripe/checkout.session.completed",
            "stripe/customer.subscription.updated", "github/push", "github/pull_request.opened", "github/issues.opened",
            "github/ping", "shopify/orders/create", "shopify/app/uninstalled", "slack/event_callback", "slack/url_verification",
            "standardwebhooks/invoice.paid", "svix/user.created", "twilio/sms.incoming", "paddle/transaction.completed",
            "linear/issue.create", "generic/json",
        ] {
            #expect(Samples.named(name) != nil, "\(name)")
        }
    }

    /// Every JSON sample renders to JSON, with no placeholder left, and two deliveries differ in
    /// their ids.
    @Test(arguments: Samples.all.map(\.name))
    func rendersToValidJSONWithFreshIDs(_ name: String) throws {
        let sample = try #require(Samples.named(name))
        let builder = DeliveryBuilder(
            source: DeliverySource(sample: sample), verifier: verifier(sampleSecrets.map { ($0.key, $0.value) }),
            targetURL: "http://127.0.0.1:9777/\(sample.provider ?? "hook")")
        let first = try builder.make(n: 1).get()
        let second = try builder.make(n: 2).get()
        #expect(first.deliveryID != second.deliveryID)
        let text = String(decoding: first.request.body, as: UTF8.self)
        #expect(!text.contains("{{"), "\(text)")
        for field in first.request.headers { #expect(!field.value.contains("{{"), "\(field.name): \(field.value)") }
        #expect(text.contains(first.deliveryID) || first.request.headers.contains { $0.value == first.deliveryID } || name == "slack/url_verification")
        if first.request.headers.value(named: "Content-Type")?.hasPrefix("application/json") == true {
            #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: first.request.body) }
        }
    }
}
