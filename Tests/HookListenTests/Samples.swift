import Foundation
import HookCore

/// A Stripe test vector: this header signs `{"hello":"world"}` with the secret `test_secret` at
/// t=1700000000.
let stripeVectorHeader = "t=1700000000,v1=a5d9de1d23a233e086ce2cd0940311c91c3039e7d92c0d96a82fda4881746747"
let stripeVectorTime = CaptureTime(nanosecondsSince1970: 1_700_000_000_000_000_000)

/// A request as the listener hands it to its sink.
func sampleCapture(
    path: String = "/hook", body: String = "{\"hello\":\"world\"}", headers: [HeaderField] = [],
    receivedAt: CaptureTime = stripeVectorTime, refusal: Refusal? = nil
) -> CapturedRequest {
    CapturedRequest(
        receivedAt: receivedAt, method: "POST", rawTarget: Array(path.utf8),
        headers: [HeaderField("Content-Type", "application/json")] + headers, remoteAddress: "127.0.0.1:50000",
        body: refusal == nil ? Data(body.utf8) : Data(), bodySize: body.utf8.count, refusal: refusal,
        response: CapturedResponse(status: 200))
}
