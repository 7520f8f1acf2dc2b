import Foundation
import GRDB
import HookCore

/// A filter term as SQL on the `request` table.
struct FilterCondition {
    var sql: String
    var arguments: [any DatabaseValueConvertible]
    /// True when the condition holds for exactly the captures the term matches; false when it
    /// holds for more of them (the Swift matcher then decides among those).
    var exact: Bool

    static func exact(_ sql: String, _ arguments: any DatabaseValueConvertible...) -> FilterCondition {
        FilterCondition(sql: sql, arguments: arguments, exact: true)
    }

    static func narrowing(_ sql: String, _ arguments: any DatabaseValueConvertible...) -> FilterCondition {
        FilterCondition(sql: sql, arguments: arguments, exact: false)
    }
}

enum FilterSQL {
    /// The terms the store answers with SQL, one line each, on the columns the "v12-filter-index"
    /// and "v13-text-index" migrations index. `COLLATE NOCASE` is ASCII case folding, as `RequestFilter` compares
    /// methods and provider ids. Terms without a line here (text, `path:`, `header:`,
    /// `forward:`) are decided by `RequestFilter`'s matcher over the captures the others leave.
    static func condition(_ predicate: RequestFilter.Predicate) -> FilterCondition? {
        switch predicate {
        // `request_method` leaves 'POST' out; its own WHERE term, repeated, lets SQLite use it
        // for the other methods (a literal: a bound value would not match the index's term).
        case .method(let method):
            method.uppercased() == "POST"
                ? .exact("method = ? COLLATE NOCASE", method) : .exact("method = ? COLLATE NOCASE AND method <> 'POST'", method)
        case .status(let pattern): statusCondition(pattern)
        case .verdict(let verdict): .exact("sig_status = ?", verdict.rawValue)
        case .provider(let id): .exact("sig_provider = ? COLLATE NOCASE", id)
        case .ids(let range): .exact("id BETWEEN ? AND ?", range.lowerBound, range.upperBound)
        case .expired: .narrowing("sig_status = ?", VerdictStatus.invalid.rawValue)
        case .event(let glob): .exact("event GLOB ?", sqliteGlob(glob))
        case .delivery(let id): .exact("delivery_id = ?", id)
        // Rows stored before `v10-deliveries` have no attempt yet: they are the first.
        case .attempts(let range): .exact("coalesce(attempt, 1) BETWEEN ? AND ?", range.lowerBound, min(range.upperBound, Int(Int64.max)))
        // `rule:` compares names Unicode-case-insensitively, which NOCASE does not: the matcher decides.
        case .text, .pathPrefix, .headerPresent, .headerContains, .forward, .rule: nil
        }
    }

    /// `404`, `40x`, `4xx` (and `4x4`): the codes between the pattern with x as 0 and as 9, and the
    /// last digit when it is fixed after an x.
    static func statusCondition(_ pattern: String) -> FilterCondition {
        let (low, high) = statusBounds(pattern)
        if low == high { return .exact("response_status = ?", low) }
        let digits = Array(pattern.utf8)
        if digits[1] == UInt8(ascii: "x"), digits[2] != UInt8(ascii: "x") {
            return .exact("response_status BETWEEN ? AND ? AND response_status % 10 = ?", low, high, Int(digits[2] - 0x30))
        }
        return .exact("response_status BETWEEN ? AND ?", low, high)
    }

    static func statusBounds(_ pattern: String) -> (Int, Int) {
        var low = 0
        var high = 0
        for c in pattern.utf8 {
            let x = c == UInt8(ascii: "x")
            low = low * 10 + (x ? 0 : Int(c - 0x30))
            high = high * 10 + (x ? 9 : Int(c - 0x30))
        }
        return (low, high)
    }

    /// The filter's glob (`*` any text, every other character itself) as SQLite's GLOB, whose `?`
    /// and `[` are special: each becomes a one-character class.
    static func sqliteGlob(_ glob: String) -> String {
        var out = ""
        for c in glob {
            switch c {
            case "?": out += "[?]"
            case "[": out += "[[]"
            default: out.append(c)
            }
        }
        return out
    }

    /// A text needle as an FTS5 phrase: `"…"` with quotes doubled.
    static func phrase(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension SQLiteRequestStore {
    /// Status patterns with an x are answered as one ordered index search per code present in
    /// the store (merged in id order by SQLite), when there are at most this many codes: a single
    /// range search would have to sort all its matches by id before giving the first.
    static let statusCodesMerged = 24

    public func filterPage(_ filter: RequestFilter, after afterID: Int64, limit: Int, whole: Bool) async throws -> FilterPage {
        let limit = max(1, limit)
        return try await pool.read { db in try Self.filterPage(filter, after: afterID, limit: limit, whole: whole, db: db) }
    }

    /// One page, in one read transaction (the text index and its watermark are read together).
    static func filterPage(_ filter: RequestFilter, after afterID: Int64, limit: Int, whole: Bool, db: Database) throws -> FilterPage {
        var conditions: [FilterCondition] = []
        var decidedBySQL = true
        var splitStatus: (pattern: String, condition: FilterCondition)?
        var needles: [String] = []
        for term in filter.terms {
            if case .text(let needle) = term.predicate, !term.negated, let text = RequestFilter.indexableText(needle) {
                needles.append(text)
            }
            guard let condition = FilterSQL.condition(term.predicate) else { decidedBySQL = false; continue }
            if !condition.exact { decidedBySQL = false }
            if term.negated {
                // A term the SQL only narrows says nothing about the captures its negation keeps.
                guard condition.exact else { continue }
                conditions.append(FilterCondition(sql: "NOT coalesce((\(condition.sql)), 0)", arguments: condition.arguments, exact: true))
            } else if case .status(let pattern) = term.predicate, pattern.contains("x"), splitStatus == nil {
                splitStatus = (pattern, condition)
            } else {
                conditions.append(condition)
            }
        }
        // Within the filter's id bounds, above `afterID`.
        let bounds = filter.idBounds
        let start = max(afterID, (bounds?.lowerBound ?? 1) - 1)
        let last = bounds?.upperBound ?? .max
        let nothing = FilterPage(summaries: [], requests: [], through: afterID, done: true, examined: 0)
        guard start < last else { return nothing }

        // Text terms: the index answers for the captures it holds (up to its watermark); above
        // it, every capture the other conditions leave is read and decided.
        var upper = last
        var textMatch: String?
        if !needles.isEmpty {
            let indexed = try textIndexedThrough(db)
            if start < indexed {
                upper = min(last, indexed)
                textMatch = needles.map(FilterSQL.phrase).joined(separator: " AND ")
            }
        }

        var branches: [FilterCondition?] = [nil]
        if let split = splitStatus {
            let (low, high) = FilterSQL.statusBounds(split.pattern)
            let codes = try presentStatusCodes(low: low, high: high, db: db).filter { RequestFilter.statusMatches($0, split.pattern) }
            if codes.isEmpty { return nothing }
            if codes.count <= statusCodesMerged {
                branches = codes.map { .exact("response_status = ?", $0) }
            } else {
                conditions.append(split.condition)
            }
        }

        var arguments: [any DatabaseValueConvertible] = []
        var selects: [String] = []
        for branch in branches {
            var clauses: [String] = []
            var from = "request"
            var idColumn = "id"
            if let textMatch {
                // Driven by the text index, in rowid order, joined to the captures still stored.
                from = "request_text JOIN request ON request.id = request_text.rowid"
                idColumn = "request_text.rowid"
                clauses.append("request_text MATCH ?")
                arguments.append(textMatch)
            }
            clauses.append("\(idColumn) > ?")
            arguments.append(start)
            if upper < .max {
                clauses.append("\(idColumn) <= ?")
                arguments.append(upper)
            }
            for condition in (branch.map { [$0] } ?? []) + conditions {
                clauses.append("(\(condition.sql))")
                arguments += condition.arguments
            }
            selects.append("SELECT \(idColumn) AS id FROM \(from) WHERE \(clauses.joined(separator: " AND "))")
        }
        let candidates = selects.joined(separator: " UNION ALL ") + " ORDER BY id LIMIT ?"
        arguments.append(limit)

        let exact = decidedBySQL && textMatch == nil && needles.isEmpty
        let needsDetails = filter.terms.contains { $0.predicate.needsDetails }
        let columns = whole || needsDetails ? "*" : summaryColumns
        let rows = try Row.fetchAll(
            db, sql: "SELECT \(columns) FROM request WHERE id IN (\(candidates)) ORDER BY id", arguments: StatementArguments(arguments))
        // The candidates read: `limit` of them means there may be more after the last.
        let full = rows.count == limit
        let through: Int64 = full ? (rows.last?["id"] ?? start) : (upper == .max ? max(start, rows.last?["id"] ?? start) : upper)
        let done = !full && upper == last

        var summaries: [RequestSummary] = []
        var requests: [CapturedRequest] = []
        if exact {
            if columns == "*" {
                requests = try rows.map(request(from:))
                summaries = requests.map(\.summary)
            } else {
                summaries = rows.map(summary(from:))
            }
        } else if !needsDetails {
            summaries = rows.map(summary(from:)).filter { filter.matchesSummary($0) == true }
            if whole { requests = try rows.map(request(from:)).filter { filter.matchesSummary($0.summary) == true } }
        } else {
            let captures = try rows.map(request(from:))
            let forwards = filter.needsForwards ? try latestForwards(among: captures.map(\.id), db: db) : [:]
            requests = captures.filter { filter.matches($0, forward: forwards[$0.id]) }
            summaries = requests.map(\.summary)
            if !whole { requests = [] }
        }
        return FilterPage(summaries: summaries, requests: whole ? requests : [], through: through, done: done, examined: exact ? 0 : rows.count)
    }

    /// The distinct response codes between `low` and `high` the store holds, one index step each.
    private static func presentStatusCodes(low: Int, high: Int, db: Database) throws -> [Int] {
        var codes: [Int] = []
        var next = low - 1
        let statement = try db.cachedStatement(sql: "SELECT min(response_status) FROM request WHERE response_status > ? AND response_status <= ?")
        while let code = try Int.fetchOne(statement, arguments: [next, high]) {
            codes.append(code)
            next = code
        }
        return codes
    }

    /// The newest forward of each capture among `ids` (within a read).
    private static func latestForwards(among ids: [Int64], db: Database) throws -> [Int64: ReplayOutcome] {
        guard !ids.isEmpty else { return [:] }
        var outcomes: [Int64: ReplayOutcome] = [:]
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<min(ids.count, start + 500)])
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT request_id, kind, target_url, response_status, error, failure, duration_ns, resigned, edited FROM replay
                    WHERE id IN (SELECT MAX(id) FROM replay WHERE kind = ? AND request_id IN (\(placeholders)) GROUP BY request_id)
                    """,
                arguments: StatementArguments([ReplayKind.forward.rawValue as any DatabaseValueConvertible] + chunk.map { $0 as any DatabaseValueConvertible }))
            for row in rows {
                let outcome = ReplayOutcome(
                    requestID: row["request_id"], kind: .forward, targetURL: row["target_url"], status: row["response_status"],
                    error: row["error"], failure: (row["failure"] as String?).flatMap(ReplayFailure.init(rawValue:)),
                    durationNanoseconds: row["duration_ns"], resigned: row["resigned"], edited: row["edited"])
                outcomes[outcome.requestID] = outcome
            }
        }
        return outcomes
    }

    /// The highest id the text index holds (every capture up to it is indexed).
    static func textIndexedThrough(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT indexed_through FROM request_text_state") ?? 0
    }
}
