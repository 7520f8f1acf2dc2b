import Foundation
import HookTestSupport
import Testing

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
