import Foundation
import HookCore
import HookTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@testable import HookListen

/// What a sender saw on one connection.
enum SenderOutcome: Equatable {
    /// The response's head and body as text.
    case response(String)
    /// The connection ended with no byte of a response.
    case closed
    /// The connection was reset.
    case reset
    /// Nothing came for the whole wait.
    case silent

    var status: Int? {
        guard case .response(let text) = self else { return nil }
        return Int(text.dropFirst("HTTP/1.1 ".count).prefix(3))
    }
}

/// Sends one request on a new connection and reads until the response is whole, the connection
/// ends or is reset, or `seconds` pass. Blocking: call it from a thread of its own.
func sendOnce(port: Int, _ request: String, seconds: Int = 20) -> SenderOutcome {
    guard let fd = connectToLoopback(port: port, receiveTimeoutSeconds: seconds) else { return .closed }
    defer { close(fd) }
    let bytes = Array(request.utf8)
    let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    guard sent == bytes.count else { return .reset }
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        if let end = data.firstRange(of: [13, 10, 13, 10]) {
            let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).lowercased()
            let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            if data.count >= end.upperBound + length { return .response(String(decoding: data[..<(end.upperBound + length)], as: UTF8.self)) }
        }
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            data += buffer[0..<n]
            continue
        }
        if n == 0 { return data.isEmpty ? .closed : .response(String(decoding: data, as: UTF8.self)) }
        if errno == ECONNRESET { return .reset }
        return .silent
    }
}

func post(_ path: String, headers: [String] = [], body: String = "{}") -> String {
    let extra = headers.map { $0 + "\r\n" }.joined()
    return "POST \(path) HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
}

/// A running headless JSON session with a rules file.
struct RulesSession {
    let session: ListenSession
    let running: Task<Void, any Error>
    let port: Int
    let lines: OutputPipe
    let notices: OutputPipe
    let rulesFile: String

    static func start(
        rules: String, configure: (inout ListenFlags) -> Void = { _ in }, listener: (inout ListenSettings) -> Void = { _ in }
    ) async throws -> RulesSession {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("rules.toml").path
        try rules.write(toFile: file, atomically: true, encoding: .utf8)
        var flags = ListenFlags()
        flags.port = 0
        flags.memory = true
        flags.json = true
        flags.rules = file
        configure(&flags)
        var settings = try ListenSettings.resolve(flags: flags, environment: ["HOME": "/nonexistent"], config: ConfigFile())
        listener(&settings)
        let lines = OutputPipe()
        let notices = OutputPipe()
        let session = try await ListenSession.start(
            settings: settings, interface: .headless, output: lines.writeEnd, announce: notices.writeEnd, handleSignals: false)
        let running = Task { try await session.run() }
        let port = try #require(Int(session.url.split(separator: ":").last ?? ""))
        #expect(await onOwnThread { notices.lines(1) }?.first == "listening on \(session.url)")
        return RulesSession(session: session, running: running, port: port, lines: lines, notices: notices, rulesFile: file)
    }

    func send(_ request: String, seconds: Int = 20) async -> SenderOutcome {
        let port = self.port
        return await onOwnThread { sendOnce(port: port, request, seconds: seconds) }
    }

    /// The next `count` JSON lines, parsed.
    func captures(_ count: Int) async throws -> [[String: Any]] {
        let lines = self.lines
        let text = try #require(await onOwnThread { lines.lines(count) })
        return try text.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    func stop() async throws {
        session.stop()
        try await running.value
        try? FileManager.default.removeItem(atPath: (rulesFile as NSString).deletingLastPathComponent)
    }
}

extension Dictionary where Key == String, Value == Any {
    func header(_ name: String) -> String? {
        (self["headers"] as? [[String]])?.first { $0.first?.lowercased() == name.lowercased() }?.last
    }
}

@Suite struct ResponseRulesSessionTests {
    /// A rule answers with its status, headers, body and delay; a request it does not match gets the
    /// listener's own answer. Each capture says which rule answered and what the sender got.
    @Test func aRuleAnswersWithItsStatusHeadersBodyAndDelay() async throws {
        let s = try await RulesSession.start(rules: """
            [[rule]]
            name = "teapot"
            method = "POST"
            path = "/brew/*"
            status = 418
            headers = ["X-Rule: yes"]
            body = "short and stout"
            delay_ms = 300
            """)
        let started = ContinuousClock.now
        let answer = await s.send(post("/brew/earl-grey"))
        let waited = ContinuousClock.now - started
        guard case .response(let text) = answer else { Issue.record("no response: \(answer)"); return }
        #expect(text.hasPrefix("HTTP/1.1 418 "))
        #expect(text.contains("\r\nX-Rule: yes\r\n"))
        #expect(text.hasSuffix("\r\n\r\nshort and stout"))
        #expect(waited >= .milliseconds(300))
        #expect(await s.send(post("/other")).status == 200)
        let captures = try await s.captures(2)
        #expect(captures[0]["rule"] as? String == "teapot")
        #expect(captures[0]["response_status"] as? Int == 418)
        #expect(captures[0]["failure"] is NSNull)
        #expect(captures[1]["rule"] is NSNull)
        #expect(captures[1]["response_status"] as? Int == 200)
        try await s.stop()
    }

    /// A provider-like sender retries one delivery with backoff while it gets non-2xx: against
    /// "500, 500, then 200" it makes three attempts, stored as attempts 1, 2, 3 of one delivery id;
    /// another delivery starts its own sequence.
    @Test func aSequenceFollowsOneDeliveryThroughItsRetries() async throws {
        let s = try await RulesSession.start(rules: """
            [[rule]]
            name = "flaky"
            provider = "github"
            event = "push*"
            sequence = [500, 500, 200]
            """)
        func deliver(_ id: String) async -> [Int] {
            var statuses: [Int] = []
            var backoff = Duration.milliseconds(20)
            for _ in 0..<6 {
                let status = await s.send(post(
                    "/github", headers: ["X-GitHub-Event: push", "X-GitHub-Delivery: \(id)", "X-Hub-Signature-256: sha256=00"])).status ?? 0
                statuses.append(status)
                if (200..<300).contains(status) { break }
                try? await Task.sleep(for: backoff)
                backoff *= 2
            }
            return statuses
        }
        #expect(await deliver("d-1") == [500, 500, 200])
        #expect(await deliver("d-2") == [500, 500, 200])
        let captures = try await s.captures(6)
        #expect(captures.prefix(3).map { $0.header("X-GitHub-Delivery") } == ["d-1", "d-1", "d-1"])
        #expect(captures.map { $0["response_status"] as? Int } == [500, 500, 200, 500, 500, 200])
        #expect(captures.allSatisfy { $0["rule"] as? String == "flaky" })
        // The store numbers the attempts of each delivery: the retries are visible as such.
        #expect(captures.map { $0["delivery_id"] as? String } == ["d-1", "d-1", "d-1", "d-2", "d-2", "d-2"])
        #expect(captures.map { $0["attempt"] as? Int } == [1, 2, 3, 1, 2, 3])
        try await s.stop()
    }

    /// `reset` resets the connection, `close` closes it without a response, `timeout` holds the
    /// request unanswered until the idle timeout closes it; each capture says so, with no status.
    @Test func failuresGiveTheSenderNoResponse() async throws {
        let s = try await RulesSession.start(
            rules: """
                [[rule]]
                path = "/reset"
                fail = "reset"

                [[rule]]
                name = "closer"
                path = "/close"
                fail = "close"

                [[rule]]
                name = "hang"
                path = "/hang"
                fail = "timeout"
                """,
            listener: { $0.listener.idleTimeout = .seconds(1) })
        #expect(await s.send(post("/reset")) == .reset)
        #expect(await s.send(post("/close")) == .closed)
        let started = ContinuousClock.now
        #expect(await s.send(post("/hang"), seconds: 20) == .closed)
        #expect(ContinuousClock.now - started >= .milliseconds(900))
        let captures = try await s.captures(3)
        #expect(captures.map { $0["rule"] as? String } == ["1", "closer", "hang"])
        #expect(captures.map { $0["failure"] as? String } == ["reset", "close", "timeout"])
        #expect(captures.allSatisfy { $0["response_status"] is NSNull })
        try await s.stop()
    }

    /// A rule's `forward_to` answers with the handler's response; when the handler is down, the
    /// rule's own status answers ("forward, else mock"). Other routes get the listener's answer.
    @Test func perRouteForwardsAndForwardElseMock() async throws {
        // The handler: another session that answers 201.
        var handlerFlags = ListenFlags()
        handlerFlags.port = 0
        handlerFlags.memory = true
        handlerFlags.headless = true
        handlerFlags.status = 201
        handlerFlags.responseBody = "handled"
        let handlerPipe = OutputPipe()
        let handler = try await ListenSession.start(
            settings: ListenSettings.resolve(flags: handlerFlags, environment: ["HOME": "/nonexistent"], config: ConfigFile()),
            interface: .headless, output: handlerPipe.writeEnd, handleSignals: false)
        let handlerRunning = Task { try await handler.run() }
        let down = refusingPort()
        defer { close(down.fd) }

        let s = try await RulesSession.start(rules: """
            [[rule]]
            name = "to-handler"
            path = "/github*"
            forward_to = "\(handler.url)"

            [[rule]]
            name = "handler-down"
            path = "/stripe*"
            forward_to = "http://127.0.0.1:\(down.port)"
            status = 202
            body = "mocked"
            """)
        let forwarded = await s.send(post("/github"))
        #expect(forwarded.status == 201)
        #expect(forwarded == .response(forwarded.responseText(suffix: "handled")))
        let mocked = await s.send(post("/stripe"))
        #expect(mocked.status == 202)
        #expect(mocked == .response(mocked.responseText(suffix: "mocked")))
        #expect(await s.send(post("/plain")).status == 200)
        let captures = try await s.captures(3)
        #expect(captures.map { $0["rule"] as? String } == ["to-handler", "handler-down", nil])
        #expect(captures.map { $0["response_status"] as? Int } == [201, 202, 200])
        let replays = captures.map { $0["replay"] as? [String: Any] }
        #expect(replays[0]?["kind"] as? String == "forward")
        #expect(replays[0]?["status"] as? Int == 201)
        #expect(replays[1]?["status"] is NSNull)
        #expect(replays[2] == nil)
        try await s.stop()
        handler.stop()
        try await handlerRunning.value
    }

    /// Editing the rules file takes effect without a restart; an invalid edit keeps the rules in use
    /// and says why (with the file, the line and the rule).
    @Test func theRulesFileIsReloadedAndABrokenEditIsRefused() async throws {
        let s = try await RulesSession.start(rules: """
            [[rule]]
            name = "first"
            status = 418
            """)
        #expect(await s.send(post("/x")).status == 418)
        try """
            [[rule]]
            name = "second"
            status = 451
            """.write(toFile: s.rulesFile, atomically: true, encoding: .utf8)
        let notices = s.notices
        let reloaded = await onOwnThread { notices.lines(1) }
        #expect(reloaded?.first == "hookscope: rules reloaded from \(s.rulesFile): 1 rule")
        #expect(await s.send(post("/x")).status == 451)
        try """
            # a comment

            [[rule]]
            name = "broken"
            status = 700
            """.write(toFile: s.rulesFile, atomically: true, encoding: .utf8)
        let refused = await onOwnThread { notices.lines(1) }
        #expect(
            refused?.first == "hookscope: rules not reloaded, keeping the 1 in use: \(s.rulesFile):3: rule 'broken': status must be an HTTP status between 100 and 599, not 700")
        #expect(await s.send(post("/x")).status == 451)
        let captures = try await s.captures(3)
        #expect(captures.map { $0["rule"] as? String } == ["first", "second", "second"])
        try await s.stop()
    }
}

extension SenderOutcome {
    /// The response text when its body is `suffix`, else a text that cannot equal it.
    func responseText(suffix: String) -> String {
        guard case .response(let text) = self, text.hasSuffix("\r\n\r\n" + suffix) else { return "<no body \(suffix)>" }
        return text
    }
}
