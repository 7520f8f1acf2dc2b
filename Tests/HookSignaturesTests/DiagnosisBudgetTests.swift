import Foundation
import HookCore
import Synchronization
import Testing
@testable import HookSignatures

/// A clock the test moves by hand (nanoseconds).
final class ManualClock: Sendable {
    private let time = Mutex<UInt64>(1_000_000_000)
    var now: UInt64 { time.withLock { $0 } }
    func advance(milliseconds: UInt64) { time.withLock { $0 += milliseconds * 1_000_000 } }
}

@Suite struct DiagnosisBudgetTests {
    @Test func spendsWhileTimeIsLeftThenSkipsUntilItRefills() {
        let clock = ManualClock()
        // 10% of a core, at most 10 ms saved up; it refills with all time that passes, also the
        // time the searches themselves take.
        let budget = DiagnosisBudget(share: 0.1, capacity: .milliseconds(10), clock: { clock.now })
        var ran = 0
        let costing6ms = { ran += 1; clock.advance(milliseconds: 6) }
        #expect(budget.spend(costing6ms) != nil)  // 10 ms: runs, 4 left
        #expect(budget.spend(costing6ms) != nil)  // 4 + 0.6 refilled: runs, 1.4 ms in debt
        #expect(budget.spend(costing6ms) == nil)  // -1.4 + 0.6: still in debt, skipped and not run
        #expect(ran == 2)
        #expect(budget.skippedCount == 1)
        clock.advance(milliseconds: 5)  // -0.8 + 0.5: still in debt
        #expect(budget.spend(costing6ms) == nil)
        clock.advance(milliseconds: 5)  // -0.3 + 0.5: 0.2 ms left
        #expect(budget.spend(costing6ms) != nil)
        #expect(ran == 3)
        #expect(budget.skippedCount == 2)
    }

    @Test func savesUpNoMoreThanItsCapacity() {
        let clock = ManualClock()
        let budget = DiagnosisBudget(share: 0.1, capacity: .milliseconds(10), clock: { clock.now })
        clock.advance(milliseconds: 3_600_000)  // an idle hour would refill 360 s; capped at 10 ms
        #expect(budget.spend { clock.advance(milliseconds: 20) } != nil)  // 10 ms in debt after it
        #expect(budget.spend { clock.advance(milliseconds: 1) } == nil)  // -10 + 2 refilled
    }

    /// Rested: at least half the capacity saved up (what later catch-up work waits for).
    @Test func restedOnceHalfTheCapacityIsSavedUpAgain() {
        let clock = ManualClock()
        let budget = DiagnosisBudget(share: 0.1, capacity: .milliseconds(10), clock: { clock.now })
        #expect(budget.isRested)  // starts full
        #expect(budget.spend { clock.advance(milliseconds: 8) } != nil)  // 10 + 0.8 - 8 = 2.8 ms
        #expect(!budget.isRested)
        clock.advance(milliseconds: 21)  // 2.8 + 2.1 = 4.9 ms
        #expect(!budget.isRested)
        clock.advance(milliseconds: 1)  // 5.0 ms
        #expect(budget.isRested)
    }

    /// Time charged from outside (the later catch-up's reading and writing) counts like a search.
    @Test func chargedTimeCountsAgainstTheBudget() {
        let clock = ManualClock()
        let budget = DiagnosisBudget(share: 0.1, capacity: .milliseconds(10), clock: { clock.now })
        budget.charge(.milliseconds(6))  // 4 ms left: not rested
        #expect(!budget.isRested)
        budget.charge(.milliseconds(5))  // 1 ms in debt: the next search is skipped
        #expect(budget.spend { 1 } == nil)
        clock.advance(milliseconds: 60)  // -1 + 6
        #expect(budget.isRested)
        #expect(budget.spend { 1 } == 1)
    }

    @Test func aBudgetWithoutTimeNeverRunsTheSearch() {
        let budget = DiagnosisBudget(share: 0, capacity: .zero)
        #expect(budget.spend { Issue.record("the search ran"); return 1 } == nil)
    }

    /// Signed with the right secret over `{"hello":"world"}`, sent re-serialized with spaces: every
    /// provider that signs the body finds the cause when it may look for it.
    static let resent = #"{"hello": "world"}"#

    @Test(arguments: SignedFixture.all)
    func theBudgetChangesOnlyTheDetailNeverTheVerdict(_ fixture: SignedFixture) {
        let request = fixture.request(body: Self.resent)
        let verifier = verifier(fixture.provider, fixture.secret)
        let full = verifier.summary(for: request, now: request.receivedAt)
        let plenty = verifier.summary(for: request, now: request.receivedAt, diagnosisBudget: DiagnosisBudget())
        let none = verifier.summary(for: request, now: request.receivedAt, diagnosisBudget: DiagnosisBudget(share: 0, capacity: .zero))
        #expect(plenty == full)
        #expect(none.status == full.status)
        #expect(none.provider == full.provider)
        if none.detail != full.detail {
            #expect(full.status == .invalid)
            #expect(none.detail.contains(SignatureSummary.notDiagnosedNote), "\(none.detail)")
            #expect(none.causeNotLookedFor)
            #expect(none.diagnosis == .skipped)
            #expect(!full.detail.contains(SignatureSummary.notDiagnosedNote))
        } else {
            #expect(none.diagnosis == .complete)
        }
        #expect(!full.causeNotLookedFor)
        #expect(full.diagnosis == .complete)
        #expect(full.detailBesideAFullReport == full.detail)
        if none.causeNotLookedFor {
            #expect(!none.detailBesideAFullReport.contains("cause not looked for"))
            #expect(!none.detailBesideAFullReport.hasSuffix(" "))
            #expect(none.detail.hasPrefix(none.detailBesideAFullReport))
        }
        // Answered first, explained later: the same verdict, and a note that says so instead.
        let later = verifier.summary(for: request, now: request.receivedAt, diagnosisBudget: .later)
        #expect(later.status == full.status)
        #expect(later.causeNotLookedFor == none.causeNotLookedFor)
        if none.causeNotLookedFor {
            #expect(later.detail.contains(SignatureSummary.diagnosedLaterNote), "\(later.detail)")
            #expect(later.diagnosis == .deferred)
            #expect(!later.detail.contains(SignatureSummary.notDiagnosedNote))
            #expect(later.detailBesideAFullReport == none.detailBesideAFullReport)
        } else {
            #expect(later == none)
        }
        // The full report (signature pane, `hookscope verify`) never uses a budget.
        #expect(verifier.verify(request, now: request.receivedAt).summary == full)
    }

    @Test func withoutTimeLeftTheListenersVerdictSaysTheCauseWasNotLookedFor() {
        // Across the schemes with their own diagnosis code: the HMAC engine, Twilio, Discord, Standard Webhooks.
        var explained: [String] = []
        var notLookedFor: [String] = []
        for fixture in SignedFixture.all {
            let request = fixture.request(body: Self.resent)
            let verifier = verifier(fixture.provider, fixture.secret)
            let full = verifier.summary(for: request, now: request.receivedAt)
            let none = verifier.summary(for: request, now: request.receivedAt, diagnosisBudget: DiagnosisBudget(share: 0, capacity: .zero))
            if full.detail.contains("body") { explained.append(fixture.provider) }
            if none.detail.contains(SignatureSummary.notDiagnosedNote) { notLookedFor.append(fixture.provider) }
        }
        // Every provider whose signature covers the body (all but Mailgun's and GitLab's).
        let signingTheBody = SignedFixture.all.map(\.provider).filter { !["mailgun", "gitlab"].contains($0) }
        #expect(explained == signingTheBody)
        #expect(notLookedFor == signingTheBody)
    }

    /// Code decides on the state, not on the words: a detail that merely contains a note is not a
    /// cause left unlooked-for, and a reworded detail in the skipped state still is; the pane
    /// drops the note only where the state put it.
    @Test func theStateDecidesNotTheWords() {
        let note = SignatureSummary.notDiagnosedNote
        let wordsOnly = SignatureSummary(provider: "stripe", status: .invalid, detail: "signature mismatch \(note)")
        #expect(!wordsOnly.causeNotLookedFor)
        #expect(wordsOnly.detailBesideAFullReport == wordsOnly.detail)
        let reworded = SignatureSummary(provider: "stripe", status: .invalid, detail: "mismatch", diagnosis: .skipped)
        #expect(reworded.causeNotLookedFor)
        #expect(reworded.detailBesideAFullReport == "mismatch")
        let skipped = SignatureSummary(provider: "stripe", status: .invalid, detail: "signature mismatch \(note)", diagnosis: .skipped)
        #expect(skipped.detailBesideAFullReport == "signature mismatch")
        // Only a mismatch waits for its cause.
        #expect(!SignatureSummary(provider: "stripe", status: .valid, detail: "ok", diagnosis: .skipped).causeNotLookedFor)
        // Imports read the state from the note a file's detail ends with.
        #expect(DiagnosisState(importedDetail: skipped.detail) == .skipped)
        #expect(DiagnosisState(importedDetail: "x \(SignatureSummary.diagnosedLaterNote)") == .deferred)
        #expect(DiagnosisState(importedDetail: "signature mismatch") == .complete)
    }
}
