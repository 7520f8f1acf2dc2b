import Foundation
import Testing
@testable import HookCore

@Suite struct RequestFilterTests {
    let stripe = makeRequest(
        method: "POST", target: "/stripe/events?x=1",
        headers: [("Content-Type", "application/json"), ("Stripe-Signature", "t=1,v1=abc"), ("X-Trace", "Alpha Beta")],
        body: Array(#"{"type":"invoice.paid","amount":4200}"#.utf8),
        status: 200,
        signature: SignatureSummary(provider: "stripe", status: .valid, detail: "ok")
    )
    let github = makeRequest(
        method: "GET", target: "/github",
        headers: [("X-GitHub-Event", "push")],
        body: [],
        status: 404,
        signature: SignatureSummary(provider: "github", status: .noSecret, detail: "no secret")
    )

    func matches(_ filter: String, _ request: CapturedRequest) throws -> Bool {
        try RequestFilter.parse(filter).matches(request)
    }

    @Test(arguments: [
        ("", true, true),
        ("invoice", true, false),
        ("INVOICE.PAID", true, false),
        ("stripe", true, false),               // target
        ("alpha", true, false),                // header value
        ("x-github", false, true),             // header name
        ("\"alpha beta\"", true, false),
        ("\"alpha  beta\"", false, false),
        ("method:post", true, false),
        ("method:GET", false, true),
        ("path:/stripe", true, false),
        ("path:/STRIPE/ev", true, false),
        ("path:/events", false, false),
        ("path:/stripe/events?x", false, false), // the query is not part of the path
        ("status:200", true, false),
        ("status:4xx", false, true),
        ("status:40X", false, true),
        ("status:2xx", true, false),
        ("sig:valid", true, false),
        ("sig:no-secret", false, true),
        ("sig:\"no secret\"", false, true),
        ("sig:invalid", false, false),
        ("sig:unsigned", false, false),
        ("sig:stripe", true, false),
        ("sig:GitHub", false, true),
        ("header:stripe-signature", true, false),
        ("header:Stripe-Signature=V1=ABC", true, false),
        ("header:stripe-signature=v2", false, false),
        ("header:x-trace=\"alpha beta\"", true, false),
        ("-sig:valid", false, true),
        ("-invoice", false, true),
        ("method:post -status:4xx invoice", true, false),
        ("method:post status:4xx", false, false),
        ("10:30", false, false),              // not a field: plain text
        ("4200", true, false),
    ])
    func matchesEveryField(filter: String, matchesStripe: Bool, matchesGithub: Bool) throws {
        #expect(try matches(filter, stripe) == matchesStripe)
        #expect(try matches(filter, github) == matchesGithub)
    }

    @Test(arguments: [
        ("foo:bar", "unknown field 'foo:' (known: method:, path:, status:, sig:, header:, id:, forward:, rule:, event:, delivery:, attempt:; quote the term to search for it as text)"),
        ("id:abc", "bad id 'abc': expected an id like 42, a range like 100-200, or 100- for 100 on"),
        ("id:5-3", "bad id '5-3': expected an id like 42, a range like 100-200, or 100- for 100 on"),
        ("id:-5", "bad id '-5': expected an id like 42, a range like 100-200, or 100- for 100 on"),
        ("status:abc", "bad status pattern 'abc': expected a code like 404 or a class like 4xx"),
        ("status:4xxx", "bad status pattern '4xxx': expected a code like 404 or a class like 4xx"),
        ("status:", "status: needs a value (column 1)"),
        ("invoice \"unterminated", "unterminated quote starting at column 9"),
        ("header:=x", "bad header name '' in header:=x"),
        ("sig:$(x)", "bad sig: value '$(x)': expected valid, invalid, no-secret, unsigned, expired or a provider id (see `hookscope providers`)"),
        ("sig:expird", "bad sig: value 'expird': expected valid, invalid, no-secret, unsigned, expired or a provider id (see `hookscope providers`)"),
        ("sig:strip", "bad sig: value 'strip': expected valid, invalid, no-secret, unsigned, expired or a provider id (see `hookscope providers`)"),
        ("forward:abc", "bad forward pattern 'abc': expected a code like 404 or a class like 4xx"),
        ("method:\"P O\"", "bad method 'P O': expected a word such as POST"),
    ])
    func reportsErrorsOnOneLine(filter: String, message: String) {
        do {
            _ = try RequestFilter.parse(filter)
            Issue.record("expected an error for \(filter)")
        } catch {
            #expect(error.description == message)
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func sigExpiredMatchesASignatureThatMatchedOutsideItsTolerance() throws {
        func request(_ status: VerdictStatus, _ detail: String) -> CapturedRequest {
            makeRequest(body: Array("x".utf8), signature: SignatureSummary(provider: "stripe", status: status, detail: detail))
        }
        let tooOld = request(.invalid, "signature matches but timestamp too old: 10m 0s old when received, 5m 0s past the 5m 0s tolerance")
        let future = request(.invalid, "signature matches but timestamp in the future: 9m 0s ahead of the receive time, 4m 0s beyond the 5m 0s tolerance (clock skew?)")
        let v1a = request(.invalid, "v1a signature verifies but timestamp too old: 1h 0m old when received, 55m 0s past the 5m 0s tolerance")
        let mismatch = request(.invalid, "signature mismatch; also timestamp too old: 10m 0s old when received, 5m 0s past the 5m 0s tolerance")
        let unreadable = request(.invalid, "signature matches but timestamp 'soon' is not a valid time")
        let valid = request(.valid, "signature matches")
        for r in [tooOld, future, v1a] {
            #expect(try matches("sig:expired", r))
            #expect(try RequestFilter.parse("sig:expired").matchesSummary(r.summary) == true)
            #expect(try matches("sig:invalid", r), "expired stays an invalid verdict")
        }
        for r in [mismatch, unreadable, valid] {
            #expect(try !matches("sig:expired", r))
            #expect(try matches("-sig:expired", r))
        }
    }

    @Test func customSchemeIdsAreProvidersToo() throws {
        let request = makeRequest(body: Array("x".utf8), signature: SignatureSummary(provider: "acme", status: .valid, detail: "ok"))
        #expect(throws: FilterError.self) { try RequestFilter.parse("sig:acme") }
        #expect(try RequestFilter.parse("sig:ACME", customProviders: ["acme"]).matches(request))
    }

    @Test func forwardMatchesWhatTheForwardTargetAnswered() throws {
        func outcome(_ status: Int?, kind: ReplayKind = .forward) -> ReplayOutcome {
            ReplayOutcome(requestID: 1, kind: kind, targetURL: "http://127.0.0.1:3000/", status: status,
                          error: status == nil ? "connection refused" : nil, failure: status == nil ? .refused : nil, durationNanoseconds: 1)
        }
        let filter = try RequestFilter.parse("forward:5xx")
        #expect(filter.needsForwards)
        #expect(try !RequestFilter.parse("status:5xx").needsForwards)
        #expect(filter.matches(stripe, forward: outcome(502)))
        #expect(!filter.matches(stripe, forward: outcome(200)))
        #expect(!filter.matches(stripe, forward: outcome(nil)))
        #expect(!filter.matches(stripe, forward: nil))
        // A replay someone asked for is not what the forward target answered.
        #expect(!filter.matches(stripe, forward: outcome(502, kind: .replay)))
        #expect(try RequestFilter.parse("forward:200").matches(stripe, forward: outcome(200)))
        #expect(try RequestFilter.parse("-forward:200").matches(stripe, forward: outcome(500)))
        // Without the forward read, the summary cannot say.
        #expect(filter.matchesSummary(stripe.summary) == nil)
    }

    @Test func textFindsWhatJSONEscapesSpell() throws {
        let escaped = makeRequest(text: #"{"name":"Caf\u00e9 \ud83d\ude00","note":"a\\u00e9b"}"#)
        #expect(try matches("Café", escaped))
        #expect(try matches("\"caf\u{e9} \u{1F600}\"", escaped))
        #expect(try matches("Caf\\u00e9", escaped), "the bytes as sent still match")
        // `\\u00e9` is a backslash and the text u00e9, not an escape.
        #expect(try !matches("aéb", escaped))
        #expect(try !matches("Cafe", escaped))
        #expect(try !matches("Café", makeRequest(text: #"{"name":"Caf\u00"}"#)))
    }

    @Test func quotedTermsMaySearchForFieldLikeText() throws {
        let request = makeRequest(text: "see http://example.com")
        #expect(try matches("\"http://example.com\"", request))
        #expect(throws: FilterError.self) { try RequestFilter.parse("http://example.com") }
    }

    @Test func isEmptyOnlyWithoutTerms() throws {
        #expect(try RequestFilter.parse("   ").isEmpty)
        #expect(try !RequestFilter.parse("a").isEmpty)
    }

    @Test func summaryMatchingDecidesWhatItCan() throws {
        let s = stripe.summary
        #expect(try RequestFilter.parse("method:POST status:2xx sig:stripe path:/stripe").matchesSummary(s) == true)
        #expect(try RequestFilter.parse("method:GET").matchesSummary(s) == false)
        // Needs the body or headers: undecided unless another term already fails.
        #expect(try RequestFilter.parse("invoice").matchesSummary(s) == nil)
        #expect(try RequestFilter.parse("header:x-trace").matchesSummary(s) == nil)
        #expect(try RequestFilter.parse("invoice method:GET").matchesSummary(s) == false)
        #expect(try RequestFilter.parse("-sig:valid").matchesSummary(s) == false)
    }

    /// `id:` picks captures by id (the command the headless listener's note about dropped lines
    /// gives), decided from the summary; its bounds let a scan start and stop early.
    @Test func idTermsPickCapturesById() throws {
        var request = stripe
        for (filter, ids) in [("id:42", [42]), ("id:41-43", [41, 42, 43]), ("id:43-", [43, 44]), ("-id:42", [41, 43, 44]), ("id:40-42 id:42-50", [42])] {
            let parsed = try RequestFilter.parse(filter)
            let matching = (41...44).filter { id in
                request.id = Int64(id)
                return parsed.matches(request) && parsed.matchesSummary(request.summary) == true
            }
            #expect(matching == ids, "\(filter)")
        }
        #expect(try RequestFilter.parse("id:41-43 method:POST").idBounds == 41...43)
        #expect(try RequestFilter.parse("id:43-").idBounds == 43...Int64.max)
        #expect(try RequestFilter.parse("id:40-45 id:43-50").idBounds == 43...45)
        #expect(try RequestFilter.parse("id:1-5 id:7-9").idBounds == 0...0)
        #expect(try RequestFilter.parse("-id:5 method:POST").idBounds == nil)
    }

    @Test func searchesLargeBodiesWithoutQuadraticBlowUp() throws {
        // A body of 'a's and a needle of 'a's ending in 'b' is the worst case for naive search.
        var body = [UInt8](repeating: UInt8(ascii: "a"), count: 8 << 20)
        let needle = String(repeating: "a", count: 2000) + "b"
        let request = makeRequest(body: body)
        #expect(try !matches("\"\(needle)\"", request))
        body.append(UInt8(ascii: "B"))
        #expect(try matches("\"\(needle)\"", makeRequest(body: body)))
    }

    @Test func byteSearcherFindsOverlappingPrefixes() {
        let s = ByteSearcher(Array("abab c".utf8), ignoreCase: true)
        #expect(s.firstIndex(in: Array("ababab ABAB C".utf8)) == 7)
        #expect(ByteSearcher(Array("aab".utf8), ignoreCase: false).firstIndex(in: Array("aaab".utf8)) == 1)
        #expect(ByteSearcher([], ignoreCase: false).firstIndex(in: [1, 2]) == 0)
    }
}
