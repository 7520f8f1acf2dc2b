import HookSignatures
import Synchronization

/// The verifier every part of `listen` uses; the TUI can add a secret while it runs.
final class VerifierBox: Sendable {
    private let verifier: Mutex<SignatureVerifier>

    init(_ verifier: SignatureVerifier) {
        self.verifier = Mutex(verifier)
    }

    var current: SignatureVerifier { verifier.withLock { $0 } }

    /// Adds a secret in front of the known ones (checked like `--secret`); kept in memory only.
    func add(provider: String, secret: String) throws {
        try verifier.withLock { verifier in
            let extraIDs = Set(verifier.customSchemes.map(\.id))
            let entry = try SecretBook.parseFlag("\(provider)=\(secret)", extraIDs: extraIDs)
            verifier.secrets = SecretBook([entry]).merging(verifier.secrets)
        }
    }
}

