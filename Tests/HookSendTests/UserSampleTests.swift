import Foundation
import HookCore
import HookSignatures
import Testing

@testable import HookSend

/// A capture saved as a sample (the TUI's `w`) reads back as the same request, with its delivery id
/// as a placeholder so each send is a new delivery.
@Suite struct UserSampleTests {
    func githubPush() -> CapturedRequest {
        var request = CapturedRequest(
            id: 7, receivedAt: .now(), method: "POST", rawTarget: Array("/github".utf8),
            headers: [
                HeaderField("Host", "127.0.0.1:9777"), HeaderField("User-Agent", "GitHub-Hookshot/044aadd"),
                HeaderField("Content-Type", "application/json"), HeaderField("Content-Length", "40"),
                HeaderField("X-GitHub-Event", "push"), HeaderField("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
                HeaderField("X-Hub-Signature-256", "sha256=00"),
            ],
            remoteAddress: "127.0.0.1:1", body: Data(#"{"ref":"refs/heads/main","note":"café {{x}}"}"#.utf8),
            response: CapturedResponse(status: 200), signature: SignatureSummary(provider: "github", status: .invalid, detail: "x"))
        request.event = "push"
        request.deliveryID = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
        return request
    }

    @Test func aSavedCaptureReadsBackWithAFreshDeliveryIDPlaceholder() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-samples-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try UserSamples.save(githubPush(), in: directory)
        let second = try UserSamples.save(githubPush(), in: directory)
        #expect(first.name == "github/push" && second.name == "github/push-2")
        let mode = try FileManager.default.attributesOfItem(atPath: first.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)

        let samples = try UserSamples.load(from: directory, knownProviders: ["github"])
        #expect(samples.map(\.name) == ["github/push", "github/push-2"])
        let sample = try #require(samples.first)
        #expect(sample.provider == "github")
        #expect(sample.method == "POST")
        #expect(sample.deliveryID == .uuid)
        #expect(sample.headers.map(\.name) == ["User-Agent", "Content-Type", "X-GitHub-Event", "X-GitHub-Delivery", "X-Hub-Signature-256"])
        #expect(sample.headers.first { $0.name == "X-GitHub-Delivery" }?.value.text == "{{delivery_id}}")
        // The body as captured; an unknown {{x}} stays as written when rendered.
        var generator = SystemRandomNumberGenerator()
        let rendered = sample.body.render(Template.Values(deliveryID: "d", now: Date()), using: &generator)
        #expect(rendered == #"{"ref":"refs/heads/main","note":"café {{x}}"}"#)
    }

    @Test func prefixedDeliveryIDsKeepTheirShape() {
        #expect(UserSamples.deliveryStyle(of: "evt_1NG8Du2eZvKYlo2CUI79vXWy") == "evt_ 24")
        #expect(UserSamples.deliveryStyle(of: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W") == "msg_ 27")
        #expect(UserSamples.deliveryStyle(of: "b54ae9ec-2ab3-4d6f-8b1e-0c2a1a7f9a10") == "uuid")
        #expect(UserSamples.deliveryStyle(of: "1234567890") == "10")
    }

    @Test func refusedAndBinaryCapturesCannotBeSamples() {
        var refused = githubPush()
        refused.refusal = .bodyTooLarge
        #expect(throws: UserSamples.Problem.self) { try UserSamples.fileText(of: refused) }
        var binary = githubPush()
        binary.body = Data([0xff, 0xfe, 0x00])
        #expect(throws: UserSamples.Problem.self) { try UserSamples.fileText(of: binary) }
    }
}
