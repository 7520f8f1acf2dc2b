import HookCore
import HookStore
import TermUI

/// Every input to the app is a message.
public enum AppEvent: Sendable {
    case input(InputEvent)
    case captured(RequestSummary)
    /// A capture another process stored in the same store (it is not this session's to forward).
    case capturedElsewhere(RequestSummary)
    /// Another process changed or deleted captures (`watch`), or the way to hear of it was lost or found again.
    case storeChanged(StoreChange)
    case countLoaded(Int)
    case windowLoaded(offset: Int, summaries: [RequestSummary])
    case requestLoaded(CapturedRequest)
    /// The captures of the selected capture's delivery id, oldest first (its attempts).
    case deliveryLoaded(requestID: Int64, attempts: [RequestSummary])
    case requestMissing(id: Int64)
    case bodyFormatted(requestID: Int64, view: BodyView, body: any FormattedBody)
    case signatureExplained(requestID: Int64, lines: [String])
    /// The diff of two captures, as lines for the body pane.
    case diffReady(DiffPair, body: any FormattedBody, identical: Bool)
    case filterBatch(generation: Int, matches: [RequestSummary], through: Int64, done: Bool)
    case filterChecked(generation: Int, summary: RequestSummary, matches: Bool)
    case searchFinished(generation: Int, matchingLines: [Int])
    case deleted(id: Int64)
    /// `D` in progress: how many captures were deleted so far.
    case clearing(deleted: Int)
    case clearedAll
    case replayed(ReplayAttempt)
    /// A replay made elsewhere (a `--forward-to` forward) was stored with its capture.
    case replayRecorded(ReplayAttempt)
    /// A replay (`r`, `R`, `e`) that ended before anything was sent, and why.
    case replayNotSent(id: Int64, message: String)
    /// The newest replay of each loaded capture that has one, its forward first with `--forward-to`
    /// (the list's target column and `↻` mark).
    case replayMarks([Int64: ReplayOutcome])
    /// The stored replays (and forwards) of one capture, oldest first.
    case replaysLoaded(id: Int64, [ReplayAttempt])
    /// The replay targets the store remembers, newest first.
    case replayTargetsLoaded([String])
    /// A capture copied as curl, aimed at `target`.
    case copied(id: Int64, path: String, toClipboard: Bool, target: String)
    /// A capture written as a sample of the user's own (`w`).
    case sampleSaved(id: Int64, name: String, path: String)
    /// Re-verification after a new secret: `done` is false after the visible captures, true at the end.
    case reverified(provider: String, changed: Int, done: Bool)
    /// The secrets loaded, masked (after `S`).
    case secretsListed([MaskedSecret])
    /// A secret was removed (`masked`); then re-verification as after `reverified`.
    case secretRemoved(provider: String, masked: String, changed: Int, done: Bool)
    case exported(count: Int, path: String)
    case failed(String)
    /// Captures were refused by the store, or are stored again (the status bar says so).
    case storeHealth(StoreHealth)
    /// The response rules and the override in force (after `u`).
    case rulesListed([RuleStatus], AnswerOverride?)
    /// The override in force now (set, ended, or a fail-next used up).
    case overrideChanged(AnswerOverride?)
    /// The rules file was reloaded, or an edit of it was refused (and why).
    case ruleNotice(String)
}
