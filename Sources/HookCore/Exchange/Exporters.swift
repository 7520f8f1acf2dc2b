import Foundation

/// Where exports aim a capture (the URLs of `export --curl`, `--har` and the TUI's `y`): the address
/// it arrived on by default, so that a capture made on port 19777 is sent to port 19777.
public enum ExportTarget {
    /// For captures whose arrival address is not known (stored before hookscope kept it, or
    /// imported from a HAR file without it): the default listening address.
    public static let fallbackBaseURL = "http://127.0.0.1:9777"

    /// `given` (`--base-url`) when there is one, else the capture's arrival address, else `fallback`.
    public static func baseURL(for request: CapturedRequest, given: String?, fallback: String = fallbackBaseURL) -> String {
        given ?? request.arrivalURL ?? fallback
    }

    /// An "ip:port" read from a file (a HAR's `_hookscope.localAddress`), when it is one: digits,
    /// hex letters, dots, colons and the brackets of IPv6, nothing that could act on a terminal.
    public static func address(_ text: String) -> String? {
        let allowed = Set("0123456789abcdefABCDEF.:[]")
        guard !text.isEmpty, text.count <= 64, text.allSatisfy(allowed.contains), text.contains(":") else { return nil }
        return text
    }
}

/// Writes a capture as a curl command that reproduces the request byte-exact and is safe to run:
/// every captured byte is quoted, so nothing in a request can inject shell syntax.
///
/// - `-sS`: no progress meter, so the answer can be piped; errors are still shown.
/// - Method, URL (`--globoff --path-as-is`, so curl neither globs nor normalises it), `--http1.1`
///   (or `--http1.0`), every header in received order with duplicates.
/// - Headers curl would add on its own (`User-Agent`, `Accept`, `Content-Type`, `Expect`, `Host`) are
///   suppressed with `-H 'Name:'` when the capture did not have them; an empty captured value uses `-H 'Name;'`.
/// - The body goes by `--data-binary`: inline when small and NUL-free, otherwise piped from `printf`
///   (a shell builtin, so no argument-size limit) as `--data-binary @-`, or read from a file you wrote.
public enum CurlExporter {
    /// Bodies up to this size without NUL bytes are passed inline as an argument.
    public static let inlineBodyLimit = 64 * 1024

    public enum BodySource: Sendable, Hashable {
        /// Inline or through `printf`, whichever fits (the default).
        case automatic
        /// `--data-binary @path`: the caller writes the exact body bytes to `path`.
        case file(String)
    }

    public static func command(
        for request: CapturedRequest,
        baseURL: String,
        redact: Redaction = .default,
        shell: ShellDialect = .bash,
        body source: BodySource = .automatic
    ) -> String {
        func q(_ bytes: [UInt8]) -> String { ShellQuoting.quote(bytes, dialect: shell) }
        func q(_ text: String) -> String { ShellQuoting.quote(text, dialect: shell) }

        var comments: [String] = []
        var args: [String] = ["curl", "-sS", request.httpVersion == "HTTP/1.0" ? "--http1.0" : "--http1.1", "--globoff", "--path-as-is"]
        let body = [UInt8](request.body)
        let hasBody = !body.isEmpty
        let method = request.method
        if method == "HEAD" && !hasBody {
            args.append("--head")
        } else if !(method == "GET" && !hasBody) && !(method == "POST" && hasBody) {
            args += ["-X", q(method)]
        }
        let urlIndex = args.count
        args.append(q(url(baseURL: baseURL, rawTarget: request.rawTarget)))

        var redacted: [String] = []
        var omitted: [String] = []
        for original in request.headers {
            let header = redact.apply(original)
            if header.rawValue != original.rawValue { redacted.append(original.name) }
            if header.rawValue.contains(where: { $0 == 0 || $0 == 0x0A || $0 == 0x0D }) {
                omitted.append(header.name)
                continue
            }
            let nameBytes = Array(header.name.utf8)
            if header.rawValue.isEmpty {
                args += ["-H", q(nameBytes + [UInt8(ascii: ";")])]
            } else {
                args += ["-H", q(nameBytes + Array(": ".utf8) + header.rawValue)]
            }
        }
        // Headers curl adds by itself unless told not to.
        var suppressed = ["User-Agent", "Accept"]
        if hasBody { suppressed += ["Content-Type", "Expect"] }
        if request.headers.first(named: "Host") == nil { suppressed.append("Host") }
        for name in suppressed where request.headers.first(named: name) == nil {
            args += ["-H", q(name + ":")]
        }

        var prefix = ""
        if hasBody {
            switch source {
            case .file(let path):
                args += ["--data-binary", q("@" + path)]
                comments.append("# the body (\(body.count) bytes) is read from \(singleLine(path)); write the exact captured bytes there first")
            case .automatic:
                if body.count <= inlineBodyLimit && !body.contains(0) {
                    args += ["--data-binary", q(body)]
                } else {
                    prefix = "printf " + ShellQuoting.printfFormat(body) + " | "
                    args += ["--data-binary", "@-"]
                    if body.count > inlineBodyLimit {
                        comments.append("# the body is \(body.count) bytes; for large binary bodies, write it to a file and use --data-binary @file")
                    }
                }
            }
        }
        if !redacted.isEmpty {
            comments.append("# redacted: \(redacted.map(singleLine).joined(separator: ", ")) (export with secrets included to keep them)")
        }
        if !omitted.isEmpty {
            comments.append("# omitted (NUL, CR or LF in the value; curl cannot send them): \(omitted.map(singleLine).joined(separator: ", "))")
        }
        if request.bodyWasChunked && request.headers.first(named: "Transfer-Encoding") == nil {
            comments.append("# the body arrived chunked")
        }
        var lines = comments
        var line = prefix + args[0]
        for (index, arg) in args.enumerated().dropFirst() {
            if arg == "-H" || arg == "--data-binary" || index == urlIndex {
                lines.append(line + " \\")
                line = "  " + arg
            } else {
                line += " " + arg
            }
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }

    /// The URL for a captured target: absolute-form targets keep only their path and query.
    public static func url(baseURL: String, rawTarget: [UInt8]) -> [UInt8] {
        var base = Array(baseURL.utf8)
        while base.last == UInt8(ascii: "/") { base.removeLast() }
        var target = rawTarget
        if let scheme = ByteSearcher(Array("://".utf8), ignoreCase: false).firstIndex(in: target), scheme < 8,
           !target.starts(with: [UInt8(ascii: "/")]) {
            let afterHost = target[(scheme + 3)...].firstIndex(of: UInt8(ascii: "/")) ?? target.count
            target = Array(target[afterHost...])
        }
        if target == [UInt8(ascii: "*")] { target = [] }
        if !target.isEmpty && target.first != UInt8(ascii: "/") { target.insert(UInt8(ascii: "/"), at: 0) }
        if target.isEmpty { target = [UInt8(ascii: "/")] }
        return base + target
    }

    /// Comments must stay on one line and be harmless: control bytes become `?`.
    static func singleLine(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
    }
}

/// The request as raw HTTP/1.1 bytes: request line, headers as received (redacted as asked),
/// a blank line, the exact body. A body that arrived chunked is written chunked again (one chunk),
/// so the message stays well-formed with its `Transfer-Encoding: chunked` header.
public enum RawHTTPExporter {
    public static func data(for request: CapturedRequest, redact: Redaction = .default) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(request.body.count + 512)
        out += Array(request.method.utf8) + [0x20] + request.rawTarget + [0x20] + Array(request.httpVersion.utf8) + [0x0D, 0x0A]
        for header in request.headers {
            let h = redact.apply(header)
            out += Array(h.name.utf8) + (h.rawValue.isEmpty ? [UInt8(ascii: ":")] : Array(": ".utf8)) + h.rawValue + [0x0D, 0x0A]
        }
        out += [0x0D, 0x0A]
        if isChunked(request.headers) {
            if !request.body.isEmpty {
                out += Array(String(request.body.count, radix: 16).utf8) + [0x0D, 0x0A]
                out += request.body
                out += [0x0D, 0x0A]
            }
            out += Array("0\r\n\r\n".utf8)
        } else {
            out += request.body
        }
        return Data(out)
    }

    /// How `export --raw` separates several captures: each message is preceded by the line
    /// `#### hookscope raw capture #ID: N bytes` (LF-terminated) and followed by one LF, where N
    /// counts the message's bytes exactly, so `split` (or any script that reads N bytes after the
    /// line) gets the messages back whatever their bodies hold. A single capture is written alone,
    /// without the line, ready for `nc`.
    public static func separator(id: Int64, count: Int) -> [UInt8] {
        Array("\(separatorPrefix)\(id): \(count) bytes\n".utf8)
    }

    static let separatorPrefix = "#### hookscope raw capture #"

    /// The messages of an `export --raw` file of several captures (or the one message of a file
    /// without separators), with their ids when the file had separators.
    public static func split(_ data: Data) throws(ParseError) -> [(id: Int64?, message: Data)] {
        let bytes = [UInt8](data)
        let prefix = Array(separatorPrefix.utf8)
        guard bytes.starts(with: prefix) else { return [(nil, data)] }
        var out: [(id: Int64?, message: Data)] = []
        var i = 0
        while i < bytes.count {
            guard bytes[i...].starts(with: prefix), let lf = bytes[i...].firstIndex(of: 0x0A) else {
                throw ParseError(description: "expected a '\(separatorPrefix)ID: N bytes' line at byte \(i)")
            }
            let line = String(decoding: bytes[(i + prefix.count)..<lf], as: UTF8.self)
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0].hasSuffix(":"), let id = Int64(parts[0].dropLast()), let count = Int(parts[1]),
                  parts[2] == "bytes", count >= 0, count < bytes.count - lf
            else { throw ParseError(description: "bad separator line at byte \(i)") }
            let start = lf + 1
            out.append((id, Data(bytes[start..<(start + count)])))
            i = start + count
            guard i < bytes.count, bytes[i] == 0x0A else { throw ParseError(description: "no newline after capture #\(id)") }
            i += 1
        }
        return out
    }

    static func isChunked(_ headers: [HeaderField]) -> Bool {
        headers.all(named: "Transfer-Encoding").contains { $0.value.lowercased().contains("chunked") }
    }

    /// A request read back from raw HTTP.
    public struct Message: Sendable, Hashable {
        public var method: String
        public var rawTarget: [UInt8]
        public var httpVersion: String
        public var headers: [HeaderField]
        public var body: Data
        public var wasChunked: Bool
    }

    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// Parses one raw HTTP/1.x request (as `data(for:)` writes it): CRLF or LF line ends, a body
    /// delimited by `Content-Length`, chunked coding, or the end of the data.
    public static func parse(_ data: Data) throws(ParseError) -> Message {
        let bytes = [UInt8](data)
        var i = 0
        func readLine() throws(ParseError) -> ArraySlice<UInt8> {
            guard let lf = bytes[i...].firstIndex(of: 0x0A) else { throw ParseError(description: "incomplete header block") }
            var end = lf
            if end > i, bytes[end - 1] == 0x0D { end -= 1 }
            let line = bytes[i..<end]
            i = lf + 1
            return line
        }
        let requestLine = try readLine()
        let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ParseError(description: "bad request line")
        }
        var headers: [HeaderField] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw ParseError(description: "bad header line") }
            var value = line[(colon + 1)...]
            while let f = value.first, f == 0x20 || f == 0x09 { value = value.dropFirst() }
            while let l = value.last, l == 0x20 || l == 0x09 { value = value.dropLast() }
            headers.append(HeaderField(name: String(decoding: line[line.startIndex..<colon], as: UTF8.self), rawValue: Array(value)))
        }
        var body: [UInt8] = []
        let chunked = isChunked(headers)
        if chunked {
            while true {
                let sizeLine = try readLine()
                let sizeText = String(decoding: sizeLine.prefix { $0 != UInt8(ascii: ";") }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
                guard let size = Int(sizeText, radix: 16), size >= 0 else { throw ParseError(description: "bad chunk size") }
                if size == 0 { break }
                guard size <= bytes.count - i else { throw ParseError(description: "chunk runs past the end") }
                body += bytes[i..<(i + size)]
                i += size
                _ = try readLine()
            }
        } else if let length = headers.value(named: "Content-Length").flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
            guard length >= 0, length <= bytes.count - i else { throw ParseError(description: "body shorter than Content-Length") }
            body = Array(bytes[i..<(i + length)])
        } else {
            body = Array(bytes[i...])
        }
        return Message(
            method: String(decoding: parts[0], as: UTF8.self), rawTarget: Array(parts[1]),
            httpVersion: String(decoding: parts[2], as: UTF8.self), headers: headers, body: Data(body), wasChunked: chunked
        )
    }
}
