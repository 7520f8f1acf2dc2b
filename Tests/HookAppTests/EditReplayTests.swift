import Foundation
import HookCore
import HookStore
import Testing
import TermUI
@testable import HookApp

@Suite struct EditReplayTests {
    final class Sent: @unchecked Sendable {
        private let lock = NSLock()
        private var requests: [CapturedRequest] = []
        func add(_ request: CapturedRequest) { lock.withLock { requests.append(request) } }
        var all: [CapturedRequest] { lock.withLock { requests } }
    }

    @Test func eOpensTheRequestInTheEditorAndReplaysTheEditedCopy() async throws {
        let sent = Sent()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-e-\(UUID().uuidString)").path
        let store = try await Sample.store([
            Sample.request("/hooks/a", body: "{\"amount\":100}", headers: [HeaderField("Content-Type", "application/json"), HeaderField("Content-Length", "14")]),
        ])
        let h0 = await AppHarness(
            store: store, replayTo: "http://127.0.0.1:3000", exportDirectory: directory,
            replayEdited: { request, target, _ in
                sent.add(request)
                return ReplayAttempt(requestID: request.id, startedAt: CaptureTime(nanosecondsSince1970: 0), targetURL: target,
                                     resigned: false, changedHeaders: [], response: CapturedResponse(status: 200), error: nil, durationNanoseconds: 1)
            },
            editFile: { path in
                // What a user does in the editor: change the amount, add a header; the editor adds a final newline.
                guard var text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
                text = text.replacingOccurrences(of: "100", with: "250")
                text = text.replacingOccurrences(of: "Content-Type: application/json", with: "Content-Type: application/json\r\nX-Edited: yes")
                return (try? (text + "\n").write(toFile: path, atomically: true, encoding: .utf8)) != nil
            })
        var h = h0
        await h.type("e")
        #expect(h.screen()[23].contains("replay #1 edited to:"))
        await h.type("<enter>")
        let edited = try #require(sent.all.first)
        #expect(edited.body == Data("{\"amount\":250}".utf8))
        #expect(edited.headers.map(\.name) == ["Content-Type", "X-Edited"])
        #expect(edited.target == "/hooks/a")
        // The capture itself never changes, and the temporary file is gone.
        #expect(try await store.request(id: 1)?.body == Data("{\"amount\":100}".utf8))
        #expect((try? FileManager.default.contentsOfDirectory(atPath: directory))?.isEmpty ?? true)
        #expect(h.state.status?.text.contains("replayed #1") == true)
    }

    @Test func aFailingEditorSendsNothing() async throws {
        let sent = Sent()
        let store = try await Sample.store([Sample.request("/hooks/a")])
        var h = await AppHarness(
            store: store, replayTo: "http://127.0.0.1:3000",
            replayEdited: { request, target, _ in
                sent.add(request)
                return ReplayAttempt(requestID: request.id, startedAt: CaptureTime(nanosecondsSince1970: 0), targetURL: target,
                                     resigned: false, changedHeaders: [], response: nil, error: "x", durationNanoseconds: 1)
            },
            editFile: { _ in false })
        await h.type("e<enter>")
        #expect(sent.all.isEmpty)
        #expect(h.state.status?.text.contains("nothing sent") == true)
    }

    /// vi's `:q!` leaves the file as it was; `:wq` without a change adds at most a final newline.
    @Test(arguments: [false, true])
    func anUnchangedFileSendsNothing(savedWithNewline: Bool) async throws {
        let sent = Sent()
        let store = try await Sample.store([
            Sample.request("/hooks/a", body: "{\"amount\":100}", headers: [HeaderField("Content-Type", "application/json"), HeaderField("Content-Length", "14")]),
        ])
        var h = await AppHarness(
            store: store, replayTo: "http://127.0.0.1:3000",
            replayEdited: { request, target, _ in
                sent.add(request)
                return ReplayAttempt(requestID: request.id, startedAt: CaptureTime(nanosecondsSince1970: 0), targetURL: target,
                                     resigned: false, changedHeaders: [], response: CapturedResponse(status: 200), error: nil, durationNanoseconds: 1)
            },
            editFile: { path in
                guard savedWithNewline else { return true }
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
                return (try? (text + "\n").write(toFile: path, atomically: true, encoding: .utf8)) != nil
            })
        await h.type("e<enter>")
        #expect(sent.all.isEmpty)
        #expect(h.state.status?.text == "edit: nothing was changed in the editor; nothing sent")
        #expect(h.state.status?.isError == true)
        #expect(h.state.replay.pendingReplays.isEmpty)
    }

    /// `E` edits, then re-signs the edited copy: the replay function is asked to re-sign, and the
    /// attempt is marked edited and re-signed in the status bar and the signature pane.
    @Test func capitalEEditsThenReSigns() async throws {
        final class Calls: @unchecked Sendable {
            let lock = NSLock()
            var resigns: [Bool] = []
        }
        let calls = Calls()
        let store = try await Sample.store([
            Sample.request("/hooks/a", body: "{\"amount\":100}", headers: [HeaderField("Content-Type", "application/json")]),
        ])
        var h = await AppHarness(
            store: store, size: Size(width: 120, height: 40), replayTo: "http://127.0.0.1:3000",
            replayEdited: { request, target, resign in
                calls.lock.withLock { calls.resigns.append(resign) }
                return ReplayAttempt(requestID: request.id, startedAt: CaptureTime(nanosecondsSince1970: 0), targetURL: target,
                                     resigned: resign, changedHeaders: ["Stripe-Signature"], response: CapturedResponse(status: 200),
                                     error: nil, durationNanoseconds: 1_000_000)
            },
            editFile: { path in
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
                return (try? text.replacingOccurrences(of: "100", with: "250").write(toFile: path, atomically: true, encoding: .utf8)) != nil
            })
        await h.type("E")
        #expect(h.state.modal.prompt?.kind == .replayURL(id: 1, mode: .editedResigned))
        #expect(h.screen()[39].contains("replay #1 edited, re-signed, to:"))
        await h.type("<enter>")
        #expect(calls.lock.withLock { calls.resigns } == [true])
        #expect(h.state.status?.text.hasPrefix("replayed #1 (edited, re-signed) → 200") == true)
        #expect(h.state.replay.last?.edited == true)
        while h.state.detail.focus != .signature { await h.type("<tab>") }
        await h.type("<enter>")
        let text = h.screenText()
        #expect(text.contains("replay (edited, re-signed) → http://127.0.0.1:3000"))
        #expect(text.contains("replay (edited, re-signed) → http://127.0.0.1:3000 200 1ms"), "\(text)")
        // `e` alone does not re-sign.
        await h.type("<enter>e<enter>")
        #expect(calls.lock.withLock { calls.resigns } == [true, false])
        #expect(h.state.status?.text.hasPrefix("replayed #1 (edited) → 200") == true)
    }
}
