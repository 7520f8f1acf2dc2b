import Foundation

/// Who sent a capture again: someone asking for it (the `r` key, `hookscope replay`) or
/// `listen --forward-to` as it arrived.
public enum ReplayKind: String, Sendable, Hashable {
    case replay
    case forward
}

/// Why a replay or forward got no answer from the target, as the code that sent it knew it.
/// The raw values are stored (the `failure` column of the `replay` table).
public enum ReplayFailure: String, Sendable, Hashable, CaseIterable {
    /// The target refused the connection.
    case refused
    /// The target reset the connection.
    case reset
    /// No answer (or no connection) within the timeout.
    case timeout
    /// The TLS handshake failed (untrusted certificate, plain http, handshake timeout).
    case tls
    /// The target's host name could not be resolved.
    case dns
    /// A forward that was never sent: the queue was full or forwarding had stopped.
    case dropped
    /// Refused before sending: invalid URL, unsafe header, nothing to re-sign with.
    case unsent
    /// Anything else.
    case other
}

/// One replay of a capture to a target: what was sent and what came back. Stored with the capture.
public struct ReplayAttempt: Sendable, Hashable {
    /// Assigned by the store; 0 until stored.
    public var id: Int64
    /// A replay asked for, or a forward.
    public var kind: ReplayKind
    /// The capture that was replayed.
    public var requestID: Int64
    public var startedAt: CaptureTime
    /// The URL the request was sent to.
    public var targetURL: String
    /// The request was re-signed with a fresh timestamp before sending.
    public var resigned: Bool
    /// What was sent is a copy edited in the editor (`e`, `E`, `replay --edit`), not the capture as it came.
    public var edited: Bool
    /// Names of the headers that differ from the capture (re-signing, Host, framing).
    public var changedHeaders: [String]
    /// The target's answer, or nil when it could not be reached.
    public var response: CapturedResponse?
    /// Why there is no response, in plain words (connection refused, timeout, TLS, DNS).
    public var error: String?
    /// The kind of failure `error` describes; nil when there is a response.
    public var failure: ReplayFailure?
    /// Time from sending to the end of the response (or the error), in nanoseconds.
    public var durationNanoseconds: Int64

    public init(
        id: Int64 = 0, kind: ReplayKind = .replay, requestID: Int64, startedAt: CaptureTime, targetURL: String, resigned: Bool,
        changedHeaders: [String], response: CapturedResponse?, error: String?, failure: ReplayFailure? = nil,
        durationNanoseconds: Int64, edited: Bool = false
    ) {
        self.id = id
        self.edited = edited
        self.kind = kind
        self.requestID = requestID
        self.startedAt = startedAt
        self.targetURL = targetURL
        self.resigned = resigned
        self.changedHeaders = changedHeaders
        self.response = response
        self.error = error
        self.failure = failure
        self.durationNanoseconds = durationNanoseconds
    }
}

/// The newest replay (or forward) of a capture, as the list shows it: the target's status and the
/// time taken, or why nothing came back. Small on purpose: the list loads one per visible row.
public struct ReplayOutcome: Sendable, Hashable {
    public var requestID: Int64
    public var kind: ReplayKind
    public var targetURL: String
    /// The target's status, nil when it could not be reached (or nothing was sent).
    public var status: Int?
    /// Why there is no status, in plain words (or a note next to one, such as a cut-off body).
    public var error: String?
    /// The kind of failure `error` describes; nil when there is a status.
    public var failure: ReplayFailure?
    public var durationNanoseconds: Int64
    /// Sent re-signed (a fresh timestamp and signature).
    public var resigned: Bool
    /// Sent as edited in the editor.
    public var edited: Bool

    public init(
        requestID: Int64, kind: ReplayKind = .replay, targetURL: String, status: Int?, error: String?,
        failure: ReplayFailure? = nil, durationNanoseconds: Int64, resigned: Bool = false, edited: Bool = false
    ) {
        self.resigned = resigned
        self.edited = edited
        self.requestID = requestID
        self.kind = kind
        self.targetURL = targetURL
        self.status = status
        self.error = error
        self.failure = failure
        self.durationNanoseconds = durationNanoseconds
    }

    public init(_ attempt: ReplayAttempt) {
        self.init(
            requestID: attempt.requestID, kind: attempt.kind, targetURL: attempt.targetURL, status: attempt.response?.status,
            error: attempt.error, failure: attempt.failure, durationNanoseconds: attempt.durationNanoseconds,
            resigned: attempt.resigned, edited: attempt.edited)
    }

    /// One word for a failure, for narrow places (the list column): `refused`, `reset`, `timeout`,
    /// `TLS`, `DNS`, `dropped` (forward queue full or stopped), `unsent` (refused before sending),
    /// else `ERR` (also when no kind is known). Nil when the target answered.
    public var failureWord: String? {
        guard status == nil else { return nil }
        switch failure ?? .other {
        case .refused: return "refused"
        case .reset: return "reset"
        case .timeout: return "timeout"
        case .tls: return "TLS"
        case .dns: return "DNS"
        case .dropped: return "dropped"
        case .unsent: return "unsent"
        case .other: return "ERR"
        }
    }

    /// The time taken, short: `12ms`, `1.2s`, `31s` (`Formatting.shortDuration`).
    public var shortDuration: String { Formatting.shortDuration(nanoseconds: durationNanoseconds) }

    /// The time taken for a line of text: `12.3 ms`, `1.25 s` (`Formatting.duration`).
    public var durationText: String { Formatting.duration(nanoseconds: durationNanoseconds) }
}
