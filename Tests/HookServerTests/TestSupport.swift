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

/// A blocking TCP client for sending exact bytes. Reads time out after 30 s so that a broken server
/// fails the test instead of hanging it. (It was 5 s: when CPU-heavy tests of the same run held both
/// threads of the concurrency pool, which the test sink's commits need, for that long, a listener
/// test failed though nothing was wrong.)
final class RawClient: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 { throw StoreError("connect failed: errno \(errno)") }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Ends the sending side (a FIN), as `nc -N`, `printf … | nc` and some HTTP/1.0 clients do
    /// once the request is written; the client can still read the answer.
    func finishSending() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Reads until the peer closes (or the read times out), on a thread of its own so that the
    /// blocking read never starves the concurrency pool the listener's commits run on.
    func readUntilClosed() async -> (bytes: [UInt8], closed: Bool) {
        await onOwnThread { self.blockingReadUntilClosed() }
    }

    func readResponses(_ count: Int) async -> [TestResponse] {
        await onOwnThread { self.blockingReadResponses(count) }
    }

    func blockingReadUntilClosed() -> (bytes: [UInt8], closed: Bool) {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return (out, true) }
            if n < 0 {
                // A read with SO_RCVTIMEO is not restarted after a signal handler ran (signal(7)).
                if errno == EINTR { continue }
                return (out, errno == ECONNRESET)
            }
            out += buffer[0..<n]
        }
    }

    /// Reads exactly `count` complete responses (with Content-Length framing).
    private func blockingReadResponses(_ count: Int) -> [TestResponse] {
        var data: [UInt8] = []
        var responses: [TestResponse] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while responses.count < count {
            if let (response, used) = TestResponse.parse(data) {
                responses.append(response)
                data.removeFirst(used)
                continue
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        return responses
    }
}

struct TestResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    static func parse(_ data: [UInt8]) -> (TestResponse, Int)? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        guard data.count >= 4, let end = (0...(data.count - 4)).first(where: { Array(data[$0..<$0 + 4]) == terminator }) else {
            return nil
        }
        let head = String(decoding: data[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ")[1]) ?? 0
        let headers = head.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
        guard data.count >= end + 4 + length else { return nil }
        return (TestResponse(status: status, headers: headers, body: Array(data[(end + 4)..<(end + 4 + length)])), end + 4 + length)
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
