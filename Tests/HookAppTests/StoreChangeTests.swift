import Foundation
import HookCore
import HookStore
import Testing
import TermUI
@testable import HookApp

/// `watch`: what other processes change in the store besides adding captures shows without a key
/// pressed, and the keys that act on a listener are not there.
@Suite struct StoreChangeTests {
    @Test func verdictsAndDeletionsMadeElsewhereAreReloaded() async throws {
        let store = try await Sample.store([Sample.request("/a"), Sample.request("/b"), Sample.request("/c")])
        var h = await AppHarness(store: store, size: Size(width: 120, height: 24))
        #expect(h.screenText().contains("3 captures"))
        // Another process: a verdict explained later, then a capture deleted.
        try await store.updateSignature(id: 2, SignatureSummary(provider: "stripe", status: .invalid, detail: "signature mismatch"))
        #expect(!h.screenText().contains("invalid"))
        await h.send(.storeChanged(.updated))
        #expect(h.screenText().contains("invalid"), "\(h.screenText())")
        try await store.delete(id: 1)
        await h.send(.storeChanged(.deleted))
        let screen = h.screenText()
        #expect(screen.contains("2 captures"), "\(screen)")
        #expect(!screen.contains("/a "), "\(screen)")
        #expect(screen.contains("/b") && screen.contains("/c"), "\(screen)")
    }

    @Test func aLostFollowIsSaidUntilItResumes() async throws {
        var h = await AppHarness(store: try await Sample.store([Sample.request("/a")]), size: Size(width: 120, height: 24))
        await h.send(.storeChanged(.lost("lost the connection to postgres://u@db:5432/hooks; reconnecting")))
        #expect(h.state.status?.isError == true)
        #expect(h.screenText().contains("lost the connection to postgres://u@db:5432/hooks"))
        await h.send(.storeChanged(.resumed))
        #expect(h.state.status?.isError == false)
        #expect(h.screenText().contains("again"))
    }

    @Test func theViewerKeymapHasNoListenerKeys() {
        for key in ["u", "F", "!"] {
            let chord = Key.character(Character(key))
            #expect(Keymap.standard.action(for: chord, in: .list) != nil)
            #expect(Keymap.viewer.action(for: chord, in: .list) == nil, "\(key) is bound in watch")
        }
        // Everything else is the same.
        #expect(Keymap.viewer.bindings.count == Keymap.standard.bindings.count - Keymap.listenerOnly.count)
    }
}
