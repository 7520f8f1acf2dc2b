/// The attempts of one delivery as the detail pane and `show` describe them: which one a capture
/// is, and when each came after the first, so that the provider's backoff schedule shows.
public enum DeliveryAttempts {
    /// How many attempts are listed by their offset; the rest are counted.
    public static let listed = 20

    /// `attempt 3 of 3 · +0s, +4.1s, +20.3s`. `attempts` are the delivery's captures in the store,
    /// oldest first; the capture's own `attempt` is the number it was given when it was stored.
    public static func summary(attempt: Int, of attempts: [RequestSummary]) -> String {
        let total = max(attempts.count, attempt)
        var text = "attempt \(attempt) of \(total)"
        guard let first = attempts.first, attempts.count > 1 else { return text }
        let offsets = attempts.prefix(listed).map { offset(nanoseconds: $0.receivedAt.nanosecondsSince1970 - first.receivedAt.nanosecondsSince1970) }
        text += " · " + offsets.joined(separator: ", ")
        if attempts.count > listed { text += ", … (\(attempts.count - listed) more)" }
        return text
    }

    /// `+0s`, `+92ms`, `+4.1s`, `+20.3s`, `+5m02s`, `+2h05m`: the time since the first attempt
    /// (milliseconds under a tenth of a second, where a duplicate sent at once lands).
    public static func offset(nanoseconds: Int64) -> String {
        let tenths = max(0, nanoseconds) / 100_000_000
        if tenths == 0 {
            let milliseconds = max(0, nanoseconds) / 1_000_000
            return milliseconds == 0 ? "+0s" : "+\(milliseconds)ms"
        }
        if tenths < 600 { return "+\(tenths / 10).\(tenths % 10)s" }
        let seconds = tenths / 10
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        if seconds < 3600 { return "+\(seconds / 60)m\(two(seconds % 60))s" }
        return "+\(seconds / 3600)h\(two(seconds % 3600 / 60))m"
    }
}
