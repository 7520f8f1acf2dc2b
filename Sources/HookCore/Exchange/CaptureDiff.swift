import Foundation

/// What differs between two captures: the request line, the headers (added, removed, changed, and
/// names whose case or order changed), the body (JSON by path, form fields, text lines, or the first
/// differing byte) and the signature inputs. Pure and deterministic: `hookscope diff` and the TUI's
/// diff view render the same value (`CaptureDiffText`).
///
/// Values are kept as the bytes received; every renderer escapes them (they are untrusted).
public struct CaptureDiff: Sendable, Hashable {
    public enum Section: String, Sendable, Hashable, CaseIterable {
        case requestLine = "request-line"
        case headers
        case body
        case signature

        public var title: String {
            switch self {
            case .requestLine: "Request line"
            case .headers: "Headers"
            case .body: "Body"
            case .signature: "Signature"
            }
        }
    }

    /// The ways two values can differ.
    public enum Kind: String, Sendable, Hashable {
        /// In both, with other values.
        case changed
        /// Only in B.
        case added
        /// Only in A.
        case removed
        /// A header name spelled with other letter case.
        case nameCase = "name-case"
        /// Header names, JSON keys or form fields in another order.
        case order
        /// A JSON value of another type (number → string, object → array, ...).
        case type
        /// The same JSON tokens in the same order, laid out with other whitespace.
        case whitespace
        /// The same JSON string written with other escapes (`\u00e9` for `é`, `\/` for `/`).
        case escaping
        /// Bodies that differ as bytes (binary, or too large to compare as text): the first
        /// differing offset and the sizes.
        case bytes
    }

    public struct Difference: Sendable, Hashable {
        public var section: Section
        public var kind: Kind
        /// What differs: `method`, a header name, a JSON path (`data.object.amount`), a form field,
        /// `line 12`, `offset 31`, a signature fact (`verdict`).
        public var path: String
        /// A's value and B's (nil where absent); bytes as received.
        public var a: [UInt8]?
        public var b: [UInt8]?
        /// A sentence saying what the difference means (`whitespace only: ...`), when there is one.
        public var note: String?

        public init(_ section: Section, _ kind: Kind, _ path: String, a: [UInt8]?, b: [UInt8]?, note: String? = nil) {
            self.section = section
            self.kind = kind
            self.path = path
            self.a = a
            self.b = b
            self.note = note
        }
    }

    /// One line of each side's signature report, named (`provider`, `timestamp`, `signed string`,
    /// `verdict`, `why`); shown side by side whether or not they differ.
    public struct SignatureRow: Sendable, Hashable {
        public var name: String
        public var a: String?
        public var b: String?
        /// Whether the row counts as a difference (the ages in a timestamp row depend on when each
        /// capture arrived, so only the timestamp itself is compared; the reasons in `why` rows
        /// are counted in the verdict row, whose detail is the first of them).
        public var differs: Bool
    }

    public var aID: Int64
    public var bID: Int64
    /// The request lines of both, for the title.
    public var aLine: [UInt8]
    public var bLine: [UInt8]
    public var differences: [Difference]
    /// How the bodies were compared: `JSON`, `form fields`, `text lines`, `bytes`, `empty`.
    public var bodyComparison: String
    public var aBodySize: Int
    public var bBodySize: Int
    /// Differences left out of `differences` past `CaptureDiff.maxBodyDifferences`.
    public var omittedBodyDifferences: Int
    public var signatureRows: [SignatureRow]

    public var identical: Bool { differences.isEmpty }

    /// Body differences listed at most; the rest are counted.
    public static let maxBodyDifferences = 200
    /// Bodies larger than this (either side) are compared as bytes only: the structured comparisons
    /// hold a tree or a line table of each body.
    public static let maxStructuredBodyBytes = 4 * 1024 * 1024

    /// A fact of one capture compared between the two: the request line's parts here; fields other
    /// parts of hookscope add to captures go in `fields` the same way.
    public struct Field: Sendable {
        public var section: Section
        public var name: String
        public var read: @Sendable (CapturedRequest) -> [UInt8]?

        public init(_ section: Section, _ name: String, read: @escaping @Sendable (CapturedRequest) -> [UInt8]?) {
            self.section = section
            self.name = name
            self.read = read
        }
    }

    public static let fields: [Field] = [
        Field(.requestLine, "method") { Array($0.method.utf8) },
        Field(.requestLine, "target") { $0.rawTarget },
        Field(.requestLine, "version") { Array($0.httpVersion.utf8) },
    ]

    /// Compares `a` with `b`. `signatureLines` are each side's signature report lines (the signature
    /// pane's, `hookscope verify`'s); without them the stored verdicts are compared.
    public init(_ a: CapturedRequest, _ b: CapturedRequest, signatureLines: (a: [String], b: [String])? = nil, fields: [Field] = CaptureDiff.fields) {
        aID = a.id
        bID = b.id
        aLine = Array(a.method.utf8) + [0x20] + a.rawTarget
        bLine = Array(b.method.utf8) + [0x20] + b.rawTarget
        var differences: [Difference] = []
        for field in fields {
            let left = field.read(a)
            let right = field.read(b)
            guard left != right else { continue }
            let kind: Kind = left == nil ? .added : right == nil ? .removed : .changed
            differences.append(Difference(field.section, kind, field.name, a: left, b: right))
        }
        differences += HeaderDiff.compare(a.headers, b.headers)
        var body = BodyDiff.compare(a, b)
        if body.differences.count > Self.maxBodyDifferences {
            omittedBodyDifferences = body.differences.count - Self.maxBodyDifferences
            body.differences.removeLast(omittedBodyDifferences)
        } else {
            omittedBodyDifferences = 0
        }
        differences += body.differences
        bodyComparison = body.comparison
        aBodySize = a.bodySize
        bBodySize = b.bodySize
        // A side without report lines (no explainer) shows its stored verdict.
        let rows = SignatureFacts.rows(
            a: signatureLines.map(\.a).flatMap { $0.isEmpty ? nil : $0 } ?? SignatureFacts.storedLines(a.signature),
            b: signatureLines.map(\.b).flatMap { $0.isEmpty ? nil : $0 } ?? SignatureFacts.storedLines(b.signature))
        signatureRows = rows
        for row in rows where row.differs {
            differences.append(Difference(
                .signature, row.a == nil ? .added : row.b == nil ? .removed : .changed, row.name,
                a: row.a.map { Array($0.utf8) }, b: row.b.map { Array($0.utf8) }))
        }
        self.differences = differences
    }
}

// MARK: - Headers

enum HeaderDiff {
    static func compare(_ a: [HeaderField], _ b: [HeaderField]) -> [CaptureDiff.Difference] {
        func folded(_ name: String) -> String { String(decoding: name.utf8.map(HeaderField.foldASCII), as: UTF8.self) }
        // Names in first-seen order, with their spellings and values in order.
        func group(_ headers: [HeaderField]) -> (order: [String], byName: [String: (spellings: [String], values: [[UInt8]])]) {
            var order: [String] = []
            var byName: [String: (spellings: [String], values: [[UInt8]])] = [:]
            for header in headers {
                let key = folded(header.name)
                if byName[key] == nil {
                    order.append(key)
                    byName[key] = ([], [])
                }
                byName[key]!.spellings.append(header.name)
                byName[key]!.values.append(header.rawValue)
            }
            return (order, byName)
        }
        let left = group(a)
        let right = group(b)
        var out: [CaptureDiff.Difference] = []
        func joined(_ values: [[UInt8]]) -> [UInt8] { Array(values.joined(separator: Array(" | ".utf8))) }
        for key in left.order {
            let l = left.byName[key]!
            guard let r = right.byName[key] else {
                out.append(.init(.headers, .removed, l.spellings[0], a: joined(l.values), b: nil))
                continue
            }
            if l.values != r.values {
                let note = l.values.count != r.values.count ? "\(l.values.count) value\(l.values.count == 1 ? "" : "s") → \(r.values.count)" : nil
                out.append(.init(.headers, .changed, r.spellings[0], a: joined(l.values), b: joined(r.values), note: note))
            }
            if l.spellings != r.spellings {
                out.append(.init(.headers, .nameCase, r.spellings[0], a: Array(l.spellings.joined(separator: ", ").utf8),
                                 b: Array(r.spellings.joined(separator: ", ").utf8),
                                 note: "the name's case changed: a proxy or an SDK rewrote it"))
            }
        }
        for key in right.order where left.byName[key] == nil {
            let r = right.byName[key]!
            out.append(.init(.headers, .added, r.spellings[0], a: nil, b: joined(r.values)))
        }
        // The relative order of the names both have.
        let common = Set(left.order).intersection(right.order)
        let leftOrder = left.order.filter(common.contains)
        let rightOrder = right.order.filter(common.contains)
        if leftOrder != rightOrder {
            func spelled(_ order: [String], _ side: [String: (spellings: [String], values: [[UInt8]])]) -> [UInt8] {
                Array(order.map { side[$0]!.spellings[0] }.joined(separator: ", ").utf8)
            }
            out.append(.init(.headers, .order, "order", a: spelled(leftOrder, left.byName), b: spelled(rightOrder, right.byName),
                             note: "the headers both have arrive in another order"))
        }
        return out
    }
}

// MARK: - Signature

/// Each side's signature report, as named rows.
enum SignatureFacts {
    /// The report lines compared, in this order; the others (expected signatures, which come from
    /// the secret, and ages measured against now) are left out.
    static let names = ["provider", "header", "timestamp", "signed string", "url", "verdict", "why"]

    static func storedLines(_ summary: SignatureSummary) -> [String] {
        var lines: [String] = []
        if let provider = summary.provider { lines.append("provider: \(provider)") }
        lines.append("verdict: \(summary.status.screenWord) — \(summary.detail)")
        return lines
    }

    static func facts(_ lines: [String]) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for line in lines {
            guard let colon = line.range(of: ": ") else {
                if line.hasPrefix("no signature header") { out["verdict", default: []].append("unsigned — \(line)") }
                continue
            }
            let name = String(line[..<colon.lowerBound])
            guard names.contains(name) else { continue }
            out[name, default: []].append(String(line[colon.upperBound...]))
        }
        // "no signature header …" then "verdict: unsigned": the verdict line says it.
        if let verdicts = out["verdict"], verdicts.count > 1, verdicts[0].hasPrefix("unsigned — ") { out["verdict"] = Array(verdicts.dropFirst()) }
        // The verdict's detail is its first reason: a `why` that says the same is not repeated.
        if let verdict = out["verdict"]?.first, let dash = verdict.range(of: " — "), let why = out["why"] {
            let detail = verdict[dash.upperBound...]
            out["why"] = why.filter { $0 != detail }
        }
        return out
    }

    static func rows(a: [String], b: [String]) -> [CaptureDiff.SignatureRow] {
        let left = facts(a)
        let right = facts(b)
        var rows: [CaptureDiff.SignatureRow] = []
        for name in names {
            let l = left[name] ?? []
            let r = right[name] ?? []
            for index in 0..<max(l.count, r.count) {
                let lv = index < l.count ? l[index] : nil
                let rv = index < r.count ? r[index] : nil
                let differs: Bool
                if name == "why" {
                    // The verdict row carries the first reason: counted there, shown here in full.
                    differs = false
                } else if name == "timestamp" {
                    // "1700000000 (2023-11-14T22:13:20Z), 5 s old when received, …": the value itself.
                    func token(_ text: String?) -> Substring? { text.map { $0.prefix { $0 != " " } } }
                    differs = token(lv) != token(rv)
                } else {
                    differs = lv != rv
                }
                rows.append(CaptureDiff.SignatureRow(name: name, a: lv, b: rv, differs: differs))
            }
        }
        return rows
    }
}
