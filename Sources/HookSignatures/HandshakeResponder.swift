import Foundation
import HookCore

/// Answers the verification handshakes providers send when an endpoint is registered, so that a
/// provider can be pointed at hookscope directly. Everything else gets nil (the listener's own answer).
public enum HandshakeResponder {
    public static func response(for request: CapturedRequest, verifier: SignatureVerifier, metaVerifyToken: String?) -> CapturedResponse? {
        let method = request.method.uppercased()
        if method == "HEAD" {
            // Trello checks a callback URL with HEAD and needs 200.
            return CapturedResponse(status: 200)
        }
        if method == "GET" {
            return meta(request, token: metaVerifyToken)
        }
        guard method == "POST" else { return nil }
        if request.headers.value(named: "Twitch-Eventsub-Message-Type")?.lowercased() == "webhook_callback_verification" {
            guard let challenge = jsonObject(request)?["challenge"] as? String else { return nil }
            return CapturedResponse(status: 200, headers: [HeaderField("Content-Type", "text/plain")], body: Data(challenge.utf8))
        }
        if request.headers.first(named: "X-Signature-Ed25519") != nil, let object = jsonObject(request),
           (object["type"] as? NSNumber)?.intValue == 1 {
            let report = verifier.verify(request)
            guard report.summary.status == .valid else {
                return CapturedResponse(status: 401, headers: [HeaderField("Content-Type", "text/plain")], body: Data("invalid request signature".utf8))
            }
            return json(["type": 1])
        }
        // Cheap pre-check before parsing: this runs on the event loop for every captured POST.
        // (The size check comes before the copy: this runs on the event loop, bodies reach 25 MiB.)
        guard request.body.count <= 64 * 1024 else { return nil }
        // Both markers contain `url_v`: one pass over the body for it settles nearly every request.
        guard contains(request.body, urlV),
              contains(request.body, urlVerification) || contains(request.body, urlValidation),
              let object = jsonObject(request) else { return nil }
        if object["type"] as? String == "url_verification", let challenge = object["challenge"] as? String {
            return json(["challenge": challenge])
        }
        if object["event"] as? String == "endpoint.url_validation",
           let payload = object["payload"] as? [String: Any], let plain = payload["plainToken"] as? String,
           let secret = verifier.secrets.secrets(for: "zoom").first {
            let encrypted = Hex.encode(MACAlgorithm.hmacSHA256.mac(key: Array(secret.utf8), message: Array(plain.utf8)))
            return json(["plainToken": plain, "encryptedToken": encrypted])
        }
        return nil
    }

    private static let urlV = Array("url_v".utf8)
    private static let urlVerification = Array("url_verification".utf8)
    private static let urlValidation = Array("endpoint.url_validation".utf8)

    private static func meta(_ request: CapturedRequest, token: String?) -> CapturedResponse? {
        guard let token, let q = request.rawTarget.firstIndex(of: UInt8(ascii: "?")),
              let pairs = parseForm(Array(request.rawTarget[(q + 1)...])) else { return nil }
        let query = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        guard query["hub.mode"] == "subscribe", let challenge = query["hub.challenge"] else { return nil }
        guard let sent = query["hub.verify_token"], constantTimeEqual(Array(sent.utf8), Array(token.utf8)) else {
            return CapturedResponse(status: 403, headers: [HeaderField("Content-Type", "text/plain")], body: Data("verify token mismatch".utf8))
        }
        return CapturedResponse(status: 200, headers: [HeaderField("Content-Type", "text/plain")], body: Data(challenge.utf8))
    }

    private static func jsonObject(_ request: CapturedRequest) -> [String: Any]? {
        guard request.body.first == UInt8(ascii: "{") else { return nil }
        return try? JSONSerialization.jsonObject(with: request.body) as? [String: Any]
    }

    private static func json(_ object: [String: Any]) -> CapturedResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return CapturedResponse(status: 200, headers: [HeaderField("Content-Type", "application/json")], body: data)
    }
}
