import Foundation

/// Writes one `HAREntry` as JSON text byte for byte as Foundation's `JSONEncoder` does with
/// `.prettyPrinted, .sortedKeys, .withoutEscapingSlashes` (the keys of each object in the byte
/// order `.sortedKeys` gives, nil fields left out as `Codable` does), with DEL and the characters
/// that act on terminals escaped too; without `JSONEncoder`, which took most of a large HAR
/// export's time. `HARTests` compares the output with the encoder's on plain and hostile captures.
struct HARPrettyWriter {
    private(set) var out: [UInt8] = []
    /// Spaces before the entry's own lines (its place in the document).
    private let baseIndent: Int

    init(baseIndent: Int) {
        self.baseIndent = baseIndent
        out.reserveCapacity(8 * 1024)
    }

    static func bytes(of entry: HAREntry, baseIndent: Int) -> [UInt8] {
        var writer = HARPrettyWriter(baseIndent: baseIndent)
        writer.entry(entry)
        return writer.out
    }

    // MARK: structure

    private var depth = 0

    private mutating func newline() {
        out.append(0x0A)
        out += repeatElement(0x20, count: baseIndent + 2 * depth)
    }

    /// `open`, `count` items each on its own line (written by `item`), `close`; an empty container
    /// as Foundation writes it (an empty line, then the closing bracket).
    private mutating func container(_ open: UInt8, _ close: UInt8, count: Int, _ item: (inout HARPrettyWriter, Int) -> Void) {
        out.append(open)
        if count == 0 {
            out.append(0x0A)
        } else {
            depth += 1
            for index in 0..<count {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline()
                item(&self, index)
            }
            depth -= 1
        }
        newline()
        out.append(close)
    }

    /// An object of `members`, each a key and what writes its value.
    private mutating func object(_ members: [(String, (inout HARPrettyWriter) -> Void)]) {
        container(UInt8(ascii: "{"), UInt8(ascii: "}"), count: members.count) { writer, index in
            writer.string(members[index].0)
            writer.out += [0x20, 0x3A, 0x20]
            members[index].1(&writer)
        }
    }

    private mutating func array<T>(_ elements: [T], _ write: (inout HARPrettyWriter, T) -> Void) {
        container(UInt8(ascii: "["), UInt8(ascii: "]"), count: elements.count) { writer, index in write(&writer, elements[index]) }
    }

    // MARK: values

    private mutating func int(_ value: Int) { out += Array(String(value).utf8) }
    private mutating func int64(_ value: Int64) { out += Array(String(value).utf8) }
    private mutating func bool(_ value: Bool) { out += Array((value ? "true" : "false").utf8) }

    private mutating func double(_ value: Double) {
        if value == value.rounded(), abs(value) < 1e15 {
            out += Array(String(Int64(value)).utf8)
        } else {
            out += Array("\(value)".utf8)
        }
    }

    /// A string as Foundation's encoder writes it (`\b \t \n \f \r` named, other C0 controls as
    /// `\u00xx`, `/` as is), with DEL and the characters `Escaping.mustEscape` names as `\uXXXX`.
    private mutating func string(_ text: String) {
        CaptureJSON.appendQuoted(text, to: &out, namingBackspaceAndFormFeed: true)
    }

    private mutating func nameValue(_ pair: HARNameValue) {
        var members: [(String, (inout HARPrettyWriter) -> Void)] = []
        if let base64 = pair._base64 { members.append(("_base64", { $0.string(base64) })) }
        members.append(("name", { $0.string(pair.name) }))
        members.append(("value", { $0.string(pair.value) }))
        object(members)
    }

    // MARK: the entry, keys in byte order

    mutating func entry(_ entry: HAREntry) {
        var members: [(String, (inout HARPrettyWriter) -> Void)] = []
        if let info = entry._hookscope { members.append(("_hookscope", { $0.captureInfo(info) })) }
        members.append(("cache", { $0.object(entry.cache.sorted { $0.key < $1.key }.map { key, value in (key, { $0.string(value) }) }) }))
        members.append(("request", { $0.request(entry.request) }))
        members.append(("response", { $0.response(entry.response) }))
        members.append(("startedDateTime", { $0.string(entry.startedDateTime) }))
        members.append(("time", { $0.double(entry.time) }))
        members.append(("timings", { writer in
            writer.object([
                ("receive", { $0.double(entry.timings.receive) }),
                ("send", { $0.double(entry.timings.send) }),
                ("wait", { $0.double(entry.timings.wait) }),
            ])
        }))
        object(members)
    }

    private mutating func captureInfo(_ info: HARCaptureInfo) {
        var members: [(String, (inout HARPrettyWriter) -> Void)] = []
        if let attempt = info.attempt { members.append(("attempt", { $0.int(attempt) })) }
        members += [
            ("bodySize", { $0.int(info.bodySize) }),
            ("bodyWasChunked", { $0.bool(info.bodyWasChunked) }),
        ]
        if let deliveryID = info.deliveryId { members.append(("deliveryId", { $0.string(deliveryID) })) }
        if let event = info.event { members.append(("event", { $0.string(event) })) }
        members.append(("id", { $0.int64(info.id) }))
        if let local = info.localAddress { members.append(("localAddress", { $0.string(local) })) }
        members.append(("receivedAtNanoseconds", { $0.int64(info.receivedAtNanoseconds) }))
        if let refusal = info.refusal { members.append(("refusal", { $0.string(refusal) })) }
        members.append(("remoteAddress", { $0.string(info.remoteAddress) }))
        if let replays = info.replays { members.append(("replays", { $0.array(replays) { $0.replayInfo($1) } })) }
        members.append(("signatureDetail", { $0.string(info.signatureDetail) }))
        if let provider = info.signatureProvider { members.append(("signatureProvider", { $0.string(provider) })) }
        members.append(("signatureStatus", { $0.string(info.signatureStatus) }))
        members.append(("targetBase64", { $0.string(info.targetBase64) }))
        object(members)
    }

    private mutating func replayInfo(_ replay: HARReplayInfo) {
        var members: [(String, (inout HARPrettyWriter) -> Void)] = [("edited", { $0.bool(replay.edited) })]
        if let error = replay.error { members.append(("error", { $0.string(error) })) }
        if let failure = replay.failure { members.append(("failure", { $0.string(failure) })) }
        members.append(("id", { $0.int64(replay.id) }))
        members.append(("kind", { $0.string(replay.kind) }))
        members.append(("resigned", { $0.bool(replay.resigned) }))
        members.append(("startedDateTime", { $0.string(replay.startedDateTime) }))
        if let status = replay.status { members.append(("status", { $0.int(status) })) }
        members.append(("target", { $0.string(replay.target) }))
        members.append(("time", { $0.double(replay.time) }))
        object(members)
    }

    private mutating func request(_ request: HARRequest) {
        var members: [(String, (inout HARPrettyWriter) -> Void)] = [
            ("bodySize", { $0.int(request.bodySize) }),
            ("cookies", { $0.array(request.cookies) { $0.nameValue($1) } }),
            ("headers", { $0.array(request.headers) { $0.nameValue($1) } }),
            ("headersSize", { $0.int(request.headersSize) }),
            ("httpVersion", { $0.string(request.httpVersion) }),
            ("method", { $0.string(request.method) }),
        ]
        if let post = request.postData {
            members.append(("postData", { writer in
                var fields: [(String, (inout HARPrettyWriter) -> Void)] = []
                if let base64 = post._base64 { fields.append(("_base64", { $0.string(base64) })) }
                if let comment = post.comment { fields.append(("comment", { $0.string(comment) })) }
                fields.append(("mimeType", { $0.string(post.mimeType) }))
                if let text = post.text { fields.append(("text", { $0.string(text) })) }
                writer.object(fields)
            }))
        }
        members.append(("queryString", { $0.array(request.queryString) { $0.nameValue($1) } }))
        members.append(("url", { $0.string(request.url) }))
        object(members)
    }

    private mutating func response(_ response: HARResponse) {
        object([
            ("bodySize", { $0.int(response.bodySize) }),
            ("content", { writer in
                var fields: [(String, (inout HARPrettyWriter) -> Void)] = []
                if let encoding = response.content.encoding { fields.append(("encoding", { $0.string(encoding) })) }
                fields.append(("mimeType", { $0.string(response.content.mimeType) }))
                fields.append(("size", { $0.int(response.content.size) }))
                if let text = response.content.text { fields.append(("text", { $0.string(text) })) }
                writer.object(fields)
            }),
            ("cookies", { $0.array(response.cookies) { $0.nameValue($1) } }),
            ("headers", { $0.array(response.headers) { $0.nameValue($1) } }),
            ("headersSize", { $0.int(response.headersSize) }),
            ("httpVersion", { $0.string(response.httpVersion) }),
            ("redirectURL", { $0.string(response.redirectURL) }),
            ("status", { $0.int(response.status) }),
            ("statusText", { $0.string(response.statusText) }),
        ])
    }
}
