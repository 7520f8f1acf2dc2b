import Dispatch
import Foundation
import Glibc
import Synchronization

/// Lines for a file descriptor (the headless listener's standard output), written at once when
/// that cannot block and otherwise on a queue of their own, so that whoever makes them never waits
/// for the reader.
///
/// Without it, a listener whose output nobody reads (a paused `| less`, a test harness that keeps
/// the pipe but never reads it) stops after a pipe's worth of lines: the line is written where the
/// capture is committed, so the commits, and then the answers, wait. With it, the lines wait here
/// up to `limit` bytes; past that the newest are dropped whole and counted, and once the reader
/// has caught up with what was kept, `note` (given the count) goes to `noteFD` (standard error),
/// at the place in the output where they are missing. The captures themselves are all stored.
public final class OutputPump: Sendable {
    private struct State {
        var pending: [UInt8] = []
        var writing = false
        /// Lines dropped since the last note, all after `pending`, and the ids they were given.
        var dropped = 0
        var droppedIDs: ClosedRange<Int64>?
        /// The reader went away (EPIPE or another error): nothing more is written.
        var broken = false

        /// Marks the output closed; returns whether it was open until now (so `onClosed` is told once).
        mutating func close() -> Bool {
            defer { broken = true; pending = [] }
            return !broken
        }
    }

    /// When a write can go out at once, on the caller's thread, without a hand-off (which costs a
    /// wake-up of the queue): whatever the size for a regular file; up to `PIPE_BUF` bytes, which a
    /// pipe takes whole, when `poll` says there is room, for a pipe, socket or other device; never
    /// for a terminal (one stopped with Ctrl-S says it has room and then blocks the write).
    private enum Direct {
        case always
        case whenReady
        case never
    }

    private let fd: Int32
    private let direct: Direct
    private let noteFD: Int32
    private let limit: Int
    private let note: @Sendable (Int, ClosedRange<Int64>?) -> String
    private let onClosed: @Sendable () -> Void
    private let watchesReader: Bool
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "hookscope.output")

    /// - Parameters:
    ///   - fd: where the lines go.
    ///   - limit: the most bytes waiting for the reader; lines beyond it are dropped.
    ///   - noteFD: where the note about dropped lines goes.
    ///   - note: the note's text (a whole line) for a number of dropped lines and the ids they
    ///     were given (see `write`), when they were.
    ///   - onClosed: called once, on the thread that found it, when a write to `fd` fails or, for
    ///     a pipe or socket, as soon as its reader goes away (`| head -2` has its lines), found by
    ///     a thread that waits in `poll` for that; nothing more is written then.
    public init(
        fd: Int32, limit: Int = 16 << 20, noteFD: Int32 = 2,
        note: @escaping @Sendable (Int, ClosedRange<Int64>?) -> String,
        onClosed: @escaping @Sendable () -> Void = {}
    ) {
        self.onClosed = onClosed
        self.fd = fd
        var status = stat()
        let known = fstat(fd, &status) == 0
        if isatty(fd) == 1 {
            direct = .never
        } else if known, status.st_mode & S_IFMT == S_IFREG {
            direct = .always
        } else {
            direct = .whenReady
        }
        let kind = status.st_mode & S_IFMT
        watchesReader = known && (kind == S_IFIFO || kind == S_IFSOCK)
        self.noteFD = noteFD
        self.limit = limit
        self.note = note
    }

    /// Queues `bytes`, which hold `lines` whole lines, unless `limit` bytes already wait: then they
    /// are dropped and counted (with `ids`, the ids of what the lines are about, for the note).
    /// Returns whether they were kept. Never blocks on the reader.
    @discardableResult
    public func write(_ bytes: [UInt8], lines: Int = 1, ids: ClosedRange<Int64>? = nil) -> Bool {
        guard !bytes.isEmpty else { return true }
        var closed = false
        let (kept, start) = state.withLock { state -> (Bool, Bool) in
            if state.broken { return (false, false) }
            if state.pending.count >= limit {
                state.dropped += lines
                if let ids {
                    state.droppedIDs = state.droppedIDs.map {
                        min($0.lowerBound, ids.lowerBound)...max($0.upperBound, ids.upperBound)
                    } ?? ids
                }
                return (false, false)
            }
            if !state.writing, canWriteNow(bytes.count) {
                // Nothing waits before these bytes: out at once, under the lock (order).
                let written = Self.writeSome(fd, bytes)
                if written == bytes.count { return (true, false) }
                if written < 0 {
                    closed = state.close()
                    return (false, false)
                }
                state.pending.append(contentsOf: bytes[written...])
            } else {
                state.pending.append(contentsOf: bytes)
            }
            if state.writing { return (true, false) }
            state.writing = true
            return (true, true)
        }
        if start { queue.async { self.drain() } }
        if closed { onClosed() }
        return kept
    }

    /// For a pipe or socket: starts a thread that tells `onClosed` as soon as the reader is gone,
    /// without waiting for the next line to fail. Call once.
    public func watchForClosedReader() {
        guard watchesReader else { return }
        Thread.detachNewThread { [self] in
            // No events asked for: poll still reports POLLERR (a pipe's reader closed) and POLLHUP.
            var watched = pollfd(fd: fd, events: 0, revents: 0)
            while true {
                let result = poll(&watched, 1, -1)
                if result < 0, errno == EINTR { continue }
                guard result > 0, watched.revents & Int16(POLLERR | POLLHUP) != 0 else { return }
                break
            }
            if state.withLock({ $0.close() }) { onClosed() }
        }
    }

    /// Waits until everything queued so far is written, or `timeout` passed (the reader is not
    /// reading). Returns whether it was all written.
    public func flush(timeout: Duration) -> Bool {
        let done = DispatchSemaphore(value: 0)
        queue.async { done.signal() }
        return done.wait(timeout: .now() + .nanoseconds(Int(timeout / .nanoseconds(1)))) == .success
    }

    private func canWriteNow(_ count: Int) -> Bool {
        switch direct {
        case .always: return true
        case .never: return false
        case .whenReady:
            guard count <= Int(PIPE_BUF) else { return false }
            var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            return poll(&ready, 1, 0) == 1 && ready.revents & Int16(POLLOUT) != 0
        }
    }

    /// Bytes waiting for the writer (not yet taken by it).
    var waitingBytes: Int { state.withLock { $0.pending.count } }

    /// Lines dropped so far and not yet noted.
    public var droppedLines: Int { state.withLock { $0.dropped } }

    /// Writes what is pending until nothing is. Runs on `queue` only.
    private func drain() {
        var chunk: [UInt8] = []
        while true {
            let dropped = state.withLock { state -> (count: Int, ids: ClosedRange<Int64>?)? in
                if state.pending.isEmpty {
                    state.writing = false
                    return nil
                }
                swap(&chunk, &state.pending)
                state.pending.removeAll(keepingCapacity: true)
                defer { state.dropped = 0; state.droppedIDs = nil }
                return (state.dropped, state.droppedIDs)
            }
            guard let dropped else { return }
            let written = writeFully(fd, chunk) == 0
            if written, dropped.count > 0 {
                _ = writeFully(noteFD, Array(note(dropped.count, dropped.ids).utf8))
            }
            chunk.removeAll(keepingCapacity: true)
            if !written, state.withLock({ $0.close() }) { onClosed() }
        }
    }

    /// One `write` (again after EINTR): the bytes written, or -1.
    private static func writeSome(_ fd: Int32, _ bytes: [UInt8]) -> Int {
        while true {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            return written
        }
    }
}
