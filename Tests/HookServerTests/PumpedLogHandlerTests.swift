import Foundation
import HookCore
import HookStore
import HookTestSupport
import Logging
import NIOCore
import Testing

@testable import HookServer

/// The listener's log lines go through a pump: logging never waits for stderr's reader.
@Suite(.timeLimit(.minutes(1))) struct PumpedLogHandlerTests {
    /// Reads `fd` until `text` has come or `timeout` passed.
    static func read(_ fd: Int32, until text: String, timeout: Duration) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 100) == 1 else { continue }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += buffer[..<count]
            if String(decoding: bytes, as: UTF8.self).contains(text) { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// 2,000 lines (about four pipes' worth) logged while nobody reads: each call returns, and the
    /// reader then gets them all, in order, formatted, with control characters escaped.
    @Test func loggingNeverWaitsForAnUnreadStderr() async throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        let logger = Logger(label: "test", factory: PumpedLogHandler.factory(fd: fds[1], level: .warning))
        for n in 0..<2_000 {
            logger.error("could not store line \(n)", metadata: ["error": "disk \u{1b}[31mfull"])
        }
        logger.info("below the level")
        let readEnd = fds[0]
        let text = await onOwnThread { Self.read(readEnd, until: "line 1999\n", timeout: .seconds(30)) }
        close(fds[0])
        close(fds[1])
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2_000)
        #expect(lines.enumerated().allSatisfy { $1.hasSuffix(" error test: error=disk \\x1b[31mfull could not store line \($0)") })
        #expect(!text.contains("\u{1b}"))
        #expect(!text.contains("below the level"))
    }
}
