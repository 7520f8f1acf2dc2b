import CZlib
import Foundation

/// Decodes `Content-Encoding: gzip` / `x-gzip` / `deflate` bodies for display. The stored bytes
/// are never changed; this only produces what the formatters show.
public enum ContentDecoding {
    /// Decompressed bodies larger than this are not shown decoded (zip-bomb guard).
    public static let defaultLimit = 64 << 20

    public enum Outcome: Sendable, Hashable {
        /// No content coding (or only `identity`).
        case identity
        /// Decoded; the note says from what and how big.
        case decoded([UInt8], note: String)
        /// Could not decode; the note says why. Show the raw bytes as hex.
        case failed(note: String)
    }

    public struct DecodeError: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// The content codings of the headers, in the order they were applied.
    public static func codings(_ headers: [HeaderField]) -> [String] {
        headers.all(named: "Content-Encoding")
            .flatMap { $0.value.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty && $0 != "identity" }
    }

    /// Undoes the body's content codings. `limit` bounds the decoded size.
    public static func decode(_ body: [UInt8], headers: [HeaderField], limit: Int = defaultLimit) -> Outcome {
        let codings = codings(headers)
        guard !codings.isEmpty else { return .identity }
        var bytes = body
        for coding in codings.reversed() {
            do {
                switch coding {
                case "gzip", "x-gzip":
                    bytes = try inflate(bytes, format: .gzip, limit: limit)
                case "deflate":
                    bytes = try inflate(bytes, format: .zlibOrRaw, limit: limit)
                default:
                    return .failed(note: "content-encoding \(coding) is not decoded; showing the raw bytes")
                }
            } catch {
                return .failed(note: "could not decode \(coding): \(error.description); showing the raw bytes")
            }
        }
        let name = codings.joined(separator: ", ")
        return .decoded(bytes, note: "decoded from \(name) (\(body.count) bytes \u{2192} \(bytes.count) bytes)")
    }

    /// The decoded start of a body whose first bytes are given: output up to `limit`, a stream
    /// cut short is fine. Nil when the data is corrupt or a coding is not supported.
    public static func decodePrefix(_ head: [UInt8], headers: [HeaderField], limit: Int) -> [UInt8]? {
        var bytes = head
        for coding in codings(headers).reversed() {
            do {
                switch coding {
                case "gzip", "x-gzip": bytes = try run(bytes, windowBits: 15 + 16, limit: limit, partial: true)
                case "deflate":
                    let zlib = isZlibHeader(bytes)
                    bytes = try run(bytes, windowBits: zlib ? 15 : -15, limit: limit, partial: true)
                default: return nil
                }
            } catch {
                return nil
            }
        }
        return bytes
    }

    static func isZlibHeader(_ input: [UInt8]) -> Bool {
        input.count >= 2 && (UInt16(input[0]) << 8 | UInt16(input[1])) % 31 == 0 && input[0] & 0x0F == 8
    }

    public enum Format: Sendable { case gzip, zlib, raw, zlibOrRaw }

    /// Inflates gzip (several members allowed), zlib or raw deflate data.
    public static func inflate(_ input: [UInt8], format: Format, limit: Int = defaultLimit) throws(DecodeError) -> [UInt8] {
        switch format {
        case .gzip: return try run(input, windowBits: 15 + 16, limit: limit)
        case .zlib: return try run(input, windowBits: 15, limit: limit)
        case .raw: return try run(input, windowBits: -15, limit: limit)
        case .zlibOrRaw:
            // HTTP "deflate" means zlib-wrapped, but some senders use raw deflate.
            if isZlibHeader(input) {
                return try run(input, windowBits: 15, limit: limit)
            }
            return try run(input, windowBits: -15, limit: limit)
        }
    }

    private static func run(_ input: [UInt8], windowBits: Int32, limit: Int, partial: Bool = false) throws(DecodeError) -> [UInt8] {
        if input.isEmpty {
            if partial { return [] }
            throw DecodeError(description: "empty body")
        }
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DecodeError(description: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let result: DecodeError? = input.withUnsafeBufferPointer { inBuf -> DecodeError? in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress!)
            stream.avail_in = uInt(inBuf.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { outBuf -> (Int32, Int) in
                    stream.next_out = outBuf.baseAddress!
                    stream.avail_out = uInt(outBuf.count)
                    let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return (status, outBuf.count - Int(stream.avail_out))
                }
                if produced > 0 {
                    if output.count + produced > limit {
                        if partial { output.append(contentsOf: chunk[0..<(limit - output.count)]); return nil }
                        return DecodeError(description: "decoded size exceeds the \(limit >> 20) MiB limit")
                    }
                    output.append(contentsOf: chunk[0..<produced])
                }
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    // gzip allows several members one after another.
                    if stream.avail_in > 0 && windowBits > 15 {
                        if inflateReset(&stream) != Z_OK { return DecodeError(description: "zlib reset failed") }
                        continue
                    }
                    if stream.avail_in > 0 {
                        return DecodeError(description: "\(stream.avail_in) bytes of trailing data after the compressed stream")
                    }
                    return nil
                case Z_BUF_ERROR:
                    if produced == 0 {
                        if partial { return nil }
                        return DecodeError(description: "truncated compressed stream")
                    }
                    continue
                case Z_NEED_DICT:
                    return DecodeError(description: "stream needs a preset dictionary")
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "corrupt data"
                    return DecodeError(description: message)
                }
            }
        }
        if let result { throw result }
        return output
    }
}
