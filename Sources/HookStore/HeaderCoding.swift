import Foundation
import HookCore

/// A compact, exact encoding of a header list for a BLOB column: for each field, a 2-byte name
/// length, the name, a 4-byte value length, the value bytes (big-endian lengths).
package enum HeaderCoding {
    package static func encode(_ headers: [HeaderField]) -> Data {
        var out = [UInt8]()
        encode(headers, into: &out)
        return Data(out)
    }

    /// The same encoding into `out` (emptied first, its storage reused).
    package static func encode(_ headers: [HeaderField], into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(headers.reduce(0) { $0 + 6 + $1.name.utf8.count + $1.rawValue.count })
        for header in headers {
            let name = header.name.utf8
            let nameCount = min(name.count, Int(UInt16.max))
            out.append(UInt8(nameCount >> 8))
            out.append(UInt8(nameCount & 0xff))
            if nameCount == name.count {
                out.append(contentsOf: name)  // contiguous UTF-8: one copy
            } else {
                out.append(contentsOf: name.prefix(nameCount))
            }
            let valueCount = UInt32(truncatingIfNeeded: header.rawValue.count)
            out.append(UInt8(valueCount >> 24))
            out.append(UInt8((valueCount >> 16) & 0xff))
            out.append(UInt8((valueCount >> 8) & 0xff))
            out.append(UInt8(valueCount & 0xff))
            out.append(contentsOf: header.rawValue)
        }
    }

    package static func decode(_ data: Data) throws -> [HeaderField] {
        let bytes = [UInt8](data)
        var headers: [HeaderField] = []
        var i = 0
        func need(_ n: Int) throws {
            if i + n > bytes.count { throw StoreError("the capture database holds a damaged header list") }
        }
        while i < bytes.count {
            try need(2)
            let nameCount = Int(bytes[i]) << 8 | Int(bytes[i + 1])
            i += 2
            try need(nameCount)
            let name = String(decoding: bytes[i..<i + nameCount], as: UTF8.self)
            i += nameCount
            try need(4)
            let valueCount = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            i += 4
            try need(valueCount)
            headers.append(HeaderField(name: name, rawValue: Array(bytes[i..<i + valueCount])))
            i += valueCount
        }
        return headers
    }
}
