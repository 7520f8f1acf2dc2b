import Foundation
import HookCore
import HookStore
import HookTestSupport
import Logging
import NIOCore
import Testing

@testable import HookServer

/// A sink that stores into an in-memory store, and can be told to fail.
final class RecordingSink: CaptureSink {
    let store = InMemoryRequestStore()
    let failing: Bool
    /// The error a failing sink gives.
    let failure: any Error

    init(failing: Bool = false, failure: any Error = StoreError("disk full (simulated)")) {
        self.failing = failing
        self.failure = failure
    }

    func handshakeResponse(for request: CapturedRequest) -> CapturedResponse? { nil }

    func record(_ request: CapturedRequest) async throws -> CapturedRequest {
        if failing { throw failure }
        return try await store.insert(request)
    }

    /// What the listener calls: stores without a hop to the concurrency pool, as the SQLite store
    /// does. Through the pool, a commit waited whenever CPU-heavy or blocking tests of the same
    /// run held both of its threads, and listener tests failed on their read timeouts.
    func record(_ request: CapturedRequest, on loop: any EventLoop) -> EventLoopFuture<CapturedRequest> {
        if failing { return loop.makeFailedFuture(failure) }
        let promise = loop.makePromise(of: CapturedRequest.self)
        store.insert(request) { promise.completeWith($0) }
        return promise.futureResult
    }

    func all() async throws -> [CapturedRequest] {
        try await store.requests(afterID: 0, limit: 10_000)
    }
}

/// Starts a listener on a free port for the duration of `body`.
func withListener<T>(
    _ configure: (inout ListenerConfiguration) -> Void = { _ in },
    sink: RecordingSink = RecordingSink(),
    _ body: (HTTPListener, RecordingSink) async throws -> T
) async throws -> T {
    var configuration = ListenerConfiguration()
    configuration.port = 0
    configuration.threads = 2
    configure(&configuration)
    let listener = try await HTTPListener.start(configuration: configuration, sink: sink, logger: Logger(label: "test"))
    do {
        let result = try await body(listener, sink)
        await listener.shutdown()
        return result
    } catch {
        await listener.shutdown()
        throw error
    }
}

/// Runs curl (a real HTTP client) and returns its exit status and stdout.
func curl(_ arguments: [String], stdin: Data? = nil) async throws -> (status: Int32, output: String) {
    try await onOwnThread { Result { try blockingCurl(arguments, stdin: stdin) } }.get()
}

private func blockingCurl(_ arguments: [String], stdin: Data?) throws -> (status: Int32, output: String) {
    let process = ChildProcess()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["curl", "-sS", "--http1.1"] + arguments
    let output = Pipe()
    process.standardOutput = output
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Waits until `condition` holds, checking every millisecond, for at most `seconds`; whether it did.
/// For state the listener changes on its own threads just after a client has seen the effect.
func eventually(within seconds: Double = 10, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return true
}

/// A log handler that keeps the messages it is given (for tests that count log lines).
final class LogRecorder: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var messages: [String] { lock.withLock { recorded } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lock.withLock { recorded.append(event.message.description) }
    }
}
