import Foundation
import HookCore

/// Replays and forwards: the targets used, the hosts agreed to, and the newest replay of each
/// capture known to have one.
public struct ReplayState: Sendable {
    /// `--replay-to`: the replay prompt's target until another is used.
    public let defaultTarget: String?
    /// `--forward-to`, when every capture is forwarded.
    public let forwardTarget: String?
    /// The last replay target entered.
    public internal(set) var lastTarget: String?
    /// Replay targets used, newest first (Up/Down in the prompt).
    var history: [String] = []
    /// Hosts the user agreed to send captures to.
    var confirmedHosts: Set<String> = []
    /// The newest replay result, shown in the signature pane of its capture.
    public internal(set) var last: ReplayAttempt?
    /// Every replay and forward of the selected capture, oldest first (listed in the signature pane).
    public internal(set) var attempts: [ReplayAttempt] = []
    /// The newest replay (or forward) of captures known to have one, by id: the list's `→TARGET`
    /// column (with `--forward-to`, the forward where there is one). Holds the loaded rows and live results; trimmed to the loaded window when it grows.
    public internal(set) var marks: [Int64: ReplayOutcome] = [:]
    /// Captures queued for forwarding whose result has not come yet (`→…` in the list).
    public internal(set) var pendingForwards: Set<Int64> = []
    /// Captures replayed with `r`/`R`/`e`/`E` whose answer has not come yet (`→…` in the REPLAY column).
    public internal(set) var pendingReplays: Set<Int64> = []
    /// A replay or forward has been seen: the list shows its `→TARGET` column from then on.
    public internal(set) var showsColumn: Bool

    init(defaultTarget: String?, forwardTarget: String?) {
        self.defaultTarget = defaultTarget
        self.forwardTarget = forwardTarget
        showsColumn = forwardTarget != nil
    }

    /// Ids are kept in `marks` up to this many; beyond it only the loaded rows' stay.
    static let marksLimit = 8192

    /// Records the newest replay of a capture, unless the column is FORWARD and the capture's
    /// forward is known; a forward result also ends its pending state. When
    /// `marks` grows past its limit it keeps only the ids `loaded` gives (and this one).
    mutating func note(_ outcome: ReplayOutcome, loaded: () -> Set<Int64>) {
        if let known = marks[outcome.requestID], known == outcome { return }
        showsColumn = true
        // With forwarding the column is FORWARD: a replay made since does not take the forward's place.
        if forwardTarget != nil, outcome.kind == .replay, marks[outcome.requestID]?.kind == .forward { return }
        marks[outcome.requestID] = outcome
        if outcome.kind == .forward { pendingForwards.remove(outcome.requestID) }
        if marks.count > Self.marksLimit {
            // Rows outside the loaded window are read again from the store when they come back into view.
            var keep = loaded()
            keep.insert(outcome.requestID)
            marks = marks.filter { keep.contains($0.key) }
        }
    }

    /// The target the replay prompt starts with: the last one used in this session, else
    /// `--replay-to`, else `--forward-to`, else the last one used before (from the store).
    var promptTarget: String { lastTarget ?? defaultTarget ?? forwardTarget ?? history.first ?? "" }

    /// Notes a target a replay was sent to: the prompt's default from now on, first in its history.
    mutating func used(_ target: String) {
        lastTarget = target
        history.removeAll { $0 == target }
        history.insert(target, at: 0)
    }

    /// Adds the targets the store remembers (newest first) after those used in this session.
    mutating func remembered(_ targets: [String]) {
        for target in targets where !history.contains(target) { history.append(target) }
    }

    /// Adds an attempt of the selected capture `selected` to `attempts`, unless it is there already.
    mutating func add(_ attempt: ReplayAttempt, selected: Int64?) {
        guard attempt.requestID == selected else { return }
        if attempts.first?.requestID != selected { attempts = [] }
        if attempt.id != 0, attempts.contains(where: { $0.id == attempt.id }) { return }
        attempts.append(attempt)
    }

    /// The host of an http(s) URL, lower-cased, or nil when it is not one.
    static func host(of target: String) -> String? {
        guard let components = URLComponents(string: target),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty else { return nil }
        return host.lowercased()
    }

    /// How an attempt was sent, when not as captured: `edited`, `re-signed`, `edited, re-signed`.
    public static func how(edited: Bool, resigned: Bool) -> String? {
        switch (edited, resigned) {
        case (true, true): "edited, re-signed"
        case (true, false): "edited"
        case (false, true): "re-signed"
        case (false, false): nil
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
    }
}
