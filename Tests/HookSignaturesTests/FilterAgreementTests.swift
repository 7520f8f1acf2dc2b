import Foundation
import HookCore
import Testing
@testable import HookSignatures

/// What the filter language (HookCore) knows of signatures agrees with the verifiers.
@Suite struct FilterAgreementTests {
    @Test func sigTakesEveryBuiltInProvider() {
        #expect(RequestFilter.builtInProviders == ProviderCatalog.ids)
    }

    /// `sig:expired` reads the verdict's detail: a real stale signature (and only that) fits it.
    @Test func aStaleStripeSignatureIsExpiredAndAWrongOneIsNot() throws {
        let sig = "t=1700000000,v1=a5d9de1d23a233e086ce2cd0940311c91c3039e7d92c0d96a82fda4881746747"
        let expired = try RequestFilter.parse("sig:expired")
        let fresh = makeRequest(headers: [("Stripe-Signature", sig)], body: #"{"hello":"world"}"#, receivedAt: 1_700_000_005)
        let stale = makeRequest(headers: [("Stripe-Signature", sig)], body: #"{"hello":"world"}"#, receivedAt: 1_700_000_900)
        let early = makeRequest(headers: [("Stripe-Signature", sig)], body: #"{"hello":"world"}"#, receivedAt: 1_699_999_000)
        let altered = makeRequest(headers: [("Stripe-Signature", sig)], body: #"{"hello":"World"}"#, receivedAt: 1_700_000_900)
        let stripe = verifier("stripe", "test_secret")
        var request = fresh
        request.signature = stripe.summary(for: fresh)
        #expect(request.signature.status == .valid)
        #expect(!expired.matches(request))
        request = stale
        request.signature = stripe.summary(for: stale)
        #expect(request.signature.status == .invalid)
        #expect(expired.matches(request), "\(request.signature.detail)")
        // Stripe's SDK does not check timestamps ahead of the clock: not expired, valid.
        request = early
        request.signature = stripe.summary(for: early)
        #expect(!expired.matches(request), "\(request.signature.detail)")
        request = altered
        request.signature = stripe.summary(for: altered)
        #expect(request.signature.status == .invalid)
        #expect(!expired.matches(request), "\(request.signature.detail)")
    }
}
