import ArgumentParser
import Foundation
import HookCore
import HookListen
import HookReplay
import HookSignatures
import HookStore

struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send a captured request again; prints the target's status, headers, body and the time taken.",
        discussion: """
            The body and headers go out byte for byte, in the captured order and case. Hop-by-hop and \
            framing headers (Connection and what it names, Keep-Alive, TE, Transfer-Encoding, Upgrade, \
            Proxy-*, Trailer) are dropped, Content-Length is recomputed, and Host is set to the target's \
            unless --keep-host. When the URL has a path other than "/", it is used as given; otherwise \
            the captured path and query are appended. With --edit the request opens in $VISUAL or \
            $EDITOR as raw HTTP first and the edited copy is sent (the capture is never changed; \
            nothing is sent when the file is left unchanged or the editor fails); with --resign too, \
            the edited copy is signed anew. Exits 1 when the target cannot be reached or answers 5xx.
            """)

    @Argument(help: "The capture's id (see `hookscope list`).")
    var id: Int64

    @Option(name: .long, help: ArgumentHelp("Where to send it, e.g. http://127.0.0.1:3000 (default: replay_to in the config file).", valueName: "url"))
    var to: String?

    @Flag(help: "Refresh the timestamp and recompute the signature with the configured secret.")
    var resign = false

    @Flag(help: "Edit the request in $VISUAL or $EDITOR first and send the edited copy.")
    var edit = false

    @Flag(name: .customLong("keep-host"), help: "Send the captured Host header instead of the target's.")
    var keepHost = false

    @Flag(help: "Accept any TLS certificate (self-signed targets); also `insecure = true` in the config file.")
    var insecure = false

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Give up after this many seconds.", valueName: "seconds"))
    var timeout: Double = 30

    @OptionGroup var signatures: SignatureOptions

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds") }
    }

    func run() async throws {
        // Flags, then HOOKSCOPE_SECRET_* variables, then the config file (as `listen` reads them).
        let config = try signatures.loadConfig()
        let verifier = try signatures.verifier(config: config)
        guard let to = to ?? config.replayTo else {
            throw CLIError("no target: pass --to URL (or set replay_to in the config file)", usage: true)
        }
        if case .failure(let error) = ReplayTarget.parse(to) {
            throw CLIError(self.to != nil ? "--to: \(error)" : "replay_to in the config file: \(error)", usage: self.to != nil)
        }

        let requestStore = try await store.openExisting(config: config)
        guard let captured = try await requestStore.request(id: id) else {
            throw CLIError("no capture with id \(id) in \(try store.path(config: config))")
        }
        let request = edit ? try await Self.edited(captured) : captured

        let replayer = HTTPReplayer(
            insecure: insecure || config.insecure == true, timeout: .milliseconds(Int64((timeout * 1000).rounded())))
        let options = ReplayOptions(resign: resign, keepHost: keepHost, verifier: verifier)
        var attempt = await replayer.replay(request, to: to, options: options)
        attempt.edited = edit
        await replayer.shutdown()

        do {
            _ = try await requestStore.addReplay(attempt)
        } catch {
            FileHandle.standardError.write(Data("hookscope: warning: the replay was not stored: \(error)\n".utf8))
        }

        guard let response = attempt.response else {
            throw CLIError(attempt.error ?? "no response")
        }
        guard writeStdout(Self.render(request: request, attempt: attempt, response: response)) else { throw ExitCode(1) }
        if response.status >= 500 { throw ExitCode(1) }
    }

    /// What the target answered, every byte from it escaped so nothing can act on the terminal.
    static func render(request: CapturedRequest, attempt: ReplayAttempt, response: CapturedResponse) -> String {
        var out = "replayed #\(request.id) \(TerminalSafety.escape(Array(request.method.utf8))) \(TerminalSafety.escape(Array(attempt.targetURL.utf8)))"
        var how: [String] = []
        if attempt.edited { how.append("edited") }
        if attempt.resigned { how.append("re-signed") }
        out += how.isEmpty ? "\n" : " (\(how.joined(separator: ", ")))\n"
        if !attempt.changedHeaders.isEmpty {
            out += "changed headers: \(attempt.changedHeaders.map { TerminalSafety.escape(Array($0.utf8)) }.joined(separator: ", "))\n"
        }
        out += "\nHTTP/1.1 \(response.status)\(reasonPhrase(response.status).map { " " + $0 } ?? "")\n"
        for header in response.headers {
            out += "\(TerminalSafety.escape(Array(header.name.utf8))): \(TerminalSafety.escape(header.rawValue))\n"
        }
        out += "\n"
        if response.body.isEmpty {
            out += "[empty body]\n"
        } else {
            let text = TerminalSafety.escape(response.body, keepNewlines: true)
            out += text.hasSuffix("\n") ? text : text + "\n"
        }
        if let note = attempt.error {
            out += "[\(TerminalSafety.escape(Array(note.utf8)))]\n"
        }
        out += "\n\(response.status) in \(Formatting.duration(nanoseconds: attempt.durationNanoseconds))\n"
        return out
    }

    /// The capture edited in the user's editor (`$VISUAL`, else `$EDITOR`, else vi), through a
    /// file only the user can read that is removed afterwards. Nothing is sent when the editor
    /// fails or the file is left unchanged.
    static func edited(_ request: CapturedRequest) async throws -> CapturedRequest {
        let shown = RequestEditing.text(for: request)
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("hookscope-edit-\(request.id)-\(UInt32.random(in: 0...UInt32.max)).http").path
        guard FileManager.default.createFile(atPath: path, contents: shown, attributes: [.posixPermissions: 0o600]) else {
            throw CLIError("edit: cannot write \(path); nothing sent")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let environment = ProcessInfo.processInfo.environment
        let editor = [environment["VISUAL"], environment["EDITOR"]].compactMap { $0 }.first { !$0.isEmpty } ?? "vi"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // Through the shell, so that EDITOR may carry arguments ("code -w"); the terminal is the editor's meanwhile.
        process.arguments = ["-c", editor + " \"$1\"", "sh", path]
        do {
            try process.run()
        } catch {
            throw CLIError("edit: cannot start the editor: \(error); nothing sent")
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                process.waitUntilExit()
                done.resume()
            }
        }
        do {
            guard process.terminationStatus == 0 else { throw RequestEditing.Refusal.editorFailed }
            return try RequestEditing.apply(try Data(contentsOf: URL(fileURLWithPath: path)), shown: shown, to: request)
        } catch {
            throw CLIError("edit: \(error); nothing sent")
        }
    }

    static func reasonPhrase(_ status: Int) -> String? {
        let phrases: [Int: String] = [
            200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 301: "Moved Permanently", 302: "Found",
            303: "See Other", 304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect",
            400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            409: "Conflict", 410: "Gone", 413: "Content Too Large", 415: "Unsupported Media Type",
            422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented",
            502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
        ]
        return phrases[status]
    }
}
