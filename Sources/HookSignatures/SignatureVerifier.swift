import Foundation
import HookCore

/// `--provider PATH=NAME`: requests whose path starts with `pathPrefix` are checked only as `provider`.
public struct ProviderPin: Sendable, Hashable {
    public var pathPrefix: String
    public var provider: String

    public init(pathPrefix: String, provider: String) {
        self.pathPrefix = pathPrefix
        self.provider = provider
    }

    /// Parses `PATH=NAME`, e.g. `/hooks/stripe=stripe`. `extraIDs` are custom scheme ids.
    public static func parse(_ value: String, extraIDs: Set<String> = []) throws -> ProviderPin {
        guard let eq = value.lastIndex(of: "=") else {
            throw SecretError("--provider wants PATH=NAME (e.g. /hooks/stripe=stripe)")
        }
        let path = String(value[..<eq])
        let name = value[value.index(after: eq)...].trimmingCharacters(in: .whitespaces).lowercased()
        guard path.hasPrefix("/") else { throw SecretError("--provider PATH=NAME: the path must start with '/'") }
        guard ProviderCatalog.ids.contains(name) || extraIDs.contains(name) else {
            throw SecretError("unknown provider '\(abbreviate(name, max: 40))' in --provider; see `hookscope providers`")
        }
        return ProviderPin(pathPrefix: path, provider: name)
    }
}

/// The verdict and its explanation.
public struct SignatureReport: Sendable, Hashable {
    /// Provider, status and the one most important reason, as stored and listed.
    public var summary: SignatureSummary
    /// The full diagnosis for the signature pane and `hookscope verify`.
    public var lines: [String]

    public init(summary: SignatureSummary, lines: [String]) {
        self.summary = summary
        self.lines = lines
    }
}

/// Verifies captured requests against the configured secrets, and says why when they do not verify.
public struct SignatureVerifier: Sendable {
    public var secrets: SecretBook
    public var pins: [ProviderPin]
    public var customSchemes: [CustomScheme]
    /// The public base URL the sender calls (e.g. a tunnel), for URL-signed schemes.
    public var publicURL: String?

    public init(secrets: SecretBook, pins: [ProviderPin] = [], customSchemes: [CustomScheme] = [], publicURL: String? = nil) {
        self.secrets = secrets
        self.pins = pins
        self.customSchemes = customSchemes
        self.publicURL = publicURL
    }

    /// The pin that applies to a path (longest matching prefix).
    func pin(for path: String) -> ProviderPin? {
        guard !pins.isEmpty else { return nil }
        return pins.filter { path.hasPrefix($0.pathPrefix) }.max { $0.pathPrefix.count < $1.pathPrefix.count }
    }

    func candidates(for request: CapturedRequest) -> [Candidate] {
        var list = customSchemes.filter { request.headers.first(named: $0.signatureHeader) != nil }.map { Candidate.hmac($0.spec) }
        list += Candidate.detect(request)
        if !pins.isEmpty, let pin = pin(for: request.path) {
            let pinned = list.filter { $0.provider == pin.provider }
            if !pinned.isEmpty { return pinned }
            if let custom = customSchemes.first(where: { $0.id == pin.provider }) { return [.hmac(custom.spec)] }
            return Candidate.defaults(for: pin.provider)
        }
        return list
    }

    /// The secrets that verify a provider's requests: its own first, then (for Svix, Clerk, Resend
    /// and Standard Webhooks, one scheme under four names) those of the others of its family.
    func keys(for provider: String) -> [String] {
        let own = secrets.secrets(for: provider)
        guard ProviderCatalog.standardWebhooksFamily.contains(provider) else { return own }
        var all = own
        for other in ["standardwebhooks", "svix", "clerk", "resend"] where other != provider {
            for secret in secrets.secrets(for: other) where !all.contains(secret) { all.append(secret) }
        }
        return all
    }

    func evaluate(_ candidate: Candidate, _ ctx: VerifyContext) -> SchemeOutcome? {
        let secrets = keys(for: candidate.provider)
        switch candidate {
        case .hmac(let spec): return HMACEngine.evaluate(spec, ctx, secrets: secrets)
        case .twilio: return OtherSchemes.twilio(ctx, secrets: secrets)
        case .discord: return OtherSchemes.discord(ctx, secrets: secrets)
        case .sendgrid: return OtherSchemes.sendgrid(ctx, secrets: secrets)
        case .mailgun: return OtherSchemes.mailgun(ctx, secrets: secrets)
        case .gitlabToken: return OtherSchemes.gitlabToken(ctx, secrets: secrets)
        case .hubspotLegacy: return OtherSchemes.hubspotLegacy(ctx, secrets: secrets)
        }
    }

    /// The provider a request's signature headers (or a path pin) name, without verifying anything:
    /// what response rules match `provider` against, on the listener's event loop.
    public func detectedProvider(for request: CapturedRequest) -> String? {
        candidates(for: request).first?.provider
    }

    /// Verifies over the exact body bytes and header values. Timestamp ages are measured against
    /// `request.receivedAt`; `now` only adds how old the request is today (for replays).
    public func verify(_ request: CapturedRequest, now: CaptureTime = .now()) -> SignatureReport {
        verify(request, now: now, wantsLines: true)
    }

    /// The verdict alone, as stored with each capture: the same as `verify(_:now:).summary`, without
    /// building the report's lines (the listener calls this for every request it captures).
    /// With a `diagnosisBudget`, the search for what explains a wrong signature runs only while the
    /// budget has time left; otherwise the detail says the cause was not looked for.
    public func summary(for request: CapturedRequest, now: CaptureTime = .now(), diagnosisBudget: DiagnosisBudget? = nil) -> SignatureSummary {
        verify(request, now: now, wantsLines: false, diagnosisBudget: diagnosisBudget).summary
    }

    private func verify(_ request: CapturedRequest, now: CaptureTime, wantsLines: Bool, diagnosisBudget: DiagnosisBudget? = nil) -> SignatureReport {
        let ctx = VerifyContext(request: request, now: now, publicURL: publicURL, wantsLines: wantsLines, diagnosisBudget: diagnosisBudget)
        let candidates = candidates(for: request)
        let pinned = pins.isEmpty ? nil : pin(for: request.path)
        guard !candidates.isEmpty else {
            return SignatureReport(summary: .unsigned, lines: wantsLines ? ["no signature header recognised (see `hookscope providers`)", "verdict: unsigned"] : [])
        }
        var firstWithSecret: SchemeOutcome?
        var firstWithout: SchemeOutcome?
        for candidate in candidates {
            let hasSecret = !keys(for: candidate.provider).isEmpty
            if !hasSecret {
                if firstWithout == nil { firstWithout = evaluate(candidate, ctx) }
                continue
            }
            guard let outcome = evaluate(candidate, ctx) else { continue }
            if outcome.status == .valid { return report(outcome, alternatives: []) }
            if firstWithSecret == nil { firstWithSecret = outcome }
        }
        // Every candidate was tried: the other providers they name, once each, in order.
        let chosen = (firstWithSecret ?? firstWithout)?.provider
        var others: [String] = []
        for candidate in candidates {
            let provider = candidate.provider
            if provider != chosen, !others.contains(provider) { others.append(provider) }
        }
        if let outcome = firstWithSecret { return report(outcome, alternatives: others) }
        if var outcome = firstWithout {
            if !others.isEmpty, outcome.status == .noSecret {
                outcome.detail += " (the headers also fit: \(others.joined(separator: ", ")))"
            } else if outcome.status == .noSecret, ProviderCatalog.standardWebhooksFamily.contains(outcome.provider) {
                let siblings = ["svix", "clerk", "resend", "standardwebhooks"].filter { $0 != outcome.provider }
                outcome.detail += " (a secret given for \(siblings.joined(separator: ", ")) verifies it too)"
            }
            return report(outcome, alternatives: others)
        }
        if let pinned {
            let header = candidates[0].primaryHeader
            let detail = "path \(pinned.pathPrefix) is pinned to \(pinned.provider) but the request has no \(header)"
            return SignatureReport(
                summary: SignatureSummary(provider: pinned.provider, status: .unsigned, detail: detail),
                lines: ["provider: \(ProviderCatalog.displayName(for: pinned.provider)) (\(pinned.provider)), pinned by path", "verdict: unsigned — \(detail)"])
        }
        return SignatureReport(summary: .unsigned, lines: ["no signature header recognised", "verdict: unsigned"])
    }

    private func report(_ outcome: SchemeOutcome, alternatives: [String]) -> SignatureReport {
        var lines = outcome.lines
        if !alternatives.isEmpty, !lines.isEmpty {
            let withSecret = alternatives.filter { !keys(for: $0).isEmpty }
            let without = alternatives.filter { keys(for: $0).isEmpty }
            var parts: [String] = []
            if !withSecret.isEmpty { parts.append("\(withSecret.joined(separator: ", ")) (their secrets do not verify either)") }
            if !without.isEmpty { parts.append("\(without.joined(separator: ", ")) (no secret configured)") }
            lines.append("also possible from the headers: " + parts.joined(separator: "; "))
        }
        return SignatureReport(
            summary: SignatureSummary(provider: outcome.provider, status: outcome.status, detail: outcome.detail, diagnosis: outcome.diagnosis),
            lines: lines)
    }
}
