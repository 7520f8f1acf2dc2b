import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A port on 127.0.0.1 that refuses connections while the returned descriptor stays open (bound, never
/// listening), so no other test's listener can take it meanwhile. Close the descriptor when done.
public func refusingPort() -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 ? getsockname(fd, pointer, &length) : -1
        }
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// Sends `request` to 127.0.0.1:`port` on a new connection and returns the first response (head
/// and a body of its Content-Length), or nil when the connection failed, broke or stayed silent for
/// `timeoutSeconds` (a bound for a hang only). Blocking: call it from a thread of its own.
public func exchangeOnce(port: Int, request: [UInt8], timeoutSeconds: Int = 30) -> [UInt8]? {
    guard let fd = connectToLoopback(port: port, receiveTimeoutSeconds: timeoutSeconds) else { return nil }
    defer { close(fd) }
    var offset = 0
    while offset < request.count {
        let sent = request[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent > 0 else { return nil }
        offset += sent
    }
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let separator: [UInt8] = [13, 10, 13, 10]
    while true {
        if let end = data.firstRange(of: separator) {
            let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).lowercased()
            let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            if data.count >= end.upperBound + length { return Array(data[..<(end.upperBound + length)]) }
        }
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        data += buffer[0..<n]
    }
}

/// A TCP connection to 127.0.0.1:`port` whose reads give up after `receiveTimeoutSeconds` (a bound
/// for a hang only); nil when nothing accepts it.
public func connectToLoopback(port: Int, receiveTimeoutSeconds: Int = 30) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        close(fd)
        return nil
    }
    return fd
}
