import HookCore
import HookSignatures

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
    /// The secrets loaded, masked and numbered; the number typed is the one to remove.
    case secrets([MaskedSecret])
    /// The response rules with their match counts, and the override in force (`u`); Enter or Esc closes.
    case rules([RuleStatus], AnswerOverride?)
    /// What the next requests get (`F`): on `path` (the selected request's) unless `all` is typed.
    case failNext(path: String?)

    public var purpose: PromptPurpose {
        switch self {
        case .filter: .filter
        case .search: .search
        case .replayURL: .replayURL
        case .secret: .secret
        case .secrets: .secrets
        case .rules: .rules
        case .failNext: .failNext
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

/// What was typed at the `s` prompt: the secret, or `PROVIDER=SECRET` for a provider named.
enum SecretEntry: Equatable {
    case secret(String)
    case forProvider(String, String)
    /// `NAME=…` where NAME looks like a provider id but is none: most likely a mistyped one.
    case unknownProvider(String)

    /// Reads the prompt's text. A secret may contain `=` (base64 padding): only a word of
    /// letters, digits, `-` and `_` before the first `=` is read as a provider id, and only the
    /// text after `asked=` is taken whole, so any secret can be typed as `asked=SECRET`.
    static func read(_ text: String, asked: String, customProviders: Set<String>) -> SecretEntry {
        guard let eq = text.firstIndex(of: "=") else { return .secret(text) }
        let name = text[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
        let rest = String(text[text.index(after: eq)...])
        if ProviderCatalog.ids.contains(name) || customProviders.contains(name) { return .forProvider(name, rest) }
        let looksLikeID = !name.isEmpty && name.count <= 24 && name.first?.isLetter == true
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        // Base64 keys end in `=`: a word then `=` and nothing more is a secret, not a provider.
        return looksLikeID && !rest.isEmpty && !rest.allSatisfy({ $0 == "=" }) ? .unknownProvider(name) : .secret(text)
    }
}

/// What was typed at the `F` prompt: `N STATUS`, `N timeout|reset|close`, either with `all` for
/// every path (else the selected request's path), or `down` with an optional status or failure
/// (every request, until switched off with `!`).
enum FailNextEntry {
    struct ReadError: Error, Equatable {
        var message: String
    }

    static func read(_ text: String, path: String?) -> Result<AnswerOverride, ReadError> {
        let words = text.split(whereSeparator: \.isWhitespace).map { $0.lowercased() }
        let usage = ReadError(message: "type N and a status or failure, e.g. `3 500`, `1 reset`, `5 timeout all`, `down`, `down reset`")
        guard let first = words.first else { return .failure(usage) }
        var status = first == "down" ? 503 : 500
        var failure: AnswerFailure?
        var all = false
        for word in words.dropFirst() {
            if word == "all" {
                all = true
            } else if let kind = AnswerFailure(rawValue: word) {
                failure = kind
            } else if let number = Int(word), (100...599).contains(number) {
                status = number
            } else {
                return .failure(ReadError(message: "'\(word)' is not a status (100–599), timeout, reset, close or all"))
            }
        }
        if first == "down" {
            guard status == 503 || failure != nil else {
                return .failure(ReadError(message: "down answers 503 or fails (timeout, reset, close); for another status use N STATUS all"))
            }
            return .success(.endpointDown(failure: failure))
        }
        guard let count = Int(first), count >= 1, count <= 1_000_000 else { return .failure(usage) }
        return .success(.failNext(remaining: count, status: status, failure: failure, pathPrefix: all ? nil : path))
    }
}
