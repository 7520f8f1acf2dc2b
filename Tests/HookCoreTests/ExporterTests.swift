import Foundation
import Testing
@testable import HookCore

/// Hostile byte strings: each must reach the program exactly, with nothing executed.
let hostileInputs: [[UInt8]] = [
    [],
    Array("plain".utf8),
    Array("it's a 'quote'".utf8),
    Array("$(touch /tmp/hookscope-pwned) `id` ${HOME} $HOME".utf8),
    Array("line1\nline2\r\nline3\t\u{7}".utf8),
    Array("back\\slash \\' \\x41 %s %% !! !$".utf8),
    [0xFF, 0xFE, 0x80, 0x41, 0xC3],
    Array("\u{202E}evil\u{202C} zero\u{200B}width \u{2028} \u{FEFF} \u{85}".utf8),
    Array("é ü 日本 🎉".utf8),
    Array("\"double\" ; | & > < * ? [a] {b,c} ~ #".utf8),
    Array("\u{1B}[31mred\u{1B}[0m".utf8),
    Array("-H".utf8),
    Array("trailing newlines\n\n\n".utf8),
    [0x0A],
    Array((1...255).map { UInt8($0) }),
]

struct ShellRun {
    /// Runs `script` with the shell for the dialect; returns stdout.
    static func run(_ script: String, _ dialect: ShellDialect) throws -> [UInt8] {
        let shell = dialect == .bash ? "/bin/bash" : "/bin/sh"
        // From a file: a script can be larger than one argument may be.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-test-\(UUID().uuidString).sh")
        try Data(script.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try runProcess(shell, [file.path])
        return [UInt8](result.stdout)
    }
}

@Suite struct ShellQuotingTests {
    @Test(arguments: ShellDialect.allCases)
    func hostileArgumentsRoundTripByteExact(dialect: ShellDialect) throws {
        for input in hostileInputs {
            let quoted = ShellQuoting.quote(input, dialect: dialect)
            let out = try ShellRun.run("printf '%s' " + quoted, dialect)
            #expect(out == input, "\(dialect) quoting of \(input) gave \(quoted)")
            // The command text itself carries no control bytes besides LF and tab.
            #expect(!quoted.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || (0x7F...0x9F).contains($0.value) })
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/hookscope-pwned"))
    }

    @Test(arguments: ShellDialect.allCases)
    func randomBytesRoundTrip(dialect: ShellDialect) throws {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt8 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: seed >> 33)
        }
        // Many cases in one shell run: each printed followed by a NUL separator (inputs have no NUL).
        var inputs: [[UInt8]] = []
        for _ in 0..<150 {
            let count = Int(next() % 40)
            inputs.append((0..<count).map { _ in let b = next(); return b == 0 ? 1 : b })
        }
        let script = inputs.map { "printf '%s\\0' " + ShellQuoting.quote($0, dialect: dialect) }.joined(separator: "\n")
        let out = try ShellRun.run(script, dialect)
        let pieces = out.split(separator: 0, omittingEmptySubsequences: false).dropLast().map(Array.init)
        #expect(pieces == inputs)
    }

    @Test func readableQuotingForCommonText() {
        #expect(ShellQuoting.quote("abc-1.2/x") == "abc-1.2/x")
        #expect(ShellQuoting.quote("a b") == "'a b'")
        #expect(ShellQuoting.quote("it's") == #"'it'\''s'"#)
        #expect(ShellQuoting.quote([0x61, 0x01, 0x27], dialect: .bash) == #"$'a\x01\''"#)
        #expect(ShellQuoting.quote([0x61, 0x01, 0x27], dialect: .posix) == #"'a'"$(printf '\001')"''\'''"#)
        #expect(ShellQuoting.quote("") == "''")
    }

    @Test(arguments: ShellDialect.allCases)
    func printfFormatCarriesEveryByteIncludingNUL(dialect: ShellDialect) throws {
        let all = (0...255).map { UInt8($0) } + Array("%s %% \\n '\"' $(x)\n\n".utf8) + [0, 0]
        let out = try ShellRun.run("printf " + ShellQuoting.printfFormat(all), dialect)
        #expect(out == all)
    }
}

@Suite struct CurlExporterTests {
    /// Runs the generated command with `curl` replaced by a shell function that prints each argument
    /// followed by NUL, then `STDIN` and whatever was piped in.
    func arguments(of command: String, _ dialect: ShellDialect) throws -> (args: [[UInt8]], stdin: [UInt8]) {
        let stub = "curl() { for a in \"$@\"; do printf '%s\\0' \"$a\"; done; printf 'STDIN\\0'; cat; }\n"
        let out = try ShellRun.run(stub + command, dialect)
        let marker = Array("STDIN".utf8) + [0]
        guard let at = ByteSearcher(marker, ignoreCase: false).firstIndex(in: out) else {
            Issue.record("no output from \(command)")
            return ([], [])
        }
        let args = out[..<at].split(separator: 0, omittingEmptySubsequences: false).dropLast().map(Array.init)
        return (args, Array(out[(at + marker.count)...]))
    }

    func headerArgs(_ args: [[UInt8]]) -> [[UInt8]] {
        var result: [[UInt8]] = []
        for (i, a) in args.enumerated() where a == Array("-H".utf8) && i + 1 < args.count { result.append(args[i + 1]) }
        return result
    }

    func value(after flag: String, in args: [[UInt8]]) -> [UInt8]? {
        guard let i = args.firstIndex(of: Array(flag.utf8)), i + 1 < args.count else { return nil }
        return args[i + 1]
    }

    @Test(arguments: ShellDialect.allCases)
    func reproducesHostileRequestsExactly(dialect: ShellDialect) throws {
        for body in hostileInputs {
            let headerValue = body.filter { $0 != 0x0A && $0 != 0x0D && $0 != 0 }
            let request = CapturedRequest(
                receivedAt: CaptureTime(nanosecondsSince1970: 0), method: "PUT",
                rawTarget: Array("/p/$(id)/'x'?q=`id`&a=[1]".utf8),
                headers: [HeaderField("Host", "example.test"), HeaderField(name: "X-Evil", rawValue: headerValue),
                          HeaderField("X-Dup", "1"), HeaderField("X-Dup", "2"), HeaderField("X-Empty", "")],
                remoteAddress: "127.0.0.1:1", body: Data(body), response: CapturedResponse(status: 200)
            )
            let command = CurlExporter.command(for: request, baseURL: "http://127.0.0.1:9/", shell: dialect)
            let (args, stdin) = try arguments(of: command, dialect)
            // Quiet (no progress meter, errors still shown), so the answer can be piped.
            #expect(args.prefix(2) == [Array("-sS".utf8), Array("--http1.1".utf8)])
            #expect(value(after: "-X", in: args) == Array("PUT".utf8))
            #expect(args.contains(Array("http://127.0.0.1:9/p/$(id)/'x'?q=`id`&a=[1]".utf8)))
            let headers = headerArgs(args)
            let evil: [UInt8] = headerValue.isEmpty ? Array("X-Evil;".utf8) : Array("X-Evil: ".utf8) + headerValue
            let expectedHeaders: [[UInt8]] = [
                Array("Host: example.test".utf8), evil, Array("X-Dup: 1".utf8), Array("X-Dup: 2".utf8), Array("X-Empty;".utf8),
            ]
            let firstFive = Array(headers.prefix(5))
            #expect(firstFive == expectedHeaders)
            if body.isEmpty {
                #expect(value(after: "--data-binary", in: args) == nil)
            } else {
                #expect(value(after: "--data-binary", in: args) == body)
                #expect(headers.contains(Array("Expect:".utf8)))
                #expect(headers.contains(Array("Content-Type:".utf8)))
            }
            #expect(headers.contains(Array("User-Agent:".utf8)))
            #expect(stdin.isEmpty)
        }
    }

    @Test(arguments: ShellDialect.allCases)
    func bodiesWithNULOrLargeArePipedThroughPrintf(dialect: ShellDialect) throws {
        for body in [[UInt8]([0x7B, 0x00, 0x7D, 0x0A]), [UInt8](repeating: 0x41, count: 200_000) + [0, 0xFF]] {
            let request = makeRequest(method: "POST", target: "/x", headers: [("Content-Type", "application/octet-stream")], body: body)
            let command = CurlExporter.command(for: request, baseURL: "http://h", shell: dialect)
            #expect(command.contains("printf '"))
            let (args, stdin) = try arguments(of: command, dialect)
            #expect(value(after: "--data-binary", in: args) == Array("@-".utf8))
            #expect(value(after: "-X", in: args) == nil)
            #expect(stdin == body)
        }
    }

    @Test func bodyFromFile() throws {
        let request = makeRequest(body: [0, 1, 2])
        let command = CurlExporter.command(for: request, baseURL: "http://h", body: .file("/tmp/a b.bin"))
        let (args, _) = try arguments(of: command, .bash)
        #expect(value(after: "--data-binary", in: args) == Array("@/tmp/a b.bin".utf8))
    }

    @Test func methodAndHeadFlags() {
        #expect(CurlExporter.command(for: makeRequest(method: "GET", body: []), baseURL: "http://h").contains("-X") == false)
        #expect(CurlExporter.command(for: makeRequest(method: "HEAD", body: []), baseURL: "http://h").contains("--head"))
        #expect(CurlExporter.command(for: makeRequest(method: "DELETE", body: []), baseURL: "http://h").contains("-X DELETE"))
    }

    @Test func redactsCredentialsByDefault() throws {
        let request = makeRequest(headers: [("Authorization", "Bearer sk_live_123"), ("X-Api-Key", "k"), ("Cookie", "a=b"),
                                            ("X-Echo", "whsec_topsecret"), ("Stripe-Signature", "t=1,v1=ab")], text: "{}")
        let redacted = CurlExporter.command(for: request, baseURL: "http://h", redact: Redaction(secrets: ["whsec_topsecret"]))
        #expect(!redacted.contains("sk_live_123"))
        #expect(!redacted.contains("whsec_topsecret"))
        #expect(redacted.contains("'Authorization: <redacted>'"))
        #expect(redacted.contains("'Stripe-Signature: t=1,v1=ab'"))
        #expect(redacted.hasPrefix("# redacted: Authorization, X-Api-Key, Cookie, X-Echo"))
        let full = CurlExporter.command(for: request, baseURL: "http://h", redact: .none)
        #expect(full.contains("'Authorization: Bearer sk_live_123'"))
    }

    @Test func credentialHeaderNamesAreRecognisedInAnyCase() {
        let redaction = Redaction()
        for name in ["Authorization", "COOKIE", "x-gitlab-token", "X-My-Api_Key", "Client-SECRET", "X-Session-Id",
                     "X-Password", "x-credentials", "APIKEY", "X-Refresh-Token"] {
            #expect(redaction.isSensitive(name: name), "\(name)")
        }
        for name in ["Content-Type", "Stripe-Signature", "X-Tok", "X-Secre", "Sess", "X-Api-Version", ""] {
            #expect(!redaction.isSensitive(name: name), "\(name)")
        }
    }

    @Test func urlJoinsBaseAndTarget() {
        func url(_ base: String, _ target: String) -> String {
            String(decoding: CurlExporter.url(baseURL: base, rawTarget: Array(target.utf8)), as: UTF8.self)
        }
        #expect(url("http://h:1/", "/a?b=1") == "http://h:1/a?b=1")
        #expect(url("http://h:1", "/a") == "http://h:1/a")
        #expect(url("http://h:1/base", "/a") == "http://h:1/base/a")
        #expect(url("http://h", "http://other/x?y") == "http://h/x?y")
        #expect(url("http://h", "*") == "http://h/")
    }
}

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
