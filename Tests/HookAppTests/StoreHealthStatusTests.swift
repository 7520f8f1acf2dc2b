import Foundation
import HookCore
import HookStore
import Testing
import TermUI
@testable import HookApp

/// Captures the store refused stay in the status bar: while it fails, and after it recovers.
@Suite struct StoreHealthStatusTests {
    @Test func theStatusBarSaysWhatWasNotStored() async throws {
        var h = await AppHarness(store: try await Sample.store([Sample.request("/a")]), size: Size(width: 120, height: 24))
        #expect(!h.screenText().contains("not stored"))
        var health = StoreHealth()
        health.failures = 3
        health.lastReason = "cannot store the capture: the disk is full"
        health.failingSince = CaptureTime(nanosecondsSince1970: 1_000)
        await h.send(.storeHealth(health))
        let failing = h.screen().last ?? ""
        #expect(failing.contains("⚠ 3 not stored: cannot store the capture: the disk is full"), "\(failing)")
        health.failingSince = nil
        health.recoveredAt = CaptureTime(nanosecondsSince1970: 2_000)
        await h.send(.storeHealth(health))
        let recovered = h.screen().last ?? ""
        #expect(recovered.contains("⚠ 3 not stored (cannot store"), "\(recovered)")
        #expect(recovered.contains("storing again since"), "\(recovered)")
    }
}
