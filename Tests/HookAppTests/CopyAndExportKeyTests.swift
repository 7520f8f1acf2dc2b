import Foundation
import HookCore
import HookStore
import Testing
import TermUI
@testable import HookApp

@Suite struct CopyAndExportKeyTests {
    final class Clipboard: @unchecked Sendable {
        private let lock = NSLock()
        private var texts: [String] = []
        func put(_ text: String) { lock.withLock { texts.append(text) } }
        var all: [String] { lock.withLock { texts } }
    }

    @Test func yCopiesTheSelectedRequestAsCurlAndSavesIt() async throws {
        let clipboard = Clipboard()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-y-\(UUID().uuidString)").path
        let store = try await Sample.store([
            Sample.request("/hooks/a", body: "it's $(id)", headers: [HeaderField("Authorization", "Bearer sk_live_x")]),
        ])
        var h = await AppHarness(store: store, clipboard: { clipboard.put($0) }, exportDirectory: directory)
        await h.type("y")
        let text = try #require(clipboard.all.first)
        #expect(text.contains("\ncurl --http1.1 "))
        #expect(text.contains("http://127.0.0.1:9777/hooks/a"))
        #expect(text.contains("# redacted: Authorization"))
        #expect(!text.contains("sk_live_x"), "credentials are redacted unless asked for")
        let path = directory + "/request-1.curl.sh"
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
        #expect(h.state.status?.text.contains(path) == true)
    }

    @Test func xExportsTheFilteredListAsHAR() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-x-\(UUID().uuidString)").path
        let store = try await Sample.store([
            Sample.request("/hooks/stripe", second: 0), Sample.request("/hooks/github", second: 1),
            Sample.request("/hooks/stripe/2", second: 2),
        ])
        var h = await AppHarness(store: store, exportDirectory: directory)
        await h.type("/path:/hooks/stripe<enter>")
        await h.type("x")
        let status = try #require(h.state.status?.text)
        #expect(status.contains("exported 2 requests as HAR to \(directory)/"))
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasSuffix(".har") })
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file))
        let imported = try HARImporter.requests(from: data)
        #expect(imported.map(\.target) == ["/hooks/stripe", "/hooks/stripe/2"])
    }
}
