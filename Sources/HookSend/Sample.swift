import Foundation

/// A built-in event as a provider sends it: method, headers and body, with placeholders filled
/// anew for every delivery (`Template`), and the shape of its delivery id.
public struct Sample: Sendable {
    /// `PROVIDER/EVENT`, e.g. `stripe/payment_intent.succeeded`.
    public var name: String
    /// Who signs it; nil for the generic sample, which is sent unsigned unless `--provider` names one.
    public var provider: String?
    /// One line for `--list-samples`.
    public var summary: String
    public var method: String = "POST"
    /// In the order the provider sends them; the signature header holds a placeholder that
    /// signing replaces.
    public var headers: [(name: String, value: Template)]
    public var body: Template
    /// What a fresh delivery id looks like (where `{{delivery_id}}` appears, in a header or the body).
    public var deliveryID: DeliveryIDStyle

    public var event: String { String(name.split(separator: "/", maxSplits: 1).last ?? "") }
}

/// The shape of a provider's delivery ids.
public struct DeliveryIDStyle: Sendable, Hashable {
    public var prefix: String
    public var length: Int
    public var alphabet: String
    public var isUUID: Bool

    public static let uuid = DeliveryIDStyle(prefix: "", length: 0, alphabet: "", isUUID: true)

    public static func prefixed(_ prefix: String, _ length: Int, _ alphabet: String = DeliveryIDStyle.alnum) -> DeliveryIDStyle {
        DeliveryIDStyle(prefix: prefix, length: length, alphabet: alphabet, isUUID: false)
    }

    public static let alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    public static let hex = "0123456789abcdef"
    public static let upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    public static let lower = "abcdefghijklmnopqrstuvwxyz0123456789"

    public func make<G: RandomNumberGenerator>(using generator: inout G) -> String {
        isUUID ? Template.uuid(using: &generator) : prefix + Template.random(length, from: alphabet, using: &generator)
    }
}
