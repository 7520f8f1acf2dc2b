import Foundation
import HookCore

/// The readable one-line form of a capture (headless mode, `hookscope list`).
/// Every control character and invalid UTF-8 byte is escaped, wherever the line goes.
enum CaptureLine {
    static func readable(_ r: RequestSummary) -> String {
        var line = "#\(r.id) \(r.receivedAt.rfc3339) \(TerminalSafety.escape(Array(r.method.utf8))) \(TerminalSafety.escape(r.rawTarget))"
        line += " \(formatSize(r.bodySize)) -> \(r.responseStatus)"
        if let refusal = r.refusal { line += " refused (\(refusal.rawValue))" }
        if let provider = r.signature.provider {
            line += " \(TerminalSafety.escape(Array(provider.utf8))) \(r.signature.status.screenWord)"
        } else {
            line += " \(r.signature.status.screenWord)"
        }
        return line
    }

    static func formatSize(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1024 * 1024 { return tenths(bytes, unit: 1024) + " KiB" }
        guard bytes <= Int.max / 10 else { return String(format: "%.1f MiB", Double(bytes) / (1024 * 1024)) }
        return tenths(bytes, unit: 1024 * 1024) + " MiB"
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
}
