import Foundation
import Testing
@testable import HookCore

@Suite struct JSONFormatterTests {
    func format(_ json: String) -> any FormattedBody {
        BodyFormatterRegistry.format(makeRequest(headers: [("Content-Type", "application/json")], text: json), as: .json)
    }

    @Test func prettyPrintsWithTwoSpaceIndent() {
        let body = format(#"{"a":1,"b":[true,null,"x"],"c":{},"d":[]}"#)
        #expect(body.view == .json)
        #expect(body.note == nil)
        #expect(allLines(body) == [
            "{",
            #"  "a": 1,"#,
            #"  "b": ["#,
            "    true,",
            "    null,",
            #"    "x""#,
            "  ],",
            #"  "c": {},"#,
            #"  "d": []"#,
            "}",
        ])
    }

    @Test func keepsTokensExactlyAsSent() {
        let body = format(#"{"n":1.0e+10,"m":-0.50E-3,"s":"\u001B[31m\/\"","k":2,"k":3,"z":0,"a":1}"#)
        let lines = allLines(body)
        #expect(lines[1] == #"  "n": 1.0e+10,"#)
        #expect(lines[2] == #"  "m": -0.50E-3,"#)
        #expect(lines[3] == #"  "s": "\u001B[31m\/\"","#)
        // Duplicate keys and key order as sent.
        #expect(lines[4] == #"  "k": 2,"#)
        #expect(lines[5] == #"  "k": 3,"#)
        #expect(lines[6] == #"  "z": 0,"#)
        #expect(lines[7] == #"  "a": 1"#)
    }

    @Test func tagsRoles() {
        let body = format(#"{"key":"v","n":12,"t":false}"#)
        #expect(spans(body.line(at: 1), .key) == [#""key""#])
        #expect(spans(body.line(at: 1), .string) == [#""v""#])
        #expect(spans(body.line(at: 2), .number) == ["12"])
        #expect(spans(body.line(at: 3), .literal) == ["false"])
        #expect(spans(body.line(at: 0), .punctuation) == ["{"])
        #expect(spans(body.line(at: 1), .punctuation) == [": ", ","])
    }

    @Test func keepsInvalidUTF8BytesInStrings() {
        let bytes: [UInt8] = Array(#"{"a":""#.utf8) + [0xFF, 0xC3] + Array(#""}"#.utf8)
        let body = BodyFormatterRegistry.format(makeRequest(headers: [("Content-Type", "application/json")], body: bytes), as: .json)
        #expect(body.note == nil)
        let line = body.line(at: 1)
        #expect(line.first { $0.role == .string }?.bytes == [0x22, 0xFF, 0xC3, 0x22])
    }

    @Test func scalarTopLevelAndWhitespace() {
        #expect(allLines(format("  42 \n")) == ["42"])
        #expect(allLines(format("\"hi\"")) == ["\"hi\""])
        #expect(allLines(format("[ ]")) == ["[]"])
    }

    @Test(arguments: [
        (#"{"a" 1}"#, 1, 5, "expected ':'"),
        ("{\n\"a\": 1,\n\"b\" 2}", 3, 14, "expected ':'"),
        (#"[1,2"#, 1, 4, "unexpected end of input, expected ',' or ']'"),
        (#"{"a":01}"#, 1, 6, "expected ',' or '}'"),
        (#"{"a":tru}"#, 1, 8, "expected a value"),
        (#"{"a":"x\q"}"#, 1, 8, "invalid escape in string"),
        (#"[1] x"#, 1, 4, "unexpected content after the JSON value"),
        (#"{,}"#, 1, 1, "expected a string key"),
        ("", 1, 0, "unexpected end of input, expected a value"),
        (#"[1.]"#, 1, 3, "invalid number: expected a digit after '.'"),
        ("[\"a\tb\"]", 1, 3, "control character in string (must be escaped)"),
    ])
    func reportsErrorPosition(input: String, line: Int, offset: Int, message: String) {
        let result = JSONLayout.layout(Array(input.utf8))
        guard case .failure(let error) = result else {
            Issue.record("expected an error for \(input)")
            return
        }
        #expect(error.line == line)
        #expect(error.offset == offset)
        #expect(error.message == message)
    }

    @Test func invalidJSONIsShownAsTextWithTheErrorMarked() {
        let body = format("{\n  \"a\" 1\n}")
        #expect(body.view == .json)
        #expect(body.note == "invalid JSON at line 2, byte 8: expected ':'")
        let lines = allLines(body)
        #expect(lines == ["{", "  \"a\" 1", "      ^ expected ':'", "}"])
        #expect(spans(body.line(at: 1), .error) == ["1"])
    }

    @Test func invalidJSONAtEndOfInputMarksTheEnd() {
        let body = format("[1,")
        #expect(body.note?.hasPrefix("invalid JSON at line 1, byte 3: unexpected end of input") == true)
        #expect(spans(body.line(at: 0), .error).count == 1)
        #expect(body.lineCount == 2)
    }

    @Test func handlesHundredThousandDeepNestingWithoutRecursion() {
        let depth = 100_000
        let json = String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
        let body = format(json)
        #expect(body.note == nil)
        #expect(body.lineCount == 2 * depth + 1)
        // The innermost value sits at depth 100000; indentation is capped, the depth shown instead.
        let middle = text(body.line(at: depth))
        #expect(middle.hasSuffix("\u{2026}\(depth) 1"))
        #expect(middle.utf8.count < 200)
        #expect(text(body.line(at: 0)) == "[")
        #expect(text(body.line(at: body.lineCount - 1)) == "]")
        // And unbalanced deep nesting is an error, not a crash.
        let broken = format(String(repeating: "{\"a\":", count: depth))
        #expect(broken.note?.contains("unexpected end of input") == true)
    }

    @Test func largeBodyLaysOutEveryElement() {
        // About 3 MB: every element must come back in order, lines rendered on demand.
        let count = 200_000
        var json = "["
        for i in 0..<count {
            json += i == 0 ? "" : ","
            json += "{\"i\":\(i)}"
        }
        json += "]"
        let body = format(json)
        #expect(body.lineCount == count * 3 + 2)
        #expect(text(body.line(at: 2)) == "    \"i\": 0")
        #expect(text(body.line(at: 3 * 123_456 + 2)) == "    \"i\": 123456")
        #expect(text(body.line(at: 3 * (count - 1) + 3)) == "  }")
    }

    @Test func toleratesAByteOrderMark() {
        let body = BodyFormatterRegistry.format(makeRequest(body: [0xEF, 0xBB, 0xBF] + Array("[1]".utf8)), as: .json)
        #expect(body.note == nil)
        #expect(allLines(body) == ["[", "  1", "]"])
    }

    @Test func twentyFiveMebibyteBody() {
        // [{"i":"xxxx…"},{"i":"xxxx…"},…] of about 25 MiB, built as bytes.
        let element = Array(#"{"i":""#.utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 1000) + Array(#""}"#.utf8)
        let count = (25 << 20) / (element.count + 1)
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        bytes.reserveCapacity(count * (element.count + 1) + 2)
        for k in 0..<count {
            if k > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += element
        }
        bytes.append(UInt8(ascii: "]"))
        #expect(bytes.count > 25_000_000)
        let body = BodyFormatterRegistry.format(makeRequest(headers: [("Content-Type", "application/json")], body: bytes), as: .json)
        #expect(body.note == nil)
        #expect(body.lineCount == count * 3 + 2)
        let last = body.line(at: body.lineCount - 3)
        #expect(spans(last, .key) == [#""i""#])
        #expect(spans(last, .string).first?.utf8.count == 1002)
        #expect(text(body.line(at: body.lineCount - 2)) == "  }")
    }

    @Test func linesNeverHoldTabsOrLineBreaks() {
        let body = format("{\t\"a\"\r\n:\t[1,\n2]\r\n}")
        for i in 0..<body.lineCount {
            let bytes = body.line(at: i).flatMap(\.bytes)
            #expect(!bytes.contains(0x09) && !bytes.contains(0x0A) && !bytes.contains(0x0D))
        }
        #expect(allLines(body) == ["{", "  \"a\": [", "    1,", "    2", "  ]", "}"])
    }
}
