import Crypto
import HookCore
import Foundation

/// Schemes that do not fit the HMAC template: Twilio (sorted form parameters), Discord (Ed25519),
/// SendGrid (ECDSA), Mailgun (signature inside the body), GitLab (plain token), HubSpot v1/v2 (SHA-256).
enum OtherSchemes {
    static func header(_ provider: String, _ lines: inout [String], _ ctx: VerifyContext, _ names: [String]) {
        lines.append("provider: \(ProviderCatalog.displayName(for: provider)) (\(provider))")
        for name in names {
            if let field = ctx.request.headers.first(named: name) {
                lines.append("header: \(field.name): \(abbreviate(field.value, max: 160))")
            }
        }
    }

    static func finish(_ provider: String, _ lines: [String], _ status: VerdictStatus, _ detail: String) -> SchemeOutcome {
        SchemeOutcome(provider: provider, status: status, detail: detail, lines: lines + ["verdict: \(status.screenWord) — \(detail)"])
    }

    static func noSecret(_ provider: String, _ lines: [String]) -> SchemeOutcome {
        finish(provider, lines, .noSecret, "no secret for \(provider): set --secret \(provider)=… or \(SecretBook.environmentVariable(for: provider))")
    }

    // MARK: Twilio

    static func twilioMessage(url: String, body: [UInt8], isForm: Bool) -> [UInt8] {
        Array(url.utf8) + twilioFormPart(body: body, isForm: isForm)
    }

    /// What follows the URL in the signed string: each form name followed by its value, sorted by
    /// name and then value, a repeated name and value once (nothing for a body that is not a form).
    static func twilioFormPart(body: [UInt8], isForm: Bool) -> [UInt8] {
        guard isForm, var pairs = parseFormBytes(body) else { return [] }
        pairs.sort { $0.0 == $1.0 ? $0.1.lexicographicallyPrecedes($1.1) : $0.0.lexicographicallyPrecedes($1.0) }
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        for (i, pair) in pairs.enumerated() where i == 0 || pairs[i - 1] != pair {
            out += pair.0
            out += pair.1
        }
        return out
    }

    static func twilio(_ ctx: VerifyContext, secrets: [String]) -> SchemeOutcome? {
        guard let sigText = ctx.header("X-Twilio-Signature") else { return nil }
        var lines: [String] = []
        header("twilio", &lines, ctx, ["X-Twilio-Signature", "X-Twilio-Webhooks-Signature-Settings"])
        let settings = ctx.header("X-Twilio-Webhooks-Signature-Settings") ?? ""
        let algorithm: MACAlgorithm = settings.uppercased().contains("HMAC_SHA256") ? .hmacSHA256 : .hmacSHA1
        let contentType = ctx.header("Content-Type")?.lowercased() ?? ""
        let query = ctx.request.target.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        let bodyHashParam = parseForm(Array(query.utf8))?.first { $0.0 == "bodySHA256" }?.1
        let isForm = bodyHashParam == nil && (contentType.contains("x-www-form-urlencoded") || (contentType.isEmpty && parseForm(ctx.body) != nil))
        lines.append("signed string: {url}" + (isForm ? "{sorted form name+value…}" : " (with ?bodySHA256=<hex sha256(body)>)") + "  (\(algorithm.displayName), base64)")
        guard !ctx.urls.isEmpty else {
            return finish("twilio", lines, .invalid, "cannot rebuild the signed URL: no Host header and no --public-url")
        }
        lines.append("url: \(ctx.urls[0])" + (ctx.publicURL == nil ? "; set --public-url if Twilio called another address" : ""))
        lines.append("received: \(sigText)")
        if let bodyHashParam {
            let actual = sha256Hex(ctx.body)
            if bodyHashParam.lowercased() != actual {
                lines.append("body hash: bodySHA256=\(bodyHashParam) in the URL, sha256(body)=\(actual)")
                var why = "body hash mismatch: the body is not the one Twilio hashed into bodySHA256"
                var skipped = false
                let expected = bodyHashParam.lowercased()
                switch ctx.firstBodyVariant(where: { sha256Hex($0) == expected }) {
                case .found(let variant): why = "body hash mismatch: bodySHA256 matches the body \(variant.label): \(variant.meaning)"
                case .notFound: break
                case .skipped:
                    why += " \(ctx.notDiagnosed)"
                    skipped = true
                }
                lines.append("why: \(why)")
                let outcome = finish("twilio", lines, secrets.isEmpty ? .noSecret : .invalid, why)
                return skipped ? outcome.causeSkipped(ctx) : outcome
            }
            lines.append("body hash: matches bodySHA256")
        }
        if secrets.isEmpty { return noSecret("twilio", lines) }
        guard let received = Base64.decode(sigText) else {
            return finish("twilio", lines, .invalid, "X-Twilio-Signature is not base64")
        }
        // The SDK accepts the URL with and without the default port.
        var urls = ctx.urls
        urls += ctx.alternativeURLs.filter { u in ctx.urls.contains { UrlsEqualIgnoringPort.same($0, u) } }
        for stripped in ctx.urls.compactMap(URLCandidates.withoutPort) where !urls.contains(stripped) {
            urls.append(stripped)
            if let withDefault = URLCandidates.portVariant(stripped), !urls.contains(withDefault) { urls.append(withDefault) }
        }
        // The form part of the signed string, made once per body (not per secret, URL and algorithm).
        let formPart = twilioFormPart(body: ctx.body, isForm: isForm)
        func match(_ alg: MACAlgorithm, _ urls: [String], _ part: [UInt8]) -> (Int, String)? {
            for (si, secret) in secrets.enumerated() {
                for url in urls {
                    let mac = alg.mac(key: Array(secret.utf8), message: Array(url.utf8) + part)
                    if constantTimeEqual(mac, received) { return (si, url) }
                }
            }
            return nil
        }
        for (si, secret) in secrets.enumerated() {
            let mac = algorithm.mac(key: Array(secret.utf8), message: Array(urls[0].utf8) + formPart)
            lines.append("expected (secret\(secrets.count > 1 ? " #\(si + 1)" : "") \(maskSecret(secret))): \(Data(mac).base64EncodedString())")
        }
        if let (si, url) = match(algorithm, urls, formPart) {
            lines.append("matched url: \(url)")
            return finish("twilio", lines, .valid, "signature matches" + (secrets.count > 1 ? " (secret #\(si + 1) of \(secrets.count))" : ""))
        }
        let diagnosed = ctx.diagnosing { () -> [String] in
            var reasons: [String] = []
            let other: MACAlgorithm = algorithm == .hmacSHA1 ? .hmacSHA256 : .hmacSHA1
            if match(other, urls, formPart) != nil {
                reasons.append("wrong scheme version: the signature is \(other.displayName), but the request says \(algorithm.displayName)" + (other == .hmacSHA256 ? " (SharedKey signatures need X-Twilio-Webhooks-Signature-Settings: algorithm=HMAC_SHA256)" : " (Auth Token signatures are HMAC-SHA1)"))
            }
            if let (_, url) = match(algorithm, ctx.alternativeURLs.filter { !urls.contains($0) }, formPart) {
                reasons.append("url: the signature matches the URL \(url), not \(ctx.urls[0]): the sender called a different address (proxy, port or scheme); set --public-url to it")
            }
            if isForm {
                for variant in BodyVariants.of(ctx.body) where match(algorithm, urls, twilioFormPart(body: variant.bytes, isForm: isForm)) != nil {
                    reasons.append("body: the signature matches the form \(variant.label): \(variant.meaning)")
                    break
                }
            }
            return reasons
        }
        guard let reasons = diagnosed else {
            return finish("twilio", lines, .invalid, "signature mismatch \(ctx.notDiagnosed)").causeSkipped(ctx)
        }
        reasons.forEach { lines.append("why: \($0)") }
        if reasons.isEmpty { lines.append("why: no URL, port or algorithm variant matches: most likely a different Auth Token (a secondary token does not sign until promoted), or a missing/changed form parameter") }
        return finish("twilio", lines, .invalid, reasons.first ?? "signature mismatch: wrong Auth Token, different URL, or changed parameters")
    }

    // MARK: Discord (Ed25519)

    static func discord(_ ctx: VerifyContext, secrets: [String]) -> SchemeOutcome? {
        guard let sigText = ctx.header("X-Signature-Ed25519") else { return nil }
        var lines: [String] = []
        header("discord", &lines, ctx, ["X-Signature-Ed25519", "X-Signature-Timestamp"])
        lines.append("signed string: {timestamp}{body}  (Ed25519, hex; key = the application's public key)")
        guard let ts = ctx.rawHeader("X-Signature-Timestamp") else {
            return finish("discord", lines, .invalid, "timestamp missing: header X-Signature-Timestamp missing")
        }
        lines += TimestampCheck.evaluate(raw: String(decoding: ts, as: UTF8.self), unit: .auto, tolerance: nil, checkFuture: false, receivedAt: ctx.request.receivedAt, now: ctx.now).lines
        if secrets.isEmpty { return noSecret("discord", lines) }
        guard let sig = Hex.decode(sigText.trimmingCharacters(in: .whitespaces)), sig.count == 64 else {
            return finish("discord", lines, .invalid, "X-Signature-Ed25519 is not 64 bytes of hex")
        }
        var keys: [Curve25519.Signing.PublicKey] = []
        for (i, secret) in secrets.enumerated() {
            if let raw = Hex.decode(secret.trimmingCharacters(in: .whitespaces)), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) {
                keys.append(key)
            } else {
                lines.append("note: secret #\(i + 1) (\(maskSecret(secret))) is not a 32-byte hex public key (Developer Portal > General Information > Public Key)")
            }
        }
        func verifies(_ body: [UInt8]) -> Int? {
            keys.firstIndex { $0.isValidSignature(sig, for: ts + body) }
        }
        if let index = verifies(ctx.body) {
            return finish("discord", lines, .valid, "signature verifies" + (keys.count > 1 ? " (key #\(index + 1) of \(keys.count))" : ""))
        }
        var why = "signature does not verify with the configured public key (Discord also sends deliberately bad signatures; they must get 401)"
        var skipped = false
        switch ctx.firstBodyVariant(where: { verifies($0) != nil }) {
        case .found(let variant): why = "body: the signature verifies for the body \(variant.label): \(variant.meaning)"
        case .notFound: break
        case .skipped:
            why = "signature does not verify with the configured public key \(ctx.notDiagnosed)"
            skipped = true
        }
        lines.append("why: \(why)")
        let outcome = finish("discord", lines, .invalid, why)
        return skipped ? outcome.causeSkipped(ctx) : outcome
    }

    // MARK: SendGrid (ECDSA P-256)

    static func sendgridKey(_ secret: String) -> P256.Signing.PublicKey? {
        let text = secret
            .replacingOccurrences(of: "-----BEGIN PUBLIC KEY-----", with: "")
            .replacingOccurrences(of: "-----END PUBLIC KEY-----", with: "")
            .components(separatedBy: .whitespacesAndNewlines).joined()
        guard let der = Base64.decode(text) else { return nil }
        return try? P256.Signing.PublicKey(derRepresentation: der)
    }

    static func sendgrid(_ ctx: VerifyContext, secrets: [String]) -> SchemeOutcome? {
        guard let sigText = ctx.header("X-Twilio-Email-Event-Webhook-Signature") else { return nil }
        var lines: [String] = []
        header("sendgrid", &lines, ctx, ["X-Twilio-Email-Event-Webhook-Signature", "X-Twilio-Email-Event-Webhook-Timestamp"])
        lines.append("signed string: {timestamp}{body}  (ECDSA P-256 with SHA-256, base64 DER; key = the public key from Mail Settings)")
        guard let ts = ctx.rawHeader("X-Twilio-Email-Event-Webhook-Timestamp") else {
            return finish("sendgrid", lines, .invalid, "timestamp missing: header X-Twilio-Email-Event-Webhook-Timestamp missing")
        }
        lines += TimestampCheck.evaluate(raw: String(decoding: ts, as: UTF8.self), unit: .auto, tolerance: nil, checkFuture: false, receivedAt: ctx.request.receivedAt, now: ctx.now).lines
        if secrets.isEmpty { return noSecret("sendgrid", lines) }
        guard let der = Base64.decode(sigText), let sig = try? P256.Signing.ECDSASignature(derRepresentation: der) else {
            return finish("sendgrid", lines, .invalid, "the signature is not a base64 DER ECDSA signature")
        }
        var keys: [P256.Signing.PublicKey] = []
        for (i, secret) in secrets.enumerated() {
            if let key = sendgridKey(secret) { keys.append(key) } else {
                lines.append("note: secret #\(i + 1) (\(maskSecret(secret))) is not a base64 DER P-256 public key")
            }
        }
        func verifies(_ body: [UInt8]) -> Int? {
            keys.firstIndex { $0.isValidSignature(sig, for: Data(ts + body)) }
        }
        if let index = verifies(ctx.body) {
            return finish("sendgrid", lines, .valid, "signature verifies" + (keys.count > 1 ? " (key #\(index + 1) of \(keys.count))" : ""))
        }
        var why = "signature does not verify with the configured public key"
        var skipped = false
        switch ctx.firstBodyVariant(where: { verifies($0) != nil }) {
        case .found(let variant): why = "body: the signature verifies for the body \(variant.label): \(variant.meaning)"
        case .notFound: break
        case .skipped:
            why += " \(ctx.notDiagnosed)"
            skipped = true
        }
        lines.append("why: \(why)")
        let outcome = finish("sendgrid", lines, .invalid, why)
        return skipped ? outcome.causeSkipped(ctx) : outcome
    }

    // MARK: Mailgun

    static func mailgun(_ ctx: VerifyContext, secrets: [String]) -> SchemeOutcome? {
        guard let fields = MailgunFields.parse(ctx.body) else { return nil }
        var lines = ["provider: Mailgun (mailgun)", "signature: in the body (\(fields.source))", "signed string: {timestamp}{token}  (HMAC-SHA256, hex; the body itself is not signed)"]
        let check = TimestampCheck.evaluate(raw: fields.timestamp, unit: .auto, tolerance: 900, checkFuture: true, receivedAt: ctx.request.receivedAt, now: ctx.now)
        lines += check.lines
        lines.append("received: \(fields.signature)")
        if secrets.isEmpty { return noSecret("mailgun", lines) }
        let message = Array((fields.timestamp + fields.token).utf8)
        let received = Hex.decode(fields.signature)
        for (si, secret) in secrets.enumerated() {
            let mac = MACAlgorithm.hmacSHA256.mac(key: Array(secret.utf8), message: message)
            lines.append("expected (secret\(secrets.count > 1 ? " #\(si + 1)" : "") \(maskSecret(secret))): \(Hex.encode(mac))")
            if let received, constantTimeEqual(received, mac) {
                if !check.ok, let problem = check.problem { return finish("mailgun", lines, .invalid, "signature matches but \(problem)") }
                return finish("mailgun", lines, .valid, "signature matches" + (secrets.count > 1 ? " (secret #\(si + 1) of \(secrets.count))" : "") + "; note: event data is not covered by it")
            }
        }
        let why = "signature mismatch: use the HTTP webhook signing key (not the API key)"
        lines.append("why: \(why)")
        return finish("mailgun", lines, .invalid, why)
    }

    // MARK: GitLab token

    static func gitlabToken(_ ctx: VerifyContext, secrets: [String]) -> SchemeOutcome? {
        guard let token = ctx.rawHeader("X-Gitlab-Token") else { return nil }
        var lines = ["provider: GitLab (gitlab)", "header: X-Gitlab-Token: \(maskSecret(String(decoding: token, as: UTF8.self)))",
                     "scheme: the secret token is sent in clear and compared; the body is not signed and there is no replay protection"]
        if secrets.isEmpty { return noSecret("gitlab", lines) }
        for (si, secret) in secrets.enumerated() where constantTimeEqual(Array(secret.utf8), token) {
            return finish("gitlab", lines, .valid, "token matches" + (secrets.count > 1 ? " (secret #\(si + 1) of \(secrets.count))" : ""))
        }
        let trimmed = String(decoding: token, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        var why = "token does not match the configured secret token"
        if secrets.contains(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines) == trimmed }) {
            why = "token matches only after trimming whitespace: the configured secret or the sent token has stray spaces/newline"
        }
        lines.append("why: \(why)")
        return finish("gitlab", lines, .invalid, why)
    }

    // MARK: HubSpot v1/v2

    static func hubspotLegacy(_ ctx: VerifyContext, secrets: [String]) -> SchemeOutcome? {
        guard let sig = ctx.header("X-HubSpot-Signature")?.trimmingCharacters(in: .whitespaces).lowercased() else { return nil }
        var lines: [String] = []
        header("hubspot", &lines, ctx, ["X-HubSpot-Signature", "X-HubSpot-Signature-Version"])
        let version = (ctx.header("X-HubSpot-Signature-Version") ?? "v1").trimmingCharacters(in: .whitespaces).lowercased()
        lines.append("signed string: " + (version == "v2" ? "{secret}{method}{url}{body}" : "{secret}{body}") + "  (plain SHA-256, hex; legacy \(version), no timestamp: replayable)")
        if version == "v2" && ctx.urls.isEmpty {
            return finish("hubspot", lines, .invalid, "cannot rebuild the signed URL: no Host header and no --public-url")
        }
        if secrets.isEmpty { return noSecret("hubspot", lines) }
        let method = ctx.request.method
        func v1(_ secret: String) -> String { sha256Hex(Array(secret.utf8) + ctx.body) }
        func v2(_ secret: String, _ url: String) -> String { sha256Hex(Array(secret.utf8) + Array(method.utf8) + Array(url.utf8) + ctx.body) }
        let sigBytes = Array(sig.utf8)
        for (si, secret) in secrets.enumerated() {
            let expected = version == "v2" ? v2(secret, ctx.urls[0]) : v1(secret)
            lines.append("expected (secret\(secrets.count > 1 ? " #\(si + 1)" : "") \(maskSecret(secret))): \(expected)")
            if version == "v2" {
                for url in ctx.urls where constantTimeEqual(Array(v2(secret, url).utf8), sigBytes) {
                    return finish("hubspot", lines, .valid, "v2 signature matches")
                }
            } else if constantTimeEqual(Array(v1(secret).utf8), sigBytes) {
                return finish("hubspot", lines, .valid, "v1 signature matches")
            }
        }
        var why = "signature mismatch: wrong client secret or altered body"
        for secret in secrets {
            if version == "v2", constantTimeEqual(Array(v1(secret).utf8), sigBytes) {
                why = "wrong scheme version: the signature is v1 (secret + body) but X-HubSpot-Signature-Version says v2"
            }
            if version != "v2", ctx.urls.contains(where: { constantTimeEqual(Array(v2(secret, $0).utf8), sigBytes) }) {
                why = "wrong scheme version: the signature is v2 (secret + method + URL + body) but X-HubSpot-Signature-Version says \(version)"
            }
            if version == "v2", let url = ctx.alternativeURLs.first(where: { constantTimeEqual(Array(v2(secret, $0).utf8), sigBytes) }) {
                why = "url: the signature matches the URL \(url), not \(ctx.urls[0]); set --public-url to it"
            }
        }
        lines.append("why: \(why)")
        return finish("hubspot", lines, .invalid, why)
    }
}

/// Mailgun's signature fields, from a JSON body (`signature.{timestamp,token,signature}`) or a form body.
struct MailgunFields {
    var timestamp: String
    var token: String
    var signature: String
    var source: String

    /// The pre-check of `parse` over the stored body, without copying it: false when `parse` is nil.
    static func mayBeIn(_ body: Data) -> Bool {
        !body.isEmpty && body.count <= 1 << 20 && contains(body, signatureWord) && contains(body, tokenWord)
    }

    private static let signatureWord = Array("signature".utf8)
    private static let tokenWord = Array("token".utf8)

    static func parse(_ body: [UInt8]) -> MailgunFields? {
        // Cheap pre-check first: this runs on every unsigned request's body.
        guard !body.isEmpty, body.count <= 1 << 20, contains(body, signatureWord), contains(body, tokenWord) else {
            return nil
        }
        if body.first == UInt8(ascii: "{"),
           let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
           let sig = object["signature"] as? [String: Any],
           let token = sig["token"] as? String, let signature = sig["signature"] as? String {
            let ts: String? = (sig["timestamp"] as? String) ?? (sig["timestamp"] as? NSNumber)?.stringValue
            if let ts { return MailgunFields(timestamp: ts, token: token, signature: signature, source: "JSON signature object") }
        }
        if let pairs = parseForm(body) {
            let dict = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
            if let ts = dict["timestamp"], let token = dict["token"], let signature = dict["signature"] {
                return MailgunFields(timestamp: ts, token: token, signature: signature, source: "form fields")
            }
        }
        return nil
    }
}

/// Whether `needle` occurs in `haystack` (memchr on the first byte, then a compare).
func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    haystack.withUnsafeBytes { contains($0, needle) }
}

/// Whether `needle` occurs in `haystack`, for bytes that need no copy (a `Data` body).
func contains(_ haystack: Data, _ needle: [UInt8]) -> Bool {
    haystack.withUnsafeBytes { contains($0, needle) }
}

func contains(_ hay: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
    guard let first = needle.first, needle.count <= hay.count, let base = hay.baseAddress else { return needle.isEmpty }
    return needle.withUnsafeBufferPointer { ndl in
        var index = 0
        let last = hay.count - ndl.count
        while index <= last {
            guard let found = memchr(base + index, Int32(first), last - index + 1) else { return false }
            let position = base.distance(to: UnsafeRawPointer(found))
            if memcmp(base + position, ndl.baseAddress!, ndl.count) == 0 { return true }
            index = position + 1
        }
        return false
    }
}
