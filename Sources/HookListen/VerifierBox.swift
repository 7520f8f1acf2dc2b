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

    /// Every secret the verifier holds, masked (`maskSecret`), by provider.
    var maskedSecrets: [(provider: String, masked: String)] {
        verifier.withLock { $0.secrets.entries.map { ($0.provider, maskSecret($0.secret)) } }
    }

    /// Removes a provider's `index`-th secret (0-based, in the order `maskedSecrets` lists that
    /// provider's); for this session only, like `add`. Returns it masked.
    func remove(provider: String, index: Int) throws -> String {
        try verifier.withLock { verifier in
            let list = verifier.secrets.secrets(for: provider)
            guard list.indices.contains(index), let book = verifier.secrets.removing(provider: provider, at: index) else {
                throw SecretError("no secret #\(index + 1) for \(provider)")
            }
            verifier.secrets = book
            return maskSecret(list[index])
        }
    }
}

