import Foundation
import HookCore

/// Signing a new request as a provider would (`hookscope send`): the headers its scheme needs,
/// then `resign` fills them in.
extension SignatureVerifier {
    /// The headers a request from `provider` needs before `signed(_:as:now:targetURL:)` can sign
    /// it: the signature header with a placeholder, and the timestamp and message-id headers where
    /// the scheme has them. A failure says why hookscope cannot sign as that provider (the
    /// asymmetric schemes' private keys stay with the provider, for one).
    public func headersToSign(for provider: String, messageID: String) -> Result<[HeaderField], ResignError> {
        let custom = customSchemes.filter { $0.id == provider }.map { Candidate.hmac($0.spec) }
        guard let candidate = (custom + Candidate.defaults(for: provider)).first else {
            return .failure(ResignError("unknown provider '\(provider)' (see `hookscope providers`)"))
        }
        switch candidate {
        case .hmac(let spec):
            let placeholder: String = switch spec.format {
            case .single(let prefix, _): (prefix ?? "") + "00"
            case .keyed(let separator, let timestampKey, let signatureKey):
                ((timestampKey.map { ["\($0)=0"] } ?? []) + ["\(signatureKey)=00"]).joined(separator: String(separator))
            case .versionedList(let version): "\(version),AA=="
            }
            var headers = [HeaderField(spec.headers[0], placeholder)]
            if case .header(let name) = spec.timestamp { headers.append(HeaderField(name, "0")) }
            if let idHeader = spec.idHeader, spec.parts.contains(.id) { headers.append(HeaderField(idHeader, messageID)) }
            return .success(headers)
        case .twilio:
            return .success([HeaderField("X-Twilio-Signature", "AA==")])
        case .discord, .sendgrid:
            return .failure(ResignError("cannot sign as \(provider): the scheme is asymmetric and only the provider holds the private key"))
        case .mailgun:
            return .failure(ResignError("cannot sign as mailgun: its signature is inside the body's form fields, which `send` does not write yet"))
        case .gitlabToken:
            return .failure(ResignError("cannot sign as gitlab: its token is the secret itself, and hookscope does not write secrets into requests"))
        case .hubspotLegacy:
            return .failure(ResignError("cannot sign as hubspot v1/v2"))
        }
    }

    /// `request` signed as `provider` at `now`, with only that provider's secrets and schemes,
    /// and checked: a signature this verifier would not call `valid` is a failure, never sent.
    /// `targetURL` is the URL it goes to (URL-signed schemes sign it). The body was built for this
    /// delivery, so a timestamp inside it (Linear's `webhookTimestamp`) is fresh.
    public func signed(_ request: CapturedRequest, as provider: String, now: CaptureTime, targetURL: String) -> Result<CapturedRequest, ResignError> {
        var only = self
        only.secrets = SecretBook(secrets.secrets(for: provider).map { (provider, $0) })
        only.pins = [ProviderPin(pathPrefix: "/", provider: provider)]
        guard !only.secrets.isEmpty else {
            return .failure(ResignError(
                "no secret for \(provider): pass --secret \(provider)=…, set \(SecretBook.environmentVariable(for: provider)), or add it under [secrets] in the config file"))
        }
        var request = request
        switch only.resign(request, now: now, targetURL: targetURL, bodyIsFresh: true) {
        case .success(let headers): request.headers = headers
        case .failure(let error): return .failure(error)
        }
        request.receivedAt = now
        let check = only.summary(for: request, now: now)
        guard check.status == .valid else {
            return .failure(ResignError("the signed request does not verify as \(provider) (\(check.detail)); nothing was sent"))
        }
        return .success(request)
    }
}
