import Foundation
import HookCore
import HookTestSupport
import Testing

@testable import HookListen

@Suite struct HeadlessPrinterTests {
    func capture(_ id: Int64, refused: Bool = false) -> CapturedRequest {
        var request = sampleCapture(path: "/hook/\(id)", refusal: refused ? .bodyTooLarge : nil)
        request.id = id
        return request
    }

    func forward(_ id: Int64, status: Int?) -> ReplayAttempt {
        ReplayAttempt(
            kind: .forward, requestID: id, startedAt: stripeVectorTime, targetURL: "http://127.0.0.1:3000/",
            resigned: false, changedHeaders: [], response: status.map { CapturedResponse(status: $0) },
            error: status == nil ? "connection refused" : nil, durationNanoseconds: 1_500_000)
    }

    @Test func theListeningLineThenOneLinePerCaptureAsListPrintsIt() async {
        let pipe = OutputPipe()
        let printer = HeadlessPrinter(json: false, databasePath: nil, fd: pipe.writeEnd)
        printer.start(url: "http://127.0.0.1:1234")
        let batch = [capture(1), capture(2)]
        printer.print(batch)
        let lines = await onOwnThread { pipe.lines(3) }
        #expect(lines == ["listening on http://127.0.0.1:1234"] + batch.map { CaptureLine.readable($0.summary) })
    }

    /// With JSON lines the output carries nothing but JSON objects (so `| jq` works): the listening
    /// line goes to the other descriptor (stderr).
    @Test func jsonLinesAreTheCapturesJSONAndTheListeningLineGoesToStderr() async {
        let pipe = OutputPipe()
        let stderr = OutputPipe()
        let printer = HeadlessPrinter(json: true, databasePath: nil, fd: pipe.writeEnd, announceFD: stderr.writeEnd)
        printer.start(url: "http://127.0.0.1:1234")
        printer.print([capture(7)])
        let lines = await onOwnThread { pipe.lines(1) }
        #expect(lines == [CaptureJSON.line(for: capture(7), replay: nil)])
        #expect(await onOwnThread { stderr.lines(1) } == ["listening on http://127.0.0.1:1234"])
    }

    /// When forwarding, a line waits for its forward and carries its result; refused captures are
    /// not forwarded and wait for nothing; lines stay in id order.
    @Test func linesWaitForTheirForwardAndStayInOrder() async {
        let pipe = OutputPipe()
        let printer = HeadlessPrinter(json: false, forwarding: true, databasePath: nil, fd: pipe.writeEnd)
        printer.start(url: "http://127.0.0.1:1234")
        // A result may come before its capture's commit is seen.
        printer.forwarded(forward(4, status: 202))
        printer.print([capture(1), capture(2, refused: true), capture(3)])
        printer.forwarded(forward(3, status: nil))
        printer.print([capture(4)])
        printer.forwarded(forward(1, status: 201))
        let lines = await onOwnThread { pipe.lines(5) }
        #expect(lines == [
            "listening on http://127.0.0.1:1234",
            CaptureLine.readable(capture(1).summary, replay: ReplayOutcome(forward(1, status: 201))),
            CaptureLine.readable(capture(2, refused: true).summary),
            CaptureLine.readable(capture(3).summary, replay: ReplayOutcome(forward(3, status: nil))),
            CaptureLine.readable(capture(4).summary, replay: ReplayOutcome(forward(4, status: 202))),
        ])
        #expect(lines?[1].contains(" => 201 in ") == true, "\(lines?[1] ?? "")")
    }
}
