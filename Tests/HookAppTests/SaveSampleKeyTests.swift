import Foundation
import HookCore
import Synchronization
import Testing
import TermUI

@testable import HookApp

/// `w` writes the selected capture as a sample of the user's own and says where and how to send it.
@Suite struct SaveSampleKeyTests {
    final class Saved: Sendable {
        let ids = Mutex<[Int64]>([])
    }

    @Test func wSavesTheSelectedCaptureAndSaysHowToSendIt() async throws {
        let store = try await Sample.store([Sample.request("/first"), Sample.request("/second", body: "{\"n\":2}")])
        let saved = Saved()
        var app = await AppHarness(store: store, size: Size(width: 140, height: 30), saveSample: { request in
            saved.ids.withLock { $0.append(request.id) }
            return ("generic/capture-\(request.id)", "/tmp/samples/generic/capture-\(request.id).http")
        })
        await app.type("w")
        #expect(saved.ids.withLock { $0 } == [2])
        #expect(app.state.status?.text == "saved #2 as the sample generic/capture-2 (/tmp/samples/generic/capture-2.http): hookscope send --sample generic/capture-2")
        #expect(app.screenText().contains("saved #2 as the sample generic/capture-2"), "\(app.screenText())")
    }

    @Test func aCaptureThatCannotBeASampleSaysWhy() async throws {
        struct NotText: Error, CustomStringConvertible { var description: String { "#1 has a body that is not UTF-8 text" } }
        let store = try await Sample.store([Sample.request("/binary")])
        var app = await AppHarness(store: store, size: Size(width: 140, height: 30), saveSample: { _ in throw NotText() })
        await app.type("w")
        #expect(app.screenText().contains("#1 has a body that is not UTF-8 text"), "\(app.screenText())")
    }
}
