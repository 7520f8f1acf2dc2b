import Foundation
import HookCore
import HookStore
import Testing
import TermUI
@testable import HookApp

/// Frame-time benchmark, not a unit test: runs only when HOOKSCOPE_BENCH is set, and then reads the
/// capture databases listed in HOOKSCOPE_BENCH_DBS (comma-separated paths, e.g. made by
/// bench/tui-fill-store.sh). It prints timings and asserts nothing about them.
///
///     HOOKSCOPE_BENCH=1 HOOKSCOPE_BENCH_DBS=/tmp/s10.sqlite,/tmp/s1m.sqlite \
///       swift test --filter FrameTimeBenchmark
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["HOOKSCOPE_BENCH"] != nil))
struct FrameTimeBenchmark {
    static let size = Size(width: 120, height: 40)

    static func median(_ values: [Duration]) -> Duration {
        values.sorted()[values.count / 2]
    }

    static func p95(_ values: [Duration]) -> Duration {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.95).rounded(.up)) - 1)]
    }

    static func ms(_ d: Duration) -> String {
        let c = d.components
        return String(format: "%.3f ms", Double(c.seconds) * 1000 + Double(c.attoseconds) / 1e15)
    }

    /// Times `body` `count` times.
    static func time(_ count: Int, _ body: () async throws -> Void) async rethrows -> [Duration] {
        let clock = ContinuousClock()
        var samples: [Duration] = []
        samples.reserveCapacity(count)
        for _ in 0..<count {
            let start = clock.now
            try await body()
            samples.append(clock.now - start)
        }
        return samples
    }

    static func report(_ name: String, _ samples: [Duration]) {
        print("  \(name): median \(ms(median(samples))), p95 \(ms(p95(samples))), n=\(samples.count)")
    }

    @Test func frameTimeAndWindowLoad() async throws {
        let paths = (ProcessInfo.processInfo.environment["HOOKSCOPE_BENCH_DBS"] ?? "")
            .split(separator: ",").map(String.init).filter { !$0.isEmpty }
        #expect(!paths.isEmpty, "set HOOKSCOPE_BENCH_DBS to comma-separated capture databases")
        for path in paths {
            let store = try SQLiteRequestStore(path: path)
            let total = try await store.count()
            var harness = await AppHarness(store: store, size: Self.size)
            // The app loaded the count and the newest window, and selected the newest capture.
            #expect(harness.state.list.total == total)
            #expect(harness.state.selectedSummary?.id == Int64(total))
            #expect(harness.screenText().contains("│ \(total) capture"))
            print("FrameTimeBenchmark \(path): \(total) captures, \(Self.size.width)x\(Self.size.height)")

            // Pure render of the main screen (list, headers, body, signature, status) into a grid.
            var grid = CellGrid(size: Self.size)
            let state = harness.state
            let render = await Self.time(500) { MainScreen.render(state, into: &grid) }
            Self.report("render MainScreen", render)

            // The store window load the list does when it scrolls: the visible rows at the newest end
            // (the largest OFFSET) and at the oldest end.
            let rows = harness.state.layout.list.height
            let newest = try await Self.time(50) { _ = try await store.summaries(offset: max(0, total - rows), limit: rows) }
            Self.report("window load at newest (offset \(max(0, total - rows)), \(rows) rows)", newest)
            let oldest = try await Self.time(50) { _ = try await store.summaries(offset: 0, limit: rows) }
            Self.report("window load at oldest (offset 0, \(rows) rows)", oldest)
            let one = try await Self.time(50) { _ = try await store.request(id: Int64(total)) }
            Self.report("load one capture (headers + body)", one)

            // One key end to end in-process: apply `k`, run its effects (window, capture, body format,
            // signature) against the store, render the frame. Up to 100 up from the newest, as many back down.
            let steps = min(100, total - 1)
            var keys: [Duration] = []
            for i in 0..<(2 * steps) {
                let key = i < steps ? "k" : "j"
                let before = harness.state.list.selected
                let sample = await Self.time(1) {
                    await harness.type(key)
                    _ = harness.grid()
                }
                keys += sample
                #expect(harness.state.list.selected == before + (key == "k" ? -1 : 1))
            }
            Self.report("key k/j + effects + render", keys)
        }
    }
}
