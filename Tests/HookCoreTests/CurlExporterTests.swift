import Foundation
import Testing
@testable import HookCore

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
