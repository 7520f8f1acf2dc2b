import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A pipe whose write end stands in for standard output.
final class OutputPipe: @unchecked Sendable {
    let readEnd: Int32
    let writeEnd: Int32
    /// Closed once only: a second close could close a descriptor another part of the test process
    /// opened meanwhile under the same number.
    private let readEndOpen = Mutex(true)

    init() {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0)
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    /// Reads until `count` whole lines have arrived; nil when the pipe ended first or stayed silent
    /// for 30 s (a bound for a hang only). Blocking: call it from a thread of its own.
    func lines(_ count: Int) -> [String]? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while data.lazy.filter({ $0 == 0x0A }).count < count {
            var descriptor = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 30_000) == 1 else { return nil }
            let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            guard n > 0 else { return nil }
            data += buffer[0..<n]
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).prefix(count).map(String.init)
    }

    func closeReadEnd() {
        readEndOpen.withLock { open in
            if open { close(readEnd) }
            open = false
        }
    }

    deinit {
        closeReadEnd()
        close(writeEnd)
    }
}
