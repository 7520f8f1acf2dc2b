import Foundation
import HookCore
import Testing

@testable import HookStore

/// Filter benchmark, not a unit test: runs only when HOOKSCOPE_BENCH_FILTER_DB names a capture
/// database (e.g. the one bench/filter-1m.sh keeps), and prints, for each filter, the time of the
/// first page the TUI asks for (`filterPage`, 512 summaries) and of the pages until the first
/// match, median of 5. It asserts nothing about the times.
///
///     HOOKSCOPE_BENCH_FILTER_DB=/tmp/s1m.sqlite swift test --filter FilterPageBenchmark
///
/// HOOKSCOPE_BENCH_FILTERS="method:POST;method:GET" runs those filters instead (`;` between them).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["HOOKSCOPE_BENCH_FILTER_DB"] != nil))
struct FilterPageBenchmark {
    static let filters = [
        "method:PUT", "sig:invalid", "status:404", "status:5xx", "status:2xx", "id:500000-", "sig:github",
        "method:PUT sig:invalid", "sig:github -status:2xx", "zebracorn", "ZebraCorn method:POST", "payment_intent",
        "method:POST", "method:GET",
    ]

    @Test func firstPageOfEachFilter() async throws {
        let path = ProcessInfo.processInfo.environment["HOOKSCOPE_BENCH_FILTER_DB"]!
        let store = try SQLiteRequestStore(path: path, forReading: true)
        let clock = ContinuousClock()
        print("\(try await store.count()) captures, text index through #\(try store.textIndexedThrough())")
        let chosen = ProcessInfo.processInfo.environment["HOOKSCOPE_BENCH_FILTERS"].map { $0.split(separator: ";").map(String.init) }
        for text in chosen ?? Self.filters {
            let filter = try RequestFilter.parse(text)
            var samples: [Duration] = []
            var matches = 0
            var pages = 0
            for _ in 0..<5 {
                let start = clock.now
                var after: Int64 = 0
                pages = 0
                while true {
                    let page = try await store.filterPage(filter, after: after, limit: 512, whole: false)
                    pages += 1
                    matches = page.summaries.count
                    if matches > 0 || page.done { break }
                    after = page.through
                }
                samples.append(clock.now - start)
            }
            let median = samples.sorted()[samples.count / 2].components
            let ms = Double(median.seconds) * 1000 + Double(median.attoseconds) / 1e15
            print(text.padding(toLength: 26, withPad: " ", startingAt: 0) + String(format: " first page: %8.2f ms (%d matches, %d pages)", ms, matches, pages))
        }
    }
}
