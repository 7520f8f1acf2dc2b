import Foundation
import Testing
import TextSafety
@testable import HookCore

/// The reference the HAR writer is held to: Foundation's encoder on the whole document, then DEL,
/// C1 controls, bidi and zero-width characters written as `\uXXXX` (the encoder escapes only C0
/// controls; the others can only occur inside strings, where the escape means the same character).
func referenceHAR(_ requests: [CapturedRequest], baseURL: String, redact: Redaction) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let bytes = [UInt8](try encoder.encode(HARExporter.document(for: requests, baseURL: baseURL, redact: redact)))
    var out: [UInt8] = []
    var i = 0
    while i < bytes.count {
        if bytes[i] < 0x80 {
            if bytes[i] == 0x7F { out += Array("\\u007f".utf8) } else { out.append(bytes[i]) }
            i += 1
            continue
        }
        let length = bytes[i] >= 0xF0 ? 4 : bytes[i] >= 0xE0 ? 3 : 2
        let scalar = String(decoding: bytes[i..<(i + length)], as: UTF8.self).unicodeScalars.first!
        if Escaping.mustEscape(scalar) {
            // JSON escapes UTF-16 code units: outside the BMP (tag characters) a surrogate pair.
            let units = scalar.value > 0xFFFF
                ? [0xD800 + ((scalar.value - 0x10000) >> 10), 0xDC00 + ((scalar.value - 0x10000) & 0x3FF)]
                : [scalar.value]
            for unit in units {
                let hex = String(unit, radix: 16)
                out += Array(("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
            }
        } else {
            out += bytes[i..<(i + length)]
        }
        i += length
    }
    return out
}

@Suite struct HARTests {
    func sample() -> CapturedRequest {
        var request = CapturedRequest(
            id: 42, receivedAt: CaptureTime(nanosecondsSince1970: 1_764_390_003_123_456_789), method: "POST",
            rawTarget: [UInt8]("/hook/%ZZ?a=1&b=x+y".utf8) + [0xFF],
            headers: [HeaderField("Content-Type", "application/octet-stream"), HeaderField("X-Dup", "1"), HeaderField("X-Dup", "2"),
                      HeaderField(name: "X-Bin", rawValue: [0xC3, 0x28]), HeaderField("Authorization", "Bearer abc")],
            remoteAddress: "127.0.0.1:50000", body: Data([0x00, 0xFF, 0x7B, 0x0A]), bodyWasChunked: true,
            response: CapturedResponse(status: 202, headers: [HeaderField("Content-Type", "text/plain")], body: Data("ok".utf8)),
            signature: SignatureSummary(provider: "stripe", status: .invalid, detail: "signature mismatch")
        )
        request.bodySize = 4
        return request
    }

    @Test func exportsHAR12WithExactBytes() throws {
        let data = try HARExporter.data(for: [sample()], baseURL: "http://127.0.0.1:9777", redact: .none)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let log = try #require(json["log"] as? [String: Any])
        #expect(log["version"] as? String == "1.2")
        let entry = try #require((log["entries"] as? [[String: Any]])?.first)
        #expect(entry["startedDateTime"] as? String == "2025-11-29T04:20:03.123456Z")
        let request = try #require(entry["request"] as? [String: Any])
        #expect(request["method"] as? String == "POST")
        let post = try #require(request["postData"] as? [String: Any])
        // Not UTF-8: HAR 1.2 requires text all the same (a lossy form, said in comment); the exact
        // bytes are in _base64.
        #expect(post["text"] as? String == "\u{0}\u{FFFD}{\n")
        #expect(post["comment"] as? String == HARExporter.lossyTextNote)
        #expect(post["_base64"] as? String == "AP97Cg==")
        let headers = try #require(request["headers"] as? [[String: Any]])
        #expect(headers.map { $0["name"] as? String } == ["Content-Type", "X-Dup", "X-Dup", "X-Bin", "Authorization"])
        #expect(headers[3]["_base64"] as? String == "wyg=")
        let response = try #require(entry["response"] as? [String: Any])
        #expect(response["status"] as? Int == 202)
        #expect((response["content"] as? [String: Any])?["text"] as? String == "ok")
        #expect(entry["timings"] != nil)
    }

    /// HAR 1.2 requires postData.text: binary and invalid-UTF-8 bodies have it too (readers such as
    /// mitmproxy's reject the whole file otherwise), and the import still restores the exact bytes
    /// from _base64.
    @Test func everyBodyHasTextAndImportsExactly() throws {
        let bodies: [Data] = [Data((0...255).map { UInt8($0) }), Data([0x63, 0x61, 0x66, 0xE9]), Data("plain é".utf8), Data([0xFF])]
        let requests = bodies.enumerated().map { index, body in
            var request = makeRequest(headers: [("Content-Type", "application/octet-stream")], text: "")
            request.id = Int64(index + 1)
            request.body = body
            request.bodySize = body.count
            return request
        }
        let data = try HARExporter.data(for: requests, baseURL: "http://127.0.0.1:9777", redact: .none)
        let log = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["log"] as? [String: Any])
        let posts = try #require(log["entries"] as? [[String: Any]]).map { ($0["request"] as? [String: Any])?["postData"] as? [String: Any] }
        #expect(posts.map { $0?["text"] as? String } == bodies.map { String(decoding: $0, as: UTF8.self) })
        #expect(posts.dropFirst().map { $0?["text"] as? String } == ["caf\u{FFFD}", "plain é", "\u{FFFD}"])
        #expect(posts.map { $0?["comment"] != nil } == [true, true, false, true])
        #expect(try HARImporter.requests(from: data).map(\.body) == bodies)
    }

    @Test func textBodiesAppearAsText() throws {
        let request = makeRequest(headers: [("Content-Type", "application/json")], text: #"{"a":"é"}"#)
        let entry = HARExporter.entry(for: request, baseURL: "http://h")
        #expect(entry.request.postData?.text == #"{"a":"é"}"#)
        #expect(entry.request.postData?.mimeType == "application/json")
        #expect(entry.request.url == "http://h/hook")
    }

    @Test func importRestoresCapturesByteExact() throws {
        let original = sample()
        let data = try HARExporter.data(for: [original, makeRequest(text: "second")], baseURL: "http://127.0.0.1:9777", redact: .none)
        let restored = try HARImporter.requests(from: data)
        #expect(restored.count == 2)
        #expect(restored[0] == original)
        #expect(restored[1].body == Data("second".utf8))
    }

    @Test func redactsByDefault() throws {
        let data = try HARExporter.data(for: [sample()], baseURL: "http://h")
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.contains("Bearer abc"))
        #expect(text.contains("<redacted>"))
    }

    @Test func importsForeignHARWithoutExtensions() throws {
        let har = #"""
        {"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[{"startedDateTime":"2024-01-02T03:04:05.500Z","time":1,
        "request":{"method":"PUT","url":"https://example.com/a/b?c=d","httpVersion":"HTTP/1.1","cookies":[],"headers":[{"name":"A","value":"b"}],
        "queryString":[],"postData":{"mimeType":"text/plain","text":"hi"},"headersSize":-1,"bodySize":2},
        "response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","cookies":[],"headers":[],"content":{"size":0,"mimeType":""},
        "redirectURL":"","headersSize":-1,"bodySize":0},"cache":{},"timings":{"send":0,"wait":0,"receive":0}}]}}
        """#
        let restored = try HARImporter.requests(from: Data(har.utf8))
        #expect(restored.count == 1)
        #expect(restored[0].method == "PUT")
        #expect(restored[0].target == "/a/b?c=d")
        #expect(restored[0].headers == [HeaderField("A", "b")])
        #expect(restored[0].body == Data("hi".utf8))
        #expect(restored[0].receivedAt.rfc3339 == "2024-01-02T03:04:05.500000Z")
    }

    /// A browser's HAR of an HTTP/2 request: the pseudo-headers are no HTTP/1.1 fields and go,
    /// `:authority` becomes Host; a verdict is asked for only for entries another tool wrote.
    @Test func pseudoHeadersOfForeignEntriesBecomeAHost() throws {
        let har = #"""
        {"log":{"version":"1.2","creator":{"name":"WebInspector","version":"1"},"entries":[{"startedDateTime":"2024-01-02T03:04:05.500Z",
        "request":{"method":"POST","url":"https://api.example.com/h","httpVersion":"h2","headers":[{"name":":method","value":"POST"},
        {"name":":authority","value":"api.example.com"},{"name":":path","value":"/h"},{"name":"x-a","value":"b"}]}}]}}
        """#
        let data = Data(har.utf8)
        let ranges = try HARImporter.entryRanges(in: data)
        let restored = try HARImporter.request(from: data, range: ranges[0], index: 0, verdict: { _ in
            SignatureSummary(provider: "stripe", status: .noSecret, detail: "asked")
        })
        #expect(restored.headers == [HeaderField("Host", "api.example.com"), HeaderField("x-a", "b")])
        #expect(restored.httpVersion == "HTTP/1.1")
        #expect(restored.signature.detail == "asked")
        // hookscope's own export keeps its headers and its stored verdict exactly.
        let own = try HARExporter.data(for: [sample()], baseURL: "http://127.0.0.1:9777", redact: .none)
        let ownRanges = try HARImporter.entryRanges(in: own)
        let back = try HARImporter.request(from: own, range: ownRanges[0], index: 0, verdict: { _ in .unsigned })
        #expect(back.headers == sample().headers)
        #expect(back.signature == sample().signature)
    }

    /// What no HTTP/1.1 request can carry is refused at import: a line break in a header value or
    /// the path would make `export --raw` (and the file `e` opens) carry a header or request more.
    @Test(arguments: [
        (#"{"name":"X-Inject","value":"a\r\nX-Injected: yes"}"#, "http://x/a", "POST", "the value of header X-Inject holds a CR"),
        (#"{"name":"X Bad","value":"v"}"#, "http://x/a", "POST", "the header name X Bad is not an HTTP token"),
        (#"{"name":"A","value":"b"}"#, "http://x/a b", "POST", "the URL's path holds the byte 0x20"),
        (#"{"name":"A","value":"b"}"#, "http://x/a", "PO ST", "the method PO ST is not an HTTP method"),
    ])
    func requestsNoHTTPConnectionCarriesAreRefused(header: String, url: String, method: String, message: String) {
        let har = #"{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[{"startedDateTime":"2024-01-02T03:04:05.500Z","request":{"method":""# + method + #"","url":""# + url + #"","headers":["# + header + "]}}]}}"
        #expect {
            _ = try HARImporter.requests(from: Data(har.utf8))
        } throws: { error in
            "\(error)".contains("entry 0: " + message)
        }
    }

    @Test func rejectsNonHAR() {
        #expect(throws: HARImporter.ImportError.self) { try HARImporter.requests(from: Data("{}".utf8)) }
    }

    /// A capture whose body and headers carry characters that act on terminals.
    func hostile(_ n: Int) -> CapturedRequest {
        var request = makeRequest(
            headers: [("Content-Type", "application/json"), ("X-Evil", "\u{9B}2J \u{202E}gnp.exe")],
            text: "{\"n\":\(n),\"a\":\"\u{1B}[31mred \u{9B}31m \u{202E}txt.exe \u{7F} zero\u{200B}width\"}")
        request.id = Int64(n)
        return request
    }

    @Test(arguments: [0, 1, 3])
    func theStreamedDocumentIsTheWholeDocument(count: Int) throws {
        let plain = (0..<count).map { i in i == 0 ? sample() : makeRequest(headers: [("Content-Type", "text/plain")], text: "capture \(i) é") }
        let mixed = (0..<count).map { i in i % 2 == 0 ? hostile(i) : plain[i] }
        for requests in [plain, mixed] {
            var writer = HARStreamWriter(baseURL: "http://127.0.0.1:9777", redact: .none)
            var streamed = writer.header()
            for request in requests { streamed += try writer.entry(for: request) }
            streamed += writer.footer()
            #expect(writer.count == count)
            let whole = try referenceHAR(requests, baseURL: "http://127.0.0.1:9777", redact: .none)
            let same = streamed == whole  // compared outside #expect: the arrays are long
            #expect(same, "streamed \(streamed.count) bytes, whole document \(whole.count)")
            #expect(try HARImporter.requests(from: Data(streamed)) == requests)
        }
        // Without characters to escape, it is what Foundation's encoder writes for the whole document.
        var writer = HARStreamWriter(baseURL: "http://h", redact: .none)
        var streamed = writer.header()
        for request in plain { streamed += try writer.entry(for: request) }
        streamed += writer.footer()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let foundation = try encoder.encode(HARExporter.document(for: plain, baseURL: "http://h", redact: .none))
        let same = streamed == [UInt8](foundation)
        #expect(same, "streamed \(streamed.count) bytes, Foundation's document \(foundation.count)")
    }

    /// The entry writer against Foundation's encoder (plus the escaping pass) on captures made of
    /// every kind of character and field: text and binary bodies, odd header bytes, refusals,
    /// verdicts with and without a provider, answers with text, binary or no body.
    @Test func theEntryWriterWritesWhatTheEncoderWrites() throws {
        var seed: UInt64 = 0x1234_5678_9ABC_DEF1
        func next(_ bound: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int(seed >> 33) % bound
        }
        func text(_ length: Int) -> String {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<length { scalars.append(CaptureJSONTests.pool[next(CaptureJSONTests.pool.count)]) }
            return String(scalars)
        }
        func bytes(_ length: Int) -> [UInt8] { (0..<length).map { _ in UInt8(next(256)) } }
        var requests: [CapturedRequest] = []
        for n in 0..<150 {
            var headers: [HeaderField] = []
            for _ in 0..<next(5) {
                headers.append(next(3) == 0 ? HeaderField(name: "X-Bin", rawValue: bytes(next(6))) : HeaderField("X-" + String(next(1000)), text(next(12))))
            }
            if next(2) == 0 { headers.append(HeaderField("Content-Type", text(4))) }
            let body: Data = switch next(3) {
            case 0: Data()
            case 1: Data(text(next(40)).utf8)
            default: Data(bytes(next(40)))
            }
            let answer: Data = next(2) == 0 ? Data() : (next(2) == 0 ? Data(text(next(10)).utf8) : Data(bytes(next(10))))
            var request = CapturedRequest(
                id: Int64(n), receivedAt: CaptureTime(nanosecondsSince1970: 1_700_000_000_000_000_000 + Int64(next(1_000_000_000))),
                method: ["POST", "GET", "PUT", "DELETE"][next(4)],
                rawTarget: Array("/h/\(n)".utf8) + (next(2) == 0 ? Array("?a=\(text(3))&b".utf8) : []) + (next(4) == 0 ? [0xFF] : []),
                headers: headers, remoteAddress: next(2) == 0 ? "127.0.0.1:5\(n)" : "[::1]:9", body: body,
                bodyWasChunked: next(2) == 0, refusal: next(5) == 0 ? Refusal.allCases[next(2)] : nil,
                response: CapturedResponse(status: [200, 202, 204, 413, 500][next(5)], headers: next(2) == 0 ? [HeaderField("X-R", text(3))] : [], body: answer),
                signature: SignatureSummary(provider: next(2) == 0 ? nil : "stripe", status: [.valid, .invalid, .noSecret, .unsigned][next(4)], detail: text(next(20))))
            request.bodySize = body.count + next(3)
            requests.append(request)
        }
        var mismatched: [Int64] = []
        for request in requests {
            var writer = HARStreamWriter(baseURL: "http://127.0.0.1:9777", redact: .none)
            let streamed = writer.header() + (try writer.entry(for: request)) + writer.footer()
            let encoded = try referenceHAR([request], baseURL: "http://127.0.0.1:9777", redact: .none)
            if streamed != encoded { mismatched.append(request.id) }
        }
        #expect(mismatched.isEmpty, "captures written differently: \(mismatched.prefix(10))")
        // All of them in one document, and back.
        var writer = HARStreamWriter(baseURL: "http://h", redact: .default)
        var document = writer.header()
        for request in requests { document += try writer.entry(for: request) }
        document += writer.footer()
        let whole = try referenceHAR(requests, baseURL: "http://h", redact: .default)
        let same = document == whole
        #expect(same, "the document differs (\(document.count) against \(whole.count) bytes)")
    }

    @Test func charactersThatActOnTerminalsAreWrittenEscapedAndReadBackTheSame() throws {
        let request = hostile(7)
        let bytes = [UInt8](try HARExporter.data(for: [request], baseURL: "http://h", redact: .none))
        for raw: [UInt8] in [[0x1B], [0x7F], [0xC2, 0x9B], [0xE2, 0x80, 0xAE], [0xE2, 0x80, 0x8B]] {
            #expect(!contains(bytes, raw), "raw \(raw) in the HAR")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#"\u009b31m"#))
        #expect(text.contains(#"\u202etxt.exe"#))
        #expect(text.contains(#"\u007f"#))
        let restored = try HARImporter.requests(from: Data(bytes))
        #expect(restored == [request])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let entry = try #require(((json["log"] as? [String: Any])?["entries"] as? [[String: Any]])?.first)
        let post = try #require((entry["request"] as? [String: Any])?["postData"] as? [String: Any])
        #expect(post["text"] as? String == String(decoding: request.body, as: UTF8.self))
    }
}

extension HARTests {
    @Test func entriesAreFoundWhateverTheLayoutAndWhatSurroundsThem() throws {
        let requests = [sample(), hostile(2), makeRequest(text: "third")]
        let pretty = try HARExporter.data(for: requests, baseURL: "http://h", redact: .none)
        // The same document compact, with a BOM, keys in another order, strings holding brackets
        // and escaped quotes before the entries, and other members after them.
        let json = try #require(try JSONSerialization.jsonObject(with: pretty) as? [String: Any])
        var log = try #require(json["log"] as? [String: Any])
        log["creator"] = ["name": "a]}\"{[", "version": "\\\""]
        log["pages"] = [["id": "p[1]", "title": "{\"}\"", "pageTimings": [String: Any]()]]
        log["comment"] = "after ] and }"
        let compact = try JSONSerialization.data(withJSONObject: ["log": log, "extra": [1, [2, [3]], ["x": "]"]]])
        for document in [pretty, Data([0xEF, 0xBB, 0xBF]) + compact] {
            #expect(try HARImporter.requests(from: document) == requests)
        }
        #expect(try HARImporter.entryRanges(in: Data(#"{"log":{"entries":[]}}"#.utf8)).isEmpty)
    }

    @Test func entriesWithOnlyWhatACaptureNeedsImport() throws {
        // Other tools leave out timings, cache, cookies, sizes, even the response.
        let har = #"{"log":{"entries":[{"startedDateTime":"2026-11-29T10:00:00.250Z","request":{"method":"POST","url":"https://x.test/hook?a=1","headers":[{"name":"Content-Type","value":"application/json"}],"postData":{"text":"{}"}}},{"startedDateTime":"2026-11-29T10:00:01Z","request":{"method":"GET","url":"/plain"},"response":{"status":204}}]}}"#
        let requests = try HARImporter.requests(from: Data(har.utf8))
        #expect(requests.count == 2)
        #expect(requests[0].method == "POST")
        #expect(requests[0].target == "/hook?a=1")
        #expect(requests[0].headers == [HeaderField("Content-Type", "application/json")])
        #expect(requests[0].body == Data("{}".utf8))
        #expect(requests[0].response.status == 0)
        #expect(requests[0].receivedAt.rfc3339 == "2026-11-29T10:00:00.250000Z")
        #expect(requests[1].target == "/plain")
        #expect(requests[1].response.status == 204)
        #expect(requests[1].httpVersion == "HTTP/1.1")
        // Without a time there is nothing to order it by.
        do {
            _ = try HARImporter.requests(from: Data(#"{"log":{"entries":[{"request":{"method":"GET","url":"/"}}]}}"#.utf8))
            Issue.record("accepted an entry without startedDateTime")
        } catch {
            #expect(error.description == "entry 0: no startedDateTime (when the request was made)")
        }
    }

    @Test func malformedDocumentsAreRefusedWithAReason() {
        let cases = [
            "", "[]", #"{"log":[]}"#, #"{"log":{"entries":{}}}"#, #"{"log":{"version":"1.2"}}"#,
            #"{"log":{"entries":[{"a":1}"#, #"{"log":{"entries":["unterminated]}}"#,
            #"{"log":{"entries":[]}} trailing"#, #"{"log":{"entries":[1 2]}}"#, #"{"log" 1}"#,
        ]
        for text in cases {
            #expect(throws: HARImporter.ImportError.self, "\(text)") { try HARImporter.requests(from: Data(text.utf8)) }
        }
        // Nesting 200,000 deep, in an entry and around the entries: refused, not a stack overflow.
        let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        for text in [#"{"log":{"entries":[{"x":"# + deep + "}]}}", #"{"log":{"pages":"# + deep + #","entries":[{}]}}"#] {
            #expect(throws: HARImporter.ImportError.self) { try HARImporter.requests(from: Data(text.utf8)) }
        }
        // An entry that is not a HAR entry names its index.
        do {
            _ = try HARImporter.requests(from: Data(#"{"log":{"entries":[{"x":1}]}}"#.utf8))
            Issue.record("accepted an entry without a request")
        } catch {
            #expect(error.description.hasPrefix("entry 0: "), "\(error.description)")
        }
    }
}

/// Whether `needle` occurs in `haystack`.
private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard haystack.count >= needle.count else { return false }
    return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
}
