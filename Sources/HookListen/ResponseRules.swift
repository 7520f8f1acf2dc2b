import Foundation
import HookCore
import HookReplay
import HookSignatures
import TOMLKit

/// A shell-style glob: `*` any run of characters (`/` included), `?` one character, `[abc]`,
/// `[a-z]` and `[!a-z]` one character of (or not of) a set, `\` takes the next character as it is.
/// Matched on Unicode scalars, case-sensitively.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    enum Token: Sendable, Hashable {
        case literal(Unicode.Scalar)
        case any
        case anyRun
        case set(negated: Bool, ranges: [ClosedRange<Unicode.Scalar>])
    }

    public let description: String
    let tokens: [Token]
    /// No wildcard at all: compared as a string.
    let literal: String?

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public init(_ pattern: String) throws(ParseError) {
        description = pattern
        var tokens: [Token] = []
        let scalars = Array(pattern.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            switch c {
            case "*":
                if tokens.last != .anyRun { tokens.append(.anyRun) }
            case "?":
                tokens.append(.any)
            case "\\":
                i += 1
                guard i < scalars.count else { throw ParseError(description: "bad glob '\(pattern)': it ends with a lone \\") }
                tokens.append(.literal(scalars[i]))
            case "[":
                var j = i + 1
                var negated = false
                if j < scalars.count, scalars[j] == "!" || scalars[j] == "^" {
                    negated = true
                    j += 1
                }
                var ranges: [ClosedRange<Unicode.Scalar>] = []
                var first = true
                while j < scalars.count, scalars[j] != "]" || first {
                    first = false
                    let low = scalars[j]
                    if j + 2 < scalars.count, scalars[j + 1] == "-", scalars[j + 2] != "]" {
                        let high = scalars[j + 2]
                        guard low <= high else {
                            throw ParseError(description: "bad glob '\(pattern)': range \(low)-\(high) runs backwards")
                        }
                        ranges.append(low...high)
                        j += 3
                    } else {
                        ranges.append(low...low)
                        j += 1
                    }
                }
                guard j < scalars.count else { throw ParseError(description: "bad glob '\(pattern)': '[' without its ']'") }
                tokens.append(.set(negated: negated, ranges: ranges))
                i = j
            default:
                tokens.append(.literal(c))
            }
            i += 1
        }
        self.tokens = tokens
        let plain = tokens.allSatisfy { if case .literal = $0 { true } else { false } }
        literal = plain ? String(String.UnicodeScalarView(tokens.compactMap { if case .literal(let c) = $0 { c } else { nil } })) : nil
    }

    public func matches(_ text: String) -> Bool {
        if let literal { return text == literal }
        return matches(Array(text.unicodeScalars))
    }

    /// Iterative matching with one backtrack point (the last `*`): linear for most patterns,
    /// never exponential.
    func matches(_ text: [Unicode.Scalar]) -> Bool {
        var t = 0
        var p = 0
        var star: Int?
        var starText = 0
        while t < text.count {
            if p < tokens.count {
                switch tokens[p] {
                case .anyRun:
                    star = p
                    starText = t
                    p += 1
                    continue
                case .any:
                    p += 1
                    t += 1
                    continue
                case .literal(let c) where c == text[t]:
                    p += 1
                    t += 1
                    continue
                case .set(let negated, let ranges) where ranges.contains(where: { $0.contains(text[t]) }) != negated:
                    p += 1
                    t += 1
                    continue
                default:
                    break
                }
            }
            guard let star else { return false }
            p = star + 1
            starText += 1
            t = starText
        }
        while p < tokens.count, tokens[p] == .anyRun { p += 1 }
        return p == tokens.count
    }
}

/// One `[[rule]]` of a rules file (or of the config file): what it matches and how it answers.
public struct ResponseRule: Sendable {
    /// `name`, else the 1-based index: stored with each capture it answered (`rule`).
    public var label: String
    /// The line of its `[[rule]]` header, when it could be found.
    public var line: Int?
    public var method: String?
    public var path: Glob?
    public var provider: String?
    public var event: Glob?
    public var header: (name: String, value: Glob)?
    /// The answer (also when a `forward_to` target is down); `status` is nil when none was given.
    public var status: Int?
    public var headers: [HeaderField] = []
    public var body = Data()
    public var delay: Duration = .zero
    /// Statuses in turn, per delivery id (or per rule).
    public var sequence: [Int] = []
    public var fail: AnswerFailure?
    public var forwardTo: String?

    /// Whether matching needs the provider's delivery identity (event type or delivery id).
    var needsIdentity: Bool { event != nil || !sequence.isEmpty }

    /// A one-line summary for the rules view: what it matches, then how it answers.
    public var summary: String {
        var match: [String] = []
        if let method { match.append(method) }
        if let path { match.append(path.description) }
        if let provider { match.append("provider=\(provider)") }
        if let event { match.append("event=\(event)") }
        if let header { match.append("\(header.name): \(header.value)") }
        var answer: [String] = []
        if let fail { answer.append(fail.rawValue) }
        if !sequence.isEmpty { answer.append("sequence " + sequence.map(String.init).joined(separator: ",")) }
        if let forwardTo { answer.append("forward \(forwardTo)" + (status.map { " else \($0)" } ?? "")) } else if let status { answer.append("\(status)") }
        if delay > .zero { answer.append("after \(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000) ms") }
        if answer.isEmpty { answer.append("200") }
        return (match.isEmpty ? "everything" : match.joined(separator: " ")) + " -> " + answer.joined(separator: ", ")
    }
}

/// Reads `[[rule]]` tables. Every error is one line naming the file, the rule's line and the rule.
public enum RuleParser {
    static let keys: Set<String> = [
        "name", "method", "path", "provider", "event", "header", "status", "body", "headers", "delay_ms", "sequence", "fail",
        "forward_to",
    ]

    /// Reads and parses a rules file; a file that cannot be read is a usage error too.
    public static func load(path: String, customProviders: Set<String> = []) throws -> [ResponseRule] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw UserError("--rules: cannot read \(path): \((error as NSError).localizedDescription)", usage: true)
        }
        return try parseFile(text, path: path, customProviders: customProviders)
    }

    /// A rules file: nothing but `[[rule]]` tables.
    public static func parseFile(_ text: String, path: String, customProviders: Set<String> = []) throws -> [ResponseRule] {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw UserError("\(path):\(error.source.begin.line): \(error.description)", usage: true)
        } catch {
            throw UserError("\(path): \(error)", usage: true)
        }
        for key in table.keys where key != "rule" {
            throw UserError("\(path): unknown setting '\(key)' (a rules file holds [[rule]] tables)", usage: true)
        }
        return try rules(in: table, text: text, path: path, customProviders: customProviders)
    }

    /// The `[[rule]]` tables of a parsed file (a rules file, or the config file).
    static func rules(in table: TOMLTable, text: String, path: String, customProviders: Set<String>) throws -> [ResponseRule] {
        guard let value = table["rule"] else { return [] }
        guard let array = value.array else { throw UserError("\(path): 'rule' must be [[rule]] tables", usage: true) }
        let lines = headerLines(text)
        var rules: [ResponseRule] = []
        var names: Set<String> = []
        for (offset, item) in array.enumerated() {
            let line = offset < lines.count ? lines[offset] : nil
            let at = line.map { "\(path):\($0)" } ?? path
            guard let ruleTable = item.table else { throw UserError("\(at): [[rule]] entries must be tables", usage: true) }
            let rule = try parseRule(ruleTable, index: offset + 1, line: line, at: at, customProviders: customProviders)
            if !names.insert(rule.label.lowercased()).inserted {
                throw UserError("\(at): rule '\(rule.label)': another rule has this name", usage: true)
            }
            rules.append(rule)
        }
        return rules
    }

    /// The lines (1-based) of the `[[rule]]` headers, in order.
    static func headerLines(_ text: String) -> [Int] {
        var result: [Int] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let compact = line.filter { $0 != " " && $0 != "\t" }
            if compact.hasPrefix("[[rule]]") { result.append(number + 1) }
        }
        return result
    }

    static func parseRule(_ table: TOMLTable, index: Int, line: Int?, at: String, customProviders: Set<String>) throws -> ResponseRule {
        let name = table["name"]?.string
        let label = name ?? String(index)
        func fail(_ message: String) -> UserError { UserError("\(at): rule '\(label)': \(message)", usage: true) }
        if table["name"] != nil {
            guard let name, !name.isEmpty, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw fail("name must be a non-empty string on one line")
            }
        }
        for key in table.keys where !keys.contains(key) {
            throw fail("unknown key '\(key)' (known: \(keys.sorted().joined(separator: ", ")))")
        }
        func string(_ key: String) throws -> String? {
            guard let value = table[key] else { return nil }
            guard let text = value.string else { throw fail("'\(key)' must be a string") }
            return text
        }
        func glob(_ key: String) throws -> Glob? {
            guard let text = try string(key) else { return nil }
            do { return try Glob(text) } catch { throw fail("\(key): \(error)") }
        }
        func statusValue(_ value: TOMLValueConvertible, _ key: String) throws -> Int {
            guard let number = value.int else { throw fail("'\(key)' must be an HTTP status (an integer)") }
            guard (100...599).contains(number) else { throw fail("\(key) must be an HTTP status between 100 and 599, not \(number)") }
            return number
        }

        var rule = ResponseRule(label: label, line: line)
        if let method = try string("method") {
            guard !method.isEmpty, method.utf8.allSatisfy(isHTTPTokenByte) else { throw fail("method '\(method)' is not an HTTP method") }
            rule.method = method.uppercased()
        }
        rule.path = try glob("path")
        if let provider = try string("provider")?.lowercased() {
            guard ProviderCatalog.info(for: provider) != nil || customProviders.contains(provider) else {
                throw fail("unknown provider '\(provider)' (see `hookscope providers`)")
            }
            rule.provider = provider
        }
        rule.event = try glob("event")
        if let header = try string("header") {
            guard let colon = header.firstIndex(of: ":") else { throw fail("header must look like 'Name: glob', not '\(header)'") }
            let headerName = header[..<colon].trimmingCharacters(in: .whitespaces)
            guard !headerName.isEmpty, headerName.utf8.allSatisfy(isHTTPTokenByte) else {
                throw fail("header has an invalid header name '\(headerName)'")
            }
            let pattern = header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            do { rule.header = (headerName, try Glob(pattern)) } catch { throw fail("header: \(error)") }
        }
        if let status = table["status"] { rule.status = try statusValue(status, "status") }
        if let sequence = table["sequence"] {
            guard let array = sequence.array, !array.isEmpty else { throw fail("'sequence' must be a list of HTTP statuses") }
            rule.sequence = try array.map { try statusValue($0, "sequence") }
        }
        rule.body = Data((try string("body") ?? "").utf8)
        if let headers = table["headers"] {
            guard let array = headers.array else { throw fail("'headers' must be a list of 'Name: value' strings") }
            rule.headers = try array.map { item in
                guard let text = item.string else { throw fail("'headers' must be a list of 'Name: value' strings") }
                do { return try ResponseHeader.parse(text) } catch { throw fail("headers: '\(text)' \(error)") }
            }
        }
        if let delay = table["delay_ms"] {
            guard let milliseconds = delay.int, (0...ListenSettings.maxDelayMilliseconds).contains(milliseconds) else {
                throw fail("delay_ms must be between 0 and \(ListenSettings.maxDelayMilliseconds) milliseconds")
            }
            rule.delay = .milliseconds(milliseconds)
        }
        if let failValue = table["fail"] {
            if let kinds = failValue.array {
                throw fail("one failure kind per rule, not \(kinds.count) (fail = \"timeout\", \"reset\" or \"close\")")
            }
            guard let text = failValue.string, let kind = AnswerFailure(rawValue: text) else {
                throw fail("fail must be \"timeout\", \"reset\" or \"close\"")
            }
            rule.fail = kind
        }
        if let target = try string("forward_to") {
            if case .failure(let error) = ReplayTarget.parse(target) { throw fail("forward_to: \(error)") }
            rule.forwardTo = target
        }
        if rule.status != nil && !rule.sequence.isEmpty { throw fail("give status or sequence, not both") }
        if rule.fail != nil {
            if rule.status != nil || !rule.sequence.isEmpty { throw fail("fail gives no response: it takes no status or sequence") }
            if rule.forwardTo != nil { throw fail("fail and forward_to exclude each other") }
        }
        if rule.forwardTo != nil && !rule.sequence.isEmpty { throw fail("forward_to answers with the handler's status: no sequence") }
        return rule
    }
}
