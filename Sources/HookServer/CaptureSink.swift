import HookCore

/// Where the listener hands each request. The app stores it, verifies it, shows it.
public protocol CaptureSink: Sendable {
    /// A request's own answer, when hookscope must answer it itself (provider handshakes);
    /// nil for the configured response. Called on an event loop: keep it quick.
    func handshakeResponse(for request: CapturedRequest) -> CapturedResponse?
    /// Stores the capture durably. The listener sends the response only after this returns, and
    /// sends the returned capture's `response` (a sink may replace it, e.g. with a forward target's
    /// answer). If it throws, the sender gets a 500 so that it retries.
    func record(_ request: CapturedRequest) async throws -> CapturedRequest
}
