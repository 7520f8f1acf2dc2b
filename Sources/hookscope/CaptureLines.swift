import Foundation
import HookCore

/// The readable one-line form of a capture (headless mode, `hookscope list`).
/// Every control character and invalid UTF-8 byte is escaped, wherever the line goes.
enum CaptureLine {
    /// With `replay` (the newest replay or forward), the target's answer follows `=>`:
    /// `=> 201 in 12.3 ms`, or `=> failed after 0.4 ms: connection refused by 127.0.0.1:3000`.
    static func readable(_ r: RequestSummary, replay: ReplayOutcome? = nil) -> String {
        var line = "#\(r.id) \(r.receivedAt.rfc3339) \(TerminalSafety.escape(Array(r.method.utf8))) \(TerminalSafety.escape(r.rawTarget))"
        line += " \(formatSize(r.bodySize)) -> \(r.responseStatus)"
        if let refusal = r.refusal { line += " refused (\(refusal.rawValue))" }
        if let provider = r.signature.provider {
            line += " \(TerminalSafety.escape(Array(provider.utf8))) \(r.signature.status.screenWord)"
        } else {
            line += " \(r.signature.status.screenWord)"
        }
        if let replay {
            if let status = replay.status {
                line += " => \(status) in \(replay.durationText)"
            } else {
                line += " => failed after \(replay.durationText): \(TerminalSafety.escape(Array((replay.error ?? "no response").utf8)))"
            }
        }
        return line
    }

    static func formatSize(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1024 * 1024 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
        return String(format: "%.1f MiB", Double(bytes) / (1024 * 1024))
    }
}
