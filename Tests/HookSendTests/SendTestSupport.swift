import Foundation
import HookCore
import HookSignatures
import Testing

@testable import HookSend

/// A secret per provider with a sample, in the form each provider issues them.
let sampleSecrets: [String: String] = [
    "stripe": "whsec_test_secret",
    "github": "It's a Secret to Everybody",
    "shopify": "hush",
    "slack": "8f742231b10e8888abcd99yyyzzz85a5",
    "standardwebhooks": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "svix": "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    "twilio": "12345",
    "paddle": "pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI",
    "linear": "lin_wh_secret",
]

func verifier(_ entries: [(String, String)]) -> SignatureVerifier {
    SignatureVerifier(secrets: SecretBook(entries.map { (provider: $0.0, secret: $0.1) }))
}
