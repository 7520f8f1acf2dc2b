import Foundation
import HookTestSupport
@testable import HookCore

/// Builds a capture for tests.
func makeRequest(
    method: String = "POST",
    target: String = "/hook",
    headers: [(String, String)] = [],
    body: [UInt8] = [],
    status: Int = 200,
    signature: SignatureSummary = .unsigned
) -> CapturedRequest {
    sampleCapture(
        id: 1, method: method, rawTarget: Array(target.utf8), headers: headers.map { HeaderField($0.0, $0.1) },
        remoteAddress: "127.0.0.1:5555", body: Data(body), response: CapturedResponse(status: status), signature: signature)
}

func makeRequest(method: String = "POST", target: String = "/hook", headers: [(String, String)] = [], text: String, status: Int = 200) -> CapturedRequest {
    makeRequest(method: method, target: target, headers: headers, body: Array(text.utf8), status: status)
}

/// A line as text, spans concatenated (invalid UTF-8 replaced; use bytes where it matters).
func text(_ line: StyledLine) -> String {
    String(decoding: line.flatMap(\.bytes), as: UTF8.self)
}

/// Every line of a formatted body as text.
func allLines(_ body: any FormattedBody) -> [String] {
    (0..<body.lineCount).map { text(body.line(at: $0)) }
}

/// The spans of a line that carry a role, as text.
func spans(_ line: StyledLine, _ role: TextRole) -> [String] {
    line.filter { $0.role == role }.map { String(decoding: $0.bytes, as: UTF8.self) }
}

/// Runs a program with the given stdin and returns its exit status and stdout.
func runProcess(_ path: String, _ arguments: [String], stdin: Data = Data()) throws -> (status: Int32, stdout: Data) {
    let process = ChildProcess()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    // Write stdin from another thread so a large input cannot deadlock against a full stdout pipe.
    let handle = input.fileHandleForWriting
    let writer = Thread {
        handle.write(stdin)
        try? handle.close()
    }
    writer.start()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, data)
}

/// Compresses bytes with the system `gzip` tool (an independent encoder).
func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    [UInt8](try runProcess("/usr/bin/gzip", ["-c", "-n"], stdin: Data(bytes)).stdout)
}
