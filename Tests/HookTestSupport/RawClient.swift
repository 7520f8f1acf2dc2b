import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP client to 127.0.0.1 for sending exact bytes: raw requests, keep-alive exchanges and
/// reads until the peer closes. Reads time out after 30 s so that a broken server fails the test
/// instead of hanging it, while a loaded full run (CPU-heavy tests holding both threads of the
/// concurrency pool) still has the time to answer. Unchecked Sendable: a test uses it from one
/// thread at a time.
public final class RawClient: @unchecked Sendable {
    public let fd: Int32

    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 { throw ProcessTestError("connect failed: errno \(errno)") }
    }

    deinit { close(fd) }

    public func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    public func send(_ text: String) { send(Array(text.utf8)) }

    /// Ends the sending side (a FIN), as `nc -N`, `printf … | nc` and some HTTP/1.0 clients do
    /// once the request is written; the client can still read the answer.
    public func finishSending() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Reads until the peer closes (or the read times out), on a thread of its own so that the
    /// blocking read never starves the concurrency pool the listener's commits run on.
    public func readUntilClosed() async -> (bytes: [UInt8], closed: Bool) {
        await onOwnThread { self.blockingReadUntilClosed() }
    }

    public func readResponses(_ count: Int) async -> [TestResponse] {
        await onOwnThread { self.blockingReadResponses(count) }
    }

    public func blockingReadUntilClosed() -> (bytes: [UInt8], closed: Bool) {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return (out, true) }
            if n < 0 {
                // A read with SO_RCVTIMEO is not restarted after a signal handler ran (signal(7)).
                if errno == EINTR { continue }
                return (out, errno == ECONNRESET)
            }
            out += buffer[0..<n]
        }
    }

    /// Reads exactly `count` complete responses (with Content-Length framing).
    private func blockingReadResponses(_ count: Int) -> [TestResponse] {
        var data: [UInt8] = []
        var responses: [TestResponse] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while responses.count < count {
            if let (response, used) = TestResponse.parse(data) {
                responses.append(response)
                data.removeFirst(used)
                continue
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        return responses
    }
}

public struct TestResponse: Sendable {
    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    public static func parse(_ data: [UInt8]) -> (TestResponse, Int)? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        guard data.count >= 4, let end = (0...(data.count - 4)).first(where: { Array(data[$0..<$0 + 4]) == terminator }) else {
            return nil
        }
        let head = String(decoding: data[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ")[1]) ?? 0
        let headers = head.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
        guard data.count >= end + 4 + length else { return nil }
        return (TestResponse(status: status, headers: headers, body: Array(data[(end + 4)..<(end + 4 + length)])), end + 4 + length)
    }
}

extension RawClient {
    public func setReadTimeout(seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends everything; false when the peer stopped accepting bytes.
    public func sendAll(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Blocking: reads until the peer closes (or reads time out).
    public func blockingReadAll() -> (bytes: [UInt8], closed: Bool) {
        let (bytes, closed, _) = blockingReadAllWithError()
        return (bytes, closed)
    }

    /// Same, with the errno of the read that ended it (0 for an orderly close).
    public func blockingReadAllWithError() -> (bytes: [UInt8], closed: Bool, error: Int32) {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return (out, true, 0) }
            if n < 0 {
                let error = errno
                if error == EINTR { continue }
                return (out, error != EAGAIN && error != EWOULDBLOCK, error)  // a reset ends it too
            }
            out += buffer[0..<n]
        }
    }

    /// Blocking: reads `count` complete responses (Content-Length framed).
    public func blockingResponses(_ count: Int) -> [TestResponse] {
        var data: [UInt8] = []
        var consumed = 0
        var responses: [TestResponse] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while responses.count < count {
            if let (response, used) = TestResponse.parse(Array(data[consumed...])) {
                responses.append(response)
                consumed += used
                continue
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            if consumed > 0 {
                data.removeFirst(consumed)
                consumed = 0
            }
            data += buffer[0..<n]
        }
        return responses
    }
}

/// Requests and answers on one keep-alive connection.
extension RawClient {
    /// Sends one POST and waits for its status; nil when the connection broke.
    public func post(path: String, body: String, headers: [String] = []) -> Int? {
        postForResponse(path: path, body: body, headers: headers)?.status
    }

    /// Sends one POST and returns the response body as text.
    public func postReturningBody(path: String, body: String, headers: [String] = []) -> String? {
        postForResponse(path: path, body: body, headers: headers)?.body
    }

    /// Sends exact request bytes and returns the response status.
    public func exchange(_ bytes: [UInt8]) -> Int? {
        roundTrip(bytes)?.status
    }

    /// Sends exact bytes, ends the sending side (as `printf … | nc -N` does) and reads until the
    /// listener closes: nil when the read failed or timed out instead.
    public func sendEndAndReadAll(_ bytes: [UInt8]) -> [UInt8]? {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return nil }
            offset += sent
        }
        shutdown(fd, Int32(SHUT_WR))
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return data }
            if n < 0 { return nil }
            data += buffer[0..<n]
        }
    }

    private func postForResponse(path: String, body: String, headers: [String]) -> (status: Int, body: String)? {
        let extra = headers.map { $0 + "\r\n" }.joined()
        let request = "POST \(path) HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\n\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        return roundTrip(Array(request.utf8))
    }

    private func roundTrip(_ bytes: [UInt8]) -> (status: Int, body: String)? {
        // A large request may take several sends (the socket has a send timeout).
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return nil }
            offset += sent
        }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            data += buffer[0..<n]
            let text = String(decoding: data, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound]
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                let headLength = text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound)
                if data.count >= headLength + length {
                    let status = Int(head.split(separator: " ")[1]) ?? 0
                    return (status, String(decoding: data[headLength..<(headLength + length)], as: UTF8.self))
                }
            }
        }
    }
}
