import Foundation
import HookCore
import HookTestSupport
import Testing

@Suite struct ExportTests {
    /// Hostile requests: quotes, $(...), backticks, newlines, NUL, invalid UTF-8, binary, a credential.
    static let hostileBodies: [[UInt8]] = [
        Array("{\"q\":\"it's $(touch /tmp/hookscope-pwned) `id` \\\"quoted\\\"\"}\n".utf8),
        [0x00, 0x01, 0xff, 0xfe, 0x0a, 0x0d, 0x27, 0x22, 0x24, 0x60, 0x5c] + Array(0...255),
        Array("line1\nline2\r\n'single' \"double\" $HOME ${PATH} !event".utf8),
    ]

    func capture(into db: String, extra: [String] = []) async throws -> ListenerProcess {
        let listener = try await ListenerProcess(["--db", db] + extra)
        let port = listener.port
        let statuses = await onOwnThread { () -> [Int?] in
            guard let client = try? RawClient(port: port) else { return [] }
            var results: [Int?] = []
            for (index, body) in Self.hostileBodies.enumerated() {
                var head = Array("POST /hook/\(index)?a='b'&c=$(x)&d=%0A HTTP/1.1\r\nHost: test\r\n".utf8)
                head += Array("X-Quote: it's \"x\" $(id) `id`\r\nX-Raw: ".utf8) + [0xff, 0xc3, 0x28] + Array("\r\n".utf8)
                head += Array("Authorization: Bearer sk_live_topsecret_value\r\nX-Dup: 1\r\nx-dup: 2\r\n".utf8)
                head += Array("Content-Length: \(body.count)\r\n\r\n".utf8)
                results.append(client.exchange(head + body))
            }
            return results
        }
        #expect(statuses == [200, 200, 200])
        return listener
    }

    /// A new store in a new directory holding the captures of `capture(into:)`, the listener stopped.
    func capturedStore(named name: String = "c.sqlite") async throws -> (directory: URL, db: String) {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent(name).path
        let listener = try await capture(into: db)
        listener.kill(SIGTERM)
        _ = await listener.waitForExit()
        return (directory, db)
    }

    func jsonLines(_ db: String) async throws -> [[String: Any]] {
        let list = try await runHookscope(["list", "--json", "--db", db])
        #expect(list.status == 0)
        return String(decoding: list.stdout, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// The fields of a JSON line that describe the request itself (not its id, nor who sent it).
    func requestFields(_ line: [String: Any]) -> String {
        let keys = ["method", "target", "headers", "body_base64", "body_size", "received_at", "response_status"]
        let picked = keys.map { key in "\(key)=\(String(describing: line[key] ?? "nil"))" }
        return picked.joined(separator: "|")
    }

    @Test func harExportThenImportKeepsEveryByte() async throws {
        let (directory, source) = try await capturedStore(named: "source.sqlite")
        let har = directory.appendingPathComponent("captures.har").path
        let export = try await runHookscope(["export", "--har", "--include-secrets", "--db", source, "--output", har])
        #expect(export.status == 0, "\(export.stderr)")
        let target = directory.appendingPathComponent("target.sqlite").path
        let imported = try await runHookscope(["import", har, "--db", target])
        #expect(imported.status == 0, "\(imported.stderr)")
        let before = try await jsonLines(source).map(requestFields)
        let after = try await jsonLines(target).map(requestFields)
        #expect(before.count == Self.hostileBodies.count)
        #expect(after == before)
    }

    @Test func harFollowsTheHAR12Shape() async throws {
        let (_, db) = try await capturedStore()
        let export = try await runHookscope(["export", "--db", db])
        #expect(export.status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: export.stdout) as? [String: Any])
        let log = try #require(document["log"] as? [String: Any])
        #expect(log["version"] as? String == "1.2")
        #expect((log["creator"] as? [String: Any])?["name"] as? String == "hookscope")
        let entries = try #require(log["entries"] as? [[String: Any]])
        #expect(entries.count == Self.hostileBodies.count)
        for entry in entries {
            // Required members of HAR 1.2 entries, requests, responses, content and timings.
            for key in ["startedDateTime", "time", "request", "response", "cache", "timings"] {
                #expect(entry[key] != nil, "entry lacks \(key)")
            }
            let request = try #require(entry["request"] as? [String: Any])
            for key in ["method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"] {
                #expect(request[key] != nil, "request lacks \(key)")
            }
            // Aimed where the capture arrived (the listener's port 0 picked one).
            let local = try #require((entry["_hookscope"] as? [String: Any])?["localAddress"] as? String)
            #expect(local.hasPrefix("127.0.0.1:") && local != "127.0.0.1:9777")
            #expect((request["url"] as? String)?.hasPrefix("http://\(local)/hook/") == true)
            let response = try #require(entry["response"] as? [String: Any])
            for key in ["status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL", "headersSize", "bodySize"] {
                #expect(response[key] != nil, "response lacks \(key)")
            }
            let content = try #require(response["content"] as? [String: Any])
            #expect(content["size"] is Int && content["mimeType"] is String)
            let timings = try #require(entry["timings"] as? [String: Any])
            for key in ["send", "wait", "receive"] { #expect(timings[key] is Int || timings[key] is Double) }
            for header in try #require(request["headers"] as? [[String: Any]]) {
                #expect(header["name"] is String && header["value"] is String)
            }
        }
    }

    @Test func curlCommandsReproduceTheCapturesByteForByte() async throws {
        let directory = try temporaryDirectory()
        let source = directory.appendingPathComponent("source.sqlite").path
        let sourceListener = try await capture(into: source)
        sourceListener.kill(SIGTERM)
        _ = await sourceListener.waitForExit()

        let replayDB = directory.appendingPathComponent("replayed.sqlite").path
        let recorder = try await ListenerProcess(["--db", replayDB])
        let export = try await runHookscope([
            "export", "--curl", "--include-secrets", "--db", source, "--base-url", "http://127.0.0.1:\(recorder.port)",
        ])
        #expect(export.status == 0)
        let script = String(decoding: export.stdout, as: UTF8.self)
        let marker = "/tmp/hookscope-pwned"
        try? FileManager.default.removeItem(atPath: marker)
        let run = try await runProcess("/bin/bash", ["-c", script + "\n"])
        #expect(run == 0)
        #expect(!FileManager.default.fileExists(atPath: marker), "a captured byte ran a shell command")
        recorder.kill(SIGTERM)
        _ = await recorder.waitForExit()

        func comparable(_ line: [String: Any]) -> String {
            ["method", "target", "headers", "body_base64"].map { "\($0)=\(String(describing: line[$0] ?? "nil"))" }.joined(separator: "|")
        }
        let original = try await jsonLines(source).map(comparable)
        let replayed = try await jsonLines(replayDB).map(comparable)
        #expect(replayed.count == original.count)
        #expect(replayed == original)
    }

    @Test func byDefaultTheRedactedHeadersAreTheOnlyDifference() async throws {
        let directory = try temporaryDirectory()
        let source = directory.appendingPathComponent("source.sqlite").path
        let sourceListener = try await capture(into: source)
        sourceListener.kill(SIGTERM)
        _ = await sourceListener.waitForExit()
        let replayDB = directory.appendingPathComponent("replayed.sqlite").path
        let recorder = try await ListenerProcess(["--db", replayDB])
        let export = try await runHookscope(["export", "--curl", "--db", source, "--base-url", "http://127.0.0.1:\(recorder.port)"])
        #expect(try await runProcess("/bin/bash", ["-c", String(decoding: export.stdout, as: UTF8.self) + "\n"]) == 0)
        recorder.kill(SIGTERM)
        _ = await recorder.waitForExit()
        func withAuthorization(_ line: [String: Any], replacedBy value: String?) -> String {
            let headers = (line["headers"] as? [[String]] ?? []).map { pair in
                pair[0].lowercased() == "authorization" ? [pair[0], value ?? pair[1]] : pair
            }
            return ["\(line["method"] ?? "")", "\(line["target"] ?? "")", "\(headers)", "\(line["body_base64"] ?? "")"].joined(separator: "|")
        }
        let original = try await jsonLines(source).map { withAuthorization($0, replacedBy: "<redacted>") }
        let replayed = try await jsonLines(replayDB).map { withAuthorization($0, replacedBy: nil) }
        #expect(replayed == original)
        let raw = try await jsonLines(replayDB).map { withAuthorization($0, replacedBy: nil) }.joined()
        #expect(!raw.contains("sk_live_topsecret_value"))
    }

    @Test func redactionHoldsInEveryFormat() async throws {
        let (_, db) = try await capturedStore()
        for format in ["--har", "--curl", "--raw"] {
            let export = try await runHookscope(["export", format, "--db", db])
            #expect(export.status == 0)
            let bytes = [UInt8](export.stdout)
            let secret = Array("sk_live_topsecret_value".utf8)
            #expect(!contains(bytes, secret), "\(format) leaked the Authorization value")
            #expect(!contains(bytes, Array(Data(secret).base64EncodedString().utf8)), "\(format) leaked it in base64")
            #expect(contains(bytes, Array("<redacted>".utf8)))
            let kept = try await runHookscope(["export", format, "--include-secrets", "--db", db])
            #expect(contains([UInt8](kept.stdout), secret) || contains([UInt8](kept.stdout), Array(Data(secret).base64EncodedString().utf8)))
        }
    }

    /// More captures than one batch of the store (500): every format writes each capture once, in
    /// order, whether to a file or to standard output.
    @Test func exportsLargerThanABatchAreComplete() async throws {
        let directory = try temporaryDirectory()
        let count = 1_201
        // Another tool's HAR 1.2 (text bodies, no hookscope fields), imported: the quickest way to fill a store.
        let entries: [[String: Any]] = (1...count).map { n in
            [
                "startedDateTime": "2026-11-29T10:00:00.000Z", "time": 1, "cache": [String: Any](),
                "timings": ["send": 0, "wait": 1, "receive": 0],
                "request": [
                    "method": "POST", "url": "http://h/n/\(n)", "httpVersion": "HTTP/1.1", "cookies": [Any](), "queryString": [Any](),
                    "headers": [["name": "Content-Type", "value": "application/json"]], "headersSize": -1, "bodySize": -1,
                    "postData": ["mimeType": "application/json", "text": "{\"n\":\(n),\"bidi\":\"\u{202E}\"}"],
                ] as [String: Any],
                "response": [
                    "status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "cookies": [Any](), "headers": [Any](),
                    "content": ["size": 0, "mimeType": "text/plain"], "redirectURL": "", "headersSize": -1, "bodySize": 0,
                ] as [String: Any],
            ]
        }
        let source = directory.appendingPathComponent("other-tool.har").path
        let document: [String: Any] = ["log": ["version": "1.2", "creator": ["name": "test", "version": "1"], "entries": entries]]
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: source))
        let db = directory.appendingPathComponent("c.sqlite").path
        let imported = try await runHookscope(["import", source, "--db", db])
        #expect(imported.status == 0, "\(imported.stderr)")

        let har = directory.appendingPathComponent("all.har").path
        let exported = try await runHookscope(["export", "--har", "--db", db, "-o", har])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stderr == "exported \(count) capture(s) to \(har)\n")
        let again = directory.appendingPathComponent("again.sqlite").path
        #expect(try await runHookscope(["import", har, "--db", again]).status == 0)
        let original = try await jsonLines(db).map(requestFields)
        #expect(original.count == count)
        let reimported = try await jsonLines(again).map(requestFields)
        #expect(reimported == original)
        // Standard output gets the same document.
        let piped = try await runHookscope(["export", "--har", "--db", db])
        #expect(piped.stdout == (try Data(contentsOf: URL(fileURLWithPath: har))))

        let curl = String(decoding: try await runHookscope(["export", "--curl", "--db", db]).stdout, as: UTF8.self)
        let ids = curl.split(separator: "\n").filter { $0.hasPrefix("# capture #") }.compactMap { Int($0.dropFirst(11).prefix { $0 != "," }) }
        #expect(ids == Array(1...count))
        // Raw requests are each preceded by their separator line, and split back into the captures.
        let raw = try await runHookscope(["export", "--raw", "--db", db]).stdout
        let messages = try RawHTTPExporter.split(raw)
        #expect(messages.map(\.id) == (1...count).map { Int64($0) })
        #expect(messages.allSatisfy { String(decoding: $0.message, as: UTF8.self).hasPrefix("POST /n/") })
        let lastMessage = String(decoding: messages.last?.message ?? Data(), as: UTF8.self)
        #expect(lastMessage.hasSuffix("{\"n\":\(count),\"bidi\":\"\u{202E}\"}"))
    }

    /// `export --curl` aims each command where its capture arrived (here a port picked by `--port
    /// 0`, not 9777) and says so; with `-sS` the command prints only the answer, so it pipes.
    /// `export --raw` separates several captures with a line naming each one's size, and writes one
    /// capture alone.
    @Test func curlAimsWhereTheCaptureArrivedAndRawSeparatesCaptures() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("c.sqlite").path
        let listener = try await ListenerProcess(["--db", db, "--response-body", "answered"])
        let statuses = await onOwnThread { () -> [Int?] in
            guard let client = try? RawClient(port: listener.port) else { return [] }
            return [client.post(path: "/one", body: "first"), client.post(path: "/two", body: "second\r\n\r\nPOST /x HTTP/1.1")]
        }
        #expect(statuses == [200, 200])
        let export = try await runHookscope(["export", "--curl", "--id", "1", "--db", db])
        #expect(export.status == 0, "\(export.stderr)")
        let script = String(decoding: export.stdout, as: UTF8.self)
        #expect(script.contains("where it arrived"), "\(script)")
        #expect(script.contains("curl -sS "), "\(script)")
        #expect(script.contains(" http://127.0.0.1:\(listener.port)/one "), "\(script)")
        // Run as a user would paste it: the listener that captured it gets it again.
        let run = try await runShell(script)
        #expect(run.status == 0)
        #expect(run.stdout == "answered", "no progress meter or other noise: \(run.stdout)")
        #expect(run.stderr.isEmpty, "\(run.stderr)")
        listener.kill(SIGTERM)
        _ = await listener.waitForExit()

        let one = try await runHookscope(["export", "--raw", "--id", "2", "--db", db])
        #expect(String(decoding: one.stdout, as: UTF8.self).hasPrefix("POST /two HTTP/1.1\r\n"))
        let several = try await runHookscope(["export", "--raw", "--id", "1", "--id", "2", "--db", db])
        let text = String(decoding: several.stdout, as: UTF8.self)
        #expect(text.hasPrefix("#### hookscope raw capture #1: "), "\(text)")
        let messages = try RawHTTPExporter.split(several.stdout)
        #expect(messages.map(\.id) == [1, 2])
        #expect(messages.last?.message == one.stdout)
        try #require(messages.count == 2)
        #expect(try RawHTTPExporter.parse(messages[1].message).body == Data("second\r\n\r\nPOST /x HTTP/1.1".utf8))
    }

    /// `-o` to a regular file replaces it only once the export is complete; to a device it writes
    /// in place and, when that fails, says why and leaves the device alone.
    @Test func outputFilesAreReplacedWholeAndDevicesAreNeverRemoved() async throws {
        let (directory, db) = try await capturedStore()
        let file = directory.appendingPathComponent("out.sh").path
        try Data("old contents\n".utf8).write(to: URL(fileURLWithPath: file))
        let exported = try await runHookscope(["export", "--curl", "--db", db, "-o", file])
        #expect(exported.status == 0, "\(exported.stderr)")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.hasPrefix("# capture #1, "))
        #expect(!text.contains("old contents"))
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains("partial") }
        #expect(left.isEmpty, "temporary files left: \(left)")

        let full = try await runHookscope(["export", "--har", "--db", db, "-o", "/dev/full"])
        #expect(full.status != 0)
        #expect(full.stderr == "hookscope: cannot write /dev/full: No space left on device\n", "\(full.stderr)")
        #expect(FileManager.default.fileExists(atPath: "/dev/full"), "the export removed /dev/full")
    }

    /// Ctrl-C (or SIGTERM) during `export -o FILE` ends the export as the signal would, removes
    /// the temporary file and leaves the previous FILE as it was.
    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptedExportLeavesNoPartialFile(signal: Int32) async throws {
        let directory = try temporaryDirectory()
        // Enough captures that the export takes a while (about 1 s in a debug build on a quiet
        // machine): 600 bodies of 64 KiB, imported from another tool's HAR (text bodies).
        let body = String(repeating: "0123456789abcdef", count: 4096)
        var har = #"{"log":{"version":"1.2","creator":{"name":"test","version":"1"},"entries":["#
        for n in 1...600 {
            if n > 1 { har += "," }
            har += #"{"startedDateTime":"2026-11-29T10:00:00.000Z","request":{"method":"POST","url":"http://h/n/\#(n)","#
            har += #""httpVersion":"HTTP/1.1","headers":[],"postData":{"mimeType":"text/plain","text":"\#(body)"}}}"#
        }
        har += "]}}"
        let source = directory.appendingPathComponent("source.har").path
        try Data(har.utf8).write(to: URL(fileURLWithPath: source))
        let db = directory.appendingPathComponent("c.sqlite").path
        let imported = try await runHookscope(["import", source, "--db", db])
        #expect(imported.status == 0, "\(imported.stderr)")

        let file = directory.appendingPathComponent("out.har").path
        try Data("old contents\n".utf8).write(to: URL(fileURLWithPath: file))
        let export = ChildProcess()
        export.executableURL = try hookscopeBinary()
        export.arguments = ["export", "--har", "--db", db, "-o", file]
        export.environment = cleanEnvironment()
        export.standardOutput = FileHandle.nullDevice
        export.standardError = FileHandle.nullDevice
        export.standardInput = FileHandle.nullDevice
        try export.run()
        // The temporary file exists once the export has started writing; the signal goes then.
        let partial = "\(file).hookscope-partial-\(export.processIdentifier)"
        let started = await onOwnThread { () -> Bool in
            let deadline = ContinuousClock.now + .seconds(60)
            while !FileManager.default.fileExists(atPath: partial) {
                if !export.isRunning || ContinuousClock.now > deadline { return false }
                usleep(200)
            }
            return true
        }
        #expect(started, "the export never created \(partial)")
        kill(export.processIdentifier, signal)
        await onOwnThread { export.waitUntilExit() }
        #expect(export.terminationStatus == signal, "the export was not ended by the signal (status \(export.terminationStatus))")
        #expect(!FileManager.default.fileExists(atPath: partial), "the temporary file was left behind")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "old contents\n")
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains("partial") }
        #expect(left.isEmpty, "temporary files left: \(left)")
    }

    /// A browser's HAR (no `_hookscope` part) of an HTTP/2 webhook request: its pseudo-headers
    /// (`:method`, `:authority`, ...) used to be imported as header fields, so replay refused the
    /// capture and the curl export sent them, and its verdict was "unsigned" whatever it carried.
    /// Now they go (`:authority` becomes Host) and the signature is verified with the secrets given
    /// to `import`, at the time the request was made.
    @Test func aBrowsersHTTP2HARImportsAsAReplayableVerifiedCapture() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let har = directory.appendingPathComponent("chrome.har").path
        let entry = #"{"startedDateTime":"2023-11-14T22:13:25.000Z","time":12.5,"request":{"method":"POST","url":"https://api.example.com/webhooks/stripe","httpVersion":"http/2.0","headers":[{"name":":method","value":"POST"},{"name":":authority","value":"api.example.com"},{"name":":scheme","value":"https"},{"name":":path","value":"/webhooks/stripe"},{"name":"content-type","value":"application/json"},{"name":"stripe-signature","value":"t=1700000000,v1=a5d9de1d23a233e086ce2cd0940311c91c3039e7d92c0d96a82fda4881746747"}],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":17,"postData":{"mimeType":"application/json","text":"{\"hello\":\"world\"}"}},"response":{"status":200,"statusText":"","httpVersion":"http/2.0","headers":[],"cookies":[],"content":{"size":0,"mimeType":"x"},"redirectURL":"","headersSize":-1,"bodySize":0},"cache":{},"timings":{"send":0,"wait":0,"receive":0}}"#
        try Data((#"{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"entries":["# + entry + "]}}").utf8)
            .write(to: URL(fileURLWithPath: har))
        for (arguments, status) in [(["--secret", "stripe=test_secret"], "valid"), (["--secret", "stripe=other_secret"], "invalid"), ([], "no-secret")] {
            let db = directory.appendingPathComponent("\(status).sqlite").path
            let imported = try await runHookscope(["import", har, "--db", db] + arguments)
            #expect(imported.status == 0, "\(imported.stderr)")
            let line = try #require(try await jsonLines(db).first)
            let signature = line["signature"] as? [String: Any]
            #expect(signature?["provider"] as? String == "stripe")
            #expect(signature?["status"] as? String == status)
            let names = (line["headers"] as? [[String]] ?? []).map { $0[0] }
            #expect(names == ["Host", "content-type", "stripe-signature"], "\(names)")
        }
        // The capture replays (nothing refused), and its curl command has no pseudo-header.
        let db = directory.appendingPathComponent("valid.sqlite").path
        let curl = try await runHookscope(["export", "--curl", "--db", db])
        #expect(!String(decoding: curl.stdout, as: UTF8.self).contains("-H ':"))
        let replay = try await runHookscope(["replay", "1", "--db", db, "--to", "http://127.0.0.1:9/x"])
        #expect(!replay.stderr.contains("not a valid HTTP token"), "\(replay.stderr)")
    }

    @Test func aHARWithABadEntryImportsNothing() async throws {
        let (directory, db) = try await capturedStore()
        let good = try await runHookscope(["export", "--har", "--include-secrets", "--db", db])
        var document = try #require(try JSONSerialization.jsonObject(with: good.stdout) as? [String: Any])
        var log = try #require(document["log"] as? [String: Any])
        log["entries"] = (log["entries"] as? [Any] ?? []) + [["request": "not an object"]]
        document["log"] = log
        let har = directory.appendingPathComponent("bad.har").path
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: har))
        let target = directory.appendingPathComponent("target.sqlite").path
        let imported = try await runHookscope(["import", har, "--db", target])
        #expect(imported.status == 3)
        #expect(imported.stderr.hasPrefix("hookscope: \(har): entry \(Self.hostileBodies.count): not a HAR 1.2 entry"), "\(imported.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target), "a bad entry must import nothing")
        let missing = try await runHookscope(["import", directory.appendingPathComponent("nope.har").path, "--db", target])
        #expect(missing.stderr == "hookscope: cannot read \(directory.appendingPathComponent("nope.har").path): no such file\n")
        // A device and an empty file: what is wrong with them, not "you don't have permission".
        let device = try await runHookscope(["import", "/dev/null", "--db", target])
        #expect(device.status == 3)
        #expect(device.stderr == "hookscope: cannot import /dev/null: it is not a regular file (expected a HAR file, as `hookscope export --har` writes)\n")
        let empty = directory.appendingPathComponent("empty.har").path
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let emptyImport = try await runHookscope(["import", empty, "--db", target])
        #expect(emptyImport.stderr == "hookscope: cannot import \(empty): the file is empty (expected a HAR file, as `hookscope export --har` writes)\n")
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// Import stores as it reads, a batch at a time: a bad entry past the first batches takes back
    /// what was stored before it (an existing store is left as it was) and removes a database the
    /// import created.
    @Test func aBadEntryLateInALargeHARImportsNothingEither() async throws {
        let directory = try temporaryDirectory()
        func entry(_ n: Int) -> String {
            #"{"startedDateTime":"2026-11-29T10:00:00.000Z","request":{"method":"POST","url":"http://h/n/\#(n)","httpVersion":"HTTP/1.1","headers":[],"postData":{"mimeType":"text/plain","text":"\#(n)"}}}"#
        }
        let header = #"{"log":{"version":"1.2","creator":{"name":"test","version":"1"},"entries":["#
        let good = directory.appendingPathComponent("good.har").path
        try Data((header + (1...3).map(entry).joined(separator: ",") + "]}}").utf8).write(to: URL(fileURLWithPath: good))
        let bad = directory.appendingPathComponent("bad.har").path
        let badEntries = (1...1_200).map(entry) + [#"{"startedDateTime":"2026-11-29T10:00:00.000Z","request":{"url":"http://h/"}}"#]
        try Data((header + badEntries.joined(separator: ",") + "]}}").utf8).write(to: URL(fileURLWithPath: bad))

        let fresh = directory.appendingPathComponent("fresh.sqlite").path
        let intoFresh = try await runHookscope(["import", bad, "--db", fresh])
        #expect(intoFresh.status != 0)
        #expect(intoFresh.stderr.hasPrefix("hookscope: \(bad): entry 1200: "), "\(intoFresh.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("fresh.sqlite") }
        #expect(left.isEmpty, "the import left \(left)")

        let existing = directory.appendingPathComponent("existing.sqlite").path
        #expect(try await runHookscope(["import", good, "--db", existing]).status == 0)
        let before = try await jsonLines(existing).map(requestFields)
        let intoExisting = try await runHookscope(["import", bad, "--db", existing])
        #expect(intoExisting.status != 0)
        #expect(try await jsonLines(existing).map(requestFields) == before)
        #expect(before.count == 3)
        // The next import goes on from there.
        let again = try await runHookscope(["import", good, "--db", existing])
        #expect(again.status == 0)
        #expect(try await jsonLines(existing).count == 6)
    }

    @Test func badSelectionsGetClearErrors() async throws {
        let (directory, db) = try await capturedStore()
        let badFilter = try await runHookscope(["export", "--db", db, "--filter", "colour:red"])
        #expect(badFilter.status != 0)
        #expect(badFilter.stderr.hasPrefix("hookscope: --filter:"))
        let missing = try await runHookscope(["export", "--db", db, "--id", "42"])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("no capture with id 42"))
        // Nothing is written, and no file is left behind, when an id is missing.
        let notWritten = directory.appendingPathComponent("partial.har").path
        #expect(try await runHookscope(["export", "--db", db, "--id", "1", "--id", "42", "-o", notWritten]).status != 0)
        #expect(!FileManager.default.fileExists(atPath: notWritten))
        let unwritable = try await runHookscope(["export", "--db", db, "-o", directory.appendingPathComponent("no/such/dir/x.har").path])
        #expect(unwritable.status != 0)
        #expect(unwritable.stderr.hasPrefix("hookscope: cannot write "), "\(unwritable.stderr)")
        #expect(unwritable.stderr.split(separator: "\n").count == 1)
        let filtered = try await runHookscope(["export", "--curl", "--db", db, "--filter", "path:/hook/1"])
        #expect(String(decoding: filtered.stdout, as: UTF8.self).components(separatedBy: "# capture #").count == 2)
    }
}

func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= haystack.count else { return false }
    return (0...(haystack.count - needle.count)).contains { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
}

func runProcess(_ path: String, _ arguments: [String]) async throws -> Int32 {
    try await onOwnThread {
        Result { () throws -> Int32 in
            let process = ChildProcess()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
    }.get()
}

/// Runs a bash script; its exit status, stdout and stderr.
func runShell(_ script: String) async throws -> (status: Int32, stdout: String, stderr: String) {
    try await onOwnThread {
        Result { () throws -> (Int32, String, String) in
            let process = ChildProcess()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", script]
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let stdout = out.fileHandleForReading.readDataToEndOfFile()
            let stderr = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
        }
    }.get()
}
