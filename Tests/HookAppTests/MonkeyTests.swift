import Foundation
import HookCore
import HookStore
import HookTestSupport
import Testing
import TermUI
@testable import HookApp

/// Random keys, resizes, clicks and arriving captures (2,500 events) from a fixed seed (the same on every run),
/// with hostile and odd captures in the store. After every event the screen is drawn, and it must
/// hold no raw control character, escape, bidi override or zero-width character anywhere (help,
/// prompts, zoomed panes, every body view, search), and its wide characters must be whole.
@Suite struct MonkeyTests {

    static let json = [HeaderField("Content-Type", "application/json")]

    static func captures() -> [CapturedRequest] {
        let nested = String(repeating: "{\"a\":[", count: 300) + "1" + String(repeating: "]}", count: 300)
        return [
            Sample.request("/x\u{1b}]0;pwned\u{07}\u{202E}gpj", body: "line\u{1b}[2J\r\u{200B}end\u{9b}31m",
                           headers: [HeaderField(name: "X-Evil\u{1b}", rawValue: [0x1b, 0x5b, 0x32, 0x4a, 0x0d, 0xff, 0xc2, 0x9b])], second: 0),
            Sample.request("/json", body: "{\"k\u{1b}[31m\":\"v\u{2066}\u{202E}\",\"wide\":\"日本語テキスト😀\",\"n\":[1,2.5e300,null,true]}", headers: json, second: 1),
            Sample.request("/deep", body: nested, headers: json, second: 2),
            Sample.request("/form", body: "a=1&b=%1B%5B2J&c=%E2%80%AE&d", headers: [HeaderField("Content-Type", "application/x-www-form-urlencoded")], second: 3),
            Sample.request("/multipart", body: "--XX\r\nContent-Disposition: form-data; name=\"f\u{1b}\"\r\n\r\nval\u{7}\r\n--XX--\r\n",
                           headers: [HeaderField("Content-Type", "multipart/form-data; boundary=XX")], second: 4),
            Sample.request("/xml", body: "<a><b x=\"\u{1b}[2J\">t\u{202E}</b><c/></a>", headers: [HeaderField("Content-Type", "application/xml")], second: 5),
            CapturedRequest(
                receivedAt: CaptureTime(nanosecondsSince1970: 1_795_000_006_000_000_000), method: "PO\u{1b}ST", rawTarget: [0x2f, 0xff, 0x1b, 0x9b],
                headers: [HeaderField(name: "Content-Type", rawValue: Array("application/octet-stream".utf8))], remoteAddress: "127.0.0.1:1",
                body: Data((0...255).map { UInt8($0) } + [0xf0, 0x9f, 0x98]), response: CapturedResponse(status: 200)),
            Sample.request("/long", body: String(repeating: "very long line without a break \u{1b}[0m ", count: 400), second: 7),
            Sample.request("/empty", body: "", headers: [], status: 413, second: 8),
            Sample.request("/\u{200D}\u{FEFF}\u{2028}\u{85}tab\there", method: "GET", body: "\t\u{0}\u{7f}", second: 9),
        ]
    }

    static let keys: [Key] = {
        var keys: [Key] = [.up, .down, .left, .right, .home, .end, .pageUp, .pageDown, .enter, .tab, .backTab, .escape, .backspace, .delete]
        keys += "jkhlgGvbfrRsyxedD?/nNq: 1a-\u{1b}".map { Key.character($0) }
        keys += "wuclz".map { Key.control($0) }
        keys += [.function(1), .function(5)]
        return keys
    }()

    @Test func randomKeysResizesAndClicksKeepTheScreenSafe() async throws {
        let exports = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-monkey-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: exports) }
        let store = try await Sample.store(Self.captures())
        var h = await AppHarness(
            store: store, size: Size(width: 100, height: 30), replayTo: "http://127.0.0.1:9/hook",
            explain: { _ in ["signed string: \u{1b}[2J t.body", "expected \u{202E}abc"] },
            replay: { id, target, resign in
                ReplayAttempt(
                    requestID: id, startedAt: CaptureTime(nanosecondsSince1970: 0), targetURL: target, resigned: resign,
                    changedHeaders: ["Host"], response: CapturedResponse(status: 500, headers: [HeaderField("X-Bad", "\u{1b}[2J")], body: Data("oops\u{1b}]0;t\u{7}".utf8)),
                    error: nil, durationNanoseconds: 1_000)
            },
            clipboard: { _ in }, exportDirectory: exports, addSecret: { _, _ in },
            replayEdited: { request, target, _ in
                ReplayAttempt(requestID: request.id, startedAt: CaptureTime(nanosecondsSince1970: 0), targetURL: target, resigned: false,
                              changedHeaders: [], response: nil, error: "refused \u{1b}[31m", durationNanoseconds: 1)
            },
            editFile: { _ in false })
        var random = SeededGenerator(seed: 20_261_130)
        var problems: [String] = []
        var arrivals = 0
        for step in 0..<2_500 {
            let event: AppEvent
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<4:
                event = .input(.resize(Size(width: Int.random(in: 1...160, using: &random), height: Int.random(in: 1...50, using: &random))))
            case 4..<10:
                let button: [MouseButton] = [.left, .wheelUp, .wheelDown, .right]
                event = .input(.mouse(MouseEvent(
                    button: button.randomElement(using: &random)!, x: Int.random(in: -1...h.state.size.width, using: &random),
                    y: Int.random(in: -1...h.state.size.height, using: &random))))
            case 10..<12:
                arrivals += 1
                var request = Self.captures().randomElement(using: &random)!
                request.receivedAt = CaptureTime(nanosecondsSince1970: 1_795_000_100_000_000_000 + Int64(arrivals) * 1_000_000)
                let stored = try await store.insert(request)
                event = .captured(stored.summary)
            default:
                event = .input(.key(Self.keys.randomElement(using: &random)!))
            }
            await h.send(event)
            // The session is CPU work between awaits that seldom suspend: let other suites'
            // tasks have the concurrency pool's threads now and then.
            await Task.yield()
            if let problem = Self.problem(in: h.grid()) {
                problems.append("step \(step) after \(event): \(problem)")
                if problems.count >= 5 { break }
            }
        }
        let safe = problems.isEmpty
        #expect(safe, "\(problems.joined(separator: "\n"))")
    }

    /// A raw character that acts on a terminal, or a wide character cut in two; nil when the grid is safe.
    static func problem(in grid: CellGrid) -> String? {
        for y in 0..<grid.size.height {
            for x in 0..<grid.size.width {
                let cell = grid[x, y]
                for scalar in cell.text.unicodeScalars where acts(scalar) {
                    return "raw U+\(String(scalar.value, radix: 16, uppercase: true)) at \(x),\(y)"
                }
                if cell.width == 2 && (x + 1 >= grid.size.width || grid[x + 1, y].width != 0) {
                    return "wide character without its second cell at \(x),\(y)"
                }
                if cell.width == 0 && (x == 0 || grid[x - 1, y].width != 2) {
                    return "second cell of a wide character without its first at \(x),\(y)"
                }
            }
        }
        return nil
    }

    static func acts(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F...0x9F: true
        case 0x200B...0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029, 0xFEFF: true
        default: false
        }
    }
}
