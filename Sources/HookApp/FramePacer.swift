/// When the app loop draws. Keys and the answers to them (loaded captures, formatted bodies, …) are
/// drawn at once; a flood of new captures is drawn at most once per `minimumInterval`, so thousands
/// of captures a second do not spend the CPU the listener needs on frames nobody can read.
///
/// An answer counts as the answer to a key when it comes within `answerWindow` of the last key.
/// Other answers (in follow mode, the newest capture loaded for the selection while a flood
/// arrives) wait for the next frame like the captures that caused them.
struct FramePacer {
    enum Decision: Equatable {
        /// Draw now.
        case draw
        /// Draw once `Duration` has passed (ask for a wake-up then), unless something urgent comes first.
        case drawAfter(Duration)
        /// A wake-up is already asked for, or nothing changed.
        case wait
    }

    var minimumInterval: Duration
    var answerWindow: Duration = .milliseconds(500)
    private var lastFrame: ContinuousClock.Instant?
    private var lastInput: ContinuousClock.Instant?
    private var dirty = false
    private var wakeAsked = false

    init(minimumInterval: Duration) {
        self.minimumInterval = minimumInterval
    }

    /// New captures (and the live checks that follow them) may always wait for the next frame.
    static func isDeferrable(_ event: AppEvent) -> Bool {
        switch event {
        case .captured, .filterChecked, .replayRecorded: true
        default: false
        }
    }

    static func isInput(_ event: AppEvent) -> Bool {
        if case .input = event { return true }
        return false
    }

    /// Called after the loop applied `events` (empty for a wake-up).
    mutating func decide(after events: [AppEvent], now: ContinuousClock.Instant) -> Decision {
        if !events.isEmpty { dirty = true }
        guard dirty else { return .wait }
        if events.contains(where: Self.isInput) {
            lastInput = now
            return .draw
        }
        let answersAKey = lastInput.map { now - $0 <= answerWindow } ?? false
        if answersAKey, events.contains(where: { !Self.isDeferrable($0) }) { return .draw }
        guard let lastFrame else { return .draw }
        let elapsed = now - lastFrame
        if elapsed >= minimumInterval { return .draw }
        if wakeAsked { return .wait }
        wakeAsked = true
        return .drawAfter(minimumInterval - elapsed)
    }

    /// Called when a frame was drawn.
    mutating func drew(at now: ContinuousClock.Instant) {
        lastFrame = now
        dirty = false
        wakeAsked = false
    }
}
