import Foundation
import HookCore
import HookStore
import HookTestSupport
import Testing

@testable import HookServer

/// Mutated requests, the way a fuzzer makes them (bytes flipped, cut, repeated, spliced, CR, LF,
/// NUL, huge numbers put in): from a fixed seed, so a failure is the same on every run. Each is
/// sent on a connection of its own whose sending side is then ended, as `nc -N` does.
@Suite struct MutatedRequestTests {
    static let examples: [[UInt8]] = {
        let body = #"{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"amount":2000,"note":"b\u00e9"}}}"#
        return [
            "POST /stripe/webhook?x=1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nStripe-Signature: t=1700000000,v1=abcdef\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)",
            "POST /gh HTTP/1.1\r\nHost: x\r\nX-Hub-Signature-256: sha256=00ff\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n5;ext=1\r\nabcde\r\n0\r\nTrailer: t\r\n\r\n",
            "GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST /form HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\na=1&b=%FF&c",
            "POST /svix HTTP/1.1\r\nHost: x\r\nsvix-id: msg_1\r\nsvix-timestamp: 1700000000\r\nsvix-signature: v1,AAAA\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\n\u{1f}\u{8b}\u{08}\u{00}\u{00}",
        ].map { Array($0.utf8) }
    }()
    static let insertions: [[UInt8]] = [
        "\r", "\n", "\r\n", "\0", "\u{1b}[2J", ":", " ", "\t", "0", "-1", "99999999999999999999", "ffffffffffffffff", "\r\n\r\n",
        "Transfer-Encoding: chunked\r\n", "Content-Length: 5\r\n", "\u{202E}", ";", "=", "\"", "%", String(repeating: "[", count: 50),
    ].map { Array($0.utf8) } + [[0xff], [0xc3]]


    static let mutator = ByteMutator(
        pieces: insertions, splices: examples, edits: 1...6, longestRemoval: 40, longestRepeat: 80, repeats: 1...4, longestNoise: 20)

    /// Every mutated request gets well-formed answers with a sensible status (or none when it was
    /// only blank lines), the listener always closes the connection once the sender has finished,
    /// every request answered 200 is stored, and a normal request is served after all of them.
    @Test func mutatedRequestsAreAnsweredClosedAndStoredAsAnswered() async throws {
        let allowed: Set<Int> = [200, 400, 413, 414, 431]
        // The answers wait 2 ms, as for a commit on the store's writer thread.
        try await withListener({ $0.delay = .milliseconds(2); $0.maxBodySize = 4096 }) { listener, sink in
            var random = SeededGenerator(seed: 20_261_130)
            var problems: [String] = []
            var resets = 0
            for index in 0..<400 {
                let request = Self.mutator.mutate(Self.examples.randomElement(using: &random)!, using: &random)
                let storedBefore = try await sink.all().filter { $0.response.status == 200 }.count
                let client = try RawClient(port: listener.port)
                client.setReadTimeout(seconds: 20)
                let (bytes, closed, error) = await onOwnThread { () -> ([UInt8], Bool, Int32) in
                    _ = client.sendAll(request)
                    client.finishSending()
                    return client.blockingReadAllWithError()
                }
                var statuses: [Int] = []
                var rest = bytes[...]
                while let (response, used) = TestResponse.parse(Array(rest)) {
                    statuses.append(response.status)
                    rest = rest.dropFirst(used)
                }
                let stored = try await sink.all().filter { $0.response.status == 200 }.count - storedBefore
                let blank = request.allSatisfy { $0 == 0x0D || $0 == 0x0A }
                let described = "case \(index) \(String(decoding: request.prefix(120), as: UTF8.self).debugDescription)"
                if !closed { problems.append("\(described): not closed (errno \(error))") }
                if !rest.isEmpty { problems.append("\(described): bytes that are no response: \(String(decoding: rest.prefix(80), as: UTF8.self).debugDescription)") }
                if let odd = statuses.first(where: { !allowed.contains($0) }) { problems.append("\(described): answered \(odd)") }
                if error == 0 {
                    if statuses.isEmpty && !blank { problems.append("\(described): closed without an answer") }
                    if stored != statuses.filter({ $0 == 200 }).count { problems.append("\(described): \(stored) stored as 200, answers \(statuses)") }
                } else {
                    // A reset (the listener closed after a 400 with bytes unread) may drop answers.
                    resets += 1
                }
            }
            let noProblem = problems.isEmpty
            #expect(noProblem, "\(problems.count) problems:\n\(problems.prefix(10).joined(separator: "\n"))")
            #expect(resets < 40, "\(resets) of 400 connections ended with a reset")
            try await expectServed(port: listener.port)
        }
    }
}
