import Foundation
import HookCore
import Logging

/// Log lines to a file descriptor (the listener's stderr) through an `OutputPump`, so that a
/// stderr nobody reads never holds up the event loop that logs: the lines wait for the reader, up
/// to 1 MiB, then are dropped and counted. Formatted as swift-log's stream handler does:
/// `2026-11-29T21:00:00Z error hookscope: error=disk full could not store a capture`.
public struct PumpedLogHandler: LogHandler {
    private let label: String
    private let output: OutputPump
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]

    /// One pump per descriptor: the handlers made by `Logger(label:factory:)` share it.
    public static func factory(fd: Int32 = 2, level: Logger.Level) -> @Sendable (String) -> any LogHandler {
        let output = OutputPump(fd: fd, limit: 1 << 20, noteFD: fd) { dropped, _ in
            "hookscope: \(dropped) log line\(dropped == 1 ? "" : "s") not written (stderr was not read fast enough)\n"
        }
        return { label in PumpedLogHandler(label: label, output: output, logLevel: level) }
    }

    init(label: String, output: OutputPump, logLevel: Logger.Level) {
        self.label = label
        self.output = output
        self.logLevel = logLevel
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        let fields = all.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        let time = Date().formatted(.iso8601)
        let line = "\(time) \(event.level) \(label):\(fields) \(event.message)\n"
        // Untrusted text (an error may quote a request) never reaches a terminal raw.
        output.write(Array(TerminalSafety.escape(Array(line.utf8), keepNewlines: true).utf8))
    }
}
