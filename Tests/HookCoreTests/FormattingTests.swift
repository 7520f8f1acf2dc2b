import Testing
@testable import HookCore

/// Sizes and durations as the headless line, `list`, `replay` and the TUI write them.
@Suite struct FormattingTests {
    @Test(arguments: [
        (0, "0 B"), (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1587, "1.5 KiB"), (1588, "1.6 KiB"),  // just under and over 1.55 KiB
        (1280, "1.2 KiB"), (1792, "1.8 KiB"),  // 1.25 and 1.75 KiB: ties to even, as `%.1f`
        (1_048_575, "1024.0 KiB"), (1_048_576, "1.0 MiB"),
        (1_310_720, "1.2 MiB"),  // 1.25 MiB
        (26_214_400, "25.0 MiB"),
        (Int.max, "8796093022208.0 MiB"),
    ])
    func size(_ bytes: Int, _ text: String) {
        #expect(Formatting.size(bytes) == text)
    }

    @Test(arguments: [
        (0, "0B"), (1023, "1023B"),
        (1024, "1.0K"), (1280, "1.3K"), (1536, "1.5K"),  // 1.25 K: halves rounded up
        (102_399, "100.0K"), (102_400, "100K"), (1_048_575, "1023K"),
        (1_048_576, "1.0M"), (1 << 30, "1.0G"), (1 << 40, "1.0T"), (1 << 50, "1024T"),
    ])
    func compactSize(_ bytes: Int, _ text: String) {
        #expect(Formatting.compactSize(bytes) == text)
    }

    @Test(arguments: [
        (Int64(0), "0.0 ms"), (400_000, "0.4 ms"),
        (12_345_678, "12.3 ms"), (999_500_000, "999.5 ms"),
        (999_960_000, "1000.0 ms"),  // below a second, rounded up to it
        (1_000_000_000, "1.00 s"), (1_250_000_000, "1.25 s"), (9_950_000_000, "9.95 s"), (61_000_000_000, "61.00 s"),
    ])
    func duration(_ nanoseconds: Int64, _ text: String) {
        #expect(Formatting.duration(nanoseconds: nanoseconds) == text)
    }

    @Test(arguments: [
        (Int64(0), "0ms"), (400_000, "0ms"), (500_000, "1ms"),
        (999_499_999, "999ms"), (999_500_000, "1.0s"),
        (9_949_000_000, "9.9s"), (9_950_000_000, "10s"),
        (31_200_000_000, "31s"), (31_500_000_000, "32s"),
    ])
    func shortDuration(_ nanoseconds: Int64, _ text: String) {
        #expect(Formatting.shortDuration(nanoseconds: nanoseconds) == text)
    }

    @Test(arguments: [
        (Int64(400_000), 1, "0.4 ms"), (12_345_678, 1, "12.3 ms"), (1_250_000_000, 1, "1250.0 ms"),
        (400_000, 0, "0 ms"), (12_345_678, 0, "12 ms"),
        (12_500_000, 0, "12 ms"), (13_500_000, 0, "14 ms"),  // ties to even, as `%.0f`
    ])
    func milliseconds(_ nanoseconds: Int64, _ decimals: Int, _ text: String) {
        #expect(Formatting.milliseconds(nanoseconds: nanoseconds, decimals: decimals) == text)
    }

    /// `ReplayOutcome`'s own names give the same text.
    @Test func replayOutcomeForwards() {
        let outcome = ReplayOutcome(requestID: 1, targetURL: "", status: 200, error: nil, durationNanoseconds: 1_250_000_000)
        #expect(outcome.durationText == "1.25 s")
        #expect(outcome.shortDuration == "1.2s")
    }
}
