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

    /// An output pipe filled up (so the pump's writer waits on it) and a pipe for the notes.
    struct FullPipes {
        let out: [Int32]
        let notes: [Int32]
        /// The bytes that filled `out`, which the reader gets first.
        let filler: Int
        var reader: Task<[UInt8], Never>?

        init() throws {
            out = try OutputPumpTests.pipe()
            notes = try OutputPumpTests.pipe()
            filler = OutputPumpTests.fill(out[1])
        }

        /// Starts reading the output (until its write end is closed).
        mutating func startReading() {
            let fd = out[0]
            reader = Task { await onOwnThread { OutputPumpTests.readAll(fd) } }
        }

        /// Closes the write ends; returns what the reader got after the filler, and the notes.
        func finish() async -> (lines: String, note: String) {
            close(out[1])
            close(notes[1])
            let read = await reader?.value ?? []
            let note = OutputPumpTests.readAll(notes[0])
            close(out[0])
            close(notes[0])
            return (String(decoding: read.dropFirst(filler), as: UTF8.self), String(decoding: note, as: UTF8.self))
        }
    }

    /// The note the tests give the pump: the count and the ids.
    @Sendable static func note(_ count: Int, _ ids: ClosedRange<Int64>?) -> String {
        "dropped \(count): \(ids.map { "\($0)" } ?? "")\n"
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
        var pipes = try FullPipes()
        let pump = OutputPump(fd: pipes.out[1], limit: 1000, noteFD: pipes.notes[1], note: Self.note)
        let kept = try await Self.writeFirstAndFifty(pump)
        // 1,000 bytes can wait, plus the line that passed the limit: 11 lines of 99 bytes.
        #expect(kept == Array(0...10))
        #expect(pump.droppedLines == 39)
        #expect(await onOwnThread { !pump.flush(timeout: .milliseconds(200)) }, "flushed with nobody reading")

        pipes.startReading()
        #expect(await onOwnThread { pump.flush(timeout: .seconds(30)) })
        #expect(pump.write(Self.line(50)))
        #expect(await onOwnThread { pump.flush(timeout: .seconds(30)) })
        let (lines, note) = await pipes.finish()
        #expect(lines == String(decoding: Self.first + (kept + [50]).flatMap(Self.line), as: UTF8.self))
        #expect(note == "dropped 39: 11...49\n")
        #expect(pump.droppedLines == 0)
    }

    static let first = Array("first\n".utf8)

    /// Writes `first`, which the pump's writer takes and then waits with on the full pipe, and then
    /// lines 0..<50, each with its number as id; returns the numbers of those the pump kept.
    static func writeFirstAndFifty(_ pump: OutputPump) async throws -> [Int] {
        #expect(pump.write(first))
        try await waitUntilTaken(pump)
        return (0..<50).filter { n in pump.write(line(n), ids: Int64(n)...Int64(n)) }
    }

    /// Waits (polling) until the pump's writer has taken what was written so far: it is then
    /// blocked on the full pipe, and later lines wait in the pump.
    static func waitUntilTaken(_ pump: OutputPump) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while pump.waitingBytes > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
        try #require(pump.waitingBytes == 0)
    }

    /// With a refill, lines dropped past the limit are made again from their ids once the reader
    /// has caught up, and so are the lines written while that happens: the reader gets every line,
    /// in order, and no note.
    @Test func droppedLinesAreMadeAgainInOrder() async throws {
        var pipes = try FullPipes()
        let asked = Mutex<[ClosedRange<Int64>]>([])
        let pumpBox = Mutex<OutputPump?>(nil)
        let pump = OutputPump(fd: pipes.out[1], limit: 1000, noteFD: pipes.notes[1], note: Self.note, refill: { ids in
            let first = asked.withLock { asked in asked.append(ids); return asked.count == 1 }
            if first, let pump = pumpBox.withLock({ $0 }) {
                // Lines that come while the dropped ones are made again: they must wait their turn.
                for n in 50..<60 { #expect(!pump.write(Self.line(n), ids: Int64(n)...Int64(n))) }
            }
            // Up to 7 lines a read, as a store would read a batch.
            let through = min(ids.upperBound, ids.lowerBound + 6)
            return OutputPump.Refilled(
                bytes: (ids.lowerBound...through).flatMap { Self.line(Int($0)) }, lines: Int(through - ids.lowerBound) + 1, through: through)
        })
        pumpBox.withLock { $0 = pump }
        let kept = try await Self.writeFirstAndFifty(pump)
        #expect(kept == Array(0...10))
        #expect(pump.unwrittenFrom == 0)

        pipes.startReading()
        #expect(await onOwnThread { pump.flush(timeout: .seconds(30)) })
        // Caught up: lines are kept again.
        #expect(pump.write(Self.line(60), ids: 60...60))
        #expect(await onOwnThread { pump.flush(timeout: .seconds(30)) })
        #expect(pump.unwrittenFrom == nil)
        let (lines, note) = await pipes.finish()
        #expect(lines == String(decoding: Self.first + (0...60).flatMap(Self.line), as: UTF8.self))
        #expect(note.isEmpty, "\(note)")
        // Asked from the first dropped id, then on from where each read stopped, the later lines
        // included; never twice for the same id.
        #expect(asked.withLock { $0.map(\.lowerBound) } == [11, 18, 25, 32, 39, 46, 53])
        #expect(asked.withLock { $0.last?.upperBound } == 59)
    }

    /// Lines the refill no longer finds (their captures were dropped from the store meanwhile) are
    /// noted, with the ids they were among; the rest come in order.
    @Test func linesTheRefillDoesNotFindAreNoted() async throws {
        var pipes = try FullPipes()
        let pump = OutputPump(fd: pipes.out[1], limit: 1000, noteFD: pipes.notes[1], note: Self.note, refill: { ids in
            // Only ids from 30 on are still there.
            let found = ids.clamped(to: 30...Int64.max)
            return OutputPump.Refilled(bytes: found.flatMap { Self.line(Int($0)) }, lines: found.count, through: ids.upperBound)
        })
        _ = try await Self.writeFirstAndFifty(pump)
        pipes.startReading()
        #expect(await onOwnThread { pump.flush(timeout: .seconds(30)) })
        let (lines, note) = await pipes.finish()
        #expect(lines == String(decoding: Self.first + (Array(0...10) + Array(30...49)).flatMap(Self.line), as: UTF8.self))
        #expect(note == "dropped 19: 11...49\n")
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
