import Foundation
import Testing
@testable import HookCore

/// Filters made of random pieces (field names, values, quotes, negations, ranges, odd characters)
/// from a fixed seed: parsing fails with a message or gives a filter, and whenever the summary
/// alone decides a capture (the list's fast path), it decides the same as the whole capture.
@Suite struct RequestFilterFuzzTests {
    @Test func randomFiltersParseOrFailAndTheFastPathAgrees() throws {
        var seed: UInt64 = 0x0F17_7E25
        func next() -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int(seed >> 33)
        }
        let pieces = [
            "method:", "path:", "status:", "sig:", "header:", "id:", "-", "\"", " ", "  ", "POST", "GET", "post", "/stripe", "/", "2xx",
            "4xx", "404", "200", "9", "99999999999999999999", "-1", "1-", "-5", "3-2", "1-3", "valid", "invalid", "no-secret", "unsigned",
            "stripe", "github", "x-trace", "=", "Alpha", "alpha beta", "invoice", "é", "\u{1b}", "\u{202E}", ":", "::", "id:-", "status:x",
            "header:=", "header:a=", "\\", "%", "*", "?", "\t", "\u{0}", "日本",
        ]
        let fields: [(String, [String])] = [
            ("", ["invoice", "Alpha", "alpha beta", "é", "日本", "stripe", "\u{1b}", "x", "PAID"]),
            ("method:", ["POST", "post", "GET", "get", "PUT", "DELETE"]),
            ("path:", ["/stripe", "/", "/github", "/%E2", "/STRIPE", "/stripe/events"]),
            ("status:", ["200", "2xx", "4xx", "404", "503", "5xx", "2XX"]),
            ("sig:", ["valid", "invalid", "no-secret", "unsigned", "stripe", "github", "STRIPE"]),
            ("header:", ["x-trace", "X-Trace=Alpha Beta", "x-trace=alpha beta", "x-évil", "stripe-signature", "x-github-event=push"]),
            ("id:", ["1", "3", "9", "1-3", "3-", "2-9", "99999999999999999999", "9-1"]),
        ]
        let requests = [
            makeRequest(method: "POST", target: "/stripe/events?x=1", headers: [("Stripe-Signature", "t=1,v1=abc"), ("X-Trace", "Alpha Beta")],
                        body: Array(#"{"type":"invoice.paid"}"#.utf8), status: 200,
                        signature: SignatureSummary(provider: "stripe", status: .valid, detail: "ok")),
            makeRequest(method: "GET", target: "/github", headers: [("X-GitHub-Event", "push")], body: [0xff, 0x00, 0x1b], status: 404,
                        signature: SignatureSummary(provider: "github", status: .noSecret, detail: "no secret")),
            makeRequest(method: "PUT", target: "/%E2%80%AE\u{1b}", headers: [("X-Évil", "日本 \u{202E}")], body: Array("é invoice".utf8), status: 503,
                        signature: .unsigned),
        ].enumerated().map { index, request in
            var request = request
            request.id = [3, 9, 1][index]
            return request
        }
        var parsed = 0
        var problems: [String] = []
        for _ in 0..<3_000 {
            // Mostly well-formed terms (an optional `-`, a field, a value, sometimes quoted), the
            // rest pieces joined at random.
            let text: String
            if next() % 4 == 0 {
                text = (0..<(1 + next() % 6)).map { _ in pieces[next() % pieces.count] }.joined()
            } else {
                text = (0..<(1 + next() % 3)).map { _ in
                    let (field, values) = fields[next() % fields.count]
                    var value = next() % 5 == 0 ? pieces[next() % pieces.count] : values[next() % values.count]
                    if next() % 5 == 0 { value = "\"" + value + " " + pieces[next() % pieces.count] + "\"" }
                    return (next() % 4 == 0 ? "-" : "") + field + value
                }.joined(separator: " ")
            }
            let filter: RequestFilter
            do {
                filter = try RequestFilter.parse(text)
            } catch {
                if error.description.isEmpty || error.description.contains("\n") { problems.append("\(text.debugDescription): message \(error.description.debugDescription)") }
                continue
            }
            parsed += 1
            for request in requests {
                let full = filter.matches(request)
                if let fast = filter.matchesSummary(request.summary), fast != full {
                    problems.append("\(text.debugDescription) on #\(request.id): summary says \(fast), the capture \(full)")
                }
            }
        }
        let agreed = problems.isEmpty
        #expect(agreed, "\(problems.prefix(8).joined(separator: "\n"))")
        #expect(parsed > 1_000, "only \(parsed) of 3,000 filters parsed")
    }
}
