import Foundation
import HookTestSupport
import Testing

/// The listener, end to end: a flood of wrongly signed requests leaves some verdicts stored without
/// their cause (the diagnosis budget ran out); once the flood is over the listener explains them
/// and `list --json` shows the explanation.
@Suite struct CatchUpTests {
    static let marker = "cause not looked for"

    /// The stored details of the invalid verdicts (`list --json`).
    func invalidDetails(_ db: String) async throws -> [String] {
        let list = try await runHookscope(["list", "--json", "--db", db], environment: cleanEnvironment())
        #expect(list.status == 0, "\(list.stderr)")
        return String(decoding: list.stdout, as: UTF8.self).split(separator: "\n").compactMap { line in
            guard let signature = jsonObject(line)?["signature"] as? [String: Any], signature["status"] as? String == "invalid" else { return nil }
            return signature["detail"] as? String
        }
    }

    /// Rounds of 400 wrongly signed 2 KB webhooks until the budget has run out at least once (a
    /// verdict is stored without its cause); returns how many were sent. With `pausing`, the
    /// listener is stopped while the store is looked at, so that nothing is explained meanwhile.
    func floodUntilUnexplained(_ listener: ListenerProcess, db: String, pausing: Bool = false) async throws -> Int {
        let port = listener.port
        let body = "{\"id\":\"evt_1\",\"type\":\"payment_intent.succeeded\",\"pad\":\"\(String(repeating: "x", count: 1900))\"}"
        let signature = "Stripe-Signature: t=\(Int(Date().timeIntervalSince1970)),v1=\(String(repeating: "0", count: 64))"
        var sent = 0
        var unexplained = 0
        while unexplained == 0 && sent < 12_000 {
            let statuses = await onOwnThread { () -> [Int?] in
                guard let client = try? RawClient(port: port) else { return [nil] }
                return (0..<400).map { _ in client.post(path: "/stripe", body: body, headers: [signature]) }
            }
            #expect(statuses.allSatisfy { $0 == 200 })
            sent += statuses.count
            if pausing { listener.kill(SIGSTOP) }
            unexplained = try await invalidDetails(db).filter { $0.contains(Self.marker) }.count
            if pausing { listener.kill(SIGCONT) }
        }
        try #require(unexplained > 0, "the budget never ran out in \(sent) requests")
        return sent
    }

    @Test func mismatchesStoredWithoutTheirCauseAreExplainedOnceTheFloodIsOver() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("c.sqlite").path
        let listener = try await ListenerProcess(["--db", db, "--secret", "stripe=whsec_not_the_signer"])
        listener.discardOutput()
        let sent = try await floodUntilUnexplained(listener, db: db)

        // Then, with nothing more arriving, they are explained, a few a second.
        let deadline = ContinuousClock.now + .seconds(240)
        var details = try await invalidDetails(db)
        while details.contains(where: { $0.contains(Self.marker) }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(500))
            details = try await invalidDetails(db)
        }
        #expect(details.count == sent, "every capture is still invalid")
        #expect(!details.contains { $0.contains(Self.marker) }, "\(details.filter { $0.contains(Self.marker) }.count) still without their cause")
        #expect(details.allSatisfy { $0.hasPrefix("signature mismatch") })
        listener.kill(SIGTERM)
        _ = await listener.waitForExit()
    }

    /// Killed before it could explain them, the listener explains them after it starts again, also
    /// when more than 10,000 other captures were stored on top of them in between (by a run without
    /// the secret, which cannot explain them).
    @Test func afterARestartTheyAreExplainedWhateverTheirAge() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("c.sqlite").path
        var listener = try await ListenerProcess(["--db", db, "--secret", "stripe=whsec_not_the_signer"])
        listener.discardOutput()
        let sent = try await floodUntilUnexplained(listener, db: db, pausing: true)
        listener.kill(SIGSTOP)
        listener.kill(SIGKILL)
        _ = await listener.waitForExit()
        try #require(try await invalidDetails(db).contains { $0.contains(Self.marker) }, "every verdict was explained before the kill")

        listener = try await ListenerProcess(["--db", db])
        listener.discardOutput()
        let port = listener.port
        let statuses = await onOwnThread { () -> [Int?] in
            (0..<21).flatMap { _ -> [Int?] in
                guard let client = try? RawClient(port: port) else { return [nil] }
                return (0..<500).map { _ in client.post(path: "/other", body: "{}", headers: []) }
            }
        }
        #expect(statuses.count == 10_500 && statuses.allSatisfy { $0 == 200 })
        listener.kill(SIGTERM)
        _ = await listener.waitForExit()
        try #require(try await invalidDetails(db).contains { $0.contains(Self.marker) }, "explained without the secret")

        listener = try await ListenerProcess(["--db", db, "--secret", "stripe=whsec_not_the_signer"])
        listener.discardOutput()
        let deadline = ContinuousClock.now + .seconds(240)
        var details = try await invalidDetails(db)
        while details.contains(where: { $0.contains(Self.marker) }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(500))
            details = try await invalidDetails(db)
        }
        #expect(details.count == sent)
        #expect(!details.contains { $0.contains(Self.marker) }, "\(details.filter { $0.contains(Self.marker) }.count) still without their cause")
        listener.kill(SIGTERM)
        _ = await listener.waitForExit()
    }
}
