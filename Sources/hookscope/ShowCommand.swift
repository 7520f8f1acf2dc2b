import ArgumentParser
import Foundation
import HookCore
import HookListen
import HookStore

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One request: request line, headers, pretty body, signature verdict, and its replays and forwards.")

    @Argument(help: "The capture's id (see `hookscope list`).")
    var id: Int64

    @OptionGroup var store: StoreOptions

    @Flag(help: "Write the exact body bytes to stdout (a pipe or a file; refused on a terminal).")
    var raw = false

    func run() async throws {
        if raw && isTerminal(1) {
            throw CLIError("refusing to write raw body bytes to a terminal; redirect to a file or pipe (hookscope show \(id) --raw > body.bin)")
        }
        let requestStore = try await store.openExisting()
        guard let request = try await requestStore.request(id: id) else {
            throw CLIError("no capture with id \(id) in \(requestStore.displayName)")
        }
        if raw {
            guard writeFully(1, [UInt8](request.body)) == 0 else { throw ExitCode(1) }
            return
        }
        // Written as it is made, about a megabyte at a time: a body of a few MB can pretty-print to
        // millions of lines, which need not all be in memory at once.
        let attempts = try await requestStore.replays(ofRequest: id)
        var delivery: [RequestSummary] = []
        if let deliveryID = request.deliveryID { delivery = try await requestStore.summaries(deliveryID: deliveryID, limit: 1000) }
        let output = ExportOutput.standardOutput()
        do {
            try Self.render(request, attempts: attempts, delivery: delivery) { try output.write(Array($0.utf8)) }
            try output.finish()
        } catch {
            throw ExitCode(1)
        }
    }

    /// The human-readable form, every captured byte escaped so nothing can act on the terminal,
    /// handed to `emit` a piece at a time.
    /// `delivery` are the captures of the request's delivery id, oldest first (its attempts).
    static func render(
        _ request: CapturedRequest, attempts: [ReplayAttempt] = [], delivery: [RequestSummary] = [], emit: (String) throws -> Void
    ) rethrows {
        var out = "#\(request.id) received \(request.receivedAt.rfc3339) from \(TerminalSafety.escape(Array(request.remoteAddress.utf8)))\n"
        if let event = request.event { out += "event: \(TerminalSafety.escape(Array(event.utf8)))\n" }
        if let deliveryID = request.deliveryID {
            out += "delivery: \(TerminalSafety.escape(Array(deliveryID.utf8))), \(DeliveryAttempts.summary(attempt: request.attempt, of: delivery))\n"
        }
        out += "\(TerminalSafety.escape(Array(request.method.utf8))) \(TerminalSafety.escape(request.rawTarget)) \(request.httpVersion)\n"
        for header in request.headers {
            out += "\(TerminalSafety.escape(Array(header.name.utf8))): \(TerminalSafety.escape(header.rawValue))\n"
        }
        out += "\n"
        if let refusal = request.refusal, !refusal.bodyHoldsHead || request.body.isEmpty {
            out += "[body not kept: refused (\(refusal.rawValue)), \(request.bodySize) bytes announced or received]\n"
        } else if request.body.isEmpty {
            out += "[empty body]\n"
        } else {
            let view = BodyFormatterRegistry.views(for: request).first ?? .raw
            let formatted = BodyFormatterRegistry.format(request, as: view)
            var header = "[body: \(request.bodySize) bytes, \(view.rawValue) view"
            if let refusal = request.refusal {
                // `bodyHoldsHead`: the head was refused, and kept as received in place of a body.
                header = "[refused (\(refusal.rawValue)): the request head as received, \(request.bodySize) bytes, \(view.rawValue) view"
            }
            if request.bodyWasChunked { header += ", received chunked" }
            if let note = formatted.note { header += ", \(TerminalSafety.escape(Array(note.utf8)))" }
            out += header + "]\n"
            for index in 0..<formatted.lineCount {
                out += formatted.line(at: index).map { TerminalSafety.escape($0.bytes) }.joined() + "\n"
                if out.utf8.count >= 64 * 1024 {
                    try emit(out)
                    out = ""
                }
            }
        }
        out += "\nresponse: \(request.response.status)\n"
        for header in request.response.headers {
            out += "  \(TerminalSafety.escape(Array(header.name.utf8))): \(TerminalSafety.escape(header.rawValue))\n"
        }
        if !request.response.body.isEmpty {
            out += "  " + TerminalSafety.escape(request.response.body.prefix(2000)) + (request.response.body.count > 2000 ? "…" : "") + "\n"
        }
        let signature = request.signature
        out += "signature: \(signature.provider.map { TerminalSafety.escape(Array($0.utf8)) + " " } ?? "")\(signature.status.screenWord)"
        out += " - \(TerminalSafety.escape(Array(signature.detail.utf8)))\n"
        if !attempts.isEmpty {
            out += "\nattempts (\(attempts.count), oldest first):\n"
            for attempt in attempts { out += "  " + attemptLine(attempt) + "\n" }
        }
        try emit(out)
    }

    /// One replay or forward: `#7 2026-12-07T02:03:04.123456Z replay (edited, re-signed) → URL: 201 in 12.3 ms`.
    static func attemptLine(_ attempt: ReplayAttempt) -> String {
        var line = "#\(attempt.id) \(attempt.startedAt.rfc3339) \(attempt.kind.rawValue)"
        var how: [String] = []
        if attempt.edited { how.append("edited") }
        if attempt.resigned { how.append("re-signed") }
        if !how.isEmpty { line += " (" + how.joined(separator: ", ") + ")" }
        line += " → " + TerminalSafety.escape(Array(attempt.targetURL.utf8)) + ": "
        let took = Formatting.duration(nanoseconds: attempt.durationNanoseconds)
        if let response = attempt.response {
            line += "\(response.status) in \(took)"
        } else {
            line += "failed after \(took): " + TerminalSafety.escape(Array((attempt.error ?? "no response").utf8))
        }
        return line
    }
}
