import Foundation
import HookCore

/// Samples of the user's own: files `PROVIDER/EVENT.http` under `$XDG_CONFIG_HOME/hookscope/samples/`
/// (else `~/.config/hookscope/samples/`), named `PROVIDER/EVENT` like the built-in ones, which a
/// user sample of the same name replaces. A file is an HTTP message without its request target:
///
///     # summary: an invoice of our own, paid
///     # delivery-id: evt_ 24
///     POST
///     Content-Type: application/json
///     Stripe-Signature: t=0,v1=00
///
///     {"id": "{{delivery_id}}", "type": "invoice.paid", "created": {{now}}}
///
/// - Leading `#` lines are settings: `summary` (the `--list-samples` line) and `delivery-id`, the
///   shape of fresh delivery ids: `uuid`, or a prefix and a length of random letters and digits.
/// - Then the method alone on its line, the headers in the order they are sent, an empty line, and
///   the body to the end of the file (its bytes as written, no newline added or removed).
/// - Headers and body take the placeholders of `Template` (`{{delivery_id}}`, `{{now}}`, ...).
/// - `PROVIDER` is the provider it is signed as; `generic` (or an unknown id) is sent unsigned
///   unless `--provider` names one. The signature header, if any, is replaced when it is signed.
public enum UserSamples {
    /// The directory user samples are read from.
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") { return xdg + "/hookscope/samples" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.config/hookscope/samples"
    }

    /// A sample file that cannot be used, and why.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The samples in `directory`, by name; a missing directory has none. A file that cannot be
    /// read or parsed is a `Problem` naming it.
    public static func load(from directory: String, knownProviders: Set<String>) throws(Problem) -> [Sample] {
        let files = FileManager.default
        guard let providers = try? files.contentsOfDirectory(atPath: directory) else { return [] }
        var samples: [Sample] = []
        for provider in providers.sorted() where !provider.hasPrefix(".") {
            let folder = directory + "/" + provider
            guard let names = try? files.contentsOfDirectory(atPath: folder) else { continue }
            for event in names.filter({ $0.hasSuffix(".http") }).map({ String($0.dropLast(".http".count)) }).sorted() {
                let path = folder + "/" + event + ".http"
                guard let data = files.contents(atPath: path) else { throw Problem(description: "cannot read the sample \(path)") }
                do {
                    samples.append(try parse(data, name: "\(provider)/\(event)", provider: knownProviders.contains(provider) ? provider : nil))
                } catch {
                    throw Problem(description: "sample \(path): \(error.description)")
                }
            }
        }
        return samples
    }

    /// One sample file's contents.
    public static func parse(_ data: Data, name: String, provider: String?) throws(Problem) -> Sample {
        guard let text = String(data: data, encoding: .utf8) else { throw Problem(description: "not UTF-8 text") }
        var rest = text[...]
        func nextLine() -> Substring? {
            guard !rest.isEmpty else { return nil }
            let end = rest.firstIndex(of: "\n") ?? rest.endIndex
            let line = rest[..<end]
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
            return line.hasSuffix("\r") ? line.dropLast() : line
        }
        var summary = "a sample of your own"
        var deliveryID = DeliveryIDStyle.uuid
        var method: String?
        while let line = nextLine() {
            if line.hasPrefix("#") {
                let setting = line.dropFirst().split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard setting.count == 2 else { continue }
                switch setting[0].lowercased() {
                case "summary": summary = setting[1]
                case "delivery-id": deliveryID = try style(setting[1])
                default: throw Problem(description: "unknown setting '\(setting[0])' (summary, delivery-id)")
                }
                continue
            }
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            method = String(line)
            break
        }
        guard let method, !method.isEmpty, method.utf8.allSatisfy({ (0x41...0x5A).contains($0) }) else {
            throw Problem(description: "the first line after the settings must be the method, e.g. POST")
        }
        var headers: [(name: String, value: Template)] = []
        while let line = nextLine() {
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw Problem(description: "'\(line.prefix(40))' is not a header (Name: value); an empty line goes before the body")
            }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            guard name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }) else {
                throw Problem(description: "'\(name.prefix(40))' is not a header name")
            }
            headers.append((name, Template(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))))
        }
        return Sample(
            name: name, provider: provider, summary: summary, method: method, headers: headers, body: Template(String(rest)),
            deliveryID: deliveryID)
    }

    /// `uuid`, or `PREFIX LENGTH` (`evt_ 24`), or `LENGTH` alone.
    static func style(_ text: String) throws(Problem) -> DeliveryIDStyle {
        if text.lowercased() == "uuid" { return .uuid }
        let parts = text.split(separator: " ")
        if parts.count == 1, let length = Int(parts[0]), (1...64).contains(length) { return .prefixed("", length) }
        if parts.count == 2, let length = Int(parts[1]), (1...64).contains(length) { return .prefixed(String(parts[0]), length) }
        throw Problem(description: "delivery-id must be 'uuid' or a prefix and a length from 1 to 64, e.g. 'evt_ 24'")
    }
}

extension UserSamples {
    /// Headers a sample leaves to the sender: framing, which every send sets anew.
    static let framingHeaders: Set<String> = ["host", "content-length", "transfer-encoding", "connection"]

    /// `request` as a sample file (`UserSamples`' format): its method, headers (framing left out)
    /// and body, with its delivery id, wherever it appears, as `{{delivery_id}}`, so that each send
    /// is a new delivery. A body that is not UTF-8 text cannot be a sample.
    public static func fileText(of request: CapturedRequest) throws(Problem) -> String {
        guard request.refusal == nil else {
            throw Problem(description: "#\(request.id) was refused and its body not kept: it cannot be a sample")
        }
        guard var body = String(data: request.body, encoding: .utf8) else {
            throw Problem(description: "#\(request.id) has a body that is not UTF-8 text: a sample file holds text")
        }
        var headers = request.headers.filter { !framingHeaders.contains($0.name.lowercased()) }.map { ($0.name, $0.value) }
        var deliveryLine = "uuid"
        if let id = request.deliveryID, id.count >= 4 {
            body = body.replacingOccurrences(of: id, with: "{{delivery_id}}")
            headers = headers.map { ($0.0, $0.1.replacingOccurrences(of: id, with: "{{delivery_id}}")) }
            deliveryLine = deliveryStyle(of: id)
        }
        var text = "# summary: saved from capture #\(request.id) (\(request.event ?? request.target), \(request.receivedAt.rfc3339))\n"
        text += "# delivery-id: \(deliveryLine)\n"
        text += request.method + "\n"
        for (name, value) in headers where !value.contains("\n") && !value.contains("\r") {
            text += "\(name): \(value)\n"
        }
        return text + "\n" + body
    }

    /// A delivery id's shape as the `delivery-id` setting: `uuid`, or its prefix up to the last
    /// `_` or `-` and the length of the rest.
    static func deliveryStyle(of id: String) -> String {
        if UUID(uuidString: id) != nil { return "uuid" }
        let cut = id.lastIndex { $0 == "_" || $0 == "-" }.map { id.index(after: $0) } ?? id.startIndex
        let prefix = String(id[..<cut])
        let length = min(64, max(1, id.distance(from: cut, to: id.endIndex)))
        return prefix.isEmpty || prefix.contains(" ") ? "\(length)" : "\(prefix) \(length)"
    }

    /// Writes `request` as a sample into `directory`/PROVIDER/NAME.http (PROVIDER its verdict's
    /// provider, else `generic`; NAME its event type, else `capture-ID`; `-2`, `-3`… when taken),
    /// the folders 0700 and the file 0600 as the captures' own files. Returns the sample's name and
    /// the file's path.
    public static func save(_ request: CapturedRequest, in directory: String) throws(Problem) -> (name: String, path: String) {
        let text = try fileText(of: request)
        let provider = request.signature.provider ?? "generic"
        let base = (request.event ?? "capture-\(request.id)").map { c -> Character in
            c.isLetter || c.isNumber || c == "." || c == "_" || c == "-" ? c : "_"
        }
        let folder = directory + "/" + provider
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw Problem(description: "cannot create \(folder): \(error.localizedDescription)")
        }
        var name = String(base)
        var n = 1
        while FileManager.default.fileExists(atPath: folder + "/" + name + ".http") {
            n += 1
            name = "\(String(base))-\(n)"
        }
        let path = folder + "/" + name + ".http"
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw Problem(description: "cannot write \(path)")
        }
        return ("\(provider)/\(name)", path)
    }
}
