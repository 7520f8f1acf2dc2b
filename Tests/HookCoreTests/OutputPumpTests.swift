import Foundation
import HookTestSupport
import Synchronization
import Testing

@testable import HookCore

/// The headless listener's standard output: lines never hold up whoever writes them.
@Suite(.timeLimit(.minutes(1))) struct OutputPumpTests {
    /// A pipe; `[0]` reads, `[1]` writes.
    static func pipe() throws -> [Int32] {
        var fds: [Int32] = [0, 0]
        try #require(Glibc.pipe(&fds) == 0)
        return fds
    }

    /// Fills the pipe's buffer so that the next blocking write waits for the reader; returns how
    /// many bytes that took.
    static func fill(_ fd: Int32) -> Int {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(fd, F_SETFL, flags) }
        var total = 0
        // Big blocks, then single bytes: a pipe takes a write of up to 4 KiB whole or not at all.
        for size in [4096, 1] {
            let block = [UInt8](repeating: UInt8(ascii: "."), count: size)
            while true {
                let written = block.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if written <= 0 { break }
                total += written
            }
        }
        return total
    }

    /// Everything the pipe holds until its write end is closed.
    static func readAll(_ fd: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return bytes }
            bytes += buffer[..<count]
        }
    }

    static func line(_ n: Int) -> [UInt8] { Array("line \(n) \(String(repeating: "x", count: 90))\n".utf8) }

    /// Nobody reads while far more than a pipe holds is written: every write returns, and the
    /// reader, once it reads, gets every line in order.
    @Test func linesWaitForASlowReaderWithoutHoldingUpTheWriter() async throws {
        let fds = try Self.pipe()
        let pump = OutputPump(fd: fds[1], note: { count, _ in "dropped \(count)\n" })
        let expected = (0..<20_000).flatMap(Self.line)  // about 2 MB: 30 times a pipe's buffer
        for n in 0..<20_000 { #expect(pump.write(Self.line(n))) }
        let reader = Task { await onOwnThread { Self.readAll(fds[0]) } }
        #expect(await onOwnThread { pump.flush(timeout: .seconds(30)) })
        close(fds[1])
        let read = await reader.value
        close(fds[0])
        #expect(read.count == expected.count)
        let firstDifference = zip(read, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset  // not `read == expected`: a failing #expect would diff 2 MB
        #expect(firstDifference == nil, "lines missing or out of order")
    }

    /// Past its limit the newest lines are dropped whole and counted; once the reader has what was
    /// kept, the note says how many, on its own descriptor, and later lines are kept again.
    @Test func pastTheLimitLinesAreDroppedAndNoted() async throws {
        let out = try Self.pipe()
        let notes = try Self.pipe()
        let filler = Self.fill(out[1])
        let pump = OutputPump(fd: out[1], limit: 1000, noteFD: notes[1], note: { count, ids in "dropped \(count): \(ids.map { "\($0)" } ?? "")\n" })
        // A first line, taken by the pump's writer, which then waits on the full pipe.
        let first = Array("first\n".utf8)
        #expect(pump.write(first))
        let deadline = ContinuousClock.now + .seconds(20)
        while pump.waitingBytes > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
        var kept: [Int] = []
        for n in 0..<50 where pump.write(Self.line(n), ids: Int64(n)...Int64(n)) { kept.append(n) }
        // 1,000 bytes can wait, plus the line that passed the limit: 11 lines of 99 bytes.
        #expect(kept == Array(0...10))
        #expect(pump.droppedLines == 39)
        #expect(await onOwnThread { !pump.flush(timeout: .milliseconds(200)) }, "flushed with nobody reading")

        let reader = Task { await onOwnThread { Self.readAll(out[0]) } }
        #expect(await onOwnThread { pump.flush(timeout: .seconds(30)) })
        #expect(pump.write(Self.line(50)))
        #expect(await onOwnThread { pump.flush(timeout: .seconds(30)) })
        close(out[1])
        close(notes[1])
        let read = await reader.value
        let note = Self.readAll(notes[0])
        close(out[0])
        close(notes[0])
        let lines = String(decoding: read.dropFirst(filler), as: UTF8.self)
        #expect(lines == String(decoding: first + (kept + [50]).flatMap(Self.line), as: UTF8.self))
        #expect(String(decoding: note, as: UTF8.self) == "dropped 39: 11...49\n")
        #expect(pump.droppedLines == 0)
    }

    /// A pipe's reader that goes away is noticed at once, without a write, and told once.
    @Test func aClosedReaderIsToldWithoutAWrite() async throws {
        let fds = try Self.pipe()
        let told = Mutex(0)
        let pump = OutputPump(fd: fds[1], note: { count, _ in "dropped \(count)\n" }, onClosed: { told.withLock { $0 += 1 } })
        pump.watchForClosedReader()
        #expect(pump.write(Self.line(0)))
        close(fds[0])
        let deadline = ContinuousClock.now + .seconds(20)
        while told.withLock({ $0 }) == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(told.withLock { $0 } == 1)
        #expect(!pump.write(Self.line(1)))
        #expect(told.withLock { $0 } == 1)
        close(fds[1])
    }

    /// The reader went away (`| head -5`): writes are refused from then on, nothing blocks or crashes.
    @Test func aReaderThatWentAwayStopsTheOutput() async throws {
        signal(SIGPIPE, SIG_IGN)  // as the hookscope executable does
        let fds = try Self.pipe()
        close(fds[0])
        let pump = OutputPump(fd: fds[1], note: { count, _ in "dropped \(count)\n" })
        _ = pump.write(Self.line(0))
        #expect(await onOwnThread { pump.flush(timeout: .seconds(30)) })
        #expect(!pump.write(Self.line(1)))
        close(fds[1])
    }
}
