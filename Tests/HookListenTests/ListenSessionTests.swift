import Foundation
import HookCore
import HookStore
import HookTestSupport
import Testing

@testable import HookListen

@Suite struct ListenSessionTests {
    func settings(_ configure: (inout ListenFlags) -> Void = { _ in }) throws -> ListenSettings {
        var flags = ListenFlags()
        flags.port = 0
        flags.memory = true
        flags.headless = true
        flags.secrets = ["stripe=test_secret"]
        configure(&flags)
        return try ListenSettings.resolve(flags: flags, environment: ["HOME": "/nonexistent"], config: ConfigFile())
    }

    func post(_ port: Int, path: String, headers: [String] = [], body: String = "{\"hello\":\"world\"}") async -> String? {
        let extra = headers.map { $0 + "\r\n" }.joined()
        let request = "POST \(path) HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        return await onOwnThread { exchangeOnce(port: port, request: Array(request.utf8)).map { String(decoding: $0, as: UTF8.self) } }
    }

    /// A headless session prints its address, then a line per capture with its verdict; `stop` ends
    /// `run`, after which nothing listens any more.
    @Test func aHeadlessSessionCapturesUntilStopped() async throws {
        let pipe = OutputPipe()
        let session = try await ListenSession.start(settings: settings(), interface: .headless, output: pipe.writeEnd, handleSignals: false)
        let running = Task { try await session.run() }
        let port = try #require(Int(session.url.split(separator: ":").last ?? ""))
        let answer = await post(port, path: "/stripe", headers: ["Stripe-Signature: t=1,v1=00"])
        #expect(answer?.hasPrefix("HTTP/1.1 200 ") == true)
        let lines = await onOwnThread { pipe.lines(2) }
        #expect(lines?.first == "listening on \(session.url)")
        #expect(lines?.last?.hasPrefix("#1 ") == true)
        #expect(lines?.last?.contains(" POST /stripe ") == true)
        #expect(lines?.last?.hasSuffix(" stripe invalid") == true, "\(lines?.last ?? "")")
        session.stop()
        try await running.value
        #expect(await post(port, path: "/after") == nil)
    }

    /// The reader of the output going away ends the session, as `| head -1` expects.
    @Test func aClosedOutputEndsTheSession() async throws {
        let pipe = OutputPipe()
        let session = try await ListenSession.start(settings: settings(), interface: .headless, output: pipe.writeEnd, handleSignals: false)
        let running = Task { try await session.run() }
        #expect(await onOwnThread { pipe.lines(1) }?.first == "listening on \(session.url)")
        pipe.closeReadEnd()
        try await running.value
    }

    /// A port that is taken fails the start with one line, and the store it opened is closed again:
    /// a second session can open it.
    @Test func aTakenPortIsAOneLineErrorAndTheStoreIsClosed() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-session-\(UUID().uuidString)")
        let db = directory.appendingPathComponent("c.sqlite").path
        let pipe = OutputPipe()
        let first = try await ListenSession.start(settings: settings(), interface: .headless, output: pipe.writeEnd, handleSignals: false)
        let running = Task { try await first.run() }
        let port = try #require(Int(first.url.split(separator: ":").last ?? ""))
        let taken = try settings { flags in
            flags.memory = false
            flags.db = db
            flags.port = port
        }
        let error = await #expect(throws: UserError.self) {
            _ = try await ListenSession.start(settings: taken, interface: .headless, output: pipe.writeEnd, handleSignals: false)
        }
        #expect(error?.description.hasPrefix("cannot listen on 127.0.0.1:\(port): ") == true, "\(error?.description ?? "")")
        first.stop()
        try await running.value
        // Closed: a session on the same file starts and keeps what it stores.
        let again = try await ListenSession.start(
            settings: settings { flags in
                flags.memory = false
                flags.db = db
            }, interface: .headless, output: pipe.writeEnd, handleSignals: false)
        let runningAgain = Task { try await again.run() }
        let againPort = try #require(Int(again.url.split(separator: ":").last ?? ""))
        #expect(await post(againPort, path: "/kept")?.hasPrefix("HTTP/1.1 200 ") == true)
        again.stop()
        try await runningAgain.value
        let store = try SQLiteRequestStore(path: db)
        #expect(try await store.request(id: 1)?.path == "/kept")
        try store.close()
        try? FileManager.default.removeItem(at: directory)
    }

    func elsewhere(_ path: String) -> CapturedRequest {
        CapturedRequest(
            receivedAt: .now(), method: "POST", rawTarget: Array(path.utf8), headers: [], remoteAddress: "127.0.0.1:1",
            body: Data("{}".utf8), response: CapturedResponse(status: 200))
    }

    /// Another listener (here another connection to the file, as another process would have) stores
    /// captures in the same SQLite file: the terminal interface gets them, marked as stored
    /// elsewhere, in id order with its own listener's, and the store counts them.
    @Test func theTerminalInterfaceSeesWhatAnotherWriterStoresInTheSameFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-session-\(UUID().uuidString)")
        let db = directory.appendingPathComponent("c.sqlite").path
        defer { try? FileManager.default.removeItem(at: directory) }
        let (seen, seenContinuation) = AsyncStream.makeStream(of: (id: Int64, elsewhere: Bool).self)
        let session = try await ListenSession.start(
            settings: settings { $0.headless = false; $0.memory = false; $0.db = db },
            interface: .terminal { environment in
                for await batch in environment.captures {
                    for summary in batch.summaries { seenContinuation.yield((summary.id, batch.elsewhere)) }
                    if batch.summaries.contains(where: { $0.id == 3 }) { break }
                }
                #expect(try await environment.store.count() == 3)
                struct Quit: Error {}
                throw Quit()
            })
        let running = Task { try await session.run() }
        let port = try #require(Int(session.url.split(separator: ":").last ?? ""))
        let other = try SQLiteRequestStore(path: db)
        var seenIDs = seen.makeAsyncIterator()
        _ = try await other.insert(elsewhere("/elsewhere"))
        let first = await seenIDs.next()
        #expect(first?.id == 1 && first?.elsewhere == true)
        #expect(await post(port, path: "/here")?.hasPrefix("HTTP/1.1 200 ") == true)
        let second = await seenIDs.next()
        #expect(second?.id == 2 && second?.elsewhere == false)
        // Found by the watcher on the file, with no capture of this listener's after it.
        _ = try await other.insert(elsewhere("/elsewhere/2"))
        let third = await seenIDs.next()
        #expect(third?.id == 3 && third?.elsewhere == true)
        try other.close()
        _ = try? await running.value
    }

    /// The terminal interface gets the session's store and live captures; when it ends, so does the
    /// session, and an error it throws comes back from `run` after everything stopped.
    @Test func theTerminalInterfaceSeesCapturesAndItsEndStopsTheSession() async throws {
        let (seen, seenContinuation) = AsyncStream.makeStream(of: Int.self)
        let session = try await ListenSession.start(
            settings: settings { $0.headless = false },
            interface: .terminal { environment in
                seenContinuation.yield(0)
                for await batch in environment.captures {
                    for summary in batch.summaries { seenContinuation.yield(Int(summary.id)) }
                    if batch.summaries.contains(where: { $0.id == 2 }) { break }
                }
                #expect(try await environment.store.count() == 2)
                struct Quit: Error, CustomStringConvertible { var description: String { "no terminal" } }
                throw Quit()
            })
        let running = Task { try await session.run() }
        var ids = seen.makeAsyncIterator()
        #expect(await ids.next() == 0)
        let port = try #require(Int(session.url.split(separator: ":").last ?? ""))
        #expect(await post(port, path: "/one") != nil)
        #expect(await post(port, path: "/two") != nil)
        #expect(await ids.next() == 1)
        #expect(await ids.next() == 2)
        let error = await #expect(throws: UserError.self) { try await running.value }
        #expect(error?.description == "cannot start the terminal interface: no terminal (use --headless)")
        #expect(await post(port, path: "/after") == nil)
    }
}
