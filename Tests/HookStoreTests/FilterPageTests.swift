import Foundation
import GRDB
import HookCore
import Testing

@testable import HookStore

/// The store's filtered reads (`filterPage`: indexed SQL, the text index, and the Swift matcher for
/// the rest) give exactly what `RequestFilter.matches` gives over every capture.
@Suite struct FilterPageTests {
    /// A small deterministic generator (SplitMix64): the same captures and filters every run.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let words = ["zebracorn", "ZebraCorn", "Café", "Caf\\u00e9", "invoice", "paid", "ok", "o'neil*(", "naïve", "charge.failed", "ab"]
    static let methods = ["POST", "PUT", "Get", "DELETE", "patch"]
    static let statuses = [200, 201, 204, 400, 404, 409, 413, 500, 502]
    static let providers: [String?] = [nil, "stripe", "GitHub", "SLACK"]

    static func capture(_ rng: inout Seeded) -> CapturedRequest {
        var body = "{\"type\":\""
        for _ in 0..<Int.random(in: 0...3, using: &rng) { body += words.randomElement(using: &rng)! + " " }
        body += "\"}"
        var bodyBytes = Data(body.utf8)
        if Int.random(in: 0..<8, using: &rng) == 0 { bodyBytes.append(contentsOf: [0xff, 0x00, 0xc3]) }
        var headers = [HeaderField("Content-Type", "application/json")]
        if Bool.random(using: &rng) { headers.append(HeaderField("X-Tag", words.randomElement(using: &rng)!)) }
        let status = VerdictStatus.allCases.randomElement(using: &rng)!
        let expired = status == .invalid && Bool.random(using: &rng)
        return CapturedRequest(
            receivedAt: CaptureTime(nanosecondsSince1970: 1_700_000_000_000_000_000),
            method: methods.randomElement(using: &rng)!,
            rawTarget: Array((Bool.random(using: &rng) ? "/hook/stripe?q=1" : "/other/Path").utf8),
            headers: headers,
            remoteAddress: "127.0.0.1:1",
            body: bodyBytes,
            response: CapturedResponse(status: statuses.randomElement(using: &rng)!),
            signature: SignatureSummary(
                provider: providers.randomElement(using: &rng)!, status: status,
                detail: expired ? "signature matches but timestamp too old: 400 s" : "signature mismatch"))
    }

    static let termTexts = [
        "method:post", "method:GET", "status:4xx", "status:40x", "status:4x4", "status:404", "status:2xx", "status:5xx",
        "sig:invalid", "sig:valid", "sig:unsigned", "sig:no-secret", "sig:expired", "sig:stripe", "sig:github", "sig:slack",
        "id:3-40", "id:20-", "id:7", "header:x-tag", "header:x-tag=zeb", "forward:5xx", "forward:2xx", "path:/hook",
        "zebracorn", "ZEBRA", "café", "ab", "o'neil*(", "charge.failed", "naïve", "invoice paid",
    ]

    static func filter(_ rng: inout Seeded) throws -> RequestFilter {
        var parts: [String] = []
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let term = termTexts.randomElement(using: &rng)!
            parts.append((Int.random(in: 0..<4, using: &rng) == 0 ? "-" : "") + term)
        }
        return try RequestFilter.parse(parts.joined(separator: " "))
    }

    /// Every match, page by page (`limit` at a time).
    static func allMatches(_ store: any RequestStore, _ filter: RequestFilter, limit: Int) async throws -> [Int64] {
        var ids: [Int64] = []
        var after: Int64 = 0
        while true {
            let page = try await store.filterPage(filter, after: after, limit: limit, whole: false)
            ids += page.summaries.map(\.id)
            if page.done { return ids }
            guard page.through > after else {
                Issue.record("a page that is not the last did not move on from #\(after)")
                return ids
            }
            after = page.through
        }
    }

    @Test func sqlAndTheTextIndexAgreeWithTheMatcherOverRandomFiltersAndCaptures() async throws {
        var rng = Seeded(state: 20)
        let sqlite = try SQLiteRequestStore(path: temporaryDatabasePath())
        let memory = InMemoryRequestStore()
        var captures: [CapturedRequest] = []
        for _ in 0..<160 { captures.append(try await sqlite.insert(Self.capture(&rng))) }
        for capture in captures { _ = try await memory.insert(capture) }
        var forwards: [Int64: ReplayOutcome] = [:]
        for capture in captures where capture.id % 3 == 0 {
            let attempt = ReplayAttempt(
                kind: .forward, requestID: capture.id, startedAt: CaptureTime(nanosecondsSince1970: 1), targetURL: "http://127.0.0.1:9/",
                resigned: false, changedHeaders: [], response: CapturedResponse(status: capture.id % 2 == 0 ? 502 : 200), error: nil,
                failure: nil, durationNanoseconds: 1)
            for store in [sqlite as any RequestStore, memory] { _ = try await store.addReplay(attempt) }
            forwards[capture.id] = ReplayOutcome(attempt)
        }
        // Index part of the captures: filters read the text index below its watermark and the captures above.
        try sqlite.indexTextOnce(limit: 90)
        #expect(try sqlite.textIndexedThrough() == captures[89].id)
        var filters: [RequestFilter] = []
        for _ in 0..<200 { filters.append(try Self.filter(&rng)) }
        for phase in ["partly indexed", "fully indexed"] {
            if phase == "fully indexed" { try sqlite.indexAllText() }
            for filter in filters {
                let expected = captures.filter { filter.matches($0, forward: forwards[$0.id]) }.map(\.id)
                for limit in [1, 7, 500] {
                    let found = try await Self.allMatches(sqlite, filter, limit: limit)
                    #expect(found == expected, "\(phase), limit \(limit): \(filter.text)")
                }
                #expect(try await Self.allMatches(memory, filter, limit: 13) == expected, "memory: \(filter.text)")
                var whole: [Int64] = []
                for try await batch in sqlite.captureBatches(matching: filter, size: 11) { whole += batch.map(\.id) }
                #expect(whole == expected, "\(phase), batches: \(filter.text)")
            }
        }
    }

    @Test func theTextIndexFindsWordsInTheTargetHeadersBodyAndDecodedEscapes() async throws {
        let store = try SQLiteRequestStore(path: temporaryDatabasePath())
        var a = sampleRequest(1, body: Data("{\"name\":\"Caf\\u00e9 zebracorn\"}".utf8))
        a.headers.append(HeaderField("X-Trace", "needle-in-header"))
        let b = sampleRequest(2, body: Data("nothing here".utf8))
        let stored = [try await store.insert(a), try await store.insert(b)]
        try store.indexAllText()
        func ids(_ text: String) async throws -> [Int64] {
            try await Self.allMatches(store, try RequestFilter.parse(text), limit: 10)
        }
        #expect(try await ids("ZEBRACORN") == [stored[0].id])
        #expect(try await ids("café") == [stored[0].id])
        #expect(try await ids("needle-in") == [stored[0].id])
        #expect(try await ids("hook/2") == [stored[1].id])
        #expect(try await ids("-zebracorn") == [stored[1].id])
        // Captures arriving after the index read (above its watermark) are still found.
        let c = try await store.insert(sampleRequest(3, body: Data("late zebracorn".utf8)))
        #expect(try await ids("zebracorn") == [stored[0].id, c.id])
    }

    @Test func aColumnFilterIsAnsweredByTheIndexesAlone() async throws {
        let store = try SQLiteRequestStore(path: temporaryDatabasePath())
        var rng = Seeded(state: 7)
        for _ in 0..<50 { _ = try await store.insert(Self.capture(&rng)) }
        for text in ["sig:invalid", "method:post status:4xx", "sig:stripe -status:404", "id:5-30 sig:valid"] {
            let page = try await store.filterPage(try RequestFilter.parse(text), after: 0, limit: 100, whole: false)
            #expect(page.examined == 0, "\(text)")
            #expect(page.done)
        }
        // Words and headers are decided by reading the captures the indexes leave.
        let page = try await store.filterPage(try RequestFilter.parse("sig:invalid header:x-tag"), after: 0, limit: 100, whole: false)
        #expect(page.examined > 0)
    }

    /// `request_method` leaves POST out (the capture path skips it for nearly every webhook): the
    /// other methods are still found through it, in id order; POST reads the captures.
    @Test func theMethodIndexServesEveryMethodButPost() async throws {
        let store = try SQLiteRequestStore(path: temporaryDatabasePath())
        let plan = { (filter: String) in
            try await store.pool.read { db -> String in
                let condition = try #require(FilterSQL.condition(try RequestFilter.parse(filter).terms[0].predicate))
                return try Row.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN SELECT id FROM request WHERE \(condition.sql) ORDER BY id LIMIT 10",
                    arguments: StatementArguments(condition.arguments)
                ).map { $0["detail"] as String? ?? "" }.joined(separator: "; ")
            }
        }
        let put = try await plan("method:put")
        #expect(put.contains("INDEX request_method"), "\(put)")
        let get = try await plan("method:Get")
        #expect(get.contains("INDEX request_method"), "\(get)")
        #expect(try await !plan("method:post").contains("request_method"))
    }

    @Test func clearingTheStoreEmptiesTheTextIndexWithoutLosingLaterCaptures() async throws {
        let store = try SQLiteRequestStore(path: temporaryDatabasePath())
        for n in 1...5 { _ = try await store.insert(sampleRequest(n, body: Data("zebracorn \(n)".utf8))) }
        try store.indexAllText()
        try await store.deleteAll()
        let late = try await store.insert(sampleRequest(6, body: Data("zebracorn late".utf8)))
        #expect(try await Self.allMatches(store, try RequestFilter.parse("zebracorn"), limit: 10) == [late.id])
        try store.indexAllText()
        #expect(try await Self.allMatches(store, try RequestFilter.parse("zebracorn"), limit: 10) == [late.id])
    }
}
