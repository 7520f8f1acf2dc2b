import Foundation
import Testing
@testable import HookCore

@Suite struct CaptureDiffTests {
    func pair(_ a: CapturedRequest, _ b: CapturedRequest) -> CaptureDiff {
        var b = b
        b.id = 2
        return CaptureDiff(a, b)
    }

    func json(_ text: String, headers: [(String, String)] = [("Content-Type", "application/json")]) -> CapturedRequest {
        makeRequest(headers: headers, text: text)
    }

    func body(_ diff: CaptureDiff) -> [CaptureDiff.Difference] { diff.differences.filter { $0.section == .body } }
    func string(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
    func rendered(_ diff: CaptureDiff) -> String { CaptureDiffText.terminalText(CaptureDiffText.lines(diff), colour: false) }

    @Test func identicalCapturesHaveNoDifferences() {
        let a = json(#"{"a":1}"#, headers: [("Host", "x"), ("Content-Type", "application/json")])
        let diff = pair(a, a)
        #expect(diff.identical)
        #expect(rendered(diff).hasPrefix("no differences between #1 and #2"))
        #expect(CaptureDiffText.json(diff).contains("\"identical\":true,"))
        #expect(CaptureDiffText.json(diff).contains("\"differences\":[]"))
    }

    @Test func requestLine() {
        let diff = pair(makeRequest(method: "POST", target: "/a?x=1", text: ""), makeRequest(method: "PUT", target: "/b", text: ""))
        #expect(diff.differences.map(\.path) == ["method", "target"])
        #expect(diff.differences.allSatisfy { $0.section == .requestLine && $0.kind == .changed })
        #expect(rendered(diff).contains("~ target: /a?x=1 → /b"))
    }

    @Test func headersAddedRemovedChangedCaseAndOrder() {
        let a = makeRequest(headers: [("Host", "x"), ("content-type", "application/json"), ("User-Agent", "Stripe/1.0"), ("X-Id", "1")], text: "")
        let b = makeRequest(headers: [("Content-Type", "application/json"), ("Host", "x"), ("X-Id", "2"), ("X-Forwarded-For", "10.0.0.1")], text: "")
        let diff = pair(a, b)
        let headers = diff.differences.filter { $0.section == .headers }
        #expect(headers.contains { $0.kind == .removed && $0.path == "User-Agent" && string($0.a) == "Stripe/1.0" })
        #expect(headers.contains { $0.kind == .added && $0.path == "X-Forwarded-For" && string($0.b) == "10.0.0.1" })
        #expect(headers.contains { $0.kind == .changed && $0.path == "X-Id" && string($0.a) == "1" && string($0.b) == "2" })
        #expect(headers.contains { $0.kind == .nameCase && string($0.a) == "content-type" && string($0.b) == "Content-Type" })
        #expect(headers.contains { $0.kind == .order && string($0.a) == "Host, content-type, X-Id" && string($0.b) == "Content-Type, Host, X-Id" })
        // The value did not change: only its name's case.
        #expect(!headers.contains { $0.kind == .changed && $0.path == "Content-Type" })
        #expect(rendered(diff).contains("* Content-Type: name case content-type → Content-Type"))
    }

    @Test func jsonByPathWithTypeChanges() {
        let a = json(#"{"id":"evt_1","data":{"object":{"amount":2000,"currency":"usd","paid":true,"items":[1,2]}}}"#)
        let b = json(#"{"id":"evt_1","data":{"object":{"amount":2500,"currency":5,"paid":null,"items":[1],"new":{}}}}"#)
        let diff = pair(a, b)
        #expect(diff.bodyComparison == "JSON")
        let changes = body(diff)
        #expect(changes.contains { $0.kind == .changed && $0.path == "data.object.amount" && string($0.a) == "2000" && string($0.b) == "2500" })
        #expect(changes.contains { $0.kind == .type && $0.path == "data.object.currency" && $0.note == "string → number" })
        #expect(changes.contains { $0.kind == .type && $0.path == "data.object.paid" && $0.note == "boolean → null" })
        #expect(changes.contains { $0.kind == .removed && $0.path == "data.object.items[1]" })
        #expect(changes.contains { $0.kind == .added && $0.path == "data.object.new" && string($0.b) == "{}" })
        #expect(rendered(diff).contains("~ data.object.amount: 2000 → 2500"))
    }

    @Test func numbersKeepTheirExactText() {
        // 1.0 and 1 are the same number to a parser that reads doubles: the diff reads the text.
        let diff = pair(json(#"{"n":1.0,"big":12345678901234567890}"#), json(#"{"n":1,"big":12345678901234567891}"#))
        #expect(body(diff).map(\.path) == ["n", "big"])
    }

    @Test func keyOrderChange() {
        let diff = pair(json(#"{"a":1,"b":{"x":1,"y":2}}"#), json(#"{"a":1,"b":{"y":2,"x":1}}"#))
        let changes = body(diff)
        #expect(changes.count == 1)
        #expect(changes.first?.kind == .order)
        #expect(changes.first?.path == "b")
        #expect(string(changes.first?.a) == "x, y")
    }

    @Test func whitespaceOnlyReserializationIsCalledOut() {
        let diff = pair(json(#"{"a":1,"b":[1,2]}"#), json("{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ]\n}\n"))
        let changes = body(diff)
        #expect(changes.count == 1)
        #expect(changes.first?.kind == .whitespace)
        #expect(changes.first?.note == "whitespace only: the same JSON values in the same key order, re-serialized (compact → pretty-printed, 2-space indent)")
        #expect(!diff.identical)
    }

    @Test func stringEscapesThatDecodeAlikeAreNamed() {
        let diff = pair(json(#"{"s":"caf\u00e9 a/b"}"#), json(#"{"s":"café a\/b"}"#))
        #expect(body(diff).map(\.kind) == [.escaping])
    }

    @Test func formBodiesByField() {
        let headers = [("Content-Type", "application/x-www-form-urlencoded")]
        let diff = pair(makeRequest(headers: headers, text: "a=1&b=hello+world&c=3"), makeRequest(headers: headers, text: "b=hello%20there&a=1&d=4"))
        #expect(diff.bodyComparison == "form fields")
        let changes = body(diff)
        #expect(changes.contains { $0.kind == .changed && $0.path == "b" && string($0.a) == "hello world" && string($0.b) == "hello there" })
        #expect(changes.contains { $0.kind == .removed && $0.path == "c" })
        #expect(changes.contains { $0.kind == .added && $0.path == "d" && string($0.b) == "4" })
        #expect(changes.contains { $0.kind == .order && string($0.a) == "a, b" && string($0.b) == "b, a" })
    }

    @Test func textBodiesLineByLine() {
        let headers = [("Content-Type", "text/plain")]
        let diff = pair(makeRequest(headers: headers, text: "one\ntwo\nthree\nfour\n"), makeRequest(headers: headers, text: "one\n2\nthree\nfour\nfive\n"))
        #expect(diff.bodyComparison == "text lines")
        let changes = body(diff)
        #expect(changes.count == 2)
        #expect(changes.first?.kind == .changed)
        #expect(changes.first?.path == "line 2")
        #expect(string(changes.first?.a) == "two")
        #expect(string(changes.first?.b) == "2")
        #expect(changes.last?.kind == .added)
        #expect(changes.last?.path == "line 5 of B")
        #expect(string(changes.last?.b) == "five")
    }

    @Test func longTextsBeyondTheLCSAreComparedLineForLine() {
        let lines = (0..<3000).map { "line \($0)" }
        var edited = lines
        for k in stride(from: 0, to: 3000, by: 1000) { edited[k] += " changed" }
        let diff = pair(makeRequest(text: lines.joined(separator: "\n")), makeRequest(text: edited.joined(separator: "\n")))
        #expect(body(diff).map(\.path) == ["line 1", "line 1001", "line 2001"])
        #expect(body(diff).allSatisfy { $0.kind == .changed })
    }

    @Test func lineEndingsOnly() {
        let diff = pair(makeRequest(text: "a\nb\n"), makeRequest(text: "a\r\nb\r\n"))
        #expect(body(diff).first?.kind == .whitespace)
        #expect(body(diff).first?.note?.contains("line endings LF → CRLF") == true)
    }

    @Test func binaryBodiesByFirstDifferingOffsetAndSizes() {
        var bytes = [UInt8](0...255)
        let a = makeRequest(headers: [("Content-Type", "application/octet-stream")], body: bytes)
        bytes[40] = 0xFF
        bytes += [1, 2, 3]
        let diff = pair(a, makeRequest(headers: [("Content-Type", "application/octet-stream")], body: bytes))
        #expect(diff.bodyComparison == "bytes")
        let change = body(diff).first
        #expect(change?.kind == .bytes)
        #expect(change?.path == "offset 40")
        #expect(change?.note == "first difference at byte 40 (0x28); sizes 256 and 259 bytes")
        #expect(string(change?.a)?.hasPrefix("@32: 20 21 22 23 24 25 26 27 28 29") == true)
        #expect(string(change?.b)?.hasPrefix("@32: 20 21 22 23 24 25 26 27 ff 29") == true)
    }

    @Test func invalidUTF8IsComparedAsBytesAndNeverWrittenRaw() {
        let a = makeRequest(headers: [("X-Name", "ok")], body: Array("caf".utf8) + [0xE9, 0x0A])
        var b = makeRequest(headers: [], body: Array("caf".utf8) + [0xFF, 0x1B, 0x5B, 0x32, 0x4A])
        b.headers = [HeaderField(name: "X-Name", rawValue: [0x1B, 0x5D, 0x30, 0x3B, 0x70, 0x77, 0x6E, 0x07, 0xFF])]
        let diff = pair(a, b)
        #expect(diff.bodyComparison == "bytes")
        #expect(body(diff).first?.path == "offset 3")
        let text = rendered(diff)
        // No control byte, no byte that is not UTF-8: everything is escaped.
        #expect(!text.utf8.contains(0x1B))
        #expect(!text.utf8.contains(0x07))
        #expect(String(validatingUTF8Bytes: Array(text.utf8)) != nil)
        #expect(text.contains("X-Name: ok → \\x1b]0;pwn\\x07\\xff"))
        let json = CaptureDiffText.json(diff)
        #expect(!json.utf8.contains(0x1B))
        #expect(json.contains("\"b_base64\":\"" + Data([0x1B, 0x5D, 0x30, 0x3B, 0x70, 0x77, 0x6E, 0x07, 0xFF]).base64EncodedString() + "\""))
    }

    @Test func colourOnlyWhenAsked() {
        let diff = pair(makeRequest(target: "/a", text: ""), makeRequest(target: "/b", text: ""))
        let plain = CaptureDiffText.terminalText(CaptureDiffText.lines(diff), colour: false)
        let coloured = CaptureDiffText.terminalText(CaptureDiffText.lines(diff), colour: true)
        #expect(!plain.contains("\u{1B}"))
        #expect(coloured.contains("\u{1B}[31m/a\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[32m/b\u{1B}[0m"))
    }

    @Test func hugeBodiesAreComparedAsBytes() {
        let big = Array(repeating: UInt8(ascii: "a"), count: CaptureDiff.maxStructuredBodyBytes + 1)
        var other = big
        other[10] = UInt8(ascii: "b")
        let diff = pair(makeRequest(body: big), makeRequest(body: other))
        #expect(body(diff).map(\.kind) == [.bytes])
    }

    @Test func manyDifferencesAreCountedNotAllListed() {
        let items = (0..<500).map(String.init).joined(separator: ",")
        let other = (0..<500).map { String($0 + 1) }.joined(separator: ",")
        let diff = pair(json("[\(items)]"), json("[\(other)]"))
        #expect(body(diff).count == CaptureDiff.maxBodyDifferences)
        #expect(diff.omittedBodyDifferences == 300)
        #expect(rendered(diff).contains("… 300 more differences in the body not listed"))
    }

    @Test func storedVerdictsAreComparedWithoutReports() {
        let a = makeRequest(signature: SignatureSummary(provider: "stripe", status: .valid, detail: "signature matches"))
        let b = makeRequest(signature: SignatureSummary(provider: "stripe", status: .invalid, detail: "signature mismatch"))
        let diff = pair(a, b)
        #expect(diff.differences.map(\.path) == ["verdict"])
        #expect(diff.signatureRows.map(\.name) == ["provider", "verdict"])
    }

    @Test func signatureRowsCompareTheTimestampNotItsAge() {
        let a = ["provider: Stripe (stripe)", "timestamp: 1700000000 (2023-11-14T22:13:20Z), 5 s old when received, tolerance 5 min",
                 "now: 3 years old", "expected (secret whsec_…abcd): v1=00", "verdict: valid — signature matches"]
        let b = ["provider: Stripe (stripe)", "timestamp: 1700000000 (2023-11-14T22:13:20Z), 9 s old when received, tolerance 5 min",
                 "now: 3 years old", "expected (secret whsec_…abcd): v1=00", "verdict: valid — signature matches"]
        var other = makeRequest(text: "")
        other.id = 2
        let diff = CaptureDiff(makeRequest(text: ""), other, signatureLines: (a, b))
        #expect(diff.identical)
        #expect(diff.signatureRows.map(\.name) == ["provider", "timestamp", "verdict"])
        // Lines made from the secret are not shown.
        #expect(!rendered(diff).contains("whsec_"))
    }
}
