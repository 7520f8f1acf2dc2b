import Foundation
import HookTestSupport
import Testing

/// Retries of one delivery, end to end: a listener process, a client that sends the same GitHub
/// delivery three times with gaps between (as GitHub retries), then `list`, its filters and `show`.
@Suite struct DeliveryCLITests {
    static let deliveryID = "72d3162e-cc78-11e3-81ab-4c9367dc0958"

    /// One POST on a connection of its own, as a provider's retry comes.
    static func post(port: Int, delivery: String, event: String, body: String) async -> Int? {
        await onOwnThread { () -> Int? in
            guard let client = try? RawClient(port: port) else { return nil }
            return client.post(path: "/github", body: body, headers: ["X-GitHub-Event: \(event)", "X-GitHub-Delivery: \(delivery)"])
        }
    }

    @Test func retriesOfOneDeliveryAreNumberedAndFiltered() async throws {
        let db = try temporaryDirectory().appendingPathComponent("captures.sqlite").path
        let listener = try await ListenerProcess(["--db", db])
        let port = listener.port
        let gap = Duration.milliseconds(300)
        for n in 1...3 {
            // The gap is the retry schedule under test (shown as each attempt's time since the
            // first), not a wait for anything.
            if n > 1 { try await Task.sleep(for: gap) }
            #expect(await Self.post(port: port, delivery: Self.deliveryID, event: "issues", body: #"{"action":"opened","n":\#(n)}"#) == 200)
        }
        #expect(await Self.post(port: port, delivery: "other-delivery", event: "push", body: #"{"ref":"refs/heads/main"}"#) == 200)
        // The headless lines name the event, and the attempt of a retry.
        let lines = await listener.lines(count: 4, within: .seconds(30))
        #expect(lines.count == 4, "\(lines)")
        #expect(lines.first?.hasSuffix(" event issues.opened") == true, "\(lines)")
        #expect(lines.dropFirst().first?.hasSuffix("event issues.opened attempt 2") == true, "\(lines)")
        #expect(lines.last?.hasSuffix("event push") == true, "\(lines)")
        listener.kill(SIGTERM)
        _ = await listener.waitForExit()

        let listed = try await runHookscope(["list", "--json", "--db", db], environment: cleanEnvironment())
        #expect(listed.status == 0, "\(listed.stderr)")
        let objects = String(decoding: listed.stdout, as: UTF8.self).split(separator: "\n").compactMap(jsonObject)
        #expect(objects.count == 4)
        #expect(objects.map { $0["delivery_id"] as? String } == [Self.deliveryID, Self.deliveryID, Self.deliveryID, "other-delivery"])
        #expect(objects.map { $0["attempt"] as? Int } == [1, 2, 3, 1])
        #expect(objects.map { $0["event"] as? String } == ["issues.opened", "issues.opened", "issues.opened", "push"])

        func ids(_ filter: String) async throws -> [Int] {
            let result = try await runHookscope(["list", "--json", "--db", db, "--filter", filter], environment: cleanEnvironment())
            #expect(result.status == 0, "\(filter): \(result.stderr)")
            return String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").compactMap { jsonObject($0)?["id"] as? Int }
        }
        #expect(try await ids("attempt:2-") == [2, 3])
        #expect(try await ids("attempt:1") == [1, 4])
        #expect(try await ids("delivery:" + Self.deliveryID) == [1, 2, 3])
        #expect(try await ids("event:issues.*") == [1, 2, 3])
        #expect(try await ids("event:push -attempt:2-") == [4])
        // The readable list marks the retries too.
        let readable = try await runHookscope(["list", "--db", db, "--filter", "attempt:2-"], environment: cleanEnvironment())
        #expect(String(decoding: readable.stdout, as: UTF8.self).split(separator: "\n").map { $0.hasSuffix("attempt \($0.hasPrefix("#2 ") ? 2 : 3)") } == [true, true])

        let bad = try await runHookscope(["list", "--db", db, "--filter", "attempt:second"], environment: cleanEnvironment())
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("bad attempt 'second'"), "\(bad.stderr)")

        // `show` names the delivery and when each attempt came after the first.
        let shown = try await runHookscope(["show", "3", "--db", db], environment: cleanEnvironment())
        let text = String(decoding: shown.stdout, as: UTF8.self)
        #expect(text.contains("event: issues.opened\n"), "\(text)")
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("delivery: ") }, "\(text)")
        #expect(line.hasPrefix("delivery: \(Self.deliveryID), attempt 3 of 3 · +0s, +"), "\(line)")
        // The offsets are the gaps the client left (at least 0.3 s each), in order.
        let offsets = line.split(separator: "·").last!.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces).dropFirst().dropLast()) ?? -1 }
        #expect(offsets.count == 3 && offsets[0] == 0 && offsets[1] >= 0.3 && offsets[2] >= offsets[1] + 0.3, "\(line)")
    }
}
