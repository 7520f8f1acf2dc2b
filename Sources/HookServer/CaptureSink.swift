import HookCore
import NIOCore

/// Where the listener hands each request. The app stores it, verifies it, shows it.
public protocol CaptureSink: Sendable {
    /// A request's own answer, when hookscope must answer it itself (provider handshakes);
    /// nil for the configured response. Called on an event loop: keep it quick.
    func handshakeResponse(for request: CapturedRequest) -> CapturedResponse?
    /// Stores the capture durably. The listener sends the response only after this returns, and
    /// sends the returned capture's `response` (a sink may replace it, e.g. with a forward target's
    /// answer). If it throws, the sender gets a 500 so that it retries (a 503 with `Retry-After` for a
    /// `StoreUnavailableError`).
    func record(_ request: CapturedRequest) async throws -> CapturedRequest
    /// The listener's entry point; by default it runs `record(_:)` in a task.
    func record(_ request: CapturedRequest, on loop: any EventLoop) -> EventLoopFuture<CapturedRequest>
}

extension CaptureSink {
    /// How the listener calls `record`: a sink may override this to complete without an async hop.
    public func record(_ request: CapturedRequest, on loop: any EventLoop) -> EventLoopFuture<CapturedRequest> {
        let promise = loop.makePromise(of: CapturedRequest.self)
        promise.completeWithTask { try await self.record(request) }
        return promise.futureResult
    }
}
