import Crypto
import Foundation
import HookCore

/// Why a request cannot be re-signed. The message never contains a secret.
public struct ResignError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension SignatureVerifier {
    /// New headers for replaying `request` at `now`: the timestamp refreshed and the signature
    /// recomputed with the configured secret (the first one for the provider). Returns the full
    /// header list in the original order. `targetURL` is the URL the replay goes to, for schemes that
    /// sign the URL (Square, Trello, HubSpot v3, custom `{url}`); without it the URL the original was
    /// verified against is used. `bodyIsFresh` says the body was just written with the current
    /// time (`hookscope send`), so a timestamp inside it does not stop the re-signing.
    public func resign(
        _ request: CapturedRequest, now: CaptureTime, targetURL: String? = nil, bodyIsFresh: Bool = false
    ) -> Result<[HeaderField], ResignError> {
        let candidates = candidates(for: request)
        guard !candidates.isEmpty else {
            return .failure(ResignError("no signature scheme recognised: nothing to re-sign"))
        }
        let ctx = VerifyContext(request: request, now: now, publicURL: publicURL)
        // Prefer the scheme whose secret verifies the original, then any scheme with a secret.
        let withSecret = candidates.filter { !keys(for: $0.provider).isEmpty }
        guard !withSecret.isEmpty else {
            let ids = Array(Set(candidates.map(\.provider))).sorted()
            return .failure(ResignError("cannot re-sign: no secret for \(ids.joined(separator: " or ")) (set --secret \(ids[0])=… or \(SecretBook.environmentVariable(for: ids[0])))"))
        }
        let chosen = withSecret.first { evaluate($0, ctx)?.status == .valid } ?? withSecret[0]
        let secret = keys(for: chosen.provider)[0]
        switch chosen {
        case .hmac(let spec):
            return resignHMAC(spec, request: request, ctx: ctx, secret: secret, now: now, targetURL: targetURL, bodyIsFresh: bodyIsFresh)
        case .discord, .sendgrid:
            return .failure(ResignError("cannot re-sign \(chosen.provider): the scheme is asymmetric and only the provider holds the private key"))
        case .mailgun:
            return .failure(ResignError("cannot re-sign mailgun: the signature and timestamp are inside the body; replay it unchanged (tokens should be single-use)"))
        case .twilio:
            return resignTwilio(request, ctx: ctx, secret: secret, targetURL: targetURL)
        case .hubspotLegacy:
            return .failure(ResignError("cannot re-sign hubspot v1/v2: legacy signatures have no timestamp, the original stays valid"))
        case .gitlabToken:
            // The token is the secret itself and never expires: a capture that carries the right
            // one is replayed as it is. Writing the secret into a request is not something
            // re-signing does (it would then be stored with the replay).
            guard evaluate(chosen, ctx)?.status == .valid else {
                return .failure(ResignError("cannot re-sign gitlab: the captured X-Gitlab-Token is not the configured secret token, and hookscope does not write secrets into requests"))
            }
            return .success(request.headers)
        }
    }

    /// What signs the re-signed request: the scheme's MAC with its key, or a Standard Webhooks
    /// `whsk_` Ed25519 key (written as a `v1a` entry).
    private enum Signer {
        case mac([UInt8])
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    private static func notBase64(_ spec: HMACSpec) -> ResignError {
        ResignError("cannot re-sign \(spec.provider): the configured secret is not valid base64 after `whsec_`")
    }

    private func resignHMAC(
        _ spec: HMACSpec, request: CapturedRequest, ctx: VerifyContext, secret: String, now: CaptureTime, targetURL: String?,
        bodyIsFresh: Bool
    ) -> Result<[HeaderField], ResignError> {
        guard let parsed = HMACEngine.parse(spec, ctx) else {
            return .failure(ResignError("cannot re-sign \(spec.provider): the request has no \(spec.headers[0]) header"))
        }
        // Standard Webhooks: an asymmetric `whsk_` key signs `v1a`, a `whsec_` secret signs `v1`.
        let signer: Signer
        if case .versionedList = spec.format {
            let all = keys(for: spec.provider)
            let symmetric = all.first { !StandardWebhooksKeys.looksAsymmetric($0) }
            let signing = all.lazy.compactMap { StandardWebhooksKeys.privateKey(from: $0) }.first
            let onlyV1a = parsed.signatures.isEmpty && !parsed.asymmetric.isEmpty
            if let signing, onlyV1a || symmetric == nil {
                signer = .ed25519(signing)
            } else if let symmetric {
                guard let key = spec.keyFormat.key(from: symmetric) else { return .failure(Self.notBase64(spec)) }
                signer = .mac(key)
            } else {
                return .failure(ResignError("cannot re-sign \(spec.provider): only a `whpk_` public key is set; a v1a signature needs the sender's `whsk_` secret key, a v1 signature the `whsec_` secret"))
            }
        } else {
            guard let key = spec.keyFormat.key(from: secret) else { return .failure(Self.notBase64(spec)) }
            signer = .mac(key)
        }
        if case .jsonBodyField = spec.timestamp, parsed.timestamp != nil, !bodyIsFresh {
            return .failure(ResignError("cannot re-sign \(spec.provider): its timestamp is inside the signed body and would stay old"))
        }
        if spec.parts.contains(.id), parsed.id == nil {
            return .failure(ResignError("cannot re-sign \(spec.provider): the message id header \(spec.idHeader ?? "") is missing"))
        }
        var url: String?
        if spec.signsURL {
            url = targetURL ?? ctx.urls.first
            guard url != nil else {
                return .failure(ResignError("cannot re-sign \(spec.provider): the signed URL is unknown (no Host header, --public-url or target URL)"))
            }
        }
        var timestamp: [UInt8]?
        if spec.parts.contains(.timestamp) || spec.timestamp == .signatureField {
            timestamp = Array(Self.format(now, unit: spec.timestampUnit, like: parsed.timestamp).utf8)
        }
        let message = HMACEngine.message(spec, body: ctx.body, timestamp: timestamp, id: parsed.id, url: url, method: request.method)
        let encoded: String
        switch signer {
        case .mac(let key):
            encoded = spec.encoding.encode(spec.algorithm.mac(key: key, message: message))
        case .ed25519(let key):
            guard let signature = try? key.signature(for: message) else {
                return .failure(ResignError("cannot re-sign \(spec.provider): Ed25519 signing failed"))
            }
            encoded = Data(signature).base64EncodedString()
        }
        let ts = timestamp.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let signatureValue: String = switch spec.format {
        case .single(let prefix, _): (prefix ?? "") + encoded
        case .keyed(let separator, let timestampKey, let signatureKey):
            (timestampKey.map { ["\($0)=\(ts)"] } ?? []).appending("\(signatureKey)=\(encoded)").joined(separator: String(separator))
        case .versionedList(let version):
            if case .ed25519 = signer { "v1a,\(encoded)" } else { "\(version),\(encoded)" }
        }
        var headers: [HeaderField] = []
        var wroteSignature = false
        var wroteTimestamp = false
        for field in request.headers {
            if field.name.caseInsensitiveCompare(parsed.headerName) == .orderedSame {
                if !wroteSignature { headers.append(HeaderField(field.name, signatureValue)) }
                wroteSignature = true
            } else if case .header(let name) = spec.timestamp, field.name.caseInsensitiveCompare(name) == .orderedSame {
                headers.append(HeaderField(field.name, ts))
                wroteTimestamp = true
            } else {
                headers.append(field)
            }
        }
        // The capture lacked the timestamp header the signature now covers: it goes in after the
        // signature, or the re-signed replay could not verify.
        if case .header(let name) = spec.timestamp, !wroteTimestamp,
           let at = headers.firstIndex(where: { $0.name.caseInsensitiveCompare(parsed.headerName) == .orderedSame }) {
            headers.insert(HeaderField(name, ts), at: at + 1)
        }
        return .success(headers)
    }

    private func resignTwilio(_ request: CapturedRequest, ctx: VerifyContext, secret: String, targetURL: String?) -> Result<[HeaderField], ResignError> {
        guard let url = targetURL ?? ctx.urls.first else {
            return .failure(ResignError("cannot re-sign twilio: the signed URL is unknown (no Host header, --public-url or target URL)"))
        }
        let settings = ctx.header("X-Twilio-Webhooks-Signature-Settings") ?? ""
        let algorithm: MACAlgorithm = settings.uppercased().contains("HMAC_SHA256") ? .hmacSHA256 : .hmacSHA1
        let contentType = ctx.header("Content-Type")?.lowercased() ?? ""
        // A JSON body's hash is in the URL, which re-signing does not change: it must still match.
        let query = url.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        if let bodyHash = parseForm(Array(query.utf8))?.first(where: { $0.0 == "bodySHA256" })?.1 {
            let actual = sha256Hex(ctx.body)
            guard bodyHash.lowercased() == actual else {
                return .failure(ResignError("cannot re-sign twilio: the URL's bodySHA256 is not the SHA-256 of this body; put bodySHA256=\(actual) in the URL"))
            }
        }
        let isForm = !url.contains("bodySHA256=") && (contentType.contains("x-www-form-urlencoded") || (contentType.isEmpty && parseForm(ctx.body) != nil))
        let mac = algorithm.mac(key: Array(secret.utf8), message: OtherSchemes.twilioMessage(url: url, body: ctx.body, isForm: isForm))
        let value = Data(mac).base64EncodedString()
        return .success(request.headers.map { $0.name.caseInsensitiveCompare("X-Twilio-Signature") == .orderedSame ? HeaderField($0.name, value) : $0 })
    }

    /// A timestamp in the unit a scheme uses, shaped like the original value when there is one.
    static func format(_ time: CaptureTime, unit: TimestampUnit, like original: [UInt8]?) -> String {
        let seconds = time.secondsSince1970
        switch unit {
        case .seconds: return String(seconds)
        case .milliseconds: return String(time.nanosecondsSince1970 / 1_000_000)
        case .rfc3339:
            let nanos = String(time.nanosecondsSince1970 % 1_000_000_000)
            return String(time.rfc3339.prefix(19)) + "." + String(repeating: "0", count: 9 - nanos.count) + nanos + "Z"
        case .auto:
            let text = original.map { String(decoding: $0, as: UTF8.self) } ?? ""
            if !text.isEmpty, !text.allSatisfy(\.isNumber) { return format(time, unit: .rfc3339, like: nil) }
            if text.count >= 13 { return String(time.nanosecondsSince1970 / 1_000_000) }
            return String(seconds)
        }
    }
}

private extension Array {
    func appending(_ element: Element) -> [Element] { self + [element] }
}
