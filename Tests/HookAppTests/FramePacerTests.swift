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
}
