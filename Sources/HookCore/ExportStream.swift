import Foundation

/// The formats captures are exported in.
public enum ExportFormat: String, Sendable, CaseIterable {
    case har, curl, raw
}

/// Writes captures in an export format one at a time, so an export of a million captures holds one
/// capture (plus the output buffer) in memory: `begin`, `add` for each capture, `end`.
public struct CaptureExportWriter {
    public let format: ExportFormat
    private let baseURL: String
    private let redact: Redaction
    private var har: HARStreamWriter
    /// Captures added so far.
    public private(set) var count = 0

    public init(format: ExportFormat, baseURL: String, redact: Redaction = .default) {
        self.format = format
        self.baseURL = baseURL
        self.redact = redact
        har = HARStreamWriter(baseURL: baseURL, redact: redact)
    }

    /// What comes before the first capture.
    public func begin() -> [UInt8] {
        format == .har ? har.header() : []
    }

    /// One capture.
    public mutating func add(_ request: CapturedRequest) throws -> [UInt8] {
        count += 1
        switch format {
        case .har:
            return try har.entry(for: request)
        case .curl:
            return Array("# capture #\(request.id), \(request.receivedAt.rfc3339)\n".utf8)
                + Array(CurlExporter.command(for: request, baseURL: baseURL, redact: redact).utf8) + Array("\n\n".utf8)
        case .raw:
            return [UInt8](RawHTTPExporter.data(for: request, redact: redact))
        }
    }

    /// What comes after the last capture (HAR's closing brackets and a final newline).
    public func end() -> [UInt8] {
        format == .har ? har.footer() + [0x0A] : []
    }
}

/// Where an export goes: a file it creates, or standard output. Writes are gathered into blocks of
/// about 1 MiB; `finish` writes the rest and closes the file.
public final class ExportOutput {
    public struct WriteError: Error, CustomStringConvertible {
        public var description: String
    }

    private let fd: Int32
    /// The file, or nil for standard output.
    public let path: String?
    private var buffer: [UInt8] = []
    private var closed = false
    private static let blockSize = 1 << 20

    private init(fd: Int32, path: String?) {
        self.fd = fd
        self.path = path
        buffer.reserveCapacity(Self.blockSize + 64 * 1024)
    }

    /// Creates (or truncates) the file at `path` with `permissions` (before the umask).
    public static func file(_ path: String, permissions: mode_t = 0o644) throws(WriteError) -> ExportOutput {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, permissions)
        guard fd >= 0 else { throw WriteError(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
        return ExportOutput(fd: fd, path: path)
    }

    public static func standardOutput() -> ExportOutput {
        ExportOutput(fd: 1, path: nil)
    }

    public func write(_ bytes: [UInt8]) throws(WriteError) {
        buffer += bytes
        if buffer.count >= Self.blockSize { try flush() }
    }

    /// Writes what is buffered and closes the file (standard output stays open).
    public func finish() throws(WriteError) {
        try flush()
        close()
    }

    /// Closes the file and removes it: for an export that failed half-way.
    public func discard() {
        close()
        if let path { unlink(path) }
    }

    private func close() {
        guard !closed else { return }
        closed = true
        if path != nil { _ = Glibc.close(fd) }
    }

    private func flush() throws(WriteError) {
        var offset = 0
        while offset < buffer.count {
            let written = buffer[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                buffer.removeAll(keepingCapacity: true)
                throw WriteError(description: "cannot write \(path ?? "to standard output"): \(reason)")
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    deinit { close() }
}
