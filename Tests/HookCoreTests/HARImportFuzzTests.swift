import Foundation
import HookTestSupport
import Testing
@testable import HookCore

/// A HAR file is untrusted input (`hookscope import`): anybody can hand one over. Exported captures
/// with their values replaced by extremes (Int64's bounds, huge and negative numbers, dates far
/// outside 1970 ± 292 years, wrong types, missing keys), from a fixed seed: an import either fails
/// with its one-line error or gives captures that every reader of captures can show and export.
@Suite struct HARImportFuzzTests {

    static func extremes() -> [Any] { [
        Int64.max, Int64.min, -1, 0, 1e300, -1e300, 0.5, "", "not a date", "9999-12-31T23:59:59.999Z", "0001-01-01T00:00:00Z",
        "1677-09-21T00:12:43Z", "2262-04-11T23:47:17Z", "2026-11-30T00:00:00+99:99", "\u{1b}[2J\u{202E}\u{0}", "%%%", "////",
        "=", "AAAA", "_w==", "http://", "HTTP/9.9", "base64", NSNull(), [Any](), [String: Any](), true,
    ] }

    /// Every leaf of the JSON tree, as a path of keys and indices.
    static func leaves(_ value: Any, _ path: [Any] = []) -> [[Any]] {
        if let object = value as? [String: Any] {
            return object.keys.sorted().flatMap { leaves(object[$0]!, path + [$0]) } + (path.isEmpty ? [] : [path])
        }
        if let array = value as? [Any] {
            return array.indices.flatMap { leaves(array[$0], path + [$0]) } + (path.isEmpty ? [] : [path])
        }
        return [path]
    }

    /// The tree with the value at `path` replaced (nil: removed).
    static func replacing(_ value: Any, at path: ArraySlice<Any>, with new: Any?) -> Any? {
        guard let first = path.first else { return new }
        if var object = value as? [String: Any], let key = first as? String, let child = object[key] {
            object[key] = replacing(child, at: path.dropFirst(), with: new)
            return object
        }
        if var array = value as? [Any], let index = first as? Int, array.indices.contains(index) {
            if let replaced = replacing(array[index], at: path.dropFirst(), with: new) {
                array[index] = replaced
            } else {
                array.remove(at: index)
            }
            return array
        }
        return value
    }

    static func captures() -> [CapturedRequest] {
        func capture(_ target: String, _ body: [UInt8], _ headers: [HeaderField], refusal: Refusal? = nil) -> CapturedRequest {
            CapturedRequest(
                id: 7, receivedAt: CaptureTime(nanosecondsSince1970: 1_795_000_000_123_456_000), method: "POST", rawTarget: Array(target.utf8),
                headers: headers, remoteAddress: "127.0.0.1:5000", body: Data(body), refusal: refusal,
                response: CapturedResponse(status: 200, headers: [HeaderField("X-A", "b")], body: Data("ok".utf8)),
                signature: SignatureSummary(provider: "stripe", status: .invalid, detail: "signature mismatch"))
        }
        return [
            capture("/json?a=1", Array(#"{"a":[1,2,{"b":"é"}]}"#.utf8), [HeaderField("Content-Type", "application/json"), HeaderField("Stripe-Signature", "t=1,v1=00")]),
            capture("/bin", [0x00, 0xff, 0x1b, 0x9b, 0xc3], [HeaderField(name: "X-Bytes", rawValue: [0xff, 0x41])]),
            capture("/form", Array("a=1&b=%FF".utf8), [HeaderField("Content-Type", "application/x-www-form-urlencoded")], refusal: .bodyTooLarge),
        ]
    }

    /// A HAR from another tool has no `_hookscope` part: the capture time comes from
    /// `startedDateTime`, which can be any date. One past 2262 crashed the import.
    @Test(arguments: ["9999-12-31T23:59:59.000Z", "0001-01-01T00:00:00Z", "2262-04-12T00:00:00Z"])
    func aStartTimeACaptureCannotHoldIsAnError(_ started: String) throws {
        var entry = HARExporter.entry(for: Self.captures()[0], baseURL: "http://127.0.0.1:9777")
        entry._hookscope = nil
        entry.startedDateTime = started
        let document = HARDocument(log: HARLog(version: "1.2", creator: HARCreator(name: "other", version: "1"), entries: [entry]))
        let data = try JSONEncoder().encode(document)
        #expect {
            _ = try HARImporter.requests(from: data)
        } throws: { error in
            "\(error)".contains("startedDateTime '\(started)' is outside what a capture time holds (1677-09-22 to 2262-04-11)")
        }
        entry.startedDateTime = "2261-12-31T23:59:59.250Z"
        let inRange = try JSONEncoder().encode(HARDocument(log: HARLog(version: "1.2", creator: HARCreator(name: "other", version: "1"), entries: [entry])))
        #expect(try HARImporter.requests(from: inRange).first?.receivedAt.rfc3339.hasPrefix("2261-12-31T23:59:59.250") == true)
    }

    /// On the tests' CPU work queue: off the concurrency pool, and one such job at a time.
    @Test func mutatedHARFilesImportOrFailCleanly() async throws {
        let problems = try await onCPUWorkQueue { try Self.fuzzImports() }
        let clean = problems.isEmpty
        #expect(clean, "\(problems.prefix(8).joined(separator: "\n"))")
    }

    /// What went wrong (nothing: empty). Issues are collected, not expected, off the test's task.
    static func fuzzImports() throws -> [String] {
        var problems: [String] = []
        let exported = try HARExporter.data(for: Self.captures(), baseURL: "http://127.0.0.1:9777")
        let document = try JSONSerialization.jsonObject(with: exported)
        let paths = Self.leaves(document)
        let extremes = Self.extremes()
        var random = SeededGenerator(seed: 20_261_130)
        var imported = 0
        var refused = 0
        for _ in 0..<600 {
            var mutated: Any = document
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let path = paths.randomElement(using: &random)!
                let new: Any? = Int.random(in: 0..<8, using: &random) == 0 ? nil : extremes.randomElement(using: &random)!
                mutated = Self.replacing(mutated, at: path[...], with: new) ?? mutated
            }
            let data = try JSONSerialization.data(withJSONObject: mutated)
            let requests: [CapturedRequest]
            do {
                requests = try HARImporter.requests(from: data)
            } catch {
                if error.description.isEmpty || error.description.contains("\n") { problems.append("message \(error.description.debugDescription)") }
                refused += 1
                continue
            }
            imported += 1
            for request in requests {
                // What list, show, the TUI and the exports do with a capture.
                _ = request.receivedAt.rfc3339
                _ = CaptureJSON.line(for: request)
                _ = try HARExporter.data(for: [request], baseURL: "http://127.0.0.1:9777")
                _ = CurlExporter.command(for: request, baseURL: "http://127.0.0.1:9777")
                _ = RawHTTPExporter.data(for: request)
                for view in BodyFormatterRegistry.views(for: request) {
                    let formatted = BodyFormatterRegistry.format(request, as: view)
                    for i in 0..<min(formatted.lineCount, 50) { _ = formatted.line(at: i) }
                }
                if request.bodySize < 0 { problems.append("an imported capture claims \(request.bodySize) bytes") }
            }
        }
        // Both sides were reached: some mutations import, some are refused.
        if imported <= 50 || refused <= 50 { problems.append("imported \(imported), refused \(refused)") }
        return problems
    }
}
