import HookCore
import HookStore

/// What the TUI needs from the rest of hookscope. Every piece is a protocol or a closure, so tests pass fakes.
public struct AppEnvironment: Sendable {
    public var store: any RequestStore
    /// The bound address as `http://HOST:PORT`, shown in the status bar.
    public var listenURL: String
    /// The newly committed captures, in id order, a batch per commit (one wake-up of the app per batch).
    public var captures: AsyncStream<CaptureBatch>
    /// Diagnosis lines for the signature pane.
    public var explainSignature: @Sendable (CapturedRequest) -> [String]
    /// Default target of the replay key (`--replay-to`).
    public var replayTo: String?
    /// Sends an edited copy of a capture (stored as a replay of the original).
    public var replayEdited: (@Sendable (_ request: CapturedRequest, _ target: String, _ resign: Bool) async -> ReplayAttempt)?
    /// Opens a file in the user's editor in the foreground; true when the editor exited successfully.
    public var editFile: (@Sendable (_ path: String) async -> Bool)?
    /// Puts text on the terminal's clipboard (OSC 52); nil when the terminal cannot.
    public var clipboard: (@Sendable (String) -> Void)?
    /// Adds a signing secret (kept in memory only); throws an error whose description says what is wrong.
    public var addSecret: (@Sendable (_ provider: String, _ secret: String) throws -> Void)?
    /// The secrets known now, masked, by provider (`S` lists them).
    public var secrets: (@Sendable () -> [MaskedSecret])?
    /// Removes a provider's `index`-th secret (0-based, in the order `secrets` lists that
    /// provider's) for this session; returns it masked, or throws an error that says why not.
    public var removeSecret: (@Sendable (_ provider: String, _ index: Int) throws -> String)?
    /// The ids of the config file's custom schemes (the filter's `sig:` and `s` take them too).
    public var customProviders: Set<String>
    /// The verdict for a capture with the secrets known now, judged at the time it arrived.
    public var verify: (@Sendable (CapturedRequest) -> SignatureSummary)?
    /// Told of the verdicts the re-verification after `s` stored, after each batch is written (the
    /// listener explains later the ones stored without their cause).
    public var storedVerdicts: (@Sendable ([(id: Int64, signature: SignatureSummary)]) -> Void)?
    /// Where `y` and `x` write their files.
    public var exportDirectory: String?
    /// `--forward-to`: every capture that is not refused is forwarded there (shown pending until its result comes).
    public var forwardTarget: String?
    /// Replays made outside the TUI (forwards), each after it is stored with its capture.
    public var replayResults: AsyncStream<ReplayAttempt>?
    /// Writes a capture as a sample of the user's own; returns its name and file (`w`).
    public var saveSample: (@Sendable (CapturedRequest) throws -> (name: String, path: String))?
    /// `hookscope watch`: the store shown (a path, or a database URL without its password), which
    /// other processes write (no listener here).
    public var watchedStore: String?
    /// `hookscope watch`: what other processes changed in the store besides adding captures
    /// (merged, a few times a second at most); the TUI reloads what it shows.
    public var storeChanges: AsyncStream<StoreChange>?
    /// Changes in whether captures are being stored (`StoreHealthTracker`); nil in tests.
    public var storeHealth: AsyncStream<StoreHealth>?
    /// `--proxy-response`: the sender of a forwarded capture got the target's answer, which the
    /// capture's row shows once the forward is done (`ProxiedResponse`).
    public var proxyResponse = false
    /// The session's response rules with their match counts (the rules view); nil when not wired.
    public var rules: (@Sendable () -> [RuleStatus])?
    /// Sets (or with nil, ends) the override that answers before the rules: endpoint down, or fail
    /// the next requests.
    public var setOverride: (@Sendable (AnswerOverride?) -> Void)?
    /// The override in force now (a "fail next N" ends by itself).
    public var currentOverride: (@Sendable () -> AnswerOverride?)?
    /// What the rules reloader says: a reload, or an edit it refused and why (the status bar).
    public var ruleNotices: AsyncStream<String>?
    /// Sends capture `id` to a URL and stores the attempt; nil when replay is not wired (tests).
    public var replay: (@Sendable (_ id: Int64, _ target: String, _ resign: Bool) async -> ReplayAttempt)?

    public init(
        store: any RequestStore,
        listenURL: String,
        captures: AsyncStream<CaptureBatch>,
        explainSignature: @escaping @Sendable (CapturedRequest) -> [String] = { _ in [] },
        replayTo: String? = nil,
        replay: (@Sendable (_ id: Int64, _ target: String, _ resign: Bool) async -> ReplayAttempt)? = nil,
        clipboard: (@Sendable (String) -> Void)? = nil,
        exportDirectory: String? = nil,
        addSecret: (@Sendable (_ provider: String, _ secret: String) throws -> Void)? = nil,
        secrets: (@Sendable () -> [MaskedSecret])? = nil,
        removeSecret: (@Sendable (_ provider: String, _ index: Int) throws -> String)? = nil,
        customProviders: Set<String> = [],
        verify: (@Sendable (CapturedRequest) -> SignatureSummary)? = nil,
        storedVerdicts: (@Sendable ([(id: Int64, signature: SignatureSummary)]) -> Void)? = nil,
        replayEdited: (@Sendable (_ request: CapturedRequest, _ target: String, _ resign: Bool) async -> ReplayAttempt)? = nil,
        editFile: (@Sendable (_ path: String) async -> Bool)? = nil,
        forwardTarget: String? = nil,
        replayResults: AsyncStream<ReplayAttempt>? = nil,
        storeHealth: AsyncStream<StoreHealth>? = nil
    ) {
        self.storeHealth = storeHealth
        self.forwardTarget = forwardTarget
        self.replayResults = replayResults
        self.store = store
        self.listenURL = listenURL
        self.captures = captures
        self.explainSignature = explainSignature
        self.replayTo = replayTo
        self.replay = replay
        self.clipboard = clipboard
        self.exportDirectory = exportDirectory
        self.addSecret = addSecret
        self.secrets = secrets
        self.removeSecret = removeSecret
        self.customProviders = customProviders
        self.verify = verify
        self.storedVerdicts = storedVerdicts
        self.replayEdited = replayEdited
        self.editFile = editFile
    }
}

/// A signing secret as the TUI may show it: its provider and the masked text (`maskSecret`).
public struct MaskedSecret: Sendable, Hashable {
    public var provider: String
    public var masked: String

    public init(provider: String, masked: String) {
        self.provider = provider
        self.masked = masked
    }
}

/// Captures committed to the store together, oldest first.
public struct CaptureBatch: Sendable {
    public var summaries: [RequestSummary]
    /// Stored by another process writing the same store (another listener, or the listener a
    /// `watch` follows), not by this one's listener.
    public var elsewhere: Bool

    public init(_ summaries: [RequestSummary], elsewhere: Bool = false) {
        self.summaries = summaries
        self.elsewhere = elsewhere
    }
}
