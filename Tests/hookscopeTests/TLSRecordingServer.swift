import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A TEST-ONLY key and self-signed certificate (CN=localhost, SAN DNS:localhost, IP:127.0.0.1, P-256,
/// valid until 2126), made once with
/// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 36500 -nodes -subj /CN=localhost
/// -addext subjectAltName=DNS:localhost,IP:127.0.0.1`. It protects nothing; no system trusts it, which is the point.
enum SelfSigned {
    static let keyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgfIogv5oue7nrUgBL
        5ngOIJhFsyR7hlY9X+Rx9ME9vaShRANCAAQnv9yVQZpw97r0E37AukEqsedW0Kz3
        t44BDRVFUQS8DT6/fxeTbnhP1889h0qYW6KBANDiRtTtHDw1QbrHGIdC
        -----END PRIVATE KEY-----
        """

    static let certificatePEM = """
        -----BEGIN CERTIFICATE-----
        MIIBmjCCAUGgAwIBAgIUQpIdr4eXR/nSiGgDTFyWOVXggDowCgYIKoZIzj0EAwIw
        FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyOTA3NTcxMVoYDzIxMjYxMTA1
        MDc1NzExWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
        PQMBBwNCAAQnv9yVQZpw97r0E37AukEqsedW0Kz3t44BDRVFUQS8DT6/fxeTbnhP
        1889h0qYW6KBANDiRtTtHDw1QbrHGIdCo28wbTAdBgNVHQ4EFgQU0cvSSfGvlevZ
        i+uJal5kiNfQw9YwHwYDVR0jBBgwFoAU0cvSSfGvlevZi+uJal5kiNfQw9YwDwYD
        VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
        zj0EAwIDRwAwRAIgLKs4OzNozeF2N31tfgIwuyFxpzobYRbYWpWu3v4TMnwCIFPX
        fa0b3XdIYCnZFKBs7aB+r+m4RtfMQfoVMWxY01uR
        -----END CERTIFICATE-----
        """
}

/// An HTTPS/1.1 target with the self-signed certificate: records the raw bytes of every request it
/// decrypts and answers each with `201 Created` and body `tls ok`.
final class TLSRecordingServer: Sendable {
    static let response = Array("HTTP/1.1 201 Created\r\nX-Target: tls\r\nContent-Length: 6\r\n\r\ntls ok".utf8)

    private let recorded = Mutex<[[UInt8]]>([])
    /// TLS handshakes that failed on our side (the client refused the certificate, say).
    private let failedHandshakes = Mutex(0)
    private let channels = Mutex<[any Channel]>([])

    /// Binds 127.0.0.1 on a free port and returns the port.
    func start() async throws -> Int {
        let certificate = try NIOSSLCertificate(bytes: Array(SelfSigned.certificatePEM.utf8), format: .pem)
        let key = try NIOSSLPrivateKey(bytes: Array(SelfSigned.keyPEM.utf8), format: .pem)
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                self.channels.withLock { $0.append(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(TLSRecordingHandler(server: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        channels.withLock { $0.append(channel) }
        return channel.localAddress!.port!
    }

    func stop() async {
        for channel in channels.withLock({ $0 }) { try? await channel.close() }
    }

    /// Every request received, head and body, exactly as decrypted.
    var requests: [[UInt8]] { recorded.withLock { $0 } }

    func record(_ bytes: [UInt8]) { recorded.withLock { $0.append(bytes) } }
}

/// Splits the decrypted stream into requests (head up to CRLFCRLF plus Content-Length bytes) and answers each.
final class TLSRecordingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let server: TLSRecordingServer
    var pending: [UInt8] = []

    init(server: TLSRecordingServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        while let end = RawRequest.headEnd(pending) {
            let length = RawRequest.contentLength(Array(pending[..<end]))
            guard pending.count >= end + 4 + length else { return }
            server.record(Array(pending[..<(end + 4 + length)]))
            pending.removeFirst(end + 4 + length)
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: TLSRecordingServer.response)), promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A client that refuses the certificate aborts the handshake: just close.
        context.close(promise: nil)
    }
}

/// Reading recorded raw requests, for assertions.
enum RawRequest {
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// The head's lines (request line first), split at CRLF.
    static func lines(_ raw: [UInt8]) -> [String] {
        guard let end = headEnd(raw) else { return [] }
        return String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
    }

    static func body(_ raw: [UInt8]) -> [UInt8] {
        guard let end = headEnd(raw) else { return [] }
        return Array(raw[(end + 4)...])
    }

    static func contentLength(_ head: [UInt8]) -> Int {
        for line in String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                return Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        return 0
    }
}
