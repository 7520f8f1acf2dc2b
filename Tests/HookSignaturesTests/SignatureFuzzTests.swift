import Foundation
import HookCore
import HookTestSupport
import Testing
@testable import HookSignatures

/// Each provider's signed fixture with its header values and body mutated the way a fuzzer does it
/// (bytes flipped, cut, repeated, invalid UTF-8, separators and huge numbers put in), from a fixed
/// seed per provider. Verifying never crashes, the stored verdict (`summary(for:)`) always equals
/// the full report's, the report never shows the secret, and a body changed under an unchanged
/// signature never verifies (except where the scheme does not cover those bytes).
@Suite struct SignatureFuzzTests {

    static let insertions: [[UInt8]] = [
        ",", ";", "=", " ", "\t", "v1=", "v0=", "t=", "sha256=", "0", "-1", "99999999999999999999", "ffffffff", "==", "/", "+",
        "\"", "\\", "{", "}", "[", "]", ":", "\r\n", "\\u0000", "\\ud800", "é", "\u{202E}",
    ].map { Array($0.utf8) } + [[0xff], [0xc3], [0x00], [0xed, 0xa0, 0x80]]

    static let mutator = ByteMutator(pieces: insertions, edits: 1...4, longestRemoval: 12, longestRepeat: 16, repeats: 2...5, longestNoise: 8)

    /// On the tests' CPU work queue (off the concurrency pool, one job at a time): the CPU work would otherwise hold a thread of the concurrency pool,
    /// which other suites' async work needs (docs/decisions.md).
    @Test(arguments: SignedFixture.all)
    func mutatedSignaturesAndBodiesNeverCrashAndAgree(_ fixture: SignedFixture) async throws {
        let problems = try await onCPUWorkQueue { Self.problems(fuzzing: fixture) }
        let agreed = problems.isEmpty
        #expect(agreed, "\(fixture.provider):\n\(problems.joined(separator: "\n"))")
    }

    static func problems(fuzzing fixture: SignedFixture) -> [String] {
        var random = SeededGenerator(seed: fixture.provider.utf8.reduce(0x5EED) { $0 &* 31 &+ UInt64($1) })
        let verifier = verifier(fixture.provider, fixture.secret)
        let original = fixture.request()
        let now = time(fixture.timestamp + 5)
        var problems: [String] = []
        // The token scheme does not cover the body; Mailgun signs fields inside it.
        let bodyIsSigned = !["gitlab", "mailgun"].contains(fixture.provider)
        for index in 0..<200 {
            var request = original
            var headersChanged = false
            let what = Int.random(in: 0..<10, using: &random)
            if what < 5 {
                // One of the provider's headers (not Host).
                let candidates = request.headers.indices.filter { !request.headers[$0].hasName("host") }
                let at = candidates.randomElement(using: &random)!
                let field = request.headers[at]
                switch Int.random(in: 0..<6, using: &random) {
                case 0: request.headers.append(field)  // duplicated
                case 1: request.headers.remove(at: at)
                default: request.headers[at] = HeaderField(name: field.name, rawValue: Self.mutator.mutate(field.rawValue, using: &random))
                }
                headersChanged = request.headers != original.headers
            }
            if what >= 3 {
                request.body = Data(Self.mutator.mutate(Array(original.body), using: &random))
            }
            let report = verifier.verify(request, now: now)
            let summary = verifier.summary(for: request, now: now)
            let described = "mutation \(index): headers \(request.headers.map { "\($0.name): \(String(decoding: $0.rawValue, as: UTF8.self))" }) body \(String(decoding: request.body, as: UTF8.self).debugDescription)"
            if summary != report.summary {
                problems.append("\(described): stored verdict \(summary.status) \(summary.detail) but report \(report.summary.status) \(report.summary.detail)")
            }
            if report.text.contains(fixture.secret) && fixture.provider != "discord" {
                problems.append("\(described): the report shows the secret")
            }
            if bodyIsSigned, !headersChanged, request.body != original.body, report.summary.status == .valid {
                problems.append("\(described): a changed body verified")
            }
            // A re-signed replay (`R`, `replay --resign`) either is refused with a reason or verifies.
            let later = fixture.timestamp + 86_400
            if case .success(let headers) = verifier.resign(request, now: time(later)) {
                var replayed = request
                replayed.headers = headers
                replayed.receivedAt = time(later)
                let again = verifier.verify(replayed, now: time(later))
                if again.summary.status != .valid {
                    problems.append("\(described): re-signed as \(headers.map { "\($0.name): \(String(decoding: $0.rawValue, as: UTF8.self))" }) but \(again.summary.status): \(again.summary.detail)")
                }
            }
            if problems.count >= 5 { break }
        }
        return problems
    }
}
