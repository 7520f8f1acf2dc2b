import Foundation
import HookCore
import HookSignatures

/// What each delivery of a `send` is made from: a sample's templates, or a body of the user's
/// own sent as it is, in the provider's envelope.
public struct DeliverySource: Sendable {
    public enum Body: Sendable {
        case template(Template)
        /// Sent byte for byte; placeholders in it are not filled.
        case bytes(Data)
    }

    public var method: String
    /// In order; their values are templates when `fillsHeaders`, else sent as they are.
    public var headers: [HeaderField]
    public var fillsHeaders = true
    public var body: Body
    /// Who signs it; nil sends it unsigned.
    public var provider: String?
    public var deliveryID: DeliveryIDStyle
    /// The delivery id of a re-sent capture: it stays what the capture carried.
    public var fixedDeliveryID: String?

    public init(sample: Sample, provider: String? = nil) {
        method = sample.method
        headers = sample.headers.map { HeaderField($0.name, $0.value.text) }
        body = .template(sample.body)
        self.provider = provider ?? sample.provider
        deliveryID = sample.deliveryID
    }

    /// A stored capture sent again as it came (headers in order, the body's bytes), signed anew
    /// as `provider`. Framing headers go: the sender sets them.
    public init(capture: CapturedRequest, provider: String?) {
        method = capture.method
        let framing: Set<String> = ["host", "content-length", "transfer-encoding", "connection"]
        headers = capture.headers.filter { !framing.contains($0.name.lowercased()) }
        fillsHeaders = false
        body = .bytes(capture.body)
        self.provider = provider
        deliveryID = .uuid
        let idHeaders = ["X-GitHub-Delivery", "webhook-id", "svix-id", "X-Shopify-Webhook-Id", "Linear-Delivery", "I-Twilio-Idempotency-Token"]
        fixedDeliveryID = capture.deliveryID ?? idHeaders.lazy.compactMap { capture.headers.value(named: $0) }.first ?? "capture #\(capture.id)"
    }

    /// Adds the headers `provider`'s scheme signs with that the source lacks (a sample of the user's
    /// own need not write them), with placeholders that signing replaces.
    public mutating func addSigningHeaders(verifier: SignatureVerifier) throws(ResignError) {
        guard let provider else { return }
        switch verifier.headersToSign(for: provider, messageID: "{{delivery_id}}") {
        case .success(let fields):
            let present = Set(headers.map { $0.name.lowercased() })
            headers += fields.filter { !present.contains($0.name.lowercased()) }
        case .failure(let error):
            throw error
        }
    }

    /// `body` in `provider`'s envelope: the headers of its first sample, or, for a provider
    /// without one, JSON with the headers its scheme needs (`headersToSign`).
    public init(body: Data, provider: String?, verifier: SignatureVerifier) throws(ResignError) {
        method = "POST"
        self.body = .bytes(body)
        self.provider = provider
        if let provider, let sample = Samples.first(for: provider) {
            headers = sample.headers.map { HeaderField($0.name, $0.value.text) }
            deliveryID = sample.deliveryID
        } else {
            headers = [HeaderField("Content-Type", "application/json"), HeaderField("User-Agent", "hookscope-send")]
            deliveryID = .uuid
            if let provider {
                switch verifier.headersToSign(for: provider, messageID: "{{delivery_id}}") {
                case .success(let fields): headers += fields
                case .failure(let error): throw error
                }
            }
        }
    }
}

/// One delivery ready to go: its number, id and the signed request.
public struct Delivery: Sendable {
    public var n: Int
    public var deliveryID: String
    public var request: CapturedRequest
}

/// Builds the deliveries of one `send`: fresh ids and times, the user's extra headers, signed.
public struct DeliveryBuilder: Sendable {
    public var source: DeliverySource
    public var verifier: SignatureVerifier
    /// Where they go; URL-signed schemes sign it unless `signingURL` is set.
    public var targetURL: String
    /// The URL the sender is reached at when it is not `targetURL` (`--public-url`, a tunnel).
    public var signingURL: String?
    /// `--header` values: replace a header of that name (any case), else are added at the end.
    public var extraHeaders: [HeaderField]
    /// `--method`, else the source's.
    public var method: String?

    public init(
        source: DeliverySource, verifier: SignatureVerifier, targetURL: String, signingURL: String? = nil,
        extraHeaders: [HeaderField] = [], method: String? = nil
    ) {
        self.source = source
        self.verifier = verifier
        self.targetURL = targetURL
        self.signingURL = signingURL
        self.extraHeaders = extraHeaders
        self.method = method
    }

    public func make(n: Int, now: CaptureTime = .now()) -> Result<Delivery, ResignError> {
        var generator = SystemRandomNumberGenerator()
        return make(n: n, now: now, using: &generator)
    }

    public func make<G: RandomNumberGenerator>(n: Int, now: CaptureTime, using generator: inout G) -> Result<Delivery, ResignError> {
        let id = source.fixedDeliveryID ?? source.deliveryID.make(using: &generator)
        let values = Template.Values(deliveryID: id, now: Date(timeIntervalSince1970: Double(now.nanosecondsSince1970) / 1e9))
        var headers = source.headers
        if source.fillsHeaders {
            headers = headers.map { HeaderField($0.name, Template($0.value).render(values, using: &generator)) }
        }
        for extra in extraHeaders {
            let same = { (field: HeaderField) in field.name.caseInsensitiveCompare(extra.name) == .orderedSame }
            if let at = headers.firstIndex(where: same) {
                headers.removeAll(where: same)
                headers.insert(extra, at: min(at, headers.count))
            } else {
                headers.append(extra)
            }
        }
        let body: Data = switch source.body {
        case .template(let template): Data(template.render(values, using: &generator).utf8)
        case .bytes(let bytes): bytes
        }
        let url = URL(string: targetURL)
        var target = url.map { $0.path.isEmpty ? "/" : $0.path } ?? "/"
        if let query = url?.query { target += "?" + query }
        if let host = url?.host {
            let authority = url?.port.map { "\(host):\($0)" } ?? host
            headers.insert(HeaderField("Host", authority), at: 0)
        }
        var request = CapturedRequest(
            receivedAt: now, method: method ?? source.method, rawTarget: Array(target.utf8), headers: headers,
            remoteAddress: "127.0.0.1:0", body: body, response: CapturedResponse(status: 0))
        if let provider = source.provider {
            switch verifier.signed(request, as: provider, now: now, targetURL: signingURL ?? targetURL) {
            case .success(let signed): request = signed
            case .failure(let error): return .failure(error)
            }
        }
        return .success(Delivery(n: n, deliveryID: id, request: request))
    }
}
