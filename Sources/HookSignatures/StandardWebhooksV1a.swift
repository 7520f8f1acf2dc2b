import Crypto
import Foundation
import HookCore

/// Standard Webhooks' asymmetric keys: `whpk_` + base64 of the 32-byte Ed25519 public key, or the
/// sender's `whsk_` + base64 secret key (the 32-byte seed, or libsodium's 64-byte seed + public key).
enum StandardWebhooksKeys {
    static func publicKey(from secret: String) -> Curve25519.Signing.PublicKey? {
        let text = secret.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("whpk_") {
            guard let raw = Base64.decode(String(text.dropFirst(5))), raw.count == 32 else { return nil }
            return try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        }
        if let key = privateKey(from: text) { return key.publicKey }
        return nil
    }

    static func privateKey(from secret: String) -> Curve25519.Signing.PrivateKey? {
        let text = secret.trimmingCharacters(in: .whitespaces)
        guard text.hasPrefix("whsk_"), let raw = Base64.decode(String(text.dropFirst(5))) else { return nil }
        guard raw.count == 32 || raw.count == 64 else { return nil }
        return try? Curve25519.Signing.PrivateKey(rawRepresentation: raw.prefix(32))
    }

    /// True when the secret is written as an asymmetric key (whether or not it decodes).
    static func looksAsymmetric(_ secret: String) -> Bool {
        let text = secret.trimmingCharacters(in: .whitespaces)
        return text.hasPrefix("whpk_") || text.hasPrefix("whsk_")
    }
}

/// Verification of `v1a,<base64 Ed25519 signature>` entries in a Standard Webhooks signature list.
enum StandardWebhooksV1a {
    enum Result {
        /// The verdict is known from the `v1a` entries.
        case decided(VerdictStatus, String, DiagnosisState = .complete)
        /// Go on with the `v1` HMAC entries, using only these (non-asymmetric) secrets.
        case continueWithHMAC([String])
    }

    static func evaluate(
        _ spec: HMACSpec, _ ctx: VerifyContext, parsed: ParsedHMACHeaders, secrets: [String], lines: inout [String]
    ) -> Result {
        let hmacSecrets = secrets.filter { !StandardWebhooksKeys.looksAsymmetric($0) }
        var keys: [(index: Int, key: Curve25519.Signing.PublicKey)] = []
        for (i, secret) in secrets.enumerated() where StandardWebhooksKeys.looksAsymmetric(secret) {
            if let key = StandardWebhooksKeys.publicKey(from: secret) {
                keys.append((i, key))
            } else {
                lines.append("note: secret #\(i + 1) (\(maskSecret(secret))) is not `whpk_` + base64 of a 32-byte Ed25519 public key (or `whsk_` + base64 of the secret key)")
            }
        }
        let hasHMACEntries = !parsed.signatures.isEmpty
        lines.append("v1a: \(parsed.asymmetric.count) asymmetric signature\(parsed.asymmetric.count == 1 ? "" : "s") (Ed25519 over the same signed string, base64)")
        guard !keys.isEmpty else {
            if hasHMACEntries {
                lines.append("note: the `v1a` (Ed25519) entries are not checked: no `whpk_` public key is set")
                return .continueWithHMAC(hmacSecrets)
            }
            let env = SecretBook.environmentVariable(for: spec.provider)
            return .decided(.noSecret, "only an asymmetric v1a (Ed25519) signature: set --secret \(spec.provider)=whpk_… (the sender's public key) or \(env)")
        }
        guard let ts = parsed.timestamp else {
            let name: String = if case .header(let h) = spec.timestamp { h } else { "timestamp" }
            return .decided(.invalid, "timestamp missing: header \(name) missing")
        }
        guard let id = parsed.id else {
            return .decided(.invalid, "message id header \(spec.idHeader ?? "") missing")
        }
        let check = TimestampCheck.evaluate(
            raw: String(decoding: ts, as: UTF8.self), unit: spec.timestampUnit, tolerance: spec.tolerance,
            checkFuture: spec.checkFuture, receivedAt: ctx.request.receivedAt, now: ctx.now)
        lines += check.lines
        let signatures = parsed.asymmetric.map { Base64.decode($0) }
        for (i, text) in parsed.asymmetric.enumerated() {
            let label = parsed.asymmetric.count > 1 ? "received v1a #\(i + 1)" : "received v1a"
            let problem = signatures[i] == nil ? "  (not valid base64)" : signatures[i]?.count != 64 ? "  (not 64 bytes)" : ""
            lines.append("\(label): v1a,\(abbreviate(text, max: 100))\(problem)")
        }
        func verifies(_ body: [UInt8]) -> (key: Int, signature: Int)? {
            let message = HMACEngine.message(spec, body: body, timestamp: ts, id: id, url: nil, method: ctx.request.method)
            for (k, key) in keys.enumerated() {
                for (s, sig) in signatures.enumerated() {
                    if let sig, sig.count == 64, key.key.isValidSignature(sig, for: message) { return (k, s) }
                }
            }
            return nil
        }
        if let match = verifies(ctx.body) {
            var which: [String] = []
            if keys.count > 1 { which.append("key #\(match.key + 1) of \(keys.count)") }
            if signatures.count > 1 { which.append("v1a signature #\(match.signature + 1) of \(signatures.count)") }
            lines.append("match: v1a (Ed25519) signature verifies with \(maskSecret(secrets[keys[match.key].index]))" + (which.isEmpty ? "" : " (\(which.joined(separator: ", ")))"))
            if !check.ok, let problem = check.problem {
                return .decided(.invalid, "v1a signature verifies but \(problem)")
            }
            return .decided(.valid, "v1a (Ed25519) signature verifies" + (which.isEmpty ? "" : " (\(which.joined(separator: ", ")))"))
        }
        if hasHMACEntries, !hmacSecrets.isEmpty {
            lines.append("note: no v1a signature verifies with the public key; checking the v1 HMAC entries")
            return .continueWithHMAC(hmacSecrets)
        }
        var why = "v1a signature does not verify with the configured public key: a different key pair, or the body, id or timestamp was altered"
        var diagnosis = DiagnosisState.complete
        switch ctx.firstBodyVariant(where: { verifies($0) != nil }) {
        case .found(let variant): why = "body: the v1a signature verifies for the body \(variant.label): \(variant.meaning)"
        case .notFound: break
        case .skipped:
            why = "v1a signature does not verify with the configured public key \(ctx.notDiagnosed)"
            diagnosis = ctx.skippedDiagnosis
        }
        lines.append("why: \(why)")
        if !check.ok, let problem = check.problem { return .decided(.invalid, "v1a signature mismatch; also \(problem)") }
        return .decided(.invalid, why, diagnosis)
    }
}
