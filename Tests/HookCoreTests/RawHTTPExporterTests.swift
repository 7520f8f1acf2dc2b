import Foundation
import Testing
@testable import HookCore

@Suite struct RawHTTPExporterTests {
    @Test func roundTripsByteExact() throws {
        let body: [UInt8] = [0x00, 0xFF, 0x0D, 0x0A, 0x0D, 0x0A] + Array("end".utf8)
        var request = makeRequest(method: "PATCH", target: "/a%20b?x=\u{e9}", headers: [
            ("Host", "h"), ("X-Dup", "1"), ("x-dup", "2"), ("Content-Length", "\(body.count)"), ("Authorization", "Bearer t"),
        ], body: body)
        request.headers.append(HeaderField(name: "X-Bin", rawValue: [0xFF, 0x41]))
        let data = RawHTTPExporter.data(for: request, redact: .none)
        let expectedHead = "PATCH /a%20b?x=\u{e9} HTTP/1.1\r\nHost: h\r\nX-Dup: 1\r\nx-dup: 2\r\nContent-Length: 9\r\nAuthorization: Bearer t\r\n"
        #expect(data.starts(with: Array(expectedHead.utf8)))
        #expect(data.suffix(body.count).elementsEqual(body))
        let parsed = try RawHTTPExporter.parse(data)
        #expect(parsed.method == "PATCH")
        #expect(parsed.rawTarget == request.rawTarget)
        #expect(parsed.httpVersion == "HTTP/1.1")
        #expect(parsed.headers == request.headers)
        #expect(parsed.body == request.body)
    }

    @Test func chunkedBodyIsWrittenChunked() throws {
        var request = makeRequest(headers: [("Transfer-Encoding", "chunked")], text: "hello chunks")
        request.bodyWasChunked = true
        let data = RawHTTPExporter.data(for: request)
        #expect(String(decoding: data, as: UTF8.self).hasSuffix("\r\n\r\nc\r\nhello chunks\r\n0\r\n\r\n"))
        let parsed = try RawHTTPExporter.parse(data)
        #expect(parsed.wasChunked)
        #expect(parsed.body == request.body)
    }

    /// An export of several captures separates them so the file splits back into the exact
    /// messages, even when a body holds the separator's text or a refused capture's
    /// Content-Length promises bytes that are not there; an export of one is the message alone.
    @Test func severalCapturesAreSeparatedAndSplitBack() throws {
        var a = makeRequest(target: "/a", headers: [("Content-Length", "40")], text: "\n#### hookscope raw capture #2: 5 bytes\nPOST / HTTP/1.1\r\n")
        a.id = 1
        var refused = makeRequest(target: "/refused", headers: [("Content-Length", "5000")], text: "")
        refused.id = 2
        refused.refusal = .bodyTooLarge
        var c = makeRequest(target: "/c", body: [0x00, 0xFF, 0x0A])
        c.id = 3
        func export(_ requests: [CapturedRequest]) throws -> Data {
            var writer = CaptureExportWriter(format: .raw, baseURL: nil, redact: .none)
            var out = writer.begin()
            for request in requests { out += try writer.add(request) }
            out += writer.end()
            return Data(out)
        }
        let several = try export([a, refused, c])
        let messages = try RawHTTPExporter.split(several)
        #expect(messages.map(\.id) == [1, 2, 3])
        #expect(messages.map(\.message) == [a, refused, c].map { RawHTTPExporter.data(for: $0, redact: .none) })
        #expect(String(decoding: several, as: UTF8.self).hasPrefix("#### hookscope raw capture #1: "))
        let one = try export([c])
        #expect(one == RawHTTPExporter.data(for: c, redact: .none))
        #expect(try RawHTTPExporter.split(one).map(\.message) == [one])
        #expect(throws: RawHTTPExporter.ParseError.self) { try RawHTTPExporter.split(several.dropLast(2)) }
    }

    @Test func redactsByDefault() {
        let request = makeRequest(headers: [("Authorization", "Bearer t"), ("X-Gitlab-Token", "glt")], text: "")
        let text = String(decoding: RawHTTPExporter.data(for: request), as: UTF8.self)
        #expect(text.contains("Authorization: <redacted>\r\n"))
        #expect(text.contains("X-Gitlab-Token: <redacted>\r\n"))
        #expect(!text.contains("Bearer"))
    }

    // The last two overflowed `i + length` (a header of an imported capture can carry a line
    // break, so the file `e` opens in the editor can hold such a Content-Length or chunk size).
    @Test(arguments: ["", "GET\r\n\r\n", "GET / HTTP/1.1\r\nBad\r\n\r\n", "GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab",
                      "POST / HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\nab",
                      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nab"])
    func rejectsMalformedInput(input: String) {
        #expect(throws: RawHTTPExporter.ParseError.self) { try RawHTTPExporter.parse(Data(input.utf8)) }
    }
}
