import Foundation
import Synchronization

/// A loopback TCP relay to another port that a test can cut and restore: while cut, it drops the
/// connections it relays and closes new ones at once, as a database server that went away would.
public final class TCPRelay: @unchecked Sendable {
    public let port: Int
    private let target: Int
    private let listenFD: Int32
    private let state = Mutex(State())

    private struct State {
        var down = false
        var stopped = false
        var sockets: [Int32] = []
    }

    public init(to target: Int) throws {
        self.target = target
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw TestPostgresError("the relay cannot listen")
        }
        listenFD = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                let (down, stopped) = state.withLock { ($0.down, $0.stopped) }
                if stopped { close(client); return }
                if down { close(client); continue }
                guard let upstream = Self.connect(to: target) else { close(client); continue }
                state.withLock { $0.sockets += [client, upstream] }
                Self.pump(from: client, to: upstream)
                Self.pump(from: upstream, to: client)
            }
        }
    }

    /// Drops every relayed connection and refuses new ones until `restore()`.
    public func cut() {
        let sockets = state.withLock { state -> [Int32] in
            state.down = true
            defer { state.sockets = [] }
            return state.sockets
        }
        for fd in sockets { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    public func restore() {
        state.withLock { $0.down = false }
    }

    public func stop() {
        cut()
        state.withLock { $0.stopped = true }
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
    }

    private static func connect(to port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        if connected { return fd }
        close(fd)
        return nil
    }

    /// Copies bytes one way on a thread of its own until either side ends; then ends both.
    private static func pump(from source: Int32, to destination: Int32) {
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let read = buffer.withUnsafeMutableBytes { Glibc.read(source, $0.baseAddress, $0.count) }
                if read <= 0 { break }
                var sent = 0
                while sent < read {
                    let wrote = buffer.withUnsafeBytes { Glibc.write(destination, $0.baseAddress! + sent, read - sent) }
                    if wrote <= 0 { break }
                    sent += wrote
                }
                if sent < read { break }
            }
            shutdown(source, Int32(SHUT_RDWR))
            shutdown(destination, Int32(SHUT_RDWR))
        }
    }
}
