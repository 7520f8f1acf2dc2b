import Foundation
import HookTestSupport
import Testing

/// Stopping the listener never cuts an answer short: a request whose capture is committed gets
/// its answer even when the stop comes before it is written.
@Suite struct GracefulStopTests {
    @Test func aCommittedCaptureIsAnsweredThoughTheListenerStops() async throws {
        // The answer is written 600 ms after the commit: the stop comes in between.
        let listener = try await ListenerProcess(["--memory", "--delay", "600"])
        let busy = try #require(await onOwnThread { try? RawClient(port: listener.port) })
        let idle = try #require(await onOwnThread { try? RawClient(port: listener.port) })
        busy.send("POST /late HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
        // Printed at the commit, before the answer.
        #expect(await listener.nextLine().contains("/late"))
        listener.kill(SIGTERM)
        let answers = await busy.readResponses(1)
        #expect(answers.first?.status == 200, "the committed capture was not answered")
        // The idle keep-alive connection is closed, and the listener exits.
        let rest = await idle.readUntilClosed()
        #expect(rest.closed && rest.bytes.isEmpty)
        #expect(await listener.exits(within: .seconds(10)))
        withExtendedLifetime((busy, idle)) {}
    }
}
