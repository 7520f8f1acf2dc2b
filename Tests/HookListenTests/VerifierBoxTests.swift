import HookSignatures
import Testing

@testable import HookListen

@Suite struct VerifierBoxTests {
    @Test func anAddedSecretComesBeforeTheKnownOnes() throws {
        let box = VerifierBox(SignatureVerifier(secrets: SecretBook([("stripe", "first")])))
        try box.add(provider: "stripe", secret: "added")
        try box.add(provider: "github", secret: "gh")
        #expect(box.current.secrets.secrets(for: "stripe") == ["added", "first"])
        #expect(box.current.secrets.secrets(for: "github") == ["gh"])
    }

    @Test func aBadSecretIsRefusedAndChangesNothing() {
        let box = VerifierBox(SignatureVerifier(secrets: SecretBook([("stripe", "first")])))
        #expect(throws: (any Error).self) { try box.add(provider: "nosuchprovider", secret: "x") }
        #expect(throws: (any Error).self) { try box.add(provider: "stripe", secret: "") }
        #expect(box.current.secrets.providers == ["stripe"])
        #expect(box.current.secrets.secrets(for: "stripe") == ["first"])
    }
}
