import Foundation

/// How sizes and durations are written for people: the headless line, `list`, `replay`, and the
/// TUI's columns, panes and status bar all format through here.
public enum Formatting {
    // MARK: Sizes

    /// `512 B`, `1.5 KiB`, `2.0 MiB`: the headless line and `list`. One decimal, rounded like `%.1f`.
    public static func size(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1024 * 1024 { return tenths(bytes, unit: 1024) + " KiB" }
        guard bytes <= Int.max / 10 else { return String(format: "%.1f MiB", Double(bytes) / (1024 * 1024)) }
        return tenths(bytes, unit: 1024 * 1024) + " MiB"
    }

    /// `512B`, `1.5K`, `120K`, `2.0M`, up to `T`: the TUI's SIZE column and body pane title. One
    /// decimal (halves rounded up) below 100 of the unit, whole units (cut, not rounded) from 100.
    public static func compactSize(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes)B" }
        let units = ["K", "M", "G", "T"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        let rounded = (value * 10).rounded() / 10
        return value >= 100 ? "\(Int(value))\(units[unit])" : "\(rounded)\(units[unit])"
    }

    /// `bytes / unit` with one decimal, rounded like `%.1f` (to nearest, ties to even; the quotient is
    /// exact in binary since `unit` is a power of two), without `String(format:)`: the headless line
    /// is built for every capture.
    static func tenths(_ bytes: Int, unit: Int) -> String {
        var tenths = bytes * 10 / unit
        let remainder = bytes * 10 % unit
        if remainder > unit / 2 || (remainder == unit / 2 && tenths % 2 == 1) { tenths += 1 }
        return "\(tenths / 10).\(tenths % 10)"
    }

    // MARK: Durations

    /// `12.3 ms` below a second, `1.25 s` from there: the headless line, `list` and `replay`.
    public static func duration(nanoseconds: Int64) -> String {
        let ms = Double(nanoseconds) / 1_000_000
        return ms < 1000 ? String(format: "%.1f ms", ms) : String(format: "%.2f s", ms / 1000)
    }

    /// `12ms`, `1.2s`, `31s`: the TUI's REPLAY column. Whole milliseconds below 999.5 ms, tenths of
    /// a second below 9.95 s, whole seconds from there.
    public static func shortDuration(nanoseconds: Int64) -> String {
        let ms = Double(nanoseconds) / 1_000_000
        if ms < 999.5 { return "\(Int(ms.rounded()))ms" }
        if ms < 9_950 { return String(format: "%.1fs", ms / 1000) }
        return "\(Int((ms / 1000).rounded()))s"
    }

    /// Milliseconds whatever the length, with `decimals` decimals: `12.3 ms`, `1250.0 ms`, `12 ms`.
    /// The TUI's signature pane (one decimal) and status bar (none).
    public static func milliseconds(nanoseconds: Int64, decimals: Int) -> String {
        String(format: "%.\(decimals)f ms", Double(nanoseconds) / 1_000_000)
    }
}
