import Foundation
import HookCore
import NIOCore
import NIOHTTP1

/// What the capture handler writes and records, as bytes and text: the response with the
/// listener's own framing, the HTTP version and the peer's address.
extension CaptureHandler {
    /// The response as bytes: status line, the response's own headers (without framing headers,
    /// and without any field a header could not carry), Content-Length, Connection: close when
    /// the connection ends, and the body unless the request was HEAD or the status has none.
    static func encode(_ response: CapturedResponse, keepAlive: Bool, isHeadRequest: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        let status = response.status
        let bodyAllowed = !(100..<200).contains(status) && status != 204 && status != 304
        let sendsBody = bodyAllowed && !isHeadRequest && !response.body.isEmpty
        var buffer = allocator.buffer(capacity: 128 + response.headers.count * 48 + (sendsBody ? response.body.count : 0))
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeString(String(status))
        buffer.writeStaticString(" ")
        buffer.writeString(HTTPResponseStatus(statusCode: status).reasonPhrase)
        buffer.writeStaticString("\r\n")
        for field in response.headers where isSendable(field) && !isFramingHeader(field) {
            buffer.writeString(field.name)
            buffer.writeStaticString(": ")
            buffer.writeBytes(field.rawValue)
            buffer.writeStaticString("\r\n")
        }
        if bodyAllowed {
            buffer.writeStaticString("Content-Length: ")
            buffer.writeString(String(response.body.count))
            buffer.writeStaticString("\r\n")
        }
        if !keepAlive {
            buffer.writeStaticString("Connection: close\r\n")
        }
        buffer.writeStaticString("\r\n")
        if sendsBody {
            buffer.writeBytes(response.body)
        }
        return buffer
    }

    /// Content-Length, Connection and Transfer-Encoding are the listener's own.
    static func isFramingHeader(_ field: HeaderField) -> Bool {
        field.hasName("content-length") || field.hasName("connection") || field.hasName("transfer-encoding")
    }

    /// A field that can go on the wire as it is: a token name, and a value without CR, LF or NUL.
    /// The listener's own and the configured headers always are (`--response-header` is checked);
    /// this keeps a forwarded target's answer from ever splitting the response.
    static func isSendable(_ field: HeaderField) -> Bool {
        field.hasTokenName && field.lineBreakOrNUL == nil
    }

    static func versionText(_ version: HTTPVersion) -> String {
        switch (version.major, version.minor) {
        case (1, 1): "HTTP/1.1"
        case (1, 0): "HTTP/1.0"
        default: "HTTP/\(version.major).\(version.minor)"
        }
    }

    static func format(_ address: SocketAddress?) -> String {
        guard let address else { return "unknown" }
        let ip = address.ipAddress ?? "unknown"
        let port = address.port.map(String.init) ?? "0"
        if case .v6 = address { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }
}
