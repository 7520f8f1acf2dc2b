import Foundation

/// With `listen --proxy-response`, what the sender of a forwarded capture gets: the target's answer
/// (framing headers are the listener's own), or 502 with the reason when there was none. It
/// replaces the configured answer stored with the capture at commit, so the store, the TUI's row,
/// `list` and the headless line say what the sender got.
public enum ProxiedResponse {
    public static func response(for attempt: ReplayAttempt) -> CapturedResponse {
        if let response = attempt.response {
            return CapturedResponse(
                status: response.status,
                headers: response.headers.filter { !["content-length", "transfer-encoding", "connection", "keep-alive"].contains($0.name.lowercased()) },
                body: response.body)
        }
        return CapturedResponse(
            status: 502, headers: [HeaderField("Content-Type", "text/plain; charset=utf-8")],
            body: Data("hookscope could not forward this request: \(attempt.error ?? "no response")\n".utf8))
    }
}
