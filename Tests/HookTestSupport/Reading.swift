import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads `fd` to its end, again after EINTR. Foundation's `readDataToEndOfFile` traps on EINTR,
/// which a blocking read gets when a signal handler runs in the test process (tests of the
/// listening session send themselves SIGINT and SIGTERM). Blocking: call it from a thread of its own.
public func readToEnd(_ fd: Int32) -> Data {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count > 0 {
            data.append(contentsOf: buffer[..<count])
        } else if count < 0, errno == EINTR {
            continue
        } else {
            return data
        }
    }
}

/// Reads one line (without its newline) from `fd`, a byte at a time so that nothing after the
/// line is consumed; empty at the end of the input. Again after EINTR. Blocking.
public func readLine(_ fd: Int32) -> String {
    var bytes: [UInt8] = []
    var byte: UInt8 = 0
    while true {
        let count = read(fd, &byte, 1)
        if count < 0, errno == EINTR { continue }
        if count <= 0 || byte == 0x0A { break }
        bytes.append(byte)
    }
    return String(decoding: bytes, as: UTF8.self)
}
