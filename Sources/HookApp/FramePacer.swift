/// When the app loop draws. Keys and the answers to them (loaded captures, formatted bodies, …) are
/// drawn at once; a flood of new captures is drawn at most once per `minimumInterval`, so thousands
/// of captures a second do not spend the CPU the listener needs on frames nobody can read.
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
    private var lastFrame: ContinuousClock.Instant?
    private var dirty = false
    private var wakeAsked = false

    init(minimumInterval: Duration) {
        self.minimumInterval = minimumInterval
    }

    /// Only new captures (and the live checks that follow them) may wait for the next frame.
    static func isDeferrable(_ event: AppEvent) -> Bool {
        switch event {
        case .captured, .filterChecked, .replayRecorded: true
        default: false
        }
    }

    /// Called after the loop applied `events` (empty for a wake-up).
    mutating func decide(after events: [AppEvent], now: ContinuousClock.Instant) -> Decision {
        if !events.isEmpty { dirty = true }
        guard dirty else { return .wait }
        let urgent = events.contains { !Self.isDeferrable($0) }
        if urgent { return .draw }
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
