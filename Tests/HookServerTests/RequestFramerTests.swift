import Foundation
import HookCore
import HookStore
import HookTestSupport
import Logging
import NIOCore
import Testing

@testable import HookServer

@Suite struct RequestFramerTests {
    func feed(_ text: String, in pieces: Int = 1) -> ([RequestFramer.Event], RequestFramer) {
        var framer = RequestFramer(maxHeadSize: 1024, maxTargetLength: 100, maxHeaderCount: 10)
        let bytes = Array(text.utf8)
        var events: [RequestFramer.Event] = []
        let size = max(1, bytes.count / pieces)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + size)
            events += bytes[start..<end].withUnsafeBytes { framer.feed($0) }
            start = end
        }
        return (events, framer)
    }

    @Test(arguments: [1, 3, 17, 1000])
    func followsLengthAndChunkedFramingInAnyPieces(pieces: Int) {
        let stream = "POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello\r\n\r\nPOST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n\r\nGET /c HTTP/1.1\r\nhost: h\r\n\r\n"
        let (events, framer) = feed(stream, in: pieces)
        let targets = events.compactMap { event -> String? in
            if case .head(let head) = event { return String(decoding: head.target, as: UTF8.self) }
            return nil
        }
        #expect(targets == ["/a", "/b", "/c"])
        #expect(framer.phase == .betweenRequests)
    }

    @Test func keepsHeaderCaseOrderAndRawBytes() throws {
        let head = try #require(RawRequestHead.parse(Array("PUT /p?q=%41 HTTP/1.1\r\nX-A:  one \r\nx-a: two\r\nContent-Length: 0\r\n\r\n".utf8)[...]))
        #expect(head.method == "PUT")
        #expect(head.target == Array("/p?q=%41".utf8))
        #expect(head.headers.map(\.name) == ["X-A", "x-a", "Content-Length"])
        #expect(head.headers.map(\.value) == ["one", "two", "0"])
        #expect(head.framing == .length(0))
    }

    @Test func ambiguousFramingIsNotFollowed() {
        #expect(RawRequestHead.parse(Array("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)[...])?.framing == .unknown)
        #expect(RawRequestHead.parse(Array("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n".utf8)[...])?.framing == .unknown)
        #expect(RawRequestHead.parse(Array("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n".utf8)[...])?.framing == .unknown)
        #expect(RawRequestHead.parse(Array("POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n".utf8)[...])?.framing == .unknown)
    }

    @Test func limitsAreReported() {
        #expect(feed("GET /" + String(repeating: "a", count: 200) + " HTTP/1.1\r\n\r\n").0 == [.targetTooLong])
        #expect(feed("GET / HTTP/1.1\r\n" + String(repeating: "X: y\r\n", count: 11) + "\r\n").0 == [.tooManyHeaders])
        #expect(feed("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 2000)).0 == [.headTooLarge])
    }
}
