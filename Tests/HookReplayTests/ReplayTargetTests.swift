import Foundation
import HookCore
import HookReplay
import HookSignatures
import Synchronization
import HookTestSupport
import Testing

@Suite("ReplayTarget URL rule")
struct ReplayTargetTests {
    @Test func pathRule() throws {
        let request = capture(target: "/hooks/stripe?x=1", headers: [], body: [])
        func url(_ to: String) throws -> String { try ReplayTarget.parse(to).get().url(for: request).get() }
        #expect(try url("http://127.0.0.1:3000") == "http://127.0.0.1:3000/hooks/stripe?x=1")
        #expect(try url("http://127.0.0.1:3000/") == "http://127.0.0.1:3000/hooks/stripe?x=1")
        #expect(try url("http://127.0.0.1:3000/new") == "http://127.0.0.1:3000/new")
        #expect(try url("https://example.com/?y=2") == "https://example.com/?y=2")
        #expect(try ReplayTarget.parse("https://Example.com").get().hostHeader == "example.com")
        #expect(try ReplayTarget.parse("http://[::1]:8080/").get().hostHeader == "[::1]:8080")
        #expect(try ReplayTarget.parse("http://h:80").get().hostHeader == "h")
    }

    @Test("each refusal before sending carries the kind of failure the list shows")
    func refusalKinds() {
        func kind(_ request: CapturedRequest, to url: String = "http://127.0.0.1:1", options: ReplayOptions = ReplayOptions()) -> ReplayFailure? {
            guard case .failure(let error) = ReplayPlan.make(request, to: url, options: options) else { return nil }
            return error.failure
        }
        let plain = capture(headers: [], body: [])
        #expect(kind(plain, to: "ftp://127.0.0.1/") == .unsent)
        #expect(kind(capture(headers: [HeaderField("Bad Name", "1")], body: [])) == .unsent)
        #expect(kind(plain, options: ReplayOptions(resign: true)) == .unsent)
        #expect(kind(plain, options: ReplayOptions(resign: true, verifier: SignatureVerifier(secrets: SecretBook()))) == .unsent)
        #expect(kind(capture(method: "TRACE", headers: [], body: Array("x".utf8))) == .other)
        #expect(kind(capture(method: "GE T", headers: [], body: [])) == .other)
        var refused = plain
        refused.refusal = .bodyTooLarge
        #expect(kind(refused) == .other)
        #expect(kind(plain) == nil)
    }

    @Test func targetWithSpaceIsRefused() {
        let request = CapturedRequest(
            receivedAt: .now(), method: "GET", rawTarget: Array("/a b".utf8), headers: [], remoteAddress: "x",
            body: Data(), response: CapturedResponse(status: 200))
        let plan = ReplayPlan.make(request, to: "http://127.0.0.1:1", options: ReplayOptions())
        #expect(throws: ReplayPlanError("the captured target contains a space, which cannot go in a URL; give the path in --to", failure: .other)) {
            try plan.get()
        }
    }
}
