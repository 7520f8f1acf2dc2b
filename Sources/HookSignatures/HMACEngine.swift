import Foundation
import HookCore
import Synchronization

/// The signature values, timestamp and id read from a request for one HMAC scheme.
struct ParsedHMACHeaders {
    var headerName: String
    var headerValues: [String]
    var signatures: [String]
    var timestamp: [UInt8]?
    var id: [UInt8]?
    var notes: [String]
    /// Standard Webhooks `v1a,<base64>` entries (Ed25519), kept apart from the HMAC signatures.
    var asymmetric: [String] = []
}

enum HMACEngine {
    static func parse(_ spec: HMACSpec, _ ctx: VerifyContext) -> ParsedHMACHeaders? {
        // The first of the spec's names that is present; its fields are that one and the later ones
        // with the same name (read in place, not copied out).
        let headers = ctx.request.headers
        var found: (name: String, index: Int)?
        for candidate in spec.headers {
            if let index = headers.firstIndex(where: { $0.hasName(candidate) }) {
                found = (candidate, index)
                break
            }
        }
        guard let (name, firstIndex) = found else { return nil }
        let fields = headers[firstIndex...].lazy.filter { $0.hasName(name) }
        // The header values and notes are only shown in the report's lines.
        let wantsLines = ctx.wantsLines
        var parsed = ParsedHMACHeaders(
            headerName: headers[firstIndex].name, headerValues: wantsLines ? fields.map(\.value) : [], signatures: [], notes: [])
        switch spec.format {
        case .single(let prefix, let optional):
            for field in fields {
                let value = trimmingWhitespace(field.value)
                if let prefix, !prefix.isEmpty {
                    if value.lowercased().hasPrefix(prefix.lowercased()) {
                        parsed.signatures.append(String(value.dropFirst(prefix.count)))
                    } else if optional {
                        parsed.signatures.append(value)
                    } else {
                        if wantsLines { parsed.notes.append("the \(name) value lacks the expected `\(prefix)` prefix") }
                        parsed.signatures.append(value)
                    }
                } else {
                    parsed.signatures.append(value)
                }
            }
        case .keyed(let separator, let timestampKey, let signatureKey):
            // ASCII keys are compared with the entries' bytes (no String per entry); other keys
            // compare as Strings (canonical equivalence), as `parseKeyedList` gives them.
            let asciiKeys = isASCII(signatureKey) && timestampKey.map(isASCII) ?? true
            for field in fields {
                let split = asciiKeys && forEachASCIIKeyedEntry(field.rawValue, separator: separator) { key, value in
                    if signatureKey.utf8.elementsEqual(key) {
                        parsed.signatures.append(String(decoding: value, as: UTF8.self))
                    } else if let timestampKey, timestampKey.utf8.elementsEqual(key) {
                        parsed.timestamp = Array(value)
                    } else if wantsLines {
                        parsed.notes.append("ignored `\(String(decoding: key, as: UTF8.self))=` entry (only `\(signatureKey)=` signatures are checked)")
                    }
                }
                if split { continue }
                for (key, value) in parseKeyedList(field.value, separator: separator) {
                    if key == signatureKey {
                        parsed.signatures.append(value)
                    } else if let timestampKey, key == timestampKey {
                        parsed.timestamp = Array(value.utf8)
                    } else if wantsLines {
                        parsed.notes.append("ignored `\(key)=` entry (only `\(signatureKey)=` signatures are checked)")
                    }
                }
            }
        case .versionedList(let version):
            for field in fields {
                for entry in field.value.split(separator: " ") {
                    let pieces = entry.split(separator: ",", maxSplits: 1)
                    if pieces.count == 2, pieces[0] == version {
                        parsed.signatures.append(String(pieces[1]))
                    } else if pieces.count == 2, pieces[0] == "v1a", version == "v1" {
                        parsed.asymmetric.append(String(pieces[1]))
                    } else if wantsLines {
                        parsed.notes.append("ignored entry `\(abbreviate(String(entry), max: 20))` (not `\(version),…`)")
                    }
                }
            }
        }
        switch spec.timestamp {
        case .none, .signatureField: break
        case .header(let header): parsed.timestamp = ctx.rawHeader(header)
        case .jsonBodyField(let key):
            if let object = try? JSONSerialization.jsonObject(with: Data(ctx.body)) as? [String: Any], let value = object[key] {
                if let number = value as? NSNumber { parsed.timestamp = Array(number.stringValue.utf8) }
                else if let text = value as? String { parsed.timestamp = Array(text.utf8) }
            }
        }
        if let idHeader = spec.idHeader { parsed.id = ctx.rawHeader(idHeader) }
        return parsed
    }

    static func message(
        _ spec: HMACSpec, body: [UInt8], timestamp: [UInt8]?, id: [UInt8]?, url: String?, method: String
    ) -> [UInt8] {
        var out: [UInt8] = []
        for part in spec.parts {
            switch part {
            case .timestamp: out += timestamp ?? []
            case .id: out += id ?? []
            case .body: out += body
            case .url: out += Array((url ?? "").utf8)
            case .method: out += Array(method.utf8)
            case .literal(let text): out += Array(text.utf8)
            }
        }
        return out
    }

    struct Match {
        var secretIndex: Int
        var signatureIndex: Int
        var url: String?
    }

    static func findMatch(
        _ spec: HMACSpec, keys: [[UInt8]?], received: [[UInt8]?], body: [UInt8], parsed: ParsedHMACHeaders,
        urls: [String?], method: String, algorithm: MACAlgorithm? = nil
    ) -> Match? {
        let alg = algorithm ?? spec.algorithm
        // A MAC only equals a received signature of its own length: without one, no MAC is computed.
        guard received.contains(where: { $0?.count == alg.byteCount }) else { return nil }
        for (si, key) in keys.enumerated() {
            guard let key else { continue }
            for url in urls {
                let mac = alg.mac(key: key, message: message(spec, body: body, timestamp: parsed.timestamp, id: parsed.id, url: url, method: method))
                for (ri, sig) in received.enumerated() {
                    if let sig, constantTimeEqual(sig, mac) { return Match(secretIndex: si, signatureIndex: ri, url: url) }
                }
            }
        }
        return nil
    }

    static func evaluate(_ spec: HMACSpec, _ ctx: VerifyContext, secrets: [String]) -> SchemeOutcome? {
        guard let parsed = parse(spec, ctx) else { return nil }
        // Report lines are built only when someone will read them (not for the listener's verdict).
        let wantsLines = ctx.wantsLines
        var lines: [String] = []
        if wantsLines {
            let display = ProviderCatalog.displayName(for: spec.provider)
            lines.append("provider: \(display) (\(spec.provider))")
            for value in parsed.headerValues {
                lines.append("header: \(parsed.headerName): \(abbreviate(value, max: 160))")
            }
            var extraHeaders: [String] = []
            if let idHeader = spec.idHeader { extraHeaders.append(idHeader) }
            if case .header(let name) = spec.timestamp { extraHeaders.append(name) }
            for name in extraHeaders {
                if let field = ctx.request.headers.first(named: name) {
                    lines.append("header: \(field.name): \(abbreviate(field.value, max: 160))")
                }
            }
            lines.append("signed string: \(spec.shape)  (\(spec.algorithm.displayName), \(spec.encoding.rawValue)\(spec.writtenPrefix.isEmpty ? "" : ", written `\(spec.writtenPrefix)<sig>`"))")
            lines += parsed.notes.map { "note: \($0)" }
        }
        func outcome(_ status: VerdictStatus, _ detail: String) -> SchemeOutcome {
            SchemeOutcome(
                provider: spec.provider, status: status, detail: detail,
                lines: wantsLines ? lines + ["verdict: \(status.screenWord) — \(detail)"] : [])
        }
        // Standard Webhooks' asymmetric `v1a` entries verify with a `whpk_`/`whsk_` key; the other
        // secrets stay HMAC secrets for the `v1` entries.
        var secrets = secrets
        if !parsed.asymmetric.isEmpty {
            let v1a = StandardWebhooksV1a.evaluate(spec, ctx, parsed: parsed, secrets: secrets, lines: &lines)
            switch v1a {
            case .decided(let status, let detail, let diagnosis):
                var decided = outcome(status, detail)
                decided.diagnosis = diagnosis
                return decided
            case .continueWithHMAC(let hmacSecrets): secrets = hmacSecrets
            }
        }
        if parsed.signatures.isEmpty {
            return outcome(.invalid, "no signature in \(parsed.headerName)")
        }
        if spec.parts.contains(.timestamp), parsed.timestamp == nil {
            if case .jsonBodyField = spec.timestamp {} else {
                let whereText: String = switch spec.timestamp {
                case .header(let h): "header \(h) missing"
                case .signatureField: "no timestamp field in \(parsed.headerName)"
                default: "missing"
                }
                return outcome(.invalid, "timestamp missing: \(whereText)")
            }
        }
        if spec.parts.contains(.id), parsed.id == nil {
            return outcome(.invalid, "message id header \(spec.idHeader ?? "") missing")
        }
        if spec.signsURL, ctx.urls.isEmpty {
            return outcome(.invalid, "cannot rebuild the signed URL: no Host header and no --public-url")
        }
        func noSecret() -> SchemeOutcome {
            outcome(.noSecret, noSecretDetail(spec.provider))
        }
        // Without a secret nothing below changes the verdict; only the report's lines need it.
        if secrets.isEmpty, !wantsLines { return noSecret() }
        var timestampCheck: TimestampCheck?
        if let ts = parsed.timestamp {
            let check = TimestampCheck.evaluate(
                raw: String(decoding: ts, as: UTF8.self), unit: spec.timestampUnit, tolerance: spec.tolerance,
                checkFuture: spec.checkFuture, receivedAt: ctx.request.receivedAt, now: ctx.now, wantsLines: wantsLines)
            lines += check.lines
            timestampCheck = check
        }
        if spec.signsURL, wantsLines {
            lines.append("url: \(ctx.urls[0])" + (ctx.urls.count > 1 ? " (also tried \(ctx.urls.dropFirst().joined(separator: ", ")))" : "") + (ctx.publicURL == nil ? "; set --public-url if the sender called another address" : ""))
        }
        let received = parsed.signatures.map { spec.encoding.decode($0) }
        for (i, sig) in parsed.signatures.enumerated() where wantsLines {
            let label = parsed.signatures.count > 1 ? "received #\(i + 1)" : "received"
            lines.append("\(label): \(spec.writtenPrefix)\(abbreviate(sig, max: 100))" + (received[i] == nil ? "  (not valid \(spec.encoding.rawValue))" : ""))
        }
        if secrets.isEmpty { return noSecret() }
        let keys = secrets.map { spec.keyFormat.key(from: $0) }
        var urls: [String?] = spec.signsURL ? ctx.urls : [nil]
        if spec.signsURL, spec.acceptsPortVariants { urls += ctx.alternativeURLs.filter { u in ctx.urls.contains { UrlsEqualIgnoringPort.same($0, u) } } }
        if spec.signsURL, spec.acceptsDecodedURL {
            urls += ctx.urls.compactMap { $0.removingPercentEncoding }.filter { decoded in !urls.contains(decoded) }
        }
        let method = ctx.request.method
        for (si, key) in keys.enumerated() where wantsLines {
            let label = secrets.count > 1 ? "expected (secret #\(si + 1) \(maskSecret(secrets[si])))" : "expected (secret \(maskSecret(secrets[si])))"
            guard let key else {
                lines.append("\(label): the secret is not valid base64 after `whsec_`")
                continue
            }
            let mac = spec.algorithm.mac(key: key, message: message(spec, body: ctx.body, timestamp: parsed.timestamp, id: parsed.id, url: urls[0], method: method))
            lines.append("\(label): \(spec.writtenPrefix)\(spec.encoding.encode(mac))")
        }
        if let match = findMatch(spec, keys: keys, received: received, body: ctx.body, parsed: parsed, urls: urls, method: method) {
            var which: [String] = []
            if secrets.count > 1 { which.append("secret #\(match.secretIndex + 1) of \(secrets.count)") }
            if received.count > 1 { which.append("signature #\(match.signatureIndex + 1) of \(received.count)") }
            if wantsLines {
                lines.append("match: signature matches" + (which.isEmpty ? "" : " (\(which.joined(separator: ", ")))"))
                if let url = match.url, spec.signsURL { lines.append("matched url: \(url)") }
            }
            if let check = timestampCheck, !check.ok, let problem = check.problem {
                return outcome(.invalid, "signature matches but \(problem)")
            }
            var detail = "signature matches"
            if secrets.count > 1 || received.count > 1 { detail += " (\(which.isEmpty ? "secret #1" : which.joined(separator: ", ")))" }
            return outcome(.valid, detail)
        }
        // The verdict alone needs only the first reason. The listener's verdicts look for it within
        // a shared budget (`DiagnosisBudget`); without time left they store a plain mismatch.
        guard let reasons = ctx.diagnosing({
            diagnose(spec, ctx, parsed: parsed, secrets: secrets, keys: keys, received: received, urls: urls, firstOnly: !wantsLines)
        }) else {
            let also = timestampCheck.flatMap { $0.ok ? nil : $0.problem }.map { "; also \($0)" } ?? ""
            return outcome(.invalid, "signature mismatch\(also) \(ctx.notDiagnosed)").causeSkipped(ctx)
        }
        for reason in reasons where wantsLines { lines.append("why: \(reason)") }
        if reasons.isEmpty, wantsLines {
            lines.append("why: no variant tried (secret encoding, trailing newline, re-serialized JSON, URL, algorithm) matches: most likely a different secret, or the body was altered")
        }
        if let check = timestampCheck, !check.ok, let problem = check.problem, reasons.isEmpty {
            return outcome(.invalid, "signature mismatch; also \(problem)")
        }
        return outcome(.invalid, reasons.first ?? "signature mismatch: wrong secret or altered body (\(secrets.count) secret\(secrets.count == 1 ? "" : "s") tried)")
    }

    /// The same sentence for every capture of a provider without a secret: made once per provider id
    /// (built-in ids and the config file's custom schemes, a bounded set).
    private static let noSecretDetails = Mutex<[String: String]>([:])

    /// The built-in providers' sentences, read without a lock.
    private static let builtinNoSecretDetails: [String: String] = Dictionary(
        uniqueKeysWithValues: ProviderCatalog.ids.map { ($0, makeNoSecretDetail($0)) })

    private static func makeNoSecretDetail(_ provider: String) -> String {
        "no secret for \(provider): set --secret \(provider)=… or \(SecretBook.environmentVariable(for: provider))"
    }

    static func noSecretDetail(_ provider: String) -> String {
        if let detail = builtinNoSecretDetails[provider] { return detail }
        return noSecretDetails.withLock { details in
            if let detail = details[provider] { return detail }
            let detail = makeNoSecretDetail(provider)
            if details.count < 1024 { details[provider] = detail }
            return detail
        }
    }

    /// Tries the common mistakes and says which one explains the mismatch. With `firstOnly` it stops
    /// at the first reason found (all the verdict's detail needs), skipping the checks after it.
    static func diagnose(
        _ spec: HMACSpec, _ ctx: VerifyContext, parsed: ParsedHMACHeaders, secrets: [String], keys: [[UInt8]?],
        received: [[UInt8]?], urls: [String?], firstOnly: Bool = false
    ) -> [String] {
        var reasons: [String] = []
        let method = ctx.request.method
        if received.allSatisfy({ $0 == nil }) {
            let other: SignatureEncoding = spec.encoding == .hex ? .base64 : .hex
            reasons.append("the received signature is not \(spec.encoding.rawValue)" + (parsed.signatures.contains { other.decode($0) != nil } ? " (it looks like \(other.rawValue))" : ""))
            if firstOnly { return reasons }
        }
        // Secret in the wrong encoding.
        let altKeys = secrets.map { spec.keyFormat.alternative.key(from: $0) }
        if findMatch(spec, keys: altKeys, received: received, body: ctx.body, parsed: parsed, urls: urls, method: method) != nil {
            reasons.append("wrong secret encoding: the signature matches with \(spec.keyFormat.alternative.explanation) as the key, but \(spec.provider) uses \(spec.keyFormat.explanation)")
            if firstOnly { return reasons }
        }
        // Body variants.
        if spec.signsBody {
            for variant in BodyVariants.of(ctx.body) {
                if findMatch(spec, keys: keys, received: received, body: variant.bytes, parsed: parsed, urls: urls, method: method) != nil {
                    reasons.append("body: the signature matches the body \(variant.label): \(variant.meaning)")
                    if firstOnly { return reasons }
                    break
                }
            }
        }
        // URL variants.
        if spec.signsURL {
            for url in ctx.alternativeURLs where !urls.contains(url) {
                if findMatch(spec, keys: keys, received: received, body: ctx.body, parsed: parsed, urls: [url], method: method) != nil {
                    reasons.append("url: the signature matches the URL \(url), not \(ctx.urls[0]): the sender called a different address (proxy, port or scheme); set --public-url to it")
                    if firstOnly { return reasons }
                    break
                }
            }
        }
        // Other algorithm or encoding (wrong scheme version).
        let textSigs = parsed.signatures
        outer: for alg in MACAlgorithm.allCases {
            for enc in SignatureEncoding.allCases where alg != spec.algorithm || enc != spec.encoding {
                let decoded = textSigs.map { enc.decode($0) }
                if findMatch(spec, keys: keys, received: decoded, body: ctx.body, parsed: parsed, urls: urls, method: method, algorithm: alg) != nil {
                    reasons.append("wrong scheme version: the signature is \(alg.displayName) in \(enc.rawValue), but \(spec.provider) expects \(spec.algorithm.displayName) in \(spec.encoding.rawValue) in \(parsed.headerName)")
                    if firstOnly { return reasons }
                    break outer
                }
            }
        }
        if spec.provider == "hubspot", let sig = parsed.signatures.first {
            for secret in secrets {
                let v1 = sha256Hex(Array(secret.utf8) + ctx.body)
                if constantTimeEqual(Array(sig.lowercased().utf8), Array(v1.utf8)) {
                    reasons.append("wrong scheme version: \(parsed.headerName) holds a v1 signature (SHA-256 of secret + body); v3 is an HMAC of method + URL + body + timestamp")
                    if firstOnly { return reasons }
                }
                for url in ctx.urls + ctx.alternativeURLs {
                    let v2 = sha256Hex(Array(secret.utf8) + Array(method.utf8) + Array(url.utf8) + ctx.body)
                    if constantTimeEqual(Array(sig.lowercased().utf8), Array(v2.utf8)) {
                        reasons.append("wrong scheme version: \(parsed.headerName) holds a v2 signature (SHA-256 of secret + method + URL + body); v3 is an HMAC with the timestamp")
                        break
                    }
                }
            }
        }
        // Timestamp re-formatted (Twitch) or in other units is not tried: the header value is used as sent.
        return reasons
    }
}

enum UrlsEqualIgnoringPort {
    static func same(_ a: String, _ b: String) -> Bool {
        a == b || URLCandidates.portVariant(a) == b
    }
}
