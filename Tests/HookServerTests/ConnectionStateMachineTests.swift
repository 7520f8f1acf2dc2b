import Testing

@testable import HookServer

/// The connection's state machine on its own: sequences of events, each with the action it must
/// return.
@Suite struct ConnectionStateMachineTests {
    typealias Event = ConnectionStateMachine.Event
    typealias Action = ConnectionStateMachine.Action

    /// Small limits so that short sequences reach them: a full queue at 3 parts or 100 bytes, a
    /// refused body drained up to 10 bytes before its answer and 100 bytes in all.
    static let limits = ConnectionStateMachine.Limits(
        maxQueuedParts: 3, maxQueuedBytes: 100, refusedBodyDrainLimit: 10, refusedBodyLingerLimit: 100)

    struct Step: Sendable {
        var event: Event
        var action: Action
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var steps: [Step]
        var testDescription: String { name }
        init(_ name: String, _ steps: [Step]) {
            self.name = name
            self.steps = steps
        }
    }

    // Building blocks: a part arriving from the decoder and taken up at once.
    static func head(keepAlive: Bool = true) -> [Step] {
        [Step(event: .arrived(bodyBytes: 0), action: .process), Step(event: .head(keepAlive: keepAlive), action: .process)]
    }
    static func body(_ bytes: Int) -> [Step] {
        [Step(event: .arrived(bodyBytes: bytes), action: .process), Step(event: .body(bytes: bytes), action: .keepBody)]
    }
    static let end = [Step(event: .arrived(bodyBytes: 0), action: .process), Step(event: .end, action: .commit)]
    /// The commit completes, the answer is written and keeps the connection; nothing waits.
    static let answered = [
        Step(event: .committed(framingLost: false), action: .write(keepAlive: true)),
        Step(event: .drained, action: .none),
        Step(event: .responseWritten, action: .none),
    ]
    static func on(_ event: Event, _ action: Action) -> Step { Step(event: event, action: action) }

    static let cases: [Case] = [
        Case("keep-alive: two requests, one after the other", head() + body(5) + end + answered + head() + end + answered + [
            on(.readRequested, .read),
        ]),
        Case("a request that does not keep the connection (HTTP/1.0, Connection: close, Upgrade)", head(keepAlive: false) + end + [
            on(.committed(framingLost: false), .write(keepAlive: false)),
            on(.arrived(bodyBytes: 0), .drop),
            on(.responseWritten, .close),
        ]),
        Case("the raw framer gave up during the request: its answer closes", head() + end + [
            on(.committed(framingLost: true), .write(keepAlive: false)),
            on(.responseWritten, .close),
        ]),
        Case("pipelining: what arrives during a commit waits and is taken up in order after the answer", head() + end + [
            on(.arrived(bodyBytes: 0), .enqueue),
            on(.arrived(bodyBytes: 3), .enqueue),
            on(.arrived(bodyBytes: 0), .enqueue),
            on(.committed(framingLost: false), .write(keepAlive: true)),
            on(.dequeued(bodyBytes: 0, reserved: true), .none),
            on(.head(keepAlive: true), .process),
            on(.dequeued(bodyBytes: 3, reserved: true), .none),
            on(.body(bytes: 3), .keepBody),
            on(.dequeued(bodyBytes: 0, reserved: true), .none),
            on(.end, .commit),
            on(.drained, .none),
            on(.responseWritten, .none),
            on(.arrived(bodyBytes: 0), .enqueue),
        ]),
        Case("a long pipeline holds reads back until the queue shrinks", head() + end + [
            on(.arrived(bodyBytes: 0), .enqueue),
            on(.arrived(bodyBytes: 0), .enqueue),
            on(.readRequested, .read),
            on(.arrived(bodyBytes: 0), .enqueue),
            on(.readRequested, .none),
            on(.committed(framingLost: false), .write(keepAlive: true)),
            on(.dequeued(bodyBytes: 0, reserved: true), .none),
            on(.head(keepAlive: true), .process),
            on(.dequeued(bodyBytes: 0, reserved: true), .none),
            on(.end, .commit),
            on(.drained, .read),
            on(.readRequested, .read),
        ]),
        Case("queued body bytes the budget could not take hold reads back until they are taken up", head() + end + [
            on(.arrived(bodyBytes: 0), .enqueue),
            on(.arrived(bodyBytes: 7), .enqueue),
            on(.enqueuedBeyondBudget, .none),
            on(.readRequested, .none),
            on(.committed(framingLost: false), .write(keepAlive: true)),
            on(.dequeued(bodyBytes: 0, reserved: true), .none),
            on(.head(keepAlive: true), .process),
            on(.dequeued(bodyBytes: 7, reserved: false), .none),
            on(.body(bytes: 7), .keepBody),
            on(.drained, .read),
        ]),
        Case("half-close after a request: the sender still gets its answer, then the connection closes", head() + body(5) + end + [
            on(.inputClosed, .none),
            on(.committed(framingLost: false), .write(keepAlive: true)),
            on(.drained, .none),
            on(.responseWritten, .close),
            on(.arrived(bodyBytes: 0), .drop),
        ]),
        Case("half-close, and the answer's write completes before the handler is back", head() + end + [
            on(.inputClosed, .none),
            on(.committed(framingLost: false), .write(keepAlive: true)),
            on(.responseWritten, .close),
            on(.drained, .none),
        ]),
        Case("half-close after pipelined requests: all are answered, then the connection closes", head() + end + [
            on(.arrived(bodyBytes: 0), .enqueue),
            on(.arrived(bodyBytes: 0), .enqueue),
            on(.inputClosed, .none),
            on(.committed(framingLost: false), .write(keepAlive: true)),
            on(.dequeued(bodyBytes: 0, reserved: true), .none),
            on(.head(keepAlive: true), .process),
            on(.dequeued(bodyBytes: 0, reserved: true), .none),
            on(.end, .commit),
            on(.drained, .none),
            on(.responseWritten, .none),
            on(.committed(framingLost: false), .write(keepAlive: true)),
            on(.drained, .none),
            on(.responseWritten, .close),
        ]),
        Case("half-close with nothing sent closes at once", [on(.inputClosed, .close)]),
        Case("a request cut short is refused 400 by the guard, which then closes", head() + body(3) + [
            on(.arrived(bodyBytes: 0), .process),
            on(.malformed, .refuseMalformed),
            on(.inputClosed, .none),
            on(.timedOut(slowHead: true), .none),
        ]),
        Case("a malformed request behind one being committed is refused after its answer", head() + end + [
            on(.arrived(bodyBytes: 0), .enqueue),
            on(.committed(framingLost: false), .write(keepAlive: true)),
            on(.dequeued(bodyBytes: 0, reserved: true), .none),
            on(.malformed, .refuseMalformed),
            on(.drained, .none),
            on(.responseWritten, .none),
        ]),
        Case("a refused body (413): answered, then closed after the drain time; its end closes at once", head() + [
            on(.refused, .commit),
            on(.arrived(bodyBytes: 4), .process),
            on(.body(bytes: 4), .none),
            on(.committed(framingLost: false), .write(keepAlive: false)),
            on(.responseWritten, .closeAfterDrainTime),
            on(.arrived(bodyBytes: 4), .process),
            on(.body(bytes: 4), .none),
            on(.arrived(bodyBytes: 0), .process),
            on(.end, .close),
        ]),
        Case("a refused body that ends before its answer: the answer closes", head() + [
            on(.refused, .commit),
            on(.body(bytes: 4), .none),
            on(.end, .none),
            on(.arrived(bodyBytes: 0), .enqueue),
            on(.committed(framingLost: false), .write(keepAlive: false)),
            on(.responseWritten, .close),
        ]),
        Case("a refused body from a sender that half-closed: closed once answered", head() + [
            on(.refused, .commit),
            on(.inputClosed, .none),
            on(.committed(framingLost: false), .write(keepAlive: false)),
            on(.responseWritten, .close),
        ]),
        Case("a refused body past the drain limit: reading pauses, the answer lingers, the linger limit closes", head() + [
            on(.refused, .commit),
            on(.body(bytes: 8), .none),
            on(.body(bytes: 8), .pauseReading),
            on(.committed(framingLost: false), .write(keepAlive: false)),
            on(.responseWritten, .linger),
            on(.body(bytes: 50), .none),
            on(.body(bytes: 50), .close),
        ]),
        Case("a refused body still coming after its answer: linger once past the drain limit", head() + [
            on(.refused, .commit),
            on(.committed(framingLost: false), .write(keepAlive: false)),
            on(.responseWritten, .closeAfterDrainTime),
            on(.body(bytes: 11), .linger),
            on(.body(bytes: 11), .none),
        ]),
        Case("a refused body that turns malformed: the refusal is still answered, then closed", head() + body(3) + [
            on(.refused, .commit),
            on(.malformed, .none),
            on(.committed(framingLost: false), .write(keepAlive: false)),
            on(.responseWritten, .close),
        ]),
        Case("a failed commit is answered 500 and closes", head() + body(1) + end + [
            on(.commitFailed, .write(keepAlive: false)),
            on(.responseWritten, .close),
        ]),
        Case("an idle connection is closed by the timeout", head() + end + answered + [
            on(.timedOut(slowHead: false), .close),
            on(.arrived(bodyBytes: 0), .drop),
            on(.timedOut(slowHead: true), .none),
        ]),
        Case("a body that stalls or comes too slowly is refused (408) and kept, then closed", head() + body(3) + [
            on(.timedOut(slowHead: false), .refuseSlowBody),
            on(.refused, .commit),
            on(.arrived(bodyBytes: 1), .process),
            on(.body(bytes: 1), .none),
            on(.committed(framingLost: false), .write(keepAlive: false)),
            on(.responseWritten, .closeAfterDrainTime),
        ]),
        Case("once the guard refuses, a decoder error at the end of the stream is no second refusal", [
            on(.guardRefused, .none),
            on(.arrived(bodyBytes: 0), .process),
            on(.malformed, .none),
            on(.timedOut(slowHead: true), .none),
        ]),
        Case("a slow head is answered 408 once; a later timer closes", [
            on(.timedOut(slowHead: true), .refuseSlowHead),
            on(.timedOut(slowHead: true), .none),
            on(.inputClosed, .none),
            on(.timedOut(slowHead: false), .close),
        ]),
        Case("while the guard writes a refusal of its own, the handler never closes first", head() + end + [
            on(.guardRefused, .none),
            on(.inputClosed, .none),
            on(.committed(framingLost: false), .write(keepAlive: true)),
            on(.drained, .none),
            on(.responseWritten, .none),
            on(.timedOut(slowHead: true), .none),
        ]),
        Case("a connection gone during the commit is not answered", head() + end + [
            on(.arrived(bodyBytes: 0), .enqueue),
            on(.channelInactive, .none),
            on(.committed(framingLost: false), .none),
            on(.arrived(bodyBytes: 0), .drop),
            on(.readRequested, .read),
        ]),
    ]

    @Test(arguments: cases)
    func eventsGiveTheirActions(_ example: Case) {
        var machine = ConnectionStateMachine(limits: Self.limits)
        for (index, step) in example.steps.enumerated() {
            let action = machine.receive(step.event)
            #expect(action == step.action, "step \(index): \(step.event) gave \(action), expected \(step.action)")
            guard action == step.action else { return }
        }
    }

    /// The events of the hot path carry no more than a few words: no existential box or array.
    @Test func eventsAndActionsStaySmall() {
        #expect(MemoryLayout<Event>.size <= 17)
        #expect(MemoryLayout<Action>.size <= 2)
        #expect(MemoryLayout<ConnectionStateMachine>.size <= 128)
    }
}
