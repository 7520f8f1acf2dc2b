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
