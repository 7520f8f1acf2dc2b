import Foundation
import HookCore

/// The time of a sample capture when a test does not say: 2023-11-14T22:13:20Z.
public let sampleCaptureTime = CaptureTime(nanosecondsSince1970: 1_700_000_000_000_000_000)

/// A capture built for tests, as the listener would store it: each parameter is a part a test may
/// vary, the rest are plain defaults (a POST to /hook with no headers and no body, answered 200,
/// unsigned).
public func sampleCapture(
    id: Int64 = 0,
    receivedAt: CaptureTime = sampleCaptureTime,
    method: String = "POST",
    rawTarget: [UInt8] = Array("/hook".utf8),
    headers: [HeaderField] = [],
    remoteAddress: String = "127.0.0.1:50000",
    body: Data = Data(),
    bodyWasChunked: Bool = false,
    response: CapturedResponse = CapturedResponse(status: 200),
    signature: SignatureSummary = .unsigned
) -> CapturedRequest {
    CapturedRequest(
        id: id, receivedAt: receivedAt, method: method, rawTarget: rawTarget, headers: headers,
        remoteAddress: remoteAddress, body: body, bodyWasChunked: bodyWasChunked, response: response,
        signature: signature)
}
