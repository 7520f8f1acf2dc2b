import ArgumentParser
import Foundation
import HookCore
import HookListen
import HookStore

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The captured requests in the store, one line each (--json for JSON lines).")

    @OptionGroup var store: StoreOptions

    @Flag(help: "JSON lines, as in headless mode.")
    var json = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Only the newest N captures.", valueName: "n"))
    var last: Int?

    @Option(help: ArgumentHelp("Only captures matching a filter, in the TUI's syntax (e.g. 'method:POST sig:invalid stripe').", valueName: "filter"))
    var filter: String?

    func validate() throws {
        if let last, last < 1 { throw ValidationError("--last must be at least 1") }
        if let filter { _ = try FilterOption.parse(filter) }
    }

    func run() async throws {
        let requestStore = try await store.openExisting()
        let total = try await requestStore.count()
        let skip = last.map { max(0, total - $0) } ?? 0
        var afterID: Int64 = 0
        if skip > 0, let first = try await requestStore.summaries(offset: skip, limit: 1).first {
            afterID = first.id - 1
        }
        // Each line carries the newest replay (or forward) of its capture.
        if let matcher = try filter.map({ try FilterOption.parse($0) }) {
            for try await matching in requestStore.captureBatches(matching: matcher, after: afterID) {
                let replays = try await requestStore.latestReplays(among: matching.map(\.id))
                var text = ""
                for request in matching {
                    text += (json ? CaptureJSON.line(for: request, replay: replays[request.id])
                        : CaptureLine.readable(request.summary, replay: replays[request.id])) + "\n"
                }
                guard writeStdout(text) else { throw ExitCode(1) }
            }
            return
        }
        while true {
            let part = try await StoredLines.read(after: afterID, json: json, from: requestStore)
            guard writeFully(1, part.bytes) == 0 else { throw ExitCode(1) }
            guard part.more, let last = part.last else { break }
            afterID = last
        }
    }
}
