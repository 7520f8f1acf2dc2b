import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The built `hookscope` binary, next to the test bundle in the build folder.
public func hookscopeBinary() throws -> URL {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = testBinary.deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("hookscope")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    throw ProcessTestError("hookscope binary not found near \(testBinary.path)")
}

/// A failure of a test's own process handling, with its message.
public struct ProcessTestError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A hookscope listener running as a child process: `hookscope listen --headless --port 0 ARGS`,
/// returned once its `listening on` line is there (the first line of stdout, or of stderr with
/// `--json`, where stdout carries JSON objects only).
///
/// Two ways to keep its output: on a pipe, read line by line while it runs (`init(_:errors:)`), or in
/// files, searched after it stopped (`init(_:outputFilesIn:)`).
public final class ListenerProcess: @unchecked Sendable {
    public let process = ChildProcess()
    public let port: Int
    public var pid: Int32 { process.processIdentifier }
    /// Where stdout and stderr go with `outputFilesIn`; nil with a pipe.
    public let stdoutURL: URL?
    public let stderrURL: URL?
    private let output: Pipe?

    /// Output on a pipe. With `errors`, stderr goes to that file (else nowhere, once the listening
    /// line is read).
    public init(_ arguments: [String], errors: URL? = nil) async throws {
        process.executableURL = try hookscopeBinary()
        process.arguments = ["listen", "--headless", "--port", "0"] + arguments
        process.environment = Self.environment()
        let output = Pipe()
        self.output = output
        stdoutURL = nil
        stderrURL = nil
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
            let fd = output.fileHandleForReading.fileDescriptor
            firstLine = await onOwnThread { HookTestSupport.readLine(fd) }
        } else if let errorPipe {
            firstLine = await Self.readFirstLine(errorPipe.fileHandleForReading.fileDescriptor, within: .seconds(20))
            // The rest of stderr is read and dropped, so that a chatty listener never fills the pipe.
            let handle = errorPipe.fileHandleForReading
            Thread.detachNewThread { _ = readToEnd(handle.fileDescriptor) }
        } else {
            firstLine = await Self.listeningLine(in: errors!, of: process)
        }
        port = try Self.port(from: firstLine, of: process)
    }

    /// Output to two new files in `directory` (`stdoutURL`, `stderrURL`), so that the log can be
    /// searched afterwards.
    public init(_ arguments: [String], outputFilesIn directory: URL) async throws {
        let name = UUID().uuidString
        let stdoutURL = directory.appendingPathComponent("\(name).out")
        let stderrURL = directory.appendingPathComponent("\(name).err")
        self.stdoutURL = stdoutURL
        self.stderrURL = stderrURL
        output = nil
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = try hookscopeBinary()
        process.arguments = ["listen", "--headless", "--port", "0"] + arguments
        process.environment = Self.environment()
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let url = arguments.contains("--json") ? stderrURL : stdoutURL
        let process = self.process
        let firstLine = await onOwnThread { () -> String in
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                if let text = try? String(contentsOf: url, encoding: .utf8), let end = text.firstIndex(of: "\n") {
                    return String(text[..<end])
                }
                if !process.isRunning { break }
                usleep(2000)
            }
            return ""
        }
        port = try Self.port(from: firstLine, of: process)
    }

    private static func environment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        return environment
    }

    private static func port(from firstLine: String, of process: ChildProcess) throws -> Int {
        guard firstLine.hasPrefix("listening on http://127.0.0.1:"), let port = Int(firstLine.split(separator: ":").last ?? "") else {
            process.terminate()
            throw ProcessTestError("unexpected listening line: \(firstLine)")
        }
        return port
    }

    /// Reads one line from `fd` (without its newline), waiting at most `timeout` in all; what came
    /// until then when the line did not end in time or the pipe ended.
    private static func readFirstLine(_ fd: Int32, within timeout: Duration) async -> String {
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
    public static func listeningLine(in file: URL, of process: ChildProcess) async -> String {
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

    /// The stdout pipe; only for a listener started with its output on a pipe.
    private var pipe: Pipe {
        guard let output else { preconditionFailure("this listener's output goes to \(stdoutURL?.path ?? "a file")") }
        return output
    }

    /// Reads the next line of stdout (without its newline); empty at the end of the output.
    public func nextLine() async -> String {
        let fd = pipe.fileHandleForReading.fileDescriptor
        return await onOwnThread { HookTestSupport.readLine(fd) }
    }

    /// Reads stdout in large blocks until it holds `count` lines or `timeout` passed (or the output
    /// ended); returns the whole lines read. Use it instead of `nextLine`, not along with it.
    public func lines(count: Int, within timeout: Duration) async -> [Substring] {
        let fd = pipe.fileHandleForReading.fileDescriptor
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
    public func closeOutput() {
        try? pipe.fileHandleForReading.close()
    }

    /// Whether it has exited within `timeout` (polled).
    public func exits(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return !process.isRunning
    }

    /// Reads and drops the rest of stdout as it comes, on a thread of its own: for a test that reads
    /// no more lines but sends more requests than a pipe holds lines for (the headless listener
    /// waits while its output is not read, as it would behind a paused `| less`).
    public func discardOutput() {
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread {
            _ = readToEnd(handle.fileDescriptor)
        }
    }

    /// Reads the rest of stdout until the process exits.
    public func remainingOutput() async -> String {
        let handle = pipe.fileHandleForReading
        return await onOwnThread { String(decoding: readToEnd(handle.fileDescriptor), as: UTF8.self) }
    }

    public func kill(_ signal: Int32) {
        Glibc.kill(process.processIdentifier, signal)
    }

    /// Asks it to stop (SIGTERM) while it runs.
    public func stop() { if process.isRunning { kill(SIGTERM) } }

    public func waitForExit() async -> Int32 {
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
