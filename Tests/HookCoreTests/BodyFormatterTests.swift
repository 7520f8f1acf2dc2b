import Foundation
import Testing
@testable import HookCore

@Suite struct BodyFormatterTests {
    // MARK: views

    @Test(arguments: [
        ("application/json", #"{"a":1}"#, [BodyView.json, .text, .hex, .raw]),
        ("application/vnd.api+json; charset=utf-8", #"[]"#, [.json, .text, .hex, .raw]),
        ("", #"  {"sniffed":true}"#, [.json, .text, .hex, .raw]),
        ("text/plain", "hello", [.text, .hex, .raw]),
        ("application/x-www-form-urlencoded", "a=1&b=2", [.form, .text, .hex, .raw]),
        ("multipart/form-data; boundary=XYZ", "--XYZ\r\n\r\nx\r\n--XYZ--", [.multipart, .text, .hex, .raw]),
        ("application/xml", "<a/>", [.xml, .text, .hex, .raw]),
        ("", "<?xml version=\"1.0\"?><a/>", [.xml, .text, .hex, .raw]),
    ])
    func viewsAreOrderedBestFirst(contentType: String, body: String, expected: [BodyView]) {
        let headers = contentType.isEmpty ? [] : [("Content-Type", contentType)]
        #expect(BodyFormatterRegistry.views(for: makeRequest(headers: headers, text: body)) == expected)
    }

    @Test func binaryBodyOffersHexFirst() {
        let request = makeRequest(headers: [("Content-Type", "application/octet-stream")], body: [0x00, 0x01, 0xFF, 0x10])
        #expect(BodyFormatterRegistry.views(for: request) == [.hex, .raw])
        let claimsText = makeRequest(headers: [("Content-Type", "text/plain")], body: [0x00, 0x01, 0xFF, 0x10])
        #expect(BodyFormatterRegistry.views(for: claimsText) == [.hex, .text, .raw])
    }

    // MARK: text and raw

    @Test func textSplitsAtLFDropsCRBeforeLFAndExpandsTabs() {
        let body = BodyFormatterRegistry.format(makeRequest(text: "a\tb\r\nxy\tz\n\tq\rr\n"), as: .text)
        #expect(allLines(body) == ["a       b", "xy      z", "        q\\rr"])
        for i in 0..<body.lineCount {
            let bytes = body.line(at: i).flatMap(\.bytes)
            #expect(!bytes.contains(0x09) && !bytes.contains(0x0A) && !bytes.contains(0x0D))
        }
    }

    @Test func textNotesCRLFLineEndings() {
        #expect(BodyFormatterRegistry.format(makeRequest(text: "a\r\nb\r\n"), as: .text).note == "CRLF line endings")
        #expect(BodyFormatterRegistry.format(makeRequest(text: "a\nb\n"), as: .text).note == nil)
    }

    @Test func giantLinesAreCutWithAMarker() {
        let line = [UInt8](repeating: UInt8(ascii: "x"), count: ByteText.maxLineBytes - 1) + Array("é".utf8) + [UInt8](repeating: 0x79, count: 999)
        let body = BodyFormatterRegistry.format(makeRequest(body: line), as: .text)
        #expect(body.lineCount == 1)
        let spans = body.line(at: 0)
        #expect(spans.dropLast().reduce(0) { $0 + $1.bytes.count } == ByteText.maxLineBytes - 1)
        #expect(text([spans.last!]) == " \u{2026} 1001 more bytes on this line")
        #expect(spans.last?.role == .muted)
    }

    @Test func rawKeepsExactBytesSplitAtLFOnly() {
        let bytes: [UInt8] = [0x61, 0x09, 0x0D, 0x0A, 0xFF, 0x00, 0x0A]
        let body = BodyFormatterRegistry.format(makeRequest(body: bytes), as: .raw)
        #expect(body.lineCount == 3)
        #expect(body.line(at: 0).flatMap(\.bytes) == [0x61, 0x09, 0x0D])
        #expect(body.line(at: 1).flatMap(\.bytes) == [0xFF, 0x00])
        #expect(body.line(at: 2).flatMap(\.bytes) == [])
    }

    @Test func emptyBodyHasNoLines() {
        let body = BodyFormatterRegistry.format(makeRequest(body: []), as: .json)
        #expect(body.lineCount == 0)
        #expect(body.note == "empty body")
    }

    @Test func refusedRequestSaysTheBodyWasNotKept() {
        var request = makeRequest(body: [])
        request.refusal = .bodyTooLarge
        request.bodySize = 5_000_000
        let body = BodyFormatterRegistry.format(request, as: .text)
        #expect(body.note == "body not kept: request refused (body-too-large), 5000000 bytes received")
    }

    // MARK: hex

    @Test func hexDumpLayout() {
        let bytes = Array(#"{"a":1}"#.utf8) + [0x0A] + Array("0123456789".utf8)
        let body = BodyFormatterRegistry.format(makeRequest(body: bytes), as: .hex)
        #expect(body.lineCount == 2)
        #expect(allLines(body) == [
            #"00000000  7b 22 61 22 3a 31 7d 0a  30 31 32 33 34 35 36 37  |{"a":1}.01234567|"#,
            #"00000010  38 39                                             |89|"#,
        ])
        #expect(body.line(at: 0).first?.role == .muted)
    }

    @Test func hexDumpIsComputedPerLine() {
        let bytes = [UInt8](repeating: 0xAB, count: 1_000_003)
        let body = BodyFormatterRegistry.format(makeRequest(body: bytes), as: .hex)
        #expect(body.lineCount == 62_501)
        #expect(text(body.line(at: 62_500)).hasPrefix("000f4240  ab ab ab  "))
    }

    // MARK: content encoding

    @Test func decodesGzipForDisplay() throws {
        let json = Array(#"{"zipped":[1,2]}"#.utf8)
        let compressed = try gzipped(json)
        let request = makeRequest(headers: [("Content-Type", "application/json"), ("Content-Encoding", "gzip")], body: compressed)
        #expect(BodyFormatterRegistry.views(for: request) == [.json, .text, .hex, .raw])
        let body = BodyFormatterRegistry.format(request, as: .json)
        #expect(body.note == "decoded from gzip (\(compressed.count) bytes \u{2192} \(json.count) bytes)")
        #expect(allLines(body) == ["{", #"  "zipped": ["#, "    1,", "    2", "  ]", "}"])
        // Raw stays the stored bytes.
        let raw = BodyFormatterRegistry.format(request, as: .raw)
        #expect((0..<raw.lineCount).flatMap { raw.line(at: $0).flatMap(\.bytes) + [0x0A] }.dropLast().elementsEqual(compressed))
    }

    @Test func decodesConcatenatedGzipMembers() throws {
        let both = try gzipped(Array("one ".utf8)) + gzipped(Array("two".utf8))
        let request = makeRequest(headers: [("Content-Encoding", "x-gzip")], body: both)
        #expect(allLines(BodyFormatterRegistry.format(request, as: .text)) == ["one two"])
    }

    @Test(arguments: [
        [UInt8]([120, 156, 171, 86, 74, 73, 77, 203, 73, 44, 73, 77, 81, 178, 42, 41, 42, 77, 173, 5, 0, 56, 88, 6, 112]),
        [UInt8]([171, 86, 74, 73, 77, 203, 73, 44, 73, 77, 81, 178, 42, 41, 42, 77, 173, 5, 0]),
    ])
    func decodesZlibAndRawDeflate(compressed: [UInt8]) {
        let request = makeRequest(headers: [("Content-Encoding", "deflate")], body: compressed)
        #expect(BodyFormatterRegistry.views(for: request).first == .json)
        let body = BodyFormatterRegistry.format(request, as: .json)
        #expect(allLines(body) == ["{", #"  "deflated": true"#, "}"])
        #expect(body.note?.hasPrefix("decoded from deflate") == true)
    }

    @Test func corruptGzipFallsBackToHexOfTheRawBytes() throws {
        var compressed = try gzipped(Array(String(repeating: "hello world ", count: 50).utf8))
        compressed[12] ^= 0xFF
        compressed[13] ^= 0xFF
        let request = makeRequest(headers: [("Content-Encoding", "gzip")], body: compressed)
        #expect(BodyFormatterRegistry.views(for: request) == [.hex, .raw])
        let body = BodyFormatterRegistry.format(request, as: .json)
        #expect(body.view == .hex)
        #expect(body.note?.hasPrefix("could not decode gzip: ") == true)
        #expect(body.lineCount == (compressed.count + 15) / 16)
    }

    @Test func truncatedGzipIsReported() throws {
        let compressed = try gzipped(Array(String(repeating: "abc", count: 1000).utf8))
        let request = makeRequest(headers: [("Content-Encoding", "gzip")], body: Array(compressed.dropLast(10)))
        let body = BodyFormatterRegistry.format(request, as: .text)
        #expect(body.view == .hex)
        #expect(body.note == "could not decode gzip: truncated compressed stream; showing the raw bytes")
    }

    @Test func zipBombGuardStopsAtTheLimit() throws {
        let zeros = [UInt8](repeating: 0, count: 3 << 20)
        let compressed = try gzipped(zeros)
        let outcome = ContentDecoding.decode(compressed, headers: [HeaderField("Content-Encoding", "gzip")], limit: 1 << 20)
        #expect(outcome == .failed(note: "could not decode gzip: decoded size exceeds the 1 MiB limit; showing the raw bytes"))
        let fine = ContentDecoding.decode(compressed, headers: [HeaderField("Content-Encoding", "gzip")], limit: 4 << 20)
        #expect(fine == .decoded(zeros, note: "decoded from gzip (\(compressed.count) bytes \u{2192} \(zeros.count) bytes)"))
    }

    @Test func unknownEncodingIsShownAsHex() {
        let request = makeRequest(headers: [("Content-Encoding", "br")], body: [1, 2, 3])
        #expect(BodyFormatterRegistry.views(for: request) == [.hex, .raw])
        #expect(BodyFormatterRegistry.format(request, as: .text).note == "content-encoding br is not decoded; showing the raw bytes")
    }

    // MARK: form

    @Test func formDecodesAndAligns() {
        let request = makeRequest(headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                  text: "name=J%C3%B6rg+M&amount=10%25&bad=%zz%4&flag&nl=a%0Ab&&x=")
        let body = BodyFormatterRegistry.format(request, as: .form)
        #expect(body.view == .form)
        #expect(body.note == "6 fields")
        #expect(allLines(body) == [
            "name    value",
            "name    Jörg M",
            "amount  10%",
            "bad     %zz%4",
            "flag    (no value)",
            "nl      a\\nb",
            "x       ",
        ])
        #expect(spans(body.line(at: 1), .key) == ["name"])
        #expect(spans(body.line(at: 5), .muted) == ["\\n"])
    }

    // MARK: multipart

    @Test func multipartSplitsPartsWithHeadersAndContent() {
        let boundary = "----WebKitFormBoundary7MA4YWxk"
        var body: [UInt8] = Array("preamble\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nhello\r\nworld\r\n".utf8)
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += [0x00, 0x01, 0x02, 0xFF] + Array(repeating: 0x41, count: 100)
        body += Array("\r\n--\(boundary)--\r\nepilogue".utf8)
        let request = makeRequest(headers: [("Content-Type", "multipart/form-data; boundary=\"\(boundary)\"")], body: body)
        let formatted = BodyFormatterRegistry.format(request, as: .multipart)
        #expect(formatted.note == "2 parts")
        let lines = allLines(formatted)
        #expect(Array(lines.prefix(6)) == [
            "\u{2500}\u{2500} part 1 of 2 \u{00B7} 12 bytes \u{2500}\u{2500}",
            #"Content-Disposition: form-data; name="field""#,
            "",
            "hello",
            "world",
            "",
        ])
        #expect(lines[6] == "\u{2500}\u{2500} part 2 of 2 \u{00B7} 104 bytes \u{2500}\u{2500}")
        #expect(lines[9] == "")
        #expect(lines[10] == "binary content, 104 bytes; first 64:")
        #expect(lines[11].hasPrefix("00000000  00 01 02 ff 41 41"))
        #expect(lines.count == 15)
    }

    @Test func multipartJSONPartsArePrettyPrinted() {
        let request = makeRequest(headers: [("Content-Type", "multipart/related; boundary=b")],
                                  text: "--b\r\nContent-Type: application/json\r\n\r\n{\"a\":[1]}\r\n--b--\r\n")
        let lines = allLines(BodyFormatterRegistry.format(request, as: .multipart))
        #expect(Array(lines.suffix(5)) == ["{", #"  "a": ["#, "    1", "  ]", "}"])
    }

    @Test func multipartWithLFOnlyAndMissingClose() {
        let request = makeRequest(headers: [("Content-Type", "multipart/mixed; boundary=b")],
                                  text: "--b\nContent-Type: text/plain\n\none\n--b\n\ntwo")
        let formatted = BodyFormatterRegistry.format(request, as: .multipart)
        #expect(formatted.note == "2 parts; closing boundary missing")
        let lines = allLines(formatted)
        #expect(lines.contains("one"))
        #expect(lines.last == "two")
    }

    @Test func multipartWithoutBoundaryFallsBackToText() {
        let request = makeRequest(headers: [("Content-Type", "multipart/form-data")], text: "abc")
        let formatted = BodyFormatterRegistry.format(request, as: .multipart)
        #expect(allLines(formatted) == ["abc"])
        #expect(formatted.note == "multipart body without a boundary parameter; shown as text")
    }

    // MARK: XML

    @Test func xmlIsIndentedByNesting() {
        let request = makeRequest(headers: [("Content-Type", "application/xml")],
                                  text: #"<?xml version="1.0"?><root a="1"><item>one</item><item><b/></item><!-- c --><![CDATA[x<y]]></root>"#)
        let formatted = BodyFormatterRegistry.format(request, as: .xml)
        #expect(formatted.note == nil)
        #expect(allLines(formatted) == [
            #"<?xml version="1.0"?>"#,
            #"<root a="1">"#,
            "  <item>one</item>",
            "  <item>",
            "    <b/>",
            "  </item>",
            "  <!-- c -->",
            "  <![CDATA[x<y]]>",
            "</root>",
        ])
        #expect(spans(formatted.line(at: 1), .string) == [#""1""#])
    }

    @Test(arguments: ["<a><b></a>", "<a attr=\"x>", "</x></y>", "<", "text only", "<a>\n<<<>>>\n", "<!--", "<![CDATA["])
    func malformedXMLNeverCrashes(input: String) {
        let formatted = BodyFormatterRegistry.format(makeRequest(headers: [("Content-Type", "text/xml")], text: input), as: .xml)
        #expect(formatted.view == .xml)
        for i in 0..<formatted.lineCount {
            let bytes = formatted.line(at: i).flatMap(\.bytes)
            #expect(!bytes.contains(0x0A))
        }
        if input.contains("<") && input != "<!--" && input != "<![CDATA[" {
            #expect(formatted.note == "XML looks malformed (unbalanced or unterminated markup)")
        }
    }
}
