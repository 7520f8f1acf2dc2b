import Foundation
import Testing
@testable import HookCore
#if canImport(Glibc)
import Glibc
#endif

/// A loopback listener that accepts one connection, reads one full HTTP request, answers 204 and
/// hands the exact bytes it received back.
final class OneShotHTTPServer: @unchecked Sendable {
    let fd: Int32
    let port: UInt16
    private let lock = NSLock()
    private var received: [UInt8] = []
    private let done = DispatchSemaphore(value: 0)

    init() throws {
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard sock >= 0 else { throw POSIXError(.EIO) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(sock, 1) == 0 else { close(sock); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &length) }
        }
        fd = sock
        port = UInt16(bigEndian: addr.sin_port)
        let thread = Thread { [self] in self.serve() }
        thread.start()
    }

    private func serve() {
        defer { close(fd); done.signal() }
        let client = accept(fd, nil, nil)
        guard client >= 0 else { return }
        defer { close(client) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += buffer[0..<n]
            if OneShotHTTPServer.isComplete(data) { break }
        }
        let answer = Array("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".utf8)
        _ = answer.withUnsafeBytes { send(client, $0.baseAddress, $0.count, 0) }
        lock.withLock { received = data }
    }

    static func isComplete(_ data: [UInt8]) -> Bool {
        guard let end = ByteSearcher(Array("\r\n\r\n".utf8), ignoreCase: false).firstIndex(in: data) else { return false }
        let head = String(decoding: data[..<end], as: UTF8.self).lowercased()
        if head.contains("transfer-encoding: chunked") {
            return data.count >= 5 && data.suffix(5).elementsEqual(Array("0\r\n\r\n".utf8))
        }
        guard let range = head.range(of: "content-length:") else { return true }
        let digits = head[range.upperBound...].drop { $0 == " " }.prefix { $0.isNumber }
        return data.count - (end + 4) >= Int(digits) ?? 0
    }

    /// Waits for the request to be read and answered; returns its bytes.
    func request() -> [UInt8] {
        done.wait()
        return lock.withLock { received }
    }
}

@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")))
struct CurlReplayTests {
    func replay(_ request: CapturedRequest, _ dialect: ShellDialect) throws -> [UInt8] {
        let server = try OneShotHTTPServer()
        let command = CurlExporter.command(for: request, baseURL: "http://127.0.0.1:\(server.port)", redact: .none, shell: dialect)
        _ = try ShellRun.run(command + " -s -o /dev/null", dialect)
        return server.request()
    }

    @Test(arguments: ShellDialect.allCases)
    func curlSendsTheCapturedRequestByteForByte(dialect: ShellDialect) throws {
        let bodies: [[UInt8]] = [
            Array(#"{"it's":"$(touch /tmp/hookscope-pwned)`id`"}"#.utf8) + [0x0A, 0xFF, 0x01, 0x1B],
            [0x00, 0x01, 0x00] + [UInt8](repeating: 0x5A, count: 300_000),
            [],
        ]
        for body in bodies {
            var headers = [HeaderField("Host", "hooks.example"), HeaderField("Content-Type", "application/json"),
                           HeaderField("X-Dup", "a"), HeaderField("X-Dup", "b'c"), HeaderField("X-Empty", ""),
                           HeaderField(name: "X-Bytes", rawValue: [0x24, 0x28, 0xC3, 0xA9, 0xFF, 0x29])]
            if !body.isEmpty { headers.append(HeaderField("Content-Length", "\(body.count)")) }
            let request = CapturedRequest(
                receivedAt: CaptureTime(nanosecondsSince1970: 0), method: body.isEmpty ? "DELETE" : "POST",
                rawTarget: Array("/p/[x]/../y?q=a%20b&r={1}".utf8), headers: headers,
                remoteAddress: "127.0.0.1:1", body: Data(body), response: CapturedResponse(status: 200)
            )
            let got = try replay(request, dialect)
            let expected = [UInt8](RawHTTPExporter.data(for: request, redact: .none))
            #expect(got == expected, "\(dialect): received \(String(decoding: got.prefix(400), as: UTF8.self))")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/hookscope-pwned"))
    }
}
