import Foundation
import HookCore
import HookStore

/// The readable one-line form of a capture (headless mode, `hookscope list`).
/// Every control character and invalid UTF-8 byte is escaped, wherever the line goes.
public enum CaptureLine {
    /// With `replay` (the newest replay or forward), the target's answer follows `=>`:
    /// `=> 201 in 12.3 ms`, or `=> failed after 0.4 ms: connection refused by 127.0.0.1:3000` for a
    /// forward; `=> replay: 201 in 12.3 ms`, `=> replay failed after …` for a replay someone asked for.
    public static func readable(_ r: RequestSummary, replay: ReplayOutcome? = nil) -> String {
        var line: [UInt8] = []
        appendReadable(r, replay: replay, to: &line)
        return String(decoding: line, as: UTF8.self)
    }

    /// The same line appended as bytes: headless mode writes one per capture, a batch per `write`.
    public static func appendReadable(_ r: RequestSummary, replay: ReplayOutcome? = nil, to out: inout [UInt8]) {
        func append(_ text: String) { out.append(contentsOf: text.utf8) }
        append("#")
        append(String(r.id))
        append(" ")
        append(r.receivedAt.rfc3339)
        append(" ")
        append(TerminalSafety.escape(Array(r.method.utf8)))
        append(" ")
        append(TerminalSafety.escape(r.rawTarget))
        append(" ")
        append(formatSize(r.bodySize))
        append(" -> ")
        // A sender that got no response on purpose: what it got instead.
        append(r.failure?.rawValue ?? String(r.responseStatus))
        if let rule = r.rule {
            append(" (rule ")
            append(TerminalSafety.escape(Array(rule.utf8)))
            append(")")
        }
        if let refusal = r.refusal {
            append(" refused (")
            append(refusal.rawValue)
            append(")")
        }
        if let provider = r.signature.provider {
            append(" ")
            append(TerminalSafety.escape(Array(provider.utf8)))
        }
        append(" ")
        append(r.signature.status.screenWord)
        // The provider's event type, and which attempt of its delivery this is when it is a retry.
        if let event = r.event {
            append(" event ")
            append(TerminalSafety.escape(Array(event.utf8)))
        }
        if r.isRetry {
            append(" attempt ")
            append(String(r.attempt))
        }
        if let replay {
            let asked = replay.kind == .replay
            if let status = replay.status {
                append(asked ? " => replay: " : " => ")
                append(String(status))
                append(" in ")
                append(replay.durationText)
            } else {
                append(asked ? " => replay failed after " : " => failed after ")
                append(replay.durationText)
                append(": ")
                append(TerminalSafety.escape(Array((replay.error ?? "no response").utf8)))
            }
        }
    }

    /// `512 B`, `1.5 KiB`, `2.0 MiB` (`Formatting.size`).
    public static func formatSize(_ bytes: Int) -> String { Formatting.size(bytes) }
}

/// `hookscope list`'s lines read from a store: the headless listener makes again from here the
/// lines its reader fell too far behind for, so both give the same bytes.
public enum StoredLines {
    /// One read's lines.
    public struct Part: Sendable {
        /// The lines, each ending in a newline.
        public var bytes: [UInt8]
        /// How many lines.
        public var lines: Int
        /// The id of the last line.
        public var last: Int64?
        /// The read was full and in range: there may be more up to `through`.
        public var more: Bool
    }

    /// The lines (JSON with `json`, else readable) of the captures with an id above `afterID` and
    /// at most `through`, oldest first, as many as one read gives (200 whole captures for JSON,
    /// 2,000 summaries otherwise), each with the newest replay or forward of its capture. `last` is
    /// the id of the last line, and `more` says whether the read was full and in range (so there may
    /// be more up to `through`).
    public static func read(after afterID: Int64, through: Int64 = .max, json: Bool, from store: any RequestStore) async throws
        -> Part
    {
        /// Those of `batch` up to `through`, with their replays, formatted by `append`.
        func lines<T>(_ batch: [T], limit: Int, id: (T) -> Int64, append: (T, ReplayOutcome?, inout [UInt8]) -> Void) async throws
            -> Part
        {
            let inRange = batch.prefix { id($0) <= through }
            let replays = try await store.latestReplays(among: inRange.map(id))
            var bytes: [UInt8] = []
            for item in inRange {
                append(item, replays[id(item)], &bytes)
                bytes.append(UInt8(ascii: "\n"))
            }
            return Part(bytes: bytes, lines: inRange.count, last: inRange.last.map(id), more: inRange.count == limit)
        }
        if json {
            return try await lines(try await store.requests(afterID: afterID, limit: 200), limit: 200, id: \.id) { request, replay, bytes in
                bytes.append(contentsOf: CaptureJSON.line(for: request, replay: replay).utf8)
            }
        }
        return try await lines(try await store.summaries(afterID: afterID, limit: 2_000), limit: 2_000, id: \.id) { summary, replay, bytes in
            CaptureLine.appendReadable(summary, replay: replay, to: &bytes)
        }
    }
}
