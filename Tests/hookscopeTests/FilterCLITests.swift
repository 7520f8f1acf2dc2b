import Foundation
import HookTestSupport
import Testing

/// `--filter` in `list` and `export`: bad values are usage errors; the new terms work on a real store.
@Suite struct FilterCLITests {
    @Test(arguments: [
        ("sig:expird", "hookscope: --filter: bad sig: value 'expird': expected valid, invalid, no-secret, unsigned, expired or a provider id (see `hookscope providers`)"),
        ("forward:abc", "hookscope: --filter: bad forward pattern 'abc': expected a code like 404 or a class like 4xx"),
    ])
    func unknownValuesAreUsageErrors(filter: String, message: String) async throws {
        let db = try temporaryDirectory().appendingPathComponent("none.sqlite").path
        for command in ["list", "export"] {
            let result = try await runHookscope([command, "--db", db, "--filter", filter], environment: cleanEnvironment())
            #expect(result.status == 64, "\(command): \(result.stderr)")
            #expect(result.stderr.hasPrefix(message), "\(command): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test func textFindsJSONEscapesAndExpiredAndForwardWork() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("c.sqlite").path
        let listener = try await ListenerProcess(["--db", db])
        let port = listener.port
        let status = await onOwnThread { () -> Int? in
            guard let client = try? RawClient(port: port) else { return nil }
            let body = Array(#"{"name":"Caf\u00e9"}"#.utf8)
            let head = Array("POST /menu HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
            return client.exchange(head + body)
        }
        #expect(status == 200)
        listener.kill(SIGTERM)
        _ = await listener.waitForExit()
        func listed(_ filter: String) async throws -> String {
            let result = try await runHookscope(["list", "--db", db, "--filter=" + filter], environment: cleanEnvironment())
            #expect(result.status == 0, "\(filter): \(result.stderr)")
            return String(decoding: result.stdout, as: UTF8.self)
        }
        #expect(try await listed("Café").contains("/menu"))
        #expect(try await listed("café").contains("/menu"))
        #expect(try await listed("sig:expired") == "")
        #expect(try await listed("forward:2xx") == "")
        #expect(try await listed("-forward:2xx").contains("/menu"))
    }
}
