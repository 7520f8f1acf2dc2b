import Foundation

/// The filter language of the TUI's `/` and `export --filter`.
///
/// Whitespace-separated terms, all of which must match (AND):
/// - `word` or `"two words"`: case-insensitive text in the target, a header name or value, or the body
///   (also in the body with its JSON `\uXXXX` escapes decoded: `Café` finds `Caf\u00e9`)
/// - `method:POST`: the method (case-insensitive)
/// - `path:/stripe`: the path starts with this (case-insensitive)
/// - `status:404`, `status:4xx`, `status:40x`: the status the sender got (never a capture whose
///   sender got no response: a rule's `timeout`, `reset` or `close`)
/// - `rule:NAME`: the response rule that answered, by its name or its 1-based index (`rule:2`)
/// - `sig:valid|invalid|no-secret|unsigned` (also `sig:"no secret"`), or `sig:stripe`: verdict or provider id;
///   `sig:expired`: the signature matched but its timestamp was outside the provider's tolerance (shown `invalid`)
/// - `forward:502`, `forward:5xx`: what the `--forward-to` target answered
/// - `header:stripe-signature` (present), `header:name=value` (a value contains this, case-insensitive)
/// - `id:42`, `id:100-200`, `id:100-`: capture ids
/// - `event:issues.*`: the provider's event type, a case-sensitive glob where `*` stands for any text
/// - `delivery:ID`: the provider's delivery id, exactly
/// - `attempt:2`, `attempt:2-` (retries), `attempt:1-3`: which attempt of its delivery a capture is
/// - a leading `-` negates a term; quotes may wrap a whole term or a field's value.
public struct RequestFilter: Sendable, Hashable {
    /// The filter text as typed.
    public var text: String
    /// The parsed terms.
    public var terms: [Term]

    public struct Term: Sendable, Hashable {
        public var negated: Bool
        public var predicate: Predicate
    }

    public enum Predicate: Sendable, Hashable {
        case text(ByteNeedle)
        case method(String)
        case pathPrefix(ByteNeedle)
        /// Three characters, each a digit or `x` (any digit).
        case status(String)
        case verdict(VerdictStatus)
        case provider(String)
        case headerPresent(String)
        case headerContains(String, ByteNeedle)
        case ids(ClosedRange<Int64>)
        /// The signature matched but its timestamp was outside the tolerance.
        case expired
        /// What the forward target answered, as `status`.
        case forward(String)
        /// The response rule that answered, by name (case-insensitive) or index.
        case rule(String)
        /// The event type matches this glob (`*` is any text, every other character itself; case-sensitive).
        case event(String)
        /// The delivery id is exactly this.
        case delivery(String)
        /// The attempt number lies in this range.
        case attempts(ClosedRange<Int>)

        /// Whether the predicate needs more than a `RequestSummary` (the headers, the body, or the forward).
        public var needsDetails: Bool {
            switch self {
            case .text, .headerPresent, .headerContains, .forward: true
            default: false
            }
        }
    }

    /// A case-insensitive byte pattern with a linear-time matcher.
    public struct ByteNeedle: Sendable, Hashable {
        public var text: String
        let searcher: ByteSearcher
        init(_ text: String) {
            self.text = text
            searcher = ByteSearcher(Array(text.utf8), ignoreCase: true)
        }
    }

    public static let fields = ["method", "path", "status", "sig", "header", "id", "forward", "rule", "event", "delivery", "attempt"]

    /// The built-in provider ids (`hookscope providers`; HookSignatures' `ProviderCatalog.ids`, which a
    /// test keeps equal): the values `sig:` takes besides the verdict words.
    public static let builtInProviders: [String] = [
        "standardwebhooks", "svix", "clerk", "resend", "stripe", "github", "slack", "shopify", "twilio", "discord", "paddle",
        "square", "zoom", "twitch", "linear", "mailgun", "sendgrid", "intercom", "gitlab", "bitbucket", "typeform", "hubspot",
        "pagerduty", "calendly", "razorpay", "meta", "vercel", "sentry", "trello", "dropbox", "mollie", "coinbase",
    ]

    /// Parses filter text; throws a `FilterError` whose description says what is wrong.
    /// `customProviders` are the ids of the config file's custom schemes, which `sig:` also takes.
    public static func parse(_ text: String, customProviders: Set<String> = []) throws(FilterError) -> RequestFilter {
        var terms: [Term] = []
        for token in try tokenize(text) {
            terms.append(try term(token, customProviders: customProviders))
        }
        return RequestFilter(text: text, terms: terms)
    }

    /// Whether a whole capture matches (terms combine with AND). `forward` is the capture's newest
    /// forward (`--forward-to`), which `forward:` terms look at; see `needsForwards`.
    public func matches(_ request: CapturedRequest, forward: ReplayOutcome? = nil) -> Bool {
        terms.allSatisfy { term in
            evaluate(term.predicate, request: request, forward: forward) != term.negated
        }
    }

    /// Whether a term looks at the forward target's answer: a scan then reads each capture's forward.
    public var needsForwards: Bool {
        terms.contains { if case .forward = $0.predicate { true } else { false } }
    }

    /// Whether a summary matches, or nil when the answer needs the headers or the body.
    /// A term that can be decided and fails makes the answer `false` even if others need details.
    public func matchesSummary(_ s: RequestSummary) -> Bool? {
        var undecided = false
        for term in terms {
            if term.predicate.needsDetails { undecided = true; continue }
            if evaluate(term.predicate, summary: s) == term.negated { return false }
        }
        return undecided ? nil : true
    }

    /// True when the filter matches everything.
    public var isEmpty: Bool { terms.isEmpty }

    /// The ids a match must lie within (the `id:` terms that are not negated, together), or nil
    /// when any id may match: a scan can start and stop there. Terms that exclude each other give
    /// `0...0` (no capture has id 0).
    public var idBounds: ClosedRange<Int64>? {
        var bounds: ClosedRange<Int64>?
        for term in terms where !term.negated {
            guard case .ids(let range) = term.predicate else { continue }
            guard let current = bounds else { bounds = range; continue }
            let lower = max(current.lowerBound, range.lowerBound)
            let upper = min(current.upperBound, range.upperBound)
            bounds = lower <= upper ? lower...upper : 0...0
        }
        return bounds
    }

    // MARK: evaluation

    private func evaluate(_ p: Predicate, summary s: RequestSummary) -> Bool {
        switch p {
        // Methods and provider ids are ASCII words: both compare with ASCII case folding, as the
        // store's indexed SQL does (`COLLATE NOCASE`), so the two give the same answers.
        case .method(let m): return RequestFilter.asciiLowercased(s.method) == RequestFilter.asciiLowercased(m)
        case .pathPrefix(let needle):
            let target = s.rawTarget
            let pathEnd = target.firstIndex(of: UInt8(ascii: "?")) ?? target.count
            return needle.searcher.firstIndex(in: Array(target[0..<pathEnd])) == 0
        case .status(let pattern): return s.failure == nil && RequestFilter.statusMatches(s.responseStatus, pattern)
        case .rule(let name): return s.rule.map { $0.caseInsensitiveCompare(name) == .orderedSame } ?? false
        case .verdict(let v): return s.signature.status == v
        case .provider(let id): return s.signature.provider.map(RequestFilter.asciiLowercased) == id
        case .ids(let range): return range.contains(s.id)
        case .expired: return s.signature.timestampOutsideTolerance
        case .event(let glob): return s.event.map { RequestFilter.globMatches($0, glob) } ?? false
        case .delivery(let id): return s.deliveryID == id
        case .attempts(let range): return range.contains(s.attempt)
        case .text, .headerPresent, .headerContains, .forward: return false
        }
    }

    private func evaluate(_ p: Predicate, request r: CapturedRequest, forward: ReplayOutcome?) -> Bool {
        switch p {
        case .text(let needle):
            let s = needle.searcher
            if s.occurs(in: r.rawTarget) { return true }
            for h in r.headers where s.occurs(in: Array(h.name.utf8)) || s.occurs(in: h.rawValue) { return true }
            if s.occurs(in: r.body) { return true }
            // JSON writers escape non-ASCII text (`Caf\u00e9`): the text is found as the reader sees it.
            return JSONEscapes.decoded(r.body).map(s.occurs(in:)) ?? false
        case .forward(let pattern):
            guard forward?.kind == .forward, let status = forward?.status else { return false }
            return RequestFilter.statusMatches(status, pattern)
        case .headerPresent(let name):
            return r.headers.first(named: name) != nil
        case .headerContains(let name, let needle):
            return r.headers.all(named: name).contains { needle.searcher.occurs(in: $0.rawValue) }
        default:
            return evaluate(p, summary: r.summary)
        }
    }

    /// `text` with A-Z as a-z and every other character as it is (SQLite's `NOCASE` folding).
    public static func asciiLowercased(_ text: String) -> String {
        guard text.utf8.contains(where: { (0x41...0x5A).contains($0) }) else { return text }
        return String(decoding: text.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// `42`, `100-200` or `100-` (from 100 on).
    static func idRange(_ value: String) throws(FilterError) -> ClosedRange<Int64> {
        let bad = FilterError("bad id '\(value)': expected an id like 42, a range like 100-200, or 100- for 100 on")
        let parts = value.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let low = Int64(parts[0]), low >= 0 else { throw bad }
        if parts.count == 1 { return low...low }
        if parts[1].isEmpty { return low...Int64.max }
        guard let high = Int64(parts[1]), high >= low else { throw bad }
        return low...high
    }

    /// `attempt:` values: `2`, `2-` (2 on), `1-3`.
    static func attemptRange(_ value: String) throws(FilterError) -> ClosedRange<Int> {
        let bad = FilterError("bad attempt '\(abbreviated(value))': expected a number like 2, a range like 1-3, or 2- for the retries")
        let parts = value.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts[0].allSatisfy(\.isASCII), let low = Int(parts[0]), low >= 1 else { throw bad }
        if parts.count == 1 { return low...low }
        if parts[1].isEmpty { return low...Int.max }
        guard parts[1].allSatisfy(\.isASCII), let high = Int(parts[1]), high >= low else { throw bad }
        return low...high
    }

    /// Whether `text` matches `glob`, where `*` matches any run of characters (also none) and every
    /// other character only itself, case-sensitively. Compared by Unicode scalars.
    static func globMatches(_ text: String, _ glob: String) -> Bool {
        let t = Array(text.unicodeScalars)
        let g = Array(glob.unicodeScalars)
        var ti = 0, gi = 0
        var star: Int?
        var resume = 0
        while ti < t.count {
            if gi < g.count, g[gi] == "*" {
                star = gi
                resume = ti
                gi += 1
            } else if gi < g.count, g[gi] == t[ti] {
                gi += 1
                ti += 1
            } else if let s = star {
                gi = s + 1
                resume += 1
                ti = resume
            } else {
                return false
            }
        }
        while gi < g.count, g[gi] == "*" { gi += 1 }
        return gi == g.count
    }

    public static func statusMatches(_ status: Int, _ pattern: String) -> Bool {
        let digits = Array(String(status).utf8)
        let p = Array(pattern.utf8)
        guard digits.count == p.count else { return false }
        for (d, c) in zip(digits, p) where c != UInt8(ascii: "x") && c != d { return false }
        return true
    }

    // MARK: parsing

    struct Token {
        var negated: Bool
        /// The field name when the term is `field:value` with an unquoted field.
        var field: String?
        var value: String
        var position: Int
    }

    static func tokenize(_ text: String) throws(FilterError) -> [Token] {
        var tokens: [Token] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            if chars[i].isWhitespace { i += 1; continue }
            let start = i
            var negated = false
            if chars[i] == "-", i + 1 < chars.count, !chars[i + 1].isWhitespace {
                negated = true
                i += 1
            }
            var field: String?
            var value = ""
            var sawQuote = false
            while i < chars.count, !chars[i].isWhitespace {
                let c = chars[i]
                if c == "\"" {
                    sawQuote = true
                    guard let close = chars[(i + 1)...].firstIndex(of: "\"") else {
                        throw FilterError("unterminated quote starting at column \(i + 1)")
                    }
                    value += String(chars[(i + 1)..<close])
                    i = close + 1
                } else if c == ":", field == nil, !sawQuote, !value.isEmpty, isFieldName(value) {
                    field = value.lowercased()
                    value = ""
                    i += 1
                } else {
                    value.append(c)
                    i += 1
                }
            }
            tokens.append(Token(negated: negated, field: field, value: value, position: start + 1))
        }
        return tokens
    }

    /// Letters, digits, `-` and `_`, starting with a letter: `foo:` looks like a field; `10:30` does not.
    static func isFieldName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }
    }

    static func term(_ token: Token, customProviders: Set<String>) throws(FilterError) -> Term {
        guard let field = token.field else {
            return Term(negated: token.negated, predicate: .text(ByteNeedle(token.value)))
        }
        let value = token.value
        guard !value.isEmpty else { throw FilterError("\(field): needs a value (column \(token.position))") }
        let predicate: Predicate
        switch field {
        case "method":
            guard value.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-" || $0 == "_") }) else {
                throw FilterError("bad method '\(value)': expected a word such as POST")
            }
            predicate = .method(value.uppercased())
        case "path":
            predicate = .pathPrefix(ByteNeedle(value))
        case "status", "forward":
            let p = value.lowercased()
            let ok = p.count == 3 && p.first.map { ("1"..."5").contains($0) } == true
                && p.allSatisfy { ("0"..."9").contains($0) || $0 == "x" }
            guard ok else { throw FilterError("bad \(field) pattern '\(value)': expected a code like 404 or a class like 4xx") }
            predicate = field == "status" ? .status(p) : .forward(p)
        case "sig":
            let v = value.lowercased()
            switch v {
            case "valid": predicate = .verdict(.valid)
            case "invalid": predicate = .verdict(.invalid)
            case "no-secret", "no secret", "nosecret", "no_secret": predicate = .verdict(.noSecret)
            case "unsigned": predicate = .verdict(.unsigned)
            case "expired": predicate = .expired
            default:
                guard builtInProviders.contains(v) || customProviders.contains(v) else {
                    throw FilterError("bad sig: value '\(abbreviated(value))': expected valid, invalid, no-secret, unsigned, expired or a provider id (see `hookscope providers`)")
                }
                predicate = .provider(v)
            }
        case "header":
            let name: String
            var needle: String?
            if let eq = value.firstIndex(of: "=") {
                name = String(value[..<eq])
                needle = String(value[value.index(after: eq)...])
            } else {
                name = value
            }
            guard !name.isEmpty, name.utf8.allSatisfy(isHTTPTokenByte) else {
                throw FilterError("bad header name '\(name)' in header:\(value)")
            }
            if let needle { predicate = .headerContains(name, ByteNeedle(needle)) } else { predicate = .headerPresent(name) }
        case "id":
            predicate = .ids(try idRange(value))
        case "rule":
            predicate = .rule(value)
        case "event":
            predicate = .event(value)
        case "delivery":
            predicate = .delivery(value)
        case "attempt":
            predicate = .attempts(try attemptRange(value))
        default:
            throw FilterError("unknown field '\(field):' (known: \(fields.map { $0 + ":" }.joined(separator: ", ")); quote the term to search for it as text)")
        }
        return Term(negated: token.negated, predicate: predicate)
    }
}

extension RequestFilter {
    /// The text a text term looks in, as one string for a text index (the SQLite store's FTS5
    /// trigram index): the target, each header as `name: value`, the body and, when it has JSON
    /// `\uXXXX` escapes, the body with them decoded, one per line. Bytes that are not UTF-8 become
    /// U+FFFD (which leaves every UTF-8 needle found in the bytes found in the text) and NUL a
    /// space (a needle with NUL is never looked up in the index).
    public static func indexedText(of request: CapturedRequest) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(request.rawTarget.count + request.body.count + 512)
        bytes += request.rawTarget
        for header in request.headers {
            bytes.append(0x0A)
            bytes += Array(header.name.utf8)
            bytes += [0x3A, 0x20]
            bytes += header.rawValue
        }
        bytes.append(0x0A)
        bytes += request.body
        if let decoded = JSONEscapes.decoded(request.body) {
            bytes.append(0x0A)
            bytes += decoded
        }
        for i in bytes.indices where bytes[i] == 0 { bytes[i] = 0x20 }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The needle of a text term as a trigram index can look it up (three characters or more, no
    /// NUL), or nil when only reading the captures can decide it.
    public static func indexableText(_ needle: ByteNeedle) -> String? {
        let text = needle.text
        guard text.unicodeScalars.count >= 3, !text.utf8.contains(0) else { return nil }
        return text
    }
}

extension RequestFilter {
    /// A value as an error message quotes it: one line, at most 40 characters.
    static func abbreviated(_ value: String) -> String {
        let line = value.map { $0.isNewline ? " " : String($0) }.joined()
        return line.count > 40 ? String(line.prefix(39)) + "…" : line
    }
}

extension SignatureSummary {
    /// The signature matched, but its timestamp was older than the provider's tolerance (or
    /// further in the future than it allows): `sig:expired`. The verdict is `invalid`; the
    /// verifiers say so in the detail's words ("signature matches but timestamp too old: …").
    public var timestampOutsideTolerance: Bool {
        guard status == .invalid else { return false }
        for opening in ["signature matches but timestamp ", "v1a signature verifies but timestamp "] where detail.hasPrefix(opening) {
            let rest = detail.dropFirst(opening.count)
            return rest.hasPrefix("too old") || rest.hasPrefix("in the future")
        }
        return false
    }
}

/// Decodes the `\uXXXX` escapes of JSON text (surrogate pairs joined), for the filter's text search.
enum JSONEscapes {
    /// The bytes with every `\uXXXX` escape written as UTF-8 (a lone surrogate as U+FFFD), other
    /// bytes as they are; nil when there is no such escape. One pass, linear in the size.
    static func decoded(_ data: Data) -> [UInt8]? {
        data.withUnsafeBytes { raw -> [UInt8]? in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard let first = firstEscape(in: bytes) else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            out.append(contentsOf: bytes[0..<first])
            var i = first
            let n = bytes.count
            func hex(at j: Int) -> UInt32? {
                guard j + 6 <= n, bytes[j] == 0x5C, bytes[j + 1] == 0x75 else { return nil }
                var value: UInt32 = 0
                for k in (j + 2)..<(j + 6) {
                    let b = bytes[k]
                    let digit: UInt8
                    switch b {
                    case 0x30...0x39: digit = b - 0x30
                    case 0x41...0x46: digit = b - 0x41 + 10
                    case 0x61...0x66: digit = b - 0x61 + 10
                    default: return nil
                    }
                    value = value << 4 | UInt32(digit)
                }
                return value
            }
            while i < n {
                let b = bytes[i]
                if b == 0x5C, i + 1 < n {
                    if bytes[i + 1] == 0x5C {
                        // An escaped backslash: `\\u00e9` is the text `\u00e9`, not an escape.
                        out.append(0x5C); out.append(0x5C); i += 2; continue
                    }
                    if let unit = hex(at: i) {
                        var scalar = Unicode.Scalar(unit)
                        var length = 6
                        if (0xD800...0xDBFF).contains(unit), let low = hex(at: i + 6), (0xDC00...0xDFFF).contains(low) {
                            scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                            length = 12
                        }
                        out.append(contentsOf: Array(String(Character(scalar ?? "\u{FFFD}")).utf8))
                        i += length
                        continue
                    }
                }
                out.append(b)
                i += 1
            }
            return out
        }
    }

    private static func firstEscape(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard bytes.count >= 6 else { return nil }
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 0x5C {
                if bytes[i + 1] == 0x75 { return i }
                i += 2
                continue
            }
            i += 1
        }
        return nil
    }
}

public struct FilterError: Error, Sendable, CustomStringConvertible, Hashable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
