import Foundation
import HookTestSupport
import Testing
@testable import HookCore

/// Compressed bodies are sender bytes like any other: gzip and deflate streams with bytes flipped,
/// cut, repeated or spliced, under every coding header, from a fixed seed. Decoding never crashes
/// and never gives more than its limit; every view of such a body can be drawn; and the streams as
/// they were made decode back to the original.
@Suite struct ContentDecodingFuzzTests {
    /// On the tests' CPU work queue: off the concurrency pool, and one such job at a time.
    @Test func mutatedCompressedBodiesDecodeOrFailWithinTheLimit() async throws {
        let problems = try await onCPUWorkQueue { try Self.fuzzDecoding() }
        let clean = problems.isEmpty
        #expect(clean, "\(problems.prefix(8).joined(separator: "\n"))")
    }

    /// What went wrong (nothing: empty). Issues are collected, not expected, off the test's task.
    static func fuzzDecoding() throws -> [String] {
        var problems: [String] = []
        var seed: UInt64 = 0xC0DE_C0DE
        func next() -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int(seed >> 33)
        }
        let plain = Array(#"{"id":"evt_1","items":[1,2,3],"text":"hello hello hello hello \u00e9"}"#.utf8) + Array(repeating: 0x41, count: 3000)
        let gzip = try gzipped(plain)
        // A raw deflate stream is a gzip member without its 10-byte header and 8-byte trailer.
        let raw = Array(gzip[10..<(gzip.count - 8)])
        let streams = [gzip, gzip + gzip, raw, Array(repeating: 0, count: 40)]
        if ContentDecoding.decode(gzip, headers: [HeaderField("Content-Encoding", "gzip")]) != .decoded(plain, note: "decoded from gzip (\(gzip.count) bytes \u{2192} \(plain.count) bytes)") {
            problems.append("the gzip stream as made does not decode to the original")
        }
        if ContentDecoding.decodePrefix(raw, headers: [HeaderField("Content-Encoding", "deflate")], limit: 1 << 20) != plain {
            problems.append("the raw deflate stream as made does not decode to the original")
        }
        let codings = ["gzip", "x-gzip", "deflate", "gzip, gzip", "deflate, gzip", "identity, gzip", "br", "GZIP", " gzip ,", ""]
        var decoded = 0
        for round in 0..<1_500 {
            var body = streams[next() % streams.count]
            for _ in 0..<(next() % 4) {
                let at = next() % (body.count + 1)
                switch next() % 5 {
                case 0 where !body.isEmpty: body[next() % body.count] = UInt8(truncatingIfNeeded: next())
                case 1 where at < body.count: body.removeSubrange(at...)
                case 2 where at < body.count: body.insert(contentsOf: body[at..<min(body.count, at + 1 + next() % 64)], at: at)
                case 3: body.insert(contentsOf: (0..<(1 + next() % 8)).map { _ in UInt8(truncatingIfNeeded: next()) }, at: at)
                case 4: body += streams[next() % streams.count]
                default: break
                }
            }
            let headers = [HeaderField("Content-Encoding", codings[round % codings.count]), HeaderField("Content-Type", "application/json")]
            let limit = [100, 4096, 1 << 20][next() % 3]
            switch ContentDecoding.decode(body, headers: headers, limit: limit) {
            case .decoded(let bytes, _):
                decoded += 1
                if bytes.count > limit { problems.append("round \(round): \(bytes.count) bytes past the \(limit) limit") }
            case .failed(let note):
                if note.isEmpty || note.contains("\n") { problems.append("round \(round): note \(note.debugDescription)") }
            case .identity:
                break
            }
            // As the view sniffing calls it: on at most `limit` bytes of the body, cut anywhere.
            let head = Array(body.prefix(min(limit, next() % (body.count + 1))))
            if let prefix = ContentDecoding.decodePrefix(head, headers: headers, limit: limit) {
                if prefix.count > limit { problems.append("round \(round): a prefix of \(prefix.count) bytes past the \(limit) limit") }
            }
            let request = makeRequest(headers: headers.map { ($0.name, $0.value) }, body: body)
            for view in BodyFormatterRegistry.views(for: request) {
                let formatted = BodyFormatterRegistry.format(request, as: view)
                for i in 0..<min(formatted.lineCount, 20) { _ = formatted.line(at: i) }
            }
        }
        if decoded <= 30 { problems.append("only \(decoded) mutated bodies decoded: the mutations hardly reach the decoder") }
        return problems
    }
}
