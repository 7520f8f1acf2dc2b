/// The life of one connection as the capture handler sees it, without any I/O: events go in
/// (a request part arrived, a commit completed, a write completed, the sender half-closed, a
/// timeout) and each returns the one thing the handler must do now. `CaptureHandler` carries the
/// actions out; the request's bytes, the capture and the body budget stay with it.
///
/// Pipelining: while a request is committed and answered, the parts that arrive after it wait in
/// the handler's queue (`enqueue`) and are taken up once its response is written. The machine
/// counts what waits and holds reads back while the queue is large.
///
/// A refused request (413/503) is answered as soon as its refusal is committed, while the rest of
/// its body is read and discarded: up to `refusedBodyDrainLimit` bytes before the answer (then
/// reading pauses), and after it up to `refusedBodyLingerLimit` with the output half-closed.
struct ConnectionStateMachine {
    struct Limits: Equatable, Sendable {
        /// Parts, and body bytes, held behind the request being answered before reads are held back.
        var maxQueuedParts: Int
        var maxQueuedBytes: Int
        var refusedBodyDrainLimit: Int
        var refusedBodyLingerLimit: Int
    }

    enum Event: Equatable, Sendable {
        /// A part (head, body piece or end) or the decoder's error came from the decoder. Body
        /// pieces give their size.
        case arrived(bodyBytes: Int)
        /// The last part answered `enqueue` is body bytes the body budget could not take.
        case enqueuedBeyondBudget
        /// The handler took the first waiting part out of the queue (`reserved`: the budget held its bytes).
        case dequeued(bodyBytes: Int, reserved: Bool)
        /// The handler took up every waiting part it could (the queue is empty or a request is answered again).
        case drained
        /// A request head was taken up. `keepAlive`: the request lets the connection stay open.
        case head(keepAlive: Bool)
        /// A piece of the current request's body was taken up.
        case body(bytes: Int)
        /// The current request ended.
        case end
        /// The current request is refused (body too large, or the body budget is spent).
        case refused
        /// The decoder rejected the stream, or the request is one hookscope does not take (proxy).
        case malformed
        /// The current request's capture was committed and its answer is due. `framingLost`: the raw
        /// framer gave up, so the next request's head could not be kept exactly.
        case committed(framingLost: Bool)
        /// Committing the capture failed: the answer is a 500.
        case commitFailed
        /// A response written by the handler went out (or failed).
        case responseWritten
        /// The sender ended its side of the stream.
        case inputClosed
        /// The guard's timer ran out: while a head was arriving with nothing to answer (`slowHead`),
        /// or on an idle connection or a body that stalled or came too slowly.
        case timedOut(slowHead: Bool)
        /// The guard is answering with a refusal of its own (431, 414, 503) and closes after it.
        case guardRefused
        /// The pipeline asks for a read.
        case readRequested
        /// The connection is gone.
        case channelInactive
    }

    enum Action: Equatable, Sendable {
        case none
        /// Take the part (or the head) up now.
        case process
        /// Queue the part behind the request being answered.
        case enqueue
        /// Ignore the part: the connection is ending (or a head came while a request is in progress).
        case drop
        /// Keep the body bytes for the capture (the handler may still refuse the request).
        case keepBody
        /// Commit the current capture (complete, or refused without its body).
        case commit
        /// Write the answer; with `keepAlive`, take up the waiting parts after it.
        case write(keepAlive: Bool)
        /// Stop reading (the sender is held back by TCP).
        case pauseReading
        /// Pass the read on.
        case read
        /// Half-close the output, read and discard what still comes, close after the drain time.
        case linger
        /// Close after the refused body's drain time (the sender reads the refusal, not a reset).
        case closeAfterDrainTime
        case close
        /// Have the guard answer 400 and close (it ignores this when it is refusing already).
        case refuseMalformed
        /// Have the guard answer 408 and close.
        case refuseSlowHead
        /// Refuse the request whose body is arriving (408, kept as a refused capture): the handler
        /// does so through `refused`.
        case refuseSlowBody
    }

    /// Where the request in progress is.
    enum Phase: Equatable {
        /// Between requests.
        case idle
        /// A head was taken up; its body is arriving.
        case receiving(keepAlive: Bool)
        /// The whole request arrived: it is committed, then answered.
        case answering(keepAlive: Bool)
        case refused(Refused)
        /// The machine closed the connection, or it is gone.
        case closed
    }

    struct Refused: Equatable {
        /// Body bytes read and discarded since the refusal.
        var discarded = 0
        /// The refusal's response is written.
        var answered = false
        /// The end of its body arrived: what follows waits, unread, and the connection ends with it.
        var ended = false
        /// The end of its body arrived, or the rest of it is malformed: close once the refusal is written.
        var closeAfterAnswer = false
        /// The output is half-closed and what comes is discarded.
        var lingering = false
    }

    /// What to do once the last response handed to the channel is written.
    enum AfterWrite: Equatable {
        /// Close if the sender has finished and everything is answered.
        case keepOpen
        case close
        case linger
        /// A refusal: close at once if the sender has finished, else after the drain time.
        case closeSoon
    }

    let limits: Limits
    private(set) var phase: Phase = .idle
    /// The sender ended its side of the stream: close once every request it sent is answered.
    private(set) var inputClosed = false
    /// The guard is writing a refusal and closes the connection after it.
    private(set) var guardClosing = false
    /// Responses handed to the channel whose write has not completed (a close would drop them).
    private(set) var writesInFlight = 0
    private var afterLastWrite = AfterWrite.keepOpen
    private(set) var queuedParts = 0
    private(set) var queuedBytes = 0
    /// Queued body parts whose bytes the budget could not take: reads wait until they are gone.
    private(set) var unreservedParts = 0
    /// A read was asked for while the queue was full: it is passed on once the queue shrinks.
    private(set) var readHeld = false

    init(limits: Limits) {
        self.limits = limits
    }

    /// A complete request is committed or answered (or a refused one ended): what arrives waits.
    var isAnswering: Bool {
        switch phase {
        case .answering: true
        case .refused(let refused): refused.ended
        case .idle, .receiving, .closed: false
        }
    }

    var queueIsFull: Bool {
        queuedParts >= limits.maxQueuedParts || queuedBytes >= limits.maxQueuedBytes || unreservedParts > 0
    }

    mutating func receive(_ event: Event) -> Action {
        switch event {
        case .arrived(let bodyBytes):
            if case .closed = phase { return .drop }
            guard isAnswering || queuedParts > 0 else { return .process }
            queuedParts += 1
            queuedBytes += bodyBytes
            return .enqueue
        case .enqueuedBeyondBudget:
            unreservedParts += 1
            return .none
        case .dequeued(let bodyBytes, let reserved):
            queuedParts -= 1
            queuedBytes -= bodyBytes
            if !reserved && bodyBytes > 0 { unreservedParts -= 1 }
            return .none
        case .drained:
            if closesNow() { return .close }
            if readHeld, !queueIsFull {
                readHeld = false
                return .read
            }
            return .none
        case .head(let keepAlive):
            guard case .idle = phase else { return .drop }
            phase = .receiving(keepAlive: keepAlive)
            return .process
        case .body(let bytes):
            return bodyArrived(bytes)
        case .end:
            return requestEnded()
        case .refused:
            guard case .receiving = phase else { return .none }
            phase = .refused(Refused())
            return .commit
        case .malformed:
            return malformed()
        case .committed(let framingLost):
            return answerDue(keepAlive: !framingLost)
        case .commitFailed:
            return answerDue(keepAlive: false)
        case .responseWritten:
            return responseWritten()
        case .inputClosed:
            inputClosed = true
            return closesNow() ? .close : .none
        case .timedOut(let slowHead):
            if case .closed = phase { return .none }
            if slowHead {
                if guardClosing { return .none }
                guardClosing = true
                return .refuseSlowHead
            }
            // The body of the request being received is late: it is refused (408) and kept.
            if case .receiving = phase, queuedParts == 0 { return .refuseSlowBody }
            phase = .closed
            return .close
        case .guardRefused:
            guardClosing = true
            return .none
        case .readRequested:
            if queueIsFull {
                readHeld = true
                return .none
            }
            return .read
        case .channelInactive:
            phase = .closed
            queuedParts = 0
            queuedBytes = 0
            unreservedParts = 0
            return .none
        }
    }

    private mutating func bodyArrived(_ bytes: Int) -> Action {
        switch phase {
        case .receiving:
            return .keepBody
        case .refused(var refused):
            refused.discarded += bytes
            var action = Action.none
            if refused.answered {
                if refused.discarded > limits.refusedBodyLingerLimit {
                    phase = .closed
                    return .close
                }
                if refused.discarded > limits.refusedBodyDrainLimit, !refused.lingering {
                    refused.lingering = true
                    action = .linger
                }
            } else if refused.discarded > limits.refusedBodyDrainLimit {
                // The refusal is still being committed: stop reading until it is answered, so a
                // fast sender is held back by TCP instead of streaming the rest of its body.
                action = .pauseReading
            }
            phase = .refused(refused)
            return action
        case .idle, .answering, .closed:
            return .none
        }
    }

    private mutating func requestEnded() -> Action {
        switch phase {
        case .receiving(let keepAlive):
            phase = .answering(keepAlive: keepAlive)
            return .commit
        case .refused(var refused):
            // The connection ends with this request: whatever is pipelined after it waits, unread.
            refused.ended = true
            refused.closeAfterAnswer = true
            if refused.answered {
                phase = .closed
                return .close
            }
            phase = .refused(refused)
            return .none
        case .idle, .answering, .closed:
            return .none
        }
    }

    private mutating func malformed() -> Action {
        switch phase {
        case .idle, .receiving:
            // The guard is refusing already (431, 414, 408, an earlier 400): the decoder's error is
            // about the rest of a stream that is ending (a head the guard cut off at the end of the
            // stream), not another request to answer and keep.
            if guardClosing { return .none }
            phase = .idle
            guardClosing = true
            return .refuseMalformed
        case .refused(var refused):
            if refused.answered {
                phase = .closed
                return .close
            }
            // The rest of a refused body is malformed or cut short: the refusal, being committed,
            // is still written, and the connection closes after it.
            refused.closeAfterAnswer = true
            phase = .refused(refused)
            return .none
        case .answering, .closed:
            return .none
        }
    }

    /// The current request's answer is ready: what to write and what follows the write.
    private mutating func answerDue(keepAlive answerKeepsAlive: Bool) -> Action {
        switch phase {
        case .answering(let requestKeepsAlive):
            let keepAlive = requestKeepsAlive && answerKeepsAlive
            writesInFlight += 1
            if keepAlive {
                phase = .idle
                afterLastWrite = .keepOpen
            } else {
                phase = .closed
                afterLastWrite = .close
            }
            return .write(keepAlive: keepAlive)
        case .refused(var refused):
            refused.answered = true
            if refused.closeAfterAnswer {
                afterLastWrite = .close
            } else if refused.discarded > limits.refusedBodyDrainLimit {
                // The body is still coming after the drain limit: half-close and linger instead of
                // closing with unread bytes (a reset that can make the sender lose the refusal).
                if refused.lingering {
                    afterLastWrite = .close
                } else {
                    refused.lingering = true
                    afterLastWrite = .linger
                }
            } else {
                afterLastWrite = .closeSoon
            }
            phase = .refused(refused)
            writesInFlight += 1
            return .write(keepAlive: false)
        case .idle, .receiving, .closed:
            return .none
        }
    }

    private mutating func responseWritten() -> Action {
        writesInFlight -= 1
        // Writes complete in order, and only the last one can end the connection.
        guard writesInFlight == 0 else { return .none }
        switch afterLastWrite {
        case .keepOpen:
            return closesNow() ? .close : .none
        case .close:
            phase = .closed
            return .close
        case .linger:
            return .linger
        case .closeSoon:
            if inputClosed {
                phase = .closed
                return .close
            }
            return .closeAfterDrainTime
        }
    }

    /// After the sender's end of stream: whether nothing is committed, answered, written or waiting
    /// any more. A refusal closes the connection itself (the guard's, or a 413/503 once its answer
    /// is written).
    private mutating func closesNow() -> Bool {
        guard inputClosed, !guardClosing, queuedParts == 0, writesInFlight == 0 else { return false }
        switch phase {
        case .idle, .receiving:
            break
        case .refused(let refused):
            guard refused.answered, !refused.ended else { return false }
        case .answering, .closed:
            return false
        }
        phase = .closed
        return true
    }
}
