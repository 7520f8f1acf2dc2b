import Foundation

/// Text with `{{…}}` placeholders that are filled in anew for every delivery:
/// - `{{delivery_id}}`: the delivery's id (the same wherever it appears in one delivery);
/// - `{{now}}`, `{{now_ms}}`, `{{now_iso}}`: the send time in seconds, milliseconds, RFC 3339;
/// - `{{uuid}}`: a random UUID, lower-case; `{{hex:N}}`, `{{alnum:N}}`, `{{digits:N}}`: N random
///   characters of that kind (1 to 64). Each occurrence of these gets its own value.
/// Anything else between braces is left as written.
public struct Template: Sendable, Hashable {
    public var text: String

    public init(_ text: String) { self.text = text }

    /// What one delivery's placeholders stand for.
    public struct Values: Sendable {
        public var deliveryID: String
        public var now: Date

        public init(deliveryID: String, now: Date) {
            self.deliveryID = deliveryID
            self.now = now
        }
    }

    public func render<G: RandomNumberGenerator>(_ values: Values, using generator: inout G) -> String {
        var out = ""
        var rest = text[...]
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                rest = rest[open.lowerBound...]
                break
            }
            let name = String(rest[open.upperBound..<close.lowerBound])
            if let value = Self.value(of: name, values, using: &generator) {
                out += value
            } else {
                out += rest[open.lowerBound..<close.upperBound]
            }
            rest = rest[close.upperBound...]
        }
        out += rest
        return out
    }

    static func value<G: RandomNumberGenerator>(of name: String, _ values: Values, using generator: inout G) -> String? {
        switch name {
        case "delivery_id": return values.deliveryID
        case "now": return String(Int64(values.now.timeIntervalSince1970.rounded(.down)))
        case "now_ms": return String(Int64((values.now.timeIntervalSince1970 * 1000).rounded(.down)))
        case "now_iso": return Self.iso(values.now)
        case "uuid": return Self.uuid(using: &generator)
        default: break
        }
        let parts = name.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let count = Int(parts[1]), (1...64).contains(count) else { return nil }
        switch parts[0] {
        case "hex": return random(count, from: "0123456789abcdef", using: &generator)
        case "alnum": return random(count, from: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", using: &generator)
        case "digits": return random(count, from: "0123456789", using: &generator)
        default: return nil
        }
    }

    static func random<G: RandomNumberGenerator>(_ count: Int, from alphabet: String, using generator: inout G) -> String {
        let characters = Array(alphabet)
        return String((0..<count).map { _ in characters.randomElement(using: &generator)! })
    }

    static func uuid<G: RandomNumberGenerator>(using generator: inout G) -> String {
        let hex = random(32, from: "0123456789abcdef", using: &generator)
        var chars = Array(hex)
        chars[12] = "4"
        chars[16] = Array("89ab").randomElement(using: &generator)!
        let s = String(chars)
        let i = s.startIndex
        func part(_ from: Int, _ to: Int) -> Substring { s[s.index(i, offsetBy: from)..<s.index(i, offsetBy: to)] }
        return "\(part(0, 8))-\(part(8, 12))-\(part(12, 16))-\(part(16, 20))-\(part(20, 32))"
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
