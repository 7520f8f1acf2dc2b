import Foundation
import HookCore
import Synchronization

/// Everything a scheme needs from one verification.
struct VerifyContext: Sendable {
    let request: CapturedRequest
    let now: CaptureTime
    /// Set when the URLs come from `--public-url`.
    let publicURL: String?
    /// False when only the verdict is wanted (the listener stores one per capture): schemes then
    /// skip the report lines that only the signature pane and `hookscope verify` show.
    let wantsLines: Bool
    /// The listener's budget for explaining wrong signatures; nil: always explain.
    let diagnosisBudget: DiagnosisBudget?
    /// The body as bytes and the candidate URLs are built on first use: most requests are checked
    /// by a scheme that signs neither the URL, nor (without a secret) the body.
    private let cache = Cache()

    init(request: CapturedRequest, now: CaptureTime, publicURL: String?, wantsLines: Bool = true, diagnosisBudget: DiagnosisBudget? = nil) {
        self.request = request
        self.now = now
        self.publicURL = publicURL
        self.wantsLines = wantsLines
        self.diagnosisBudget = diagnosisBudget
    }

    /// Runs the search for what explains a mismatch, within the budget if there is one; nil when
    /// the budget had no time left and the search did not run.
    func diagnosing<T>(_ search: () -> T) -> T? {
        guard let diagnosisBudget else { return search() }
        return diagnosisBudget.spend(search)
    }

    /// The first body variant (re-serialized JSON, other line endings, ...) for which `matches` is
    /// true, searched within the budget.
    func firstBodyVariant(where matches: ([UInt8]) -> Bool) -> VariantSearch {
        guard let found = diagnosing({ BodyVariants.of(body).first { matches($0.bytes) } }) else { return .skipped }
        return found.map(VariantSearch.found) ?? .notFound
    }

    enum VariantSearch {
        case found(BodyVariants.Variant)
        case notFound
        case skipped
    }

    /// Ends a mismatch's detail when its cause was not looked for: why, as the budget says.
    var notDiagnosed: String { skippedDiagnosis.note ?? "" }

    /// The state of a mismatch whose cause the budget did not let be looked for.
    var skippedDiagnosis: DiagnosisState { diagnosisBudget?.skipped ?? .skipped }

    var body: [UInt8] {
        cache.body.withLock { body in
            if let body { return body }
            let bytes = Array(request.body)
            body = bytes
            return bytes
        }
    }

    /// URLs accepted for URL-signed schemes, preferred first.
    var urls: [String] { builtURLs.primary }
    /// URLs tried only to diagnose a mismatch (other port, other origin).
    var alternativeURLs: [String] { builtURLs.alternatives }

    private var builtURLs: (primary: [String], alternatives: [String]) {
        cache.urls.withLock { urls in
            if let urls { return urls }
            let built = URLCandidates.build(request: request, publicURL: publicURL)
            urls = built
            return built
        }
    }

    func rawHeader(_ name: String) -> [UInt8]? {
        request.headers.first(named: name)?.rawValue
    }

    func header(_ name: String) -> String? {
        request.headers.value(named: name)
    }

    private final class Cache: Sendable {
        let body = Mutex<[UInt8]?>(nil)
        let urls = Mutex<(primary: [String], alternatives: [String])?>(nil)
    }
}

enum URLCandidates {
    static func build(request: CapturedRequest, publicURL: String?) -> (primary: [String], alternatives: [String]) {
        let target = request.target
        var hostBased: [String] = []
        if target.hasPrefix("http://") || target.hasPrefix("https://") {
            hostBased = [target]
        } else if let forwarded = forwardedOrigin(request.headers) {
            // A tunnel or proxy in front of the listener says which URL the sender called.
            hostBased = [forwarded + target]
            if let host = request.headers.value(named: "Host")?.trimmingCharacters(in: .whitespaces), !host.isEmpty {
                for url in ["https://\(host)\(target)", "http://\(host)\(target)"] where !hostBased.contains(url) { hostBased.append(url) }
            }
        } else if let host = request.headers.value(named: "Host")?.trimmingCharacters(in: .whitespaces), !host.isEmpty {
            hostBased = ["https://\(host)\(target)", "http://\(host)\(target)"]
        }
        var primary: [String]
        var alternatives: [String] = []
        if let publicURL, !publicURL.isEmpty {
            var base = publicURL
            while base.hasSuffix("/") { base.removeLast() }
            primary = [base + target]
            alternatives = hostBased + [publicURL]
            if let q = target.firstIndex(of: "?") { alternatives.append(base + String(target[..<q])) }
        } else {
            primary = hostBased
        }
        for url in primary + alternatives {
            if let variant = portVariant(url) { alternatives.append(variant) }
        }
        var seen = Set(primary)
        alternatives = alternatives.filter { seen.insert($0).inserted }
        return (primary, alternatives)
    }

    /// `proto://host` from `Forwarded` or `X-Forwarded-Proto`/`X-Forwarded-Host`, when a proxy set them.
    static func forwardedOrigin(_ headers: [HeaderField]) -> String? {
        var proto: String?
        var host: String?
        if let forwarded = headers.value(named: "Forwarded") {
            let first = forwarded.split(separator: ",").first.map(String.init) ?? ""
            for (key, value) in parseKeyedList(first, separator: ";") {
                let v = value.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                if key.lowercased() == "proto" { proto = v }
                if key.lowercased() == "host" { host = v }
            }
        }
        func firstValue(_ name: String) -> String? {
            headers.value(named: name)?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        proto = proto ?? firstValue("X-Forwarded-Proto")
        host = host ?? firstValue("X-Forwarded-Host")
        guard proto != nil || host != nil else { return nil }
        guard let host = host ?? headers.value(named: "Host")?.trimmingCharacters(in: .whitespaces), !host.isEmpty else { return nil }
        let scheme = (proto ?? "https").lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        return "\(scheme)://\(host)"
    }

    /// The URL without any explicit port (Twilio's SDK removes whatever port the app saw).
    static func withoutPort(_ url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.hasSuffix("]"), let colon = authority.lastIndex(of: ":") else { return nil }
        return String(url[..<schemeEnd.upperBound]) + authority[..<colon] + rest[authorityEnd...]
    }

    /// The same URL with the default port added when absent, or removed when present.
    static func portVariant(_ url: String) -> String? {
        let schemes: [(String, String)] = [("https://", "443"), ("http://", "80")]
        for (scheme, port) in schemes where url.hasPrefix(scheme) {
            let rest = url.dropFirst(scheme.count)
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            let tail = rest[authorityEnd...]
            if authority.hasSuffix(":" + port) {
                return scheme + authority.dropLast(port.count + 1) + tail
            }
            if authority.contains(":") && !authority.hasSuffix("]") { return nil }
            return scheme + authority + ":" + port + tail
        }
        return nil
    }
}

/// What one scheme concluded about a request.
struct SchemeOutcome: Sendable {
    var provider: String
    var status: VerdictStatus
    var detail: String
    var lines: [String]
    /// `.complete` unless the detail ends with `notDiagnosed` because the budget ran out.
    var diagnosis: DiagnosisState = .complete

    /// This outcome, stored as one whose cause was not looked for (`ctx.skippedDiagnosis`).
    func causeSkipped(_ ctx: VerifyContext) -> SchemeOutcome {
        var copy = self
        copy.diagnosis = ctx.skippedDiagnosis
        return copy
    }
}

/// A parsed timestamp and what its age means.
struct TimestampCheck {
    var ok: Bool
    var problem: String?
    var lines: [String]

    static func evaluate(
        raw: String, unit: TimestampUnit, tolerance: Int?, checkFuture: Bool, receivedAt: CaptureTime, now: CaptureTime,
        wantsLines: Bool = true
    ) -> TimestampCheck {
        guard let seconds = parseTimestamp(raw, unit: unit) else {
            return TimestampCheck(ok: false, problem: "timestamp '\(abbreviate(raw, max: 40))' is not a valid time", lines: wantsLines ? ["timestamp: '\(abbreviate(raw, max: 40))' cannot be read as a time"] : [])
        }
        // Any Int64 the sender wrote, against any receive time an imported capture has: the
        // differences saturate (never Int64.min, so that they can be negated).
        let age = saturatingDifference(receivedAt.secondsSince1970, seconds)
        let ageNow = saturatingDifference(now.secondsSince1970, seconds)
        var lines: [String] = []
        if wantsLines {
            // A sender's timestamp can be any number: past the year 2262 it has no CaptureTime.
            let (nanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
            let when = overflow ? "after the year 2262" : CaptureTime(nanosecondsSince1970: nanoseconds).rfc3339.prefix(19) + "Z"
            let relation = describeAge(age) + " when received"
            lines.append("timestamp: \(abbreviate(raw, max: 40)) (\(when)), \(relation)" + (tolerance.map { ", tolerance \(describeDuration(Int64($0)))" } ?? ", no tolerance check"))
        }
        var ok = true
        var problem: String?
        if let tolerance {
            let tol = Int64(tolerance)
            if age > tol {
                ok = false
                problem = "timestamp too old: \(describeDuration(age)) old when received, \(describeDuration(age - tol)) past the \(describeDuration(tol)) tolerance"
            } else if age < -tol {
                let text = "timestamp in the future: \(describeDuration(-age)) ahead of the receive time, \(describeDuration(-age - tol)) beyond the \(describeDuration(tol)) tolerance (clock skew?)"
                if checkFuture {
                    ok = false
                    problem = text
                } else if wantsLines {
                    lines.append("note: \(text); this provider's SDK does not check future timestamps")
                }
            }
            if wantsLines {
                if ageNow > tol {
                    lines.append("now: \(describeDuration(ageNow)) old; a replay of this request would be rejected as too old unless re-signed")
                } else if ageNow < -tol {
                    lines.append("now: \(describeDuration(ageNow)) in the future" + (checkFuture
                        ? "; a replay of this request would be rejected unless re-signed"
                        : "; this provider's SDK does not check future timestamps"))
                } else {
                    lines.append("now: \(describeAge(ageNow)); a replay would still be inside the tolerance")
                }
            }
        } else if wantsLines {
            lines.append("now: \(describeAge(ageNow)) (the scheme has no replay window)")
        }
        if let problem, wantsLines { lines.append("problem: \(problem)") }
        return TimestampCheck(ok: ok, problem: problem, lines: lines)
    }

    /// `a - b`, held within ±Int64.max.
    static func saturatingDifference(_ a: Int64, _ b: Int64) -> Int64 {
        let (difference, overflow) = a.subtractingReportingOverflow(b)
        if overflow { return b > 0 ? -Int64.max : Int64.max }
        return max(difference, -Int64.max)
    }

    /// "5m 0s old", or "5m 0s in the future" for a timestamp ahead of the clock.
    static func describeAge(_ age: Int64) -> String {
        age >= 0 ? "\(describeDuration(age)) old" : "\(describeDuration(age)) in the future"
    }

    static func parseTimestamp(_ raw: String, unit: TimestampUnit) -> Int64? {
        // The usual case, plain ASCII digits, without Foundation's trimming and Character properties.
        let plainDigits = !raw.isEmpty && raw.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        let text = plainDigits ? raw : raw.trimmingCharacters(in: .whitespaces)
        let isDigits = plainDigits || !text.isEmpty && text.allSatisfy { $0.isASCII && $0.isNumber }
        switch unit {
        case .seconds: return isDigits ? Int64(text) : nil
        case .milliseconds: return isDigits ? Int64(text).map { $0 / 1000 } : nil
        case .rfc3339: return parseRFC3339(text)
        case .auto:
            if isDigits, let n = Int64(text) { return n > 100_000_000_000 ? n / 1000 : n }
            return parseRFC3339(text)
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` to whole seconds since the epoch.
    static func parseRFC3339(_ text: String) -> Int64? {
        let c = Array(text.utf8)
        guard c.count >= 20 else { return nil }
        func num(_ from: Int, _ len: Int) -> Int? {
            var v = 0
            for i in from..<(from + len) {
                guard c[i] >= 48 && c[i] <= 57 else { return nil }
                v = v * 10 + Int(c[i] - 48)
            }
            return v
        }
        guard let y = num(0, 4), c[4] == 45, let mo = num(5, 2), c[7] == 45, let d = num(8, 2),
              c[10] == 84 || c[10] == 116 || c[10] == 32, let h = num(11, 2), c[13] == 58, let mi = num(14, 2),
              c[16] == 58, let s = num(17, 2) else { return nil }
        var i = 19
        if i < c.count, c[i] == 46 {
            i += 1
            while i < c.count, c[i] >= 48 && c[i] <= 57 { i += 1 }
        }
        guard i < c.count else { return nil }
        var offset = 0
        if c[i] == 90 || c[i] == 122 {
            guard i + 1 == c.count else { return nil }
        } else if c[i] == 43 || c[i] == 45, c.count == i + 6, let oh = num(i + 1, 2), c[i + 3] == 58, let om = num(i + 4, 2) {
            offset = (oh * 3600 + om * 60) * (c[i] == 43 ? 1 : -1)
        } else {
            return nil
        }
        var parts = tm()
        parts.tm_year = Int32(y - 1900)
        parts.tm_mon = Int32(mo - 1)
        parts.tm_mday = Int32(d)
        parts.tm_hour = Int32(h)
        parts.tm_min = Int32(mi)
        parts.tm_sec = Int32(s)
        return Int64(timegm(&parts)) - Int64(offset)
    }
}
