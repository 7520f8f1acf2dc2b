import Foundation
import HookTestSupport
import Testing

/// The built `hookscope` binary, next to the test bundle in the build folder.
func hookscopeBinary() throws -> URL {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = testBinary.deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("hookscope")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    throw ProcessTestError("hookscope binary not found near \(testBinary.path)")
}

struct ProcessTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs hookscope to completion and returns its exit status, stdout and stderr.
func runHookscope(_ arguments: [String], environment: [String: String]? = nil) async throws -> (status: Int32, stdout: Data, stderr: String) {
    let binary = try hookscopeBinary()
    return try await onOwnThread {
        Result { () throws -> (Int32, Data, String) in
            let process = ChildProcess()
            process.executableURL = binary
            process.arguments = arguments
            if let environment { process.environment = environment }
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            // Both at once: a child that fills one pipe while the other is read would block.
            let errFD = err.fileHandleForReading.fileDescriptor
            let stderrRead = StderrRead()
            Thread.detachNewThread {
                stderrRead.data = readToEnd(errFD)
                stderrRead.finished.signal()
            }
            let stdout = readToEnd(out.fileHandleForReading.fileDescriptor)
            stderrRead.finished.wait()
            let stderr = stderrRead.data
            process.waitUntilExit()
            return (process.terminationStatus, stdout, String(decoding: stderr, as: UTF8.self))
        }
    }.get()
}

/// Stderr read on a thread of its own; `data` is set before `finished` is signalled.
private final class StderrRead: @unchecked Sendable {
    var data = Data()
    let finished = DispatchSemaphore(value: 0)
}

/// A hookscope listener running as a child process in headless mode.
final class ListenerProcess: @unchecked Sendable {
    let process = ChildProcess()
    let port: Int
    private let output: Pipe

    /// Starts `hookscope listen --headless --port 0 ARGS` and waits for its `listening on` line: the
    /// first line of stdout, or of stderr with `--json` (stdout then carries JSON objects only).
    /// With `errors`, stderr goes to that file (else nowhere, once the listening line is read).
    init(_ arguments: [String], errors: URL? = nil) async throws {
        process.executableURL = try hookscopeBinary()
        process.arguments = ["listen", "--headless", "--port", "0"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        output = Pipe()
        process.standardOutput = output
        let json = arguments.contains("--json")
        var errorPipe: Pipe?
        if let errors {
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errors)
        } else if json {
            let pipe = Pipe()
            errorPipe = pipe
            process.standardError = pipe
        } else {
            process.standardError = FileHandle.nullDevice
        }
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let firstLine: String
        if !json {
            firstLine = await Self.readLine(output.fileHandleForReading)
        } else if let errorPipe {
            firstLine = await Self.readLine(errorPipe.fileHandleForReading.fileDescriptor, within: .seconds(20))
            // The rest of stderr is read and dropped, so that a chatty listener never fills the pipe.
            let handle = errorPipe.fileHandleForReading
            Thread.detachNewThread { _ = readToEnd(handle.fileDescriptor) }
        } else {
            firstLine = await Self.listeningLine(in: errors!, of: process)
        }
        guard firstLine.hasPrefix("listening on http://127.0.0.1:"), let port = Int(firstLine.split(separator: ":").last ?? "") else {
            process.terminate()
            throw ProcessTestError("unexpected listening line: \(firstLine)")
        }
        self.port = port
    }

    /// Reads one line from `fd` (without its newline), waiting at most `timeout` in all; what came
    /// until then when the line did not end in time or the pipe ended.
    private static func readLine(_ fd: Int32, within timeout: Duration) async -> String {
        await onOwnThread { () -> String in
            let deadline = ContinuousClock.now + timeout
            var bytes: [UInt8] = []
            var byte: UInt8 = 0
            while ContinuousClock.now < deadline {
                var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&ready, 1, 100) <= 0 { continue }
                guard Glibc.read(fd, &byte, 1) == 1, byte != 0x0A else { break }
                bytes.append(byte)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The `listening on` line of a stderr that goes to a file, polled for up to 20 s.
    static func listeningLine(in file: URL, of process: ChildProcess) async -> String {
        await onOwnThread { () -> String in
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
                if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }) { return String(line) }
                if !process.isRunning { break }
                usleep(2000)
            }
            return ""
        }
    }

    /// Reads the next line of stdout (without its newline); empty at the end of the output.
    func nextLine() async -> String {
        await Self.readLine(output.fileHandleForReading)
    }

    private static func readLine(_ handle: FileHandle) async -> String {
        let fd = handle.fileDescriptor
        return await onOwnThread { HookTestSupport.readLine(fd) }
    }

    /// Reads stdout in large blocks until it holds `count` lines or `timeout` passed (or the output
    /// ended); returns the whole lines read. Use it instead of `nextLine`, not along with it.
    func lines(count: Int, within timeout: Duration) async -> [Substring] {
        let fd = output.fileHandleForReading.fileDescriptor
        let text = await onOwnThread { () -> String in
            let deadline = ContinuousClock.now + timeout
            var bytes: [UInt8] = []
            var newlines = 0
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while newlines < count {
                let left = deadline - ContinuousClock.now
                guard left > .zero else { break }
                var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let milliseconds = Int32(min(1_000, left / .milliseconds(1)) + 1)
                if poll(&ready, 1, milliseconds) <= 0 { continue }
                let read = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if read <= 0 { break }
                newlines += buffer[..<read].lazy.filter { $0 == 0x0A }.count
                bytes += buffer[..<read]
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return Array(lines.dropLast())  // the last is empty, or a line not yet whole
    }

    /// Closes this end of stdout: the listener then has no reader (as after `| head -2` is done).
    func closeOutput() {
        try? output.fileHandleForReading.close()
    }

    /// Whether it has exited within `timeout` (polled).
    func exits(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return !process.isRunning
    }

    /// Reads and drops the rest of stdout as it comes, on a thread of its own: for a test that reads
    /// no more lines but sends more requests than a pipe holds lines for (the headless listener
    /// waits while its output is not read, as it would behind a paused `| less`).
    func discardOutput() {
        let handle = output.fileHandleForReading
        Thread.detachNewThread {
            _ = readToEnd(handle.fileDescriptor)
        }
    }

    /// Reads the rest of stdout until the process exits.
    func remainingOutput() async -> String {
        let handle = output.fileHandleForReading
        return await onOwnThread { String(decoding: readToEnd(handle.fileDescriptor), as: UTF8.self) }
    }

    func kill(_ signal: Int32) {
        Glibc.kill(process.processIdentifier, signal)
    }

    func waitForExit() async -> Int32 {
        let process = self.process
        return await onOwnThread {
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

/// A minimal blocking HTTP/1.1 client over one keep-alive connection. Unchecked Sendable: a test
/// uses it from one thread at a time (each call runs on its own thread, awaited before the next).
final class KeepAliveClient: @unchecked Sendable {
    let fd: Int32

    init?(port: Int) {
        // A bound for a hang only: a loaded full run can take seconds to answer.
        guard let fd = connectToLoopback(port: port, receiveTimeoutSeconds: 30) else { return nil }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends one POST and waits for its status; nil when the connection broke.
    func post(path: String, body: String, headers: [String] = []) -> Int? {
        postForResponse(path: path, body: body, headers: headers)?.status
    }

    /// Sends one POST and returns the response body as text.
    func postReturningBody(path: String, body: String, headers: [String] = []) -> String? {
        postForResponse(path: path, body: body, headers: headers)?.body
    }

    /// Sends exact request bytes and returns the response status.
    func exchange(_ bytes: [UInt8]) -> Int? {
        roundTrip(bytes)?.status
    }

    /// Sends exact bytes, ends the sending side (as `printf … | nc -N` does) and reads until the
    /// listener closes: nil when the read failed or timed out instead.
    func sendEndAndReadAll(_ bytes: [UInt8]) -> [UInt8]? {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return nil }
            offset += sent
        }
        shutdown(fd, Int32(SHUT_WR))
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return data }
            if n < 0 { return nil }
            data += buffer[0..<n]
        }
    }

    private func postForResponse(path: String, body: String, headers: [String]) -> (status: Int, body: String)? {
        let extra = headers.map { $0 + "\r\n" }.joined()
        let request = "POST \(path) HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\n\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        return roundTrip(Array(request.utf8))
    }

    private func roundTrip(_ bytes: [UInt8]) -> (status: Int, body: String)? {
        // A large request may take several sends (the socket has a send timeout).
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return nil }
            offset += sent
        }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            data += buffer[0..<n]
            let text = String(decoding: data, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound]
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                let headLength = text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound)
                if data.count >= headLength + length {
                    let status = Int(head.split(separator: " ")[1]) ?? 0
                    return (status, String(decoding: data[headLength..<(headLength + length)], as: UTF8.self))
                }
            }
        }
    }
}

func jsonObject(_ line: some StringProtocol) -> [String: Any]? {
    try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
}

/// The environment of the tests' own process without any HOOKSCOPE_ variable and without a default config file.
func cleanEnvironment() -> [String: String] {
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HOOKSCOPE_") }
    environment["HOME"] = "/nonexistent"
    environment["XDG_CONFIG_HOME"] = "/nonexistent"
    environment["SWIFT_BACKTRACE"] = "enable=no"
    return environment
}
