import Foundation
import HookCore
import Testing

@testable import HookListen

@Suite struct RuleParserTests {
    func parse(_ text: String) throws -> [ResponseRule] {
        try RuleParser.parseFile(text, path: "rules.toml")
    }

    func error(_ text: String) -> UserError? {
        do {
            _ = try parse(text)
            return nil
        } catch let error as UserError {
            return error
        } catch {
            return UserError("unexpected: \(error)")
        }
    }

    /// Each mistake is one line naming the file, the rule's line and the rule, and is a usage error.
    @Test(arguments: [
        ("[[rule]]\nname = \"a\"\nstauts = 500", "rules.toml:1: rule 'a': unknown key 'stauts' (known: body, delay_ms, event, fail, forward_to, header, headers, method, name, path, provider, sequence, status)"),
        ("\n[[rule]]\npath = \"/a/[b\"", "rules.toml:2: rule '1': path: bad glob '/a/[b': '[' without its ']'"),
        ("[[rule]]\nstatus = 200\n[[rule]]\nname = \"big\"\nstatus = 600", "rules.toml:3: rule 'big': status must be an HTTP status between 100 and 599, not 600"),
        ("[[rule]]\nsequence = [500, 99]", "rules.toml:1: rule '1': sequence must be an HTTP status between 100 and 599, not 99"),
        ("[[rule]]\nfail = [\"timeout\", \"reset\"]", "rules.toml:1: rule '1': one failure kind per rule, not 2 (fail = \"timeout\", \"reset\" or \"close\")"),
        ("[[rule]]\nfail = \"explode\"", "rules.toml:1: rule '1': fail must be \"timeout\", \"reset\" or \"close\""),
        ("[[rule]]\nfail = \"reset\"\nstatus = 500", "rules.toml:1: rule '1': fail gives no response: it takes no status or sequence"),
        ("[[rule]]\nforward_to = \"ftp://example.com\"", "rules.toml:1: rule '1': forward_to: invalid URL 'ftp://example.com': only http and https are supported, not 'ftp'"),
        ("[[rule]]\nprovider = \"nosuch\"", "rules.toml:1: rule '1': unknown provider 'nosuch' (see `hookscope providers`)"),
        ("[[rule]]\nheader = \"no colon\"", "rules.toml:1: rule '1': header must look like 'Name: glob', not 'no colon'"),
        ("[[rule]]\nname = \"x\"\n[[rule]]\nname = \"X\"", "rules.toml:3: rule 'X': another rule has this name"),
        ("status = 200", "rules.toml: unknown setting 'status' (a rules file holds [[rule]] tables)"),
    ])
    func badRulesAreOneLineUsageErrors(text: String, message: String) {
        let error = error(text)
        #expect(error?.description == message)
        #expect(error?.isUsage == true)
    }

    @Test func aFullRuleReadsEveryKey() throws {
        let rules = try parse("""
            [[rule]]
            name = "stripe-down"
            method = "post"
            path = "/stripe/*"
            provider = "Stripe"
            event = "payment_intent.*"
            header = "User-Agent: Stripe/*"
            sequence = [500, 500, 200]
            headers = ["Retry-After: 1"]
            body = "down"
            delay_ms = 250

            [[rule]]
            forward_to = "http://127.0.0.1:3000"
            status = 202
            """)
        #expect(rules.count == 2)
        let first = rules[0]
        #expect(first.label == "stripe-down")
        #expect(first.line == 1)
        #expect(first.method == "POST")
        #expect(first.provider == "stripe")
        #expect(first.header?.name == "User-Agent")
        #expect(first.sequence == [500, 500, 200])
        #expect(first.headers == [HeaderField("Retry-After", "1")])
        #expect(first.delay == .milliseconds(250))
        #expect(rules[1].label == "2")
        #expect(rules[1].line == 13)
        #expect(rules[1].forwardTo == "http://127.0.0.1:3000")
    }

    @Test(arguments: [
        ("/stripe/*", "/stripe/webhooks", true),
        ("/stripe/*", "/stripe/a/b", true),
        ("/stripe/*", "/stripe", false),
        ("/stripe*", "/stripe", true),
        ("/a?c", "/abc", true),
        ("/a?c", "/ac", false),
        ("/[a-c]x", "/bx", true),
        ("/[!a-c]x", "/bx", false),
        ("/[!a-c]x", "/dx", true),
        ("*.succeeded", "payment_intent.succeeded", true),
        ("*.succeeded", "payment_intent.failed", false),
        ("a*b*c", "aXbYbZc", true),
        ("a*b*c", "aXbYbZ", false),
        ("/\\*", "/*", true),
        ("/\\*", "/x", false),
        ("/café", "/café", true),
        ("/caf?", "/café", true),
    ])
    func globs(pattern: String, text: String, matches: Bool) throws {
        #expect(try Glob(pattern).matches(text) == matches)
    }

    /// A request the listener answers itself (a provider's handshake) uses up nothing: no match
    /// count, no sequence position, no fail-next request.
    @Test func anExemptRequestUsesUpNoCountSequenceOrFailNext() throws {
        let rules = try parse("""
            [[rule]]
            name = "seq"
            path = "/hooks"
            sequence = [500, 503, 200]
            """)
        let book = RuleBook(rules: rules) { _ in nil }
        func request(_ body: String) -> CapturedRequest {
            CapturedRequest(
                receivedAt: .now(), method: "POST", rawTarget: Array("/hooks".utf8), headers: [], remoteAddress: "",
                body: Data(body.utf8), response: CapturedResponse(status: 200))
        }
        let isHandshake: (CapturedRequest) -> Bool = { $0.body == Data("handshake".utf8) }
        #expect(book.answer(for: request("handshake"), exempt: isHandshake) == nil)
        #expect(book.statuses.first?.matched == 0)
        #expect(book.answer(for: request("event"), exempt: isHandshake)?.response.status == 500)
        #expect(book.answer(for: request("handshake"), exempt: isHandshake) == nil)
        #expect(book.answer(for: request("event"), exempt: isHandshake)?.response.status == 503)
        #expect(book.statuses.first?.matched == 2)
        book.setOverride(.failNext(remaining: 1, status: 502, failure: nil, pathPrefix: nil))
        #expect(book.answer(for: request("handshake"), exempt: isHandshake) == nil)
        #expect(book.override != nil)
        #expect(book.answer(for: request("event"), exempt: isHandshake)?.label == "fail-next")
        #expect(book.override == nil)
    }

    /// The first matching rule answers; a sequence goes on per delivery id and stays at its last
    /// status; the override answers before the rules and "fail next" ends by itself.
    @Test func theFirstMatchAnswersAndOverridesComeFirst() throws {
        let rules = try parse("""
            [[rule]]
            name = "seq"
            header = "X-Delivery-Id: *"
            sequence = [500, 200]

            [[rule]]
            name = "rest"
            status = 204
            """)
        let book = RuleBook(rules: rules) { _ in nil }
        func request(_ path: String, delivery: String? = nil) -> CapturedRequest {
            CapturedRequest(
                receivedAt: .now(), method: "POST", rawTarget: Array(path.utf8),
                headers: delivery.map { [HeaderField("X-Delivery-Id", $0)] } ?? [], remoteAddress: "", body: Data(),
                response: CapturedResponse(status: 200))
        }
        #expect(book.answer(for: request("/a", delivery: "1"))?.response.status == 500)
        #expect(book.answer(for: request("/a", delivery: "2"))?.response.status == 500)
        #expect(book.answer(for: request("/a", delivery: "1"))?.response.status == 200)
        #expect(book.answer(for: request("/a", delivery: "1"))?.response.status == 200)
        #expect(book.answer(for: request("/a"))?.label == "rest")
        book.setOverride(.failNext(remaining: 2, status: 500, failure: nil, pathPrefix: "/stripe"))
        #expect(book.answer(for: request("/github"))?.label == "rest")
        #expect(book.answer(for: request("/stripe"))?.label == "fail-next")
        let last = book.answer(for: request("/stripe"))
        #expect(last?.label == "fail-next")
        #expect(last?.response.status == 500)
        #expect(book.answer(for: request("/stripe"))?.label == "rest")
        #expect(book.override == nil)
        book.setOverride(.endpointDown(failure: .reset))
        #expect(book.answer(for: request("/a"))?.failure == .reset)
        book.setOverride(nil)
        #expect(book.statuses.map(\.matched) == [4, 3])
    }
}
