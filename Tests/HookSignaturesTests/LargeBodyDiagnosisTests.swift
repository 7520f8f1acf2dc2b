import Crypto
import Foundation
import Synchronization
import Testing
@testable import HookSignatures

/// Large and hostile bodies through the mismatch diagnosis, which runs for every wrongly signed
/// capture: the byte-level form parser, Twilio's signed string and the `\uXXXX` unescaping give
/// what the Foundation-based originals (kept here as references) gave, and a wrong signature on
/// bodies of 0.6 to 1.5 MB gets its verdict. These used to take a minute (the
/// unescaping stepped through a Substring, counting what was left at every character) or 15 s
/// (Twilio re-parsed a 2.7 MB form through Foundation for every URL, secret and variant); the
/// deadline below only catches such a return, it is no speed target.
@Suite struct LargeBodyDiagnosisTests {
    /// The original `parseForm`, through Foundation.
    static func referenceParseForm(_ body: [UInt8]) -> [(String, String)]? {
        guard let text = String(bytes: body, encoding: .utf8) else { return nil }
        if text.isEmpty { return [] }
        var pairs: [(String, String)] = []
        for piece in text.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func dec(_ s: Substring) -> String? { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = dec(kv[0]) else { return nil }
            let value = kv.count > 1 ? dec(kv[1]) : ""
            guard let value else { return nil }
            pairs.append((name, value))
        }
        return pairs
    }

    /// The original Twilio signed string: values grouped by name in sets, both sorted as UTF-8.
    static func referenceTwilioMessage(url: String, body: [UInt8]) -> [UInt8] {
        var out = Array(url.utf8)
        guard let pairs = referenceParseForm(body) else { return out }
        var grouped: [String: Set<String>] = [:]
        for (name, value) in pairs { grouped[name, default: []].insert(value) }
        for name in grouped.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            for value in grouped[name]!.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                out += Array(name.utf8) + Array(value.utf8)
            }
        }
        return out
    }

    static let forms: [[UInt8]] = [
        "", "&", "a=1", "a=1&b=2&a=0&a=1", "To=%2B15551234567&Body=Hello+world%21&From=x", "a", "a=", "=v", "a=b=c",
        "k=%E2%82%AC", "k=caf%C3%A9&k=caf%c3%a9", "k=%", "k=%4", "k=%zz", "k=%FF", "k=%C3", "é=ü&x=%20%2b+",
        "&&a=1&&b=2&&", "a=%00b", "Body=line1%0D%0Aline2",
    ].map { Array($0.utf8) } + [[0x61, 0x3D, 0xE9], [0xFF]]

    @Test func formParsingMatchesFoundation() {
        for form in Self.forms {
            let mine = parseForm(form)
            let reference = Self.referenceParseForm(form)
            #expect(mine?.map { "\($0.0)=\($0.1)" } == reference?.map { "\($0.0)=\($0.1)" }, "\(form)")
        }
    }

    @Test func twilioSignedStringMatchesTheOriginal() {
        for form in Self.forms {
            #expect(OtherSchemes.twilioMessage(url: "https://example.com/sms", body: form, isForm: true)
                == Self.referenceTwilioMessage(url: "https://example.com/sms", body: form), "\(form)")
        }
        #expect(OtherSchemes.twilioMessage(url: "https://example.com/sms", body: Array("a=1".utf8), isForm: false) == Array("https://example.com/sms".utf8))
    }

    @Test func unescapingMatchesTheOriginalOnLongText() {
        var text = ""
        let pieces = [#"\u00e9"#, "x", #"\\u00e9"#, #"\ud83d\ude00"#, #"\ud83d"#, #"\ude00"#, "é", #"\u0041"#, #"\u12"#, "\\", #"\uD83D\uDE00"#]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3_000 { text += pieces.randomElement(using: &rng)! }
        let bytes = Array(text.utf8)
        #expect(BodyVariants.unescapedNonASCII(bytes) == BodyVariantsTests.referenceUnescapedNonASCII(bytes))
    }

    /// A Twilio-signed form of 20,000 fields verifies, and with a wrong token it is invalid.
    @Test func largeTwilioFormVerifies() {
        let body = (0..<20_000).map { "Field\($0 % 700)=value+\($0)%21" }.joined(separator: "&")
        let url = "https://example.com/sms"
        let message = OtherSchemes.twilioMessage(url: url, body: Array(body.utf8), isForm: true)
        let mac = Data(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: Array("tok".utf8)))).base64EncodedString()
        let request = makeRequest(target: "/sms", headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", mac)], body: body)
        #expect(verifier("twilio", "tok").summary(for: request, now: request.receivedAt).status == .valid)
        #expect(verifier("twilio", "not-tok").summary(for: request, now: request.receivedAt).status == .invalid)
    }

    /// The verdicts run on a thread of their own, and the test awaits them without holding a thread
    /// of the concurrency pool (other suites' listeners need it); it fails if they take over 120 s
    /// (about ten times what a debug build needs; the old code took over 400 s), instead of waiting
    /// for a runaway diagnosis.
    @Test func wrongSignaturesOnLargeBodiesGetAVerdict() async {
        let n = 600_000
        let bodies: [(String, String)] = [
            // 1.5 MB: the old unescaping took a minute on this one in a release build.
            ("escapes", #"{"s":""# + String(repeating: #"\u00e9"#, count: 1_500_000 / 6) + #""}"#),
            ("non-ASCII", #"{"s":""# + String(repeating: "é", count: n / 2) + #""}"#),
            ("form", (0..<(n / 12)).map { "k\($0)=v%20\($0)" }.joined(separator: "&")),
            ("keys", "{" + (0..<(n / 12)).map { #""k\#($0 % 1000)":\#($0)"# }.joined(separator: ",") + "}"),
        ]
        let verdicts = Mutex<[String]>([])
        let finished = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            // Resumed once: by the thread when it is done, or by the deadline.
            let pending = Mutex<CheckedContinuation<Bool, Never>?>(continuation)
            let thread = Thread {
                for (name, body) in bodies {
                    let stripe = makeRequest(headers: [("Stripe-Signature", "t=1700000000,v1=" + String(repeating: "ab", count: 32))], body: body)
                    let s = verifier("stripe", "whsec_x").summary(for: stripe, now: stripe.receivedAt).status
                    let twilio = makeRequest(target: "/sms", headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", "UlepaefOy+vaMq/6YsvKP6Uc=")], body: body)
                    let t = verifier("twilio", "tok").summary(for: twilio, now: twilio.receivedAt).status
                    verdicts.withLock { $0.append("\(name): stripe \(s), twilio \(t)") }
                }
                pending.withLock { $0?.resume(returning: true); $0 = nil }
            }
            thread.start()
            DispatchQueue.global().asyncAfter(deadline: .now() + 120) {
                pending.withLock { $0?.resume(returning: false); $0 = nil }
            }
        }
        #expect(finished, "verdicts after 120 s: \(verdicts.withLock { $0 })")
        if finished {
            #expect(verdicts.withLock { $0 } == bodies.map { "\($0.0): stripe invalid, twilio invalid" })
        }
    }
}
