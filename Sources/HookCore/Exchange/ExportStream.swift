import Foundation

/// The formats captures are exported in.
public enum ExportFormat: String, Sendable, CaseIterable {
    case har, curl, raw
}

/// Writes captures in an export format one at a time, so an export of a million captures holds one
/// capture (plus the output buffer) in memory: `begin`, `add` for each capture, `end`.
public struct CaptureExportWriter {
    public let format: ExportFormat
    private let baseURL: String?
    private let fallbackBaseURL: String
    private let redact: Redaction
    private var har: HARStreamWriter
    /// Captures added so far.
    public private(set) var count = 0
    /// Raw HTTP: the first capture, held until it is known whether another follows (several are
    /// separated, `RawHTTPExporter.separator`; one is written alone).
    private var firstRaw: CapturedRequest?

    /// - Parameters:
    ///   - baseURL: scheme and host for the URLs of HAR and curl (`--base-url`); nil for the address
    ///     each capture arrived on (`ExportTarget`).
    ///   - fallbackBaseURL: for captures whose arrival address is not known.
    public init(format: ExportFormat, baseURL: String?, fallbackBaseURL: String = ExportTarget.fallbackBaseURL, redact: Redaction = .default) {
        self.format = format
        self.baseURL = baseURL
        self.fallbackBaseURL = fallbackBaseURL
        self.redact = redact
        har = HARStreamWriter(baseURL: baseURL, fallbackBaseURL: fallbackBaseURL, redact: redact)
    }

    /// What comes before the first capture.
    public func begin() -> [UInt8] {
        format == .har ? har.header() : []
    }

    /// One capture; HAR lists its `replays` (oldest first) with it.
    public mutating func add(_ request: CapturedRequest, replays: [ReplayAttempt] = []) throws -> [UInt8] {
        count += 1
        switch format {
        case .har:
            return try har.entry(for: request, replays: replays)
        case .curl:
            let base = ExportTarget.baseURL(for: request, given: baseURL, fallback: fallbackBaseURL)
            let aim = baseURL != nil ? "to \(base) (--base-url)"
                : request.localAddress != nil ? "to \(base), where it arrived (--base-url URL sends it elsewhere)"
                : "to \(base): where it arrived was not stored (--base-url URL sends it elsewhere)"
            return Array("# capture #\(request.id), \(request.receivedAt.rfc3339), \(CurlExporter.singleLine(aim))\n".utf8)
                + Array(CurlExporter.command(for: request, baseURL: base, redact: redact).utf8) + Array("\n\n".utf8)
        case .raw:
            guard let first = firstRaw else {
                if count == 1 { firstRaw = request; return [] }
                return separated(request)
            }
            firstRaw = nil
            return separated(first) + separated(request)
        }
    }

    private func separated(_ request: CapturedRequest) -> [UInt8] {
        let message = [UInt8](RawHTTPExporter.data(for: request, redact: redact))
        return RawHTTPExporter.separator(id: request.id, count: message.count) + message + [0x0A]
    }

    /// What comes after the last capture (HAR's closing brackets and a final newline; the one raw
    /// capture of an export of one).
    public mutating func end() -> [UInt8] {
        switch format {
        case .har: return har.footer() + [0x0A]
        case .curl: return []
        case .raw:
            defer { firstRaw = nil }
            return firstRaw.map { [UInt8](RawHTTPExporter.data(for: $0, redact: redact)) } ?? []
        }
    }

    /// A whole export into `output`: `begin`, every capture of the batches `next` gives until it
    /// gives nil, `end`, and the output put in place; on any error the output is discarded (a file
    /// asked for is left as it was) and the error rethrown.
    /// `replays` gives the replays and forwards of a batch's captures by id (HAR lists them).
    public mutating func export(
        to output: ExportOutput, replays: (([Int64]) async throws -> [Int64: [ReplayAttempt]])? = nil,
        from next: () async throws -> [CapturedRequest]?
    ) async throws {
        do {
            try output.write(begin())
            while let batch = try await next() {
                let attempts = format == .har ? try await replays?(batch.map(\.id)) ?? [:] : [:]
                for request in batch { try output.write(add(request, replays: attempts[request.id] ?? [])) }
            }
            try output.write(end())
            try output.finish()
        } catch {
            output.discard()
            throw error
        }
    }
}

/// Where an export goes: a file, or standard output. Writes are gathered into blocks of about
/// 1 MiB; `finish` writes the rest and closes the file.
///
/// A regular file (new or existing) is written under a temporary name beside it and renamed into
/// place by `finish`, so it is never left half-written and a previous file survives a failed
/// export; `discard` removes only that temporary file. Anything else (`/dev/stdout`, a FIFO, a
/// device) is written directly and never removed.
public final class ExportOutput {
    public struct WriteError: Error, CustomStringConvertible {
        public var description: String
    }

    private let fd: Int32
    /// The file asked for, or nil for standard output.
    public let path: String?
    /// The temporary file renamed to `path` at the end, when `path` is a regular file.
    private let temporaryPath: String?
    private var buffer: [UInt8] = []
    private var closed = false
    private var finished = false
    private static let blockSize = 1 << 20

    private init(fd: Int32, path: String?, temporaryPath: String?) {
        self.fd = fd
        self.path = path
        self.temporaryPath = temporaryPath
        buffer.reserveCapacity(Self.blockSize + 64 * 1024)
    }

    /// Opens `path` for an export; a new file gets `permissions` (before the umask).
    /// - Parameter removeOnSignal: for a command-line export: until `finish` or `discard`, SIGINT,
    ///   SIGTERM and SIGHUP remove the temporary file before they end the process as they would
    ///   have (so Ctrl-C leaves no `FILE.hookscope-partial-PID` behind). Not for the TUI, which
    ///   handles these signals itself.
    public static func file(_ path: String, permissions: mode_t = 0o644, removeOnSignal: Bool = false) throws(WriteError) -> ExportOutput {
        var info = stat()
        let exists = stat(path, &info) == 0
        if exists, info.st_mode & S_IFMT != S_IFREG {
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw WriteError(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
            return ExportOutput(fd: fd, path: path, temporaryPath: nil)
        }
        let temporary = path + ".hookscope-partial-\(getpid())"
        // Before the file exists, so that no moment is left where a signal would leave it behind.
        if removeOnSignal { InterruptCleanup.install(removing: temporary) }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, exists ? info.st_mode & 0o777 : permissions)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            InterruptCleanup.uninstall()
            throw WriteError(description: "cannot write \(path): \(reason)")
        }
        return ExportOutput(fd: fd, path: path, temporaryPath: temporary)
    }

    public static func standardOutput() -> ExportOutput {
        ExportOutput(fd: 1, path: nil, temporaryPath: nil)
    }

    public func write(_ bytes: [UInt8]) throws(WriteError) {
        buffer += bytes
        if buffer.count >= Self.blockSize { try flush() }
    }

    /// Writes what is buffered, closes the file and puts it in place.
    public func finish() throws(WriteError) {
        defer { InterruptCleanup.uninstall() }
        try flush()
        close()
        finished = true
        if let temporaryPath, let path, rename(temporaryPath, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw WriteError(description: "cannot write \(path): \(reason)")
        }
    }

    /// Gives up: closes, and removes the temporary file (never the file asked for).
    public func discard() {
        close()
        if let temporaryPath { unlink(temporaryPath) }
        InterruptCleanup.uninstall()
    }

    private func close() {
        guard !closed else { return }
        closed = true
        if path != nil { _ = Glibc.close(fd) }
    }

    private func flush() throws(WriteError) {
        let error = writeFully(fd, buffer)
        buffer.removeAll(keepingCapacity: true)
        if error != 0 {
            throw WriteError(description: "cannot write \(path ?? "to standard output"): \(String(cString: strerror(error)))")
        }
    }

    /// An output dropped without `finish` leaves no temporary file behind.
    deinit { if finished { close() } else { discard() } }
}

/// The signal handlers behind `ExportOutput.file(_:permissions:removeOnSignal:)`: they may only touch
/// values set before they are installed, and call async-signal-safe functions (unlink, signal, raise).
private enum InterruptCleanup {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    /// The file to remove, as a C string allocated before the handlers are installed.
    nonisolated(unsafe) static var path: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) static var previous: [Int32: sighandler_t?] = [:]

    static func install(removing file: String) {
        uninstall()
        path = strdup(file)
        let handler: @convention(c) (Int32) -> Void = { signal in
            if let path = InterruptCleanup.path { unlink(path) }
            // Ends the process as the signal would have without this handler.
            _ = Glibc.signal(signal, SIG_DFL)
            raise(signal)
        }
        for signal in signals {
            let before = Glibc.signal(signal, handler)
            previous[signal] = before
            // A signal the process was started to ignore (a background job's SIGINT) stays ignored.
            if let before, unsafeBitCast(before, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
                _ = Glibc.signal(signal, SIG_IGN)
            }
        }
    }

    static func uninstall() {
        guard let installed = path else { return }
        for signal in signals {
            _ = Glibc.signal(signal, previous[signal] ?? SIG_DFL)
        }
        previous = [:]
        path = nil
        free(installed)
    }
}
