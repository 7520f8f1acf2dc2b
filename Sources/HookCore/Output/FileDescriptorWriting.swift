import Glibc

/// Writes all of `bytes` to `fd`, again after partial writes and EINTR. Returns 0, or the `errno`
/// of the write that failed.
public func writeFully(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written < 0 {
            if errno == EINTR { continue }
            return errno
        }
        offset += written
    }
    return 0
}
