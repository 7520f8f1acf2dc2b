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
        #expect(text.contains("\ncurl -sS --http1.1 "))
        #expect(text.contains("http://127.0.0.1:9777/hooks/a"))
        #expect(text.contains("# redacted: Authorization"))
        #expect(!text.contains("sk_live_x"), "credentials are redacted unless asked for")
        let path = directory + "/request-1.curl.sh"
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
        #expect(h.state.status?.text.contains(path) == true)
    }

    /// `y` aims the command at the address the capture arrived on (not at a replay or forward
    /// target, nor at this listener's port), and says so; a capture stored before that address was
    /// kept goes to this listener's.
    @Test func yAimsWhereTheCaptureArrived() async throws {
        let clipboard = Clipboard()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-y-\(UUID().uuidString)").path
        var arrived = Sample.request("/hooks/a")
        arrived.localAddress = "127.0.0.1:19777"
        let store = try await Sample.store([arrived, Sample.request("/hooks/old", second: 1)])
        var h = await AppHarness(
            store: store, size: Size(width: 200, height: 24), replayTo: "http://127.0.0.1:3000/replayed", clipboard: { clipboard.put($0) },
            exportDirectory: directory, forwardTarget: "http://127.0.0.1:4000")
        await h.type("ky")
        let text = try #require(clipboard.all.last)
        #expect(text.contains(" http://127.0.0.1:19777/hooks/a "), "\(text)")
        #expect(h.state.status?.text.contains("(aimed at http://127.0.0.1:19777)") == true, "\(h.state.status?.text ?? "")")
        await h.type("jy")
        #expect(clipboard.all.last?.contains(" http://127.0.0.1:9777/hooks/old ") == true, "\(clipboard.all.last ?? "")")
    }

    /// A status message that reports a file keeps the file's name when the bar is too narrow: the
    /// middle of the message goes, not the end of the path.
    @Test func theStatusBarShowsTheEndOfAReportedPath() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("hookscope-status-\(UUID().uuidString)/a/rather/long/folder/for/exports").path
        for width in [80, 120] {
            var h = await AppHarness(
                store: try await Sample.store([Sample.request("/hooks/a")]), size: Size(width: width, height: 24), exportDirectory: directory)
            await h.type("x")
            let status = try #require(h.state.status?.text)
            let file = try #require(status.split(separator: "/").last)
            #expect(file.hasSuffix(".har"))
            let bar = h.screen()[23]
            #expect(bar.hasSuffix("/" + file), "\(width): \(bar)")
            #expect(bar.contains("…"), "\(width): \(bar)")
            // With room for it, the start of the message too.
            if width == 120 { #expect(bar.contains("exported 1 request as HAR to …"), "\(bar)") }
        }
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
