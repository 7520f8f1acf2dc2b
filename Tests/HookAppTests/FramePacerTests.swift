import HookCore
import Testing
import TermUI
@testable import HookApp

@Suite struct FramePacerTests {
    let start = ContinuousClock.now
    func at(_ ms: Int) -> ContinuousClock.Instant { start + .milliseconds(ms) }
    let capture = AppEvent.captured(Sample.request("/hook").summary)
    let key = AppEvent.input(.key(.character("j")))

    @Test func keysAreDrawnAtOnceEvenRightAfterAFrame() {
        var pacer = FramePacer(minimumInterval: .milliseconds(16))
        pacer.drew(at: at(0))
        #expect(pacer.decide(after: [key], now: at(1)) == .draw)
        pacer.drew(at: at(1))
        // A key mixed into a flood of captures is not held back by them.
        #expect(pacer.decide(after: [capture, capture, key, capture], now: at(2)) == .draw)
        // So are the answers to keys (here: a capture loaded for the selection).
        pacer.drew(at: at(2))
        #expect(pacer.decide(after: [.requestMissing(id: 7)], now: at(3)) == .draw)
    }

    @Test func aFloodOfCapturesIsDrawnAtMostOncePerInterval() {
        var pacer = FramePacer(minimumInterval: .milliseconds(16))
        pacer.drew(at: at(0))
        // The first captures after a frame ask for one wake-up at the end of the interval ...
        #expect(pacer.decide(after: [capture], now: at(4)) == .drawAfter(.milliseconds(12)))
        // ... and the ones after them do not ask again nor draw.
        #expect(pacer.decide(after: [capture], now: at(6)) == .wait)
        #expect(pacer.decide(after: [capture, capture], now: at(10)) == .wait)
        // The wake-up (no events) draws them all.
        #expect(pacer.decide(after: [], now: at(16)) == .draw)
        pacer.drew(at: at(16))
        // Nothing new: a stray wake-up draws nothing.
        #expect(pacer.decide(after: [], now: at(40)) == .wait)
        // Captures long after the last frame are drawn at once.
        #expect(pacer.decide(after: [capture], now: at(100)) == .draw)
    }

    @Test func aKeyDrawsPendingCapturesAndTheNextFloodAsksForItsOwnWakeUp() {
        var pacer = FramePacer(minimumInterval: .milliseconds(16))
        pacer.drew(at: at(0))
        #expect(pacer.decide(after: [capture], now: at(2)) == .drawAfter(.milliseconds(14)))
        #expect(pacer.decide(after: [key], now: at(3)) == .draw)
        pacer.drew(at: at(3))
        // The earlier wake-up still fires: nothing changed since the key's frame.
        #expect(pacer.decide(after: [], now: at(16)) == .wait)
        #expect(pacer.decide(after: [capture], now: at(17)) == .drawAfter(.milliseconds(2)))
    }

    @Test func answersWithoutARecentKeyWaitForTheNextFrame() {
        var pacer = FramePacer(minimumInterval: .milliseconds(16))
        pacer.drew(at: at(0))
        // In follow mode a flood loads the newest capture for the selection: its answer is not a
        // key's answer and waits like the captures.
        #expect(pacer.decide(after: [capture], now: at(2)) == .drawAfter(.milliseconds(14)))
        #expect(pacer.decide(after: [.requestMissing(id: 7)], now: at(3)) == .wait)
        #expect(pacer.decide(after: [], now: at(16)) == .draw)
        pacer.drew(at: at(16))
        // Within the answer window after a key, answers are drawn at once; after it, they wait.
        #expect(pacer.decide(after: [key], now: at(20)) == .draw)
        pacer.drew(at: at(20))
        #expect(pacer.decide(after: [.requestMissing(id: 7)], now: at(25)) == .draw)
        pacer.drew(at: at(25))
        #expect(pacer.decide(after: [.requestMissing(id: 8)], now: at(20 + 501)) == .draw)  // 496 ms after the last frame
        pacer.drew(at: at(521))
        #expect(pacer.decide(after: [.requestMissing(id: 9)], now: at(525)) == .drawAfter(.milliseconds(12)))
    }

    @Test func aFloodAbsorbedBetweenFramesLoadsTheNewestCaptureOnce() {
        var state = AppState(listenURL: "http://127.0.0.1:1", size: Size(width: 120, height: 40))
        _ = state.apply(.countLoaded(0))
        var effects: [Effect] = []
        for index in 1...200 {
            var request = Sample.request("/flood/\(index)")
            request.id = Int64(index)
            effects += state.absorb(.captured(request.summary))
        }
        #expect(!effects.contains { if case .loadRequest = $0 { true } else { false } })
        effects = state.reconcile()
        let loads = effects.compactMap { effect -> Int64? in
            if case .loadRequest(let id) = effect { return id } else { return nil }
        }
        // Follow mode: one load, of the newest capture.
        #expect(loads == [200])
        #expect(state.selectedSummary?.id == 200)
    }
}
