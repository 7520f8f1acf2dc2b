/// What has the keyboard instead of the panes: nothing, the help screen, a prompt or a question.
/// One value, so two of them are never open at once.
public enum Modal: Sendable, Hashable {
    case none
    /// The help screen, scrolled down `scroll` lines.
    case help(scroll: Int)
    case prompt(Prompt)
    case confirm(Confirmation)

    /// The open prompt, if one is.
    public var prompt: Prompt? {
        switch self {
        case .prompt(let prompt): prompt
        default: nil
        }
    }

    /// The open question, if one is.
    public var confirmation: Confirmation? {
        switch self {
        case .confirm(let confirmation): confirmation
        default: nil
        }
    }

    public var isHelp: Bool {
        switch self {
        case .help: true
        default: false
        }
    }
}

/// How a replay sends the capture.
public enum ReplayMode: Sendable, Hashable {
    /// The exact request (`r`).
    case exact
    /// With a fresh timestamp and signature (`R`).
    case resigned
    /// As edited in the editor first (`e`).
    case edited
    /// As edited in the editor, then with a fresh timestamp and signature over the edited copy (`E`).
    case editedResigned

    var resigns: Bool { self == .resigned || self == .editedResigned }
    var edits: Bool { self == .edited || self == .editedResigned }
}

public enum PromptKind: Sendable, Hashable {
    case filter
    case search
    /// The replay target URL of capture `id`, pre-filled with `--replay-to` or the last one used.
    case replayURL(id: Int64, mode: ReplayMode)
    /// A signing secret for a provider (typed hidden).
    case secret(provider: String)

    public var purpose: PromptPurpose {
        switch self {
        case .filter: .filter
        case .search: .search
        case .replayURL: .replayURL
        case .secret: .secret
        }
    }
}

/// A prompt being typed in.
public struct Prompt: Sendable, Hashable {
    public let kind: PromptKind
    public internal(set) var editor: LineEditor
    /// The earlier replay target the editor shows (Up/Down in the replay URL prompt), newest first;
    /// nil while it shows what was typed.
    var historyIndex: Int?

    init(_ kind: PromptKind, text: String = "") {
        self.kind = kind
        editor = LineEditor(text)
    }

    public var text: String { editor.text }
}

/// A question answered with y (anything else is no).
public enum Confirmation: Sendable, Hashable {
    /// Delete every capture.
    case clearAll
    /// Delete one capture (`d`): there is no undo.
    case delete(id: Int64)
    /// Send a capture to a host that is not loopback (asked once per host: the request may carry secrets).
    case replay(PendingReplay)

    /// The replay asked about, if this is that question.
    public var pendingReplay: PendingReplay? {
        switch self {
        case .replay(let pending): pending
        case .clearAll, .delete: nil
        }
    }
}

/// A replay waiting for the user to agree to its host.
public struct PendingReplay: Sendable, Hashable {
    public let id: Int64
    public let target: String
    public let host: String
    public let mode: ReplayMode
}
