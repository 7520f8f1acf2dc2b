import Foundation

/// One replay of a capture to a target: what was sent and what came back. Stored with the capture.
public struct ReplayAttempt: Sendable, Hashable {
    /// Assigned by the store; 0 until stored.
    public var id: Int64
    /// The capture that was replayed.
    public var requestID: Int64
    public var startedAt: CaptureTime
    /// The URL the request was sent to.
    public var targetURL: String
    /// The request was re-signed with a fresh timestamp before sending.
    public var resigned: Bool
    /// Names of the headers that differ from the capture (re-signing, Host, framing).
    public var changedHeaders: [String]
    /// The target's answer, or nil when it could not be reached.
    public var response: CapturedResponse?
    /// Why there is no response, in plain words (connection refused, timeout, TLS, DNS).
    public var error: String?
    /// Time from sending to the end of the response (or the error), in nanoseconds.
    public var durationNanoseconds: Int64

    public init(
        id: Int64 = 0, requestID: Int64, startedAt: CaptureTime, targetURL: String, resigned: Bool,
        changedHeaders: [String], response: CapturedResponse?, error: String?, durationNanoseconds: Int64
    ) {
        self.id = id
        self.requestID = requestID
        self.startedAt = startedAt
        self.targetURL = targetURL
        self.resigned = resigned
        self.changedHeaders = changedHeaders
        self.response = response
        self.error = error
        self.durationNanoseconds = durationNanoseconds
    }
}
