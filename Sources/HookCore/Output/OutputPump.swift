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
/// up to `limit` bytes. Past that the newest are dropped whole and their ids noted. With `refill`
/// (the headless listener: its lines are about stored captures), the lines of those ids are made
/// again from the store once the reader has caught up with what was kept, and every later line
/// goes the same way until the reader is at the newest: nothing is lost and the order is kept,
/// whatever the reader's pace, with at most `limit` bytes in memory. Without it, or for lines the
/// refill no longer finds, `note` (given the count) goes to `noteFD` (standard error), at the place
/// in the output where they are missing.
public final class OutputPump: Sendable {
    /// Makes the lines of dropped ids again: given the ids still missing, oldest first, the lines of
    /// the first of them (as many as it reads at once), how many lines that is, and the last id they
    /// account for (`through`, at most `ids.upperBound`; ids it no longer finds count as done, and
    /// are noted). Runs on the pump's own thread; it may block.
    public typealias Refill = @Sendable (_ ids: ClosedRange<Int64>) -> Refilled

    /// What one call of a `Refill` made again.
    public struct Refilled: Sendable {
        /// The lines, each ending in a newline.
        public var bytes: [UInt8]
        /// How many lines.
        public var lines: Int
        /// The last id they account for.
        public var through: Int64

        public init(bytes: [UInt8], lines: Int, through: Int64) {
            self.bytes = bytes
            self.lines = lines
            self.through = through
        }
    }

    private struct State {
        var pending: [UInt8] = []
        /// The id of the first line in `pending` that has one.
        var pendingFirstID: Int64?
        /// The id of the first line the writer has taken and not written yet.
        var writingFromID: Int64?
        var writing = false
        /// Lines dropped since the last note, all after `pending`, and the ids they were given.
        /// With a refill, its writer moves `droppedIDs`'s lower bound up as it writes them again.
        var dropped = 0
        var droppedIDs: ClosedRange<Int64>?
        /// The reader went away (EPIPE or another error): nothing more is written.
        var broken = false

        /// Marks the output closed; returns whether it was open until now (so `onClosed` is told once).
        mutating func close() -> Bool {
            defer { broken = true; pending = []; dropped = 0; droppedIDs = nil }
            return !broken
        }

        mutating func drop(lines: Int, ids: ClosedRange<Int64>?) {
            dropped += lines
            if let ids {
                droppedIDs = droppedIDs.map {
                    min($0.lowerBound, ids.lowerBound)...max($0.upperBound, ids.upperBound)
                } ?? ids
            }
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
    private let refill: Refill?
    private let watchesReader: Bool
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "hookscope.output")

    /// - Parameters:
    ///   - fd: where the lines go.
    ///   - limit: the most bytes waiting for the reader; lines beyond it are dropped.
    ///   - noteFD: where the note about dropped lines goes.
    ///   - note: the note's text (a whole line) for a number of dropped lines and the ids they
    ///     were given (see `write`), when they were.
    ///   - refill: makes dropped lines again from their ids (see `Refill`); lines dropped without
    ///     ids are noted.
    ///   - onClosed: called once, on the thread that found it, when a write to `fd` fails or, for
    ///     a pipe or socket, as soon as its reader goes away (`| head -2` has its lines), found by
    ///     a thread that waits in `poll` for that; nothing more is written then.
    public init(
        fd: Int32, limit: Int = 16 << 20, noteFD: Int32 = 2,
        note: @escaping @Sendable (Int, ClosedRange<Int64>?) -> String,
        refill: Refill? = nil,
        onClosed: @escaping @Sendable () -> Void = {}
    ) {
        self.onClosed = onClosed
        self.refill = refill
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

    /// Queues `bytes`, which hold `lines` whole lines about `ids` (in order: each call's ids come
    /// after the last call's), unless `limit` bytes already wait, or, with a refill, earlier lines
    /// are still to be made again: then they are dropped and their ids noted, for the refill or the
    /// note. Returns whether they were kept. Never blocks on the reader.
    @discardableResult
    public func write(_ bytes: [UInt8], lines: Int = 1, ids: ClosedRange<Int64>? = nil) -> Bool {
        guard !bytes.isEmpty else { return true }
        var closed = false
        let (kept, start) = state.withLock { state -> (Bool, Bool) in
            if state.broken { return (false, false) }
            if state.pending.count >= limit || (refill != nil && state.dropped > 0) {
                state.drop(lines: lines, ids: ids)
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
            if state.pendingFirstID == nil { state.pendingFirstID = ids?.lowerBound }
            if state.writing { return (true, false) }
            state.writing = true
            return (true, true)
        }
        if start { queue.async { self.drain() } }
        if closed { onClosed() }
        return kept
    }

    /// With a refill, while earlier lines are still to be made again: counts `lines` about `ids` as
    /// dropped too (they will be made from their ids) and returns true, so the caller need not make
    /// their bytes. Otherwise does nothing and returns false: the caller writes them.
    public func dropIfBehind(lines: Int, ids: ClosedRange<Int64>) -> Bool {
        guard refill != nil else { return false }
        return state.withLock { state in
            // The writer is at work while lines are dropped (it makes them again), so it will see these.
            guard !state.broken, state.dropped > 0 else { return false }
            state.drop(lines: lines, ids: ids)
            return true
        }
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

    /// The id of the oldest line not written yet, when there is one and it has an id: what a listener
    /// that stops before its reader has caught up says is missing.
    public var unwrittenFrom: Int64? {
        state.withLock { state in
            state.broken ? nil : state.writingFromID ?? state.pendingFirstID ?? state.droppedIDs?.lowerBound
        }
    }

    /// Bytes waiting for the writer (not yet taken by it).
    var waitingBytes: Int { state.withLock { $0.pending.count } }

    /// Lines dropped so far and not yet noted.
    public var droppedLines: Int { state.withLock { $0.dropped } }

    /// Writes what is pending until nothing is, and with a refill the dropped lines made again.
    /// Runs on `queue` only.
    private func drain() {
        var chunk: [UInt8] = []
        while true {
            let taken = state.withLock { state -> (dropped: Int, ids: ClosedRange<Int64>?)? in
                if state.pending.isEmpty, state.dropped == 0 || refill == nil {
                    state.writing = false
                    return nil
                }
                // With a refill, dropped lines stay counted until they are made again, after what
                // was kept before them, and later lines join them (which keeps the order).
                if refill != nil, state.pending.isEmpty { return (0, nil) }
                swap(&chunk, &state.pending)
                state.pending.removeAll(keepingCapacity: true)
                state.writingFromID = state.pendingFirstID
                state.pendingFirstID = nil
                if refill != nil { return (0, nil) }
                defer { state.dropped = 0; state.droppedIDs = nil }
                return (state.dropped, state.droppedIDs)
            }
            guard let taken else { return }
            if chunk.isEmpty, let refill {
                refillDropped(refill)
                continue
            }
            let written = writeFully(fd, chunk) == 0
            chunk.removeAll(keepingCapacity: true)
            state.withLock { $0.writingFromID = nil }
            guard written else {
                if state.withLock({ $0.close() }) { onClosed() }
                continue
            }
            if taken.dropped > 0 {
                _ = writeFully(noteFD, Array(note(taken.dropped, taken.ids).utf8))
            }
        }
    }

    /// Writes the dropped lines again, oldest first, and those dropped meanwhile, until the newest
    /// dropped id is done: from then on lines are kept again. What the refill did not find is noted.
    private func refillDropped(_ refill: Refill) {
        var unmade: (count: Int, ids: ClosedRange<Int64>?)?
        var first: Int64?
        while true {
            let ids = state.withLock { state -> ClosedRange<Int64>? in
                if state.dropped > 0, state.droppedIDs == nil {
                    // Lines without ids: nothing to make them from.
                    unmade = (state.dropped, nil)
                    state.dropped = 0
                }
                return state.droppedIDs
            }
            guard let ids else { break }
            if first == nil { first = ids.lowerBound }
            let part = refill(ids)
            // At least the first id is done, whatever the refill says, so the loop ends.
            let through = max(part.through, ids.lowerBound)
            if !part.bytes.isEmpty, writeFully(fd, part.bytes) != 0 {
                if state.withLock({ $0.close() }) { onClosed() }
                return
            }
            state.withLock { state in
                guard let current = state.droppedIDs else { return }  // closed meanwhile
                state.dropped -= part.lines
                if through >= current.upperBound {
                    // Every dropped line is made again, or was not found (counted, for the note).
                    if state.dropped > 0 { unmade = (state.dropped, (first ?? current.lowerBound)...current.upperBound) }
                    state.dropped = 0
                    state.droppedIDs = nil
                } else {
                    state.droppedIDs = max(current.lowerBound, through + 1)...current.upperBound
                }
            }
        }
        if let unmade {
            _ = writeFully(noteFD, Array(note(unmade.count, unmade.ids).utf8))
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
