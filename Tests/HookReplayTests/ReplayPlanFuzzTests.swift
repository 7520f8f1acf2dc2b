import Foundation
import HookCore
import HookSignatures
import HookTestSupport
import Testing
@testable import HookReplay

/// A capture can hold anything a HAR file said (`hookscope import`), so the replay plan is built
/// from hostile methods, targets and headers here: random bytes, CR, LF, NUL, spaces, `#`, framing
/// and hop-by-hop headers twice, from a fixed seed. Either the plan is refused in plain words, or
/// what goes out is exactly one well-formed HTTP/1.1 request: one request line, token names, values
/// without CR/LF/NUL, one Host, one Content-Length equal to the body, no Transfer-Encoding, and
/// nothing after the body that a server could read as a second request.
@Suite struct ReplayPlanFuzzTests {

    static let pieces: [[UInt8]] = [
        "a", "/", "?", "#", " ", "\r", "\n", "\r\n", "\0", "\t", ":", "%", "%0d%0a", "HTTP/1.1", "GET", "POST /x HTTP/1.1\r\nHost: e\r\n\r\n",
        "é", "Content-Length: 0", "chunked",
    ].map { Array($0.utf8) } + [[0xff], [0x80], [0x7f], [0x1b]]

    static func bytes(_ random: inout SeededGenerator, from base: String) -> [UInt8] {
        var out = Array(base.utf8)
        for _ in 0..<Int.random(in: 0...3, using: &random) {
            out.insert(contentsOf: pieces.randomElement(using: &random)!, at: Int.random(in: 0...out.count, using: &random))
        }
        return out
    }

    static func capture(_ random: inout SeededGenerator) -> CapturedRequest {
        let names = ["Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "TE", "Trailer",
                     "Proxy-Authorization", "X-A", "Content-Type", "Stripe-Signature", "X Bad", "X:Colon", "", "É"]
        var headers: [HeaderField] = []
        for _ in 0..<Int.random(in: 0...8, using: &random) {
            let name = names.randomElement(using: &random)!
            let value = bytes(&random, from: ["x", "chunked", "close, X-A", "10", "-1", "t=1,v1=00", "example.com"].randomElement(using: &random)!)
            headers.append(HeaderField(name: Int.random(in: 0..<6, using: &random) == 0 ? String(decoding: bytes(&random, from: name), as: UTF8.self) : name,
                                       rawValue: value))
        }
        let methods = ["POST", "GET", "HEAD", "DELETE", "TRACE", "PATCH", "OPTIONS", "CONNECT", "", "GE T", "P\u{1b}OST"]
        return CapturedRequest(
            receivedAt: CaptureTime(nanosecondsSince1970: 1_700_000_000_000_000_000), method: methods.randomElement(using: &random)!,
            rawTarget: bytes(&random, from: ["/hook?x=1", "/", "*", "http://e.com/p?q", "/a#frag"].randomElement(using: &random)!),
            headers: headers, remoteAddress: "127.0.0.1:1",
            body: Data(Int.random(in: 0..<3, using: &random) == 0 ? [] : bytes(&random, from: #"{"a":1}"#)),
            response: CapturedResponse(status: 200))
    }

    /// Why the bytes are not exactly one well-formed request, or nil.
    static func problem(_ wire: [UInt8], body: Data) -> String? {
        guard let end = wire.indices.first(where: { wire[$0...].starts(with: [0x0D, 0x0A, 0x0D, 0x0A]) }) else { return "no end of head" }
        let head = Array(wire[..<end])
        let rest = wire[(end + 4)...]
        if head.contains(0) { return "NUL in the head" }
        var lines: [[UInt8]] = []
        var start = 0
        for i in head.indices where i + 1 < head.count && head[i] == 0x0D && head[i + 1] == 0x0A {
            lines.append(Array(head[start..<i]))
            start = i + 2
        }
        lines.append(Array(head[start...]))
        if lines.contains(where: { $0.contains(0x0D) || $0.contains(0x0A) }) { return "a bare CR or LF in the head" }
        let requestLine = lines.removeFirst()
        let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(isHTTPTokenByte), parts[1].first == UInt8(ascii: "/"),
              !parts[1].contains(where: { $0 < 0x21 || $0 >= 0x7F || $0 == UInt8(ascii: "#") }), Array(parts[2]) == Array("HTTP/1.1".utf8)
        else { return "request line \(String(decoding: requestLine, as: UTF8.self).debugDescription)" }
        var hosts = 0
        var lengths: [String] = []
        for line in lines {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0, line[..<colon].allSatisfy(isHTTPTokenByte) else {
                return "header line \(String(decoding: line, as: UTF8.self).debugDescription)"
            }
            let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if name == "host" { hosts += 1 }
            if name == "content-length" { lengths.append(value) }
            if name == "transfer-encoding" { return "Transfer-Encoding is sent" }
        }
        if hosts != 1 { return "\(hosts) Host headers" }
        if lengths.count > 1 { return "\(lengths.count) Content-Length headers" }
        let declared = lengths.first.flatMap { Int($0) } ?? 0
        if lengths.first != nil && Int(lengths[0]) == nil { return "Content-Length \(lengths[0].debugDescription)" }
        if declared != body.count && !(lengths.isEmpty && body.isEmpty) { return "Content-Length \(declared) for a \(body.count)-byte body" }
        if Array(rest) != Array(body.prefix(declared)) || rest.count != declared { return "\(rest.count - declared) bytes after the body" }
        return nil
    }

    @Test func hostileCapturesAreRefusedOrReplayedAsOneWellFormedRequest() async throws {
        let problems = try await onCPUWorkQueue { () -> [String] in
            var random = SeededGenerator(seed: 20_261_130)
            var problems: [String] = []
            var planned = 0
            let verifier = SignatureVerifier(secrets: SecretBook([("stripe", "whsec_dGVzdA==")]))
            for index in 0..<3_000 {
                let request = Self.capture(&random)
                let options = ReplayOptions(
                    resign: Int.random(in: 0..<4, using: &random) == 0, keepHost: Bool.random(using: &random), verifier: verifier)
                let to = ["http://127.0.0.1:9", "http://127.0.0.1:9/fixed?x=1", "https://[::1]:8443", "http://h.example"].randomElement(using: &random)!
                switch ReplayPlan.make(request, to: to, options: options) {
                case .failure(let error):
                    if error.description.isEmpty || error.description.contains("\n") { problems.append("case \(index): message \(error.description.debugDescription)") }
                case .success(let plan):
                    planned += 1
                    var wire = plan.requestHeadBytes
                    if plan.contentLength != nil { wire += Array(plan.body) }
                    if let problem = Self.problem(wire, body: plan.contentLength == nil ? Data() : plan.body) {
                        problems.append("case \(index): \(problem) in \(String(decoding: wire.prefix(300), as: UTF8.self).debugDescription)")
                    }
                }
                if problems.count >= 8 { break }
            }
            if planned < 300 { problems.append("only \(planned) of 3,000 captures were planned: the cases hardly reach the encoder") }
            return problems
        }
        let clean = problems.isEmpty
        #expect(clean, "\(problems.joined(separator: "\n"))")
    }
}
