import Foundation
import HookCore
import HookStore
import Testing
import TermUI
@testable import HookApp

/// The headers pane names the provider's event type and delivery id, escaped.
@Suite struct DeliveryIdentityPaneTests {
    @Test func theHeadersPaneNamesTheEventAndDeliveryID() async throws {
        let request = Sample.request(
            "/github", body: #"{"action":"opened","number":1}"#,
            headers: [
                HeaderField("X-GitHub-Event", "pull_request"), HeaderField("X-GitHub-Delivery", "72d3162e\u{1b}[31m"),
                HeaderField("X-Hub-Signature-256", "sha256=00"),
            ],
            signature: SignatureSummary(provider: "github", status: .invalid, detail: "signature mismatch"))
        let h = await AppHarness(store: try await Sample.store([request]), size: Size(width: 160, height: 40))
        let text = h.screenText()
        #expect(text.contains("event pull_request.opened · delivery 72d3162e\\x1b[31"), "\(text)")  // the pane wraps before the m
    }
}
