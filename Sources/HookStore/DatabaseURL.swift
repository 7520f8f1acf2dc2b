import Foundation

/// What `--db` (or `db` in the config file) names: an SQLite file, or a PostgreSQL database.
public enum StoreAddress: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(PostgresURL)

    /// `postgres://…` or `postgresql://…` is a PostgreSQL database; `file:PATH` (or `file://PATH`)
    /// and anything without a scheme is an SQLite file. Any other `scheme://` is refused: taken as
    /// a path it would silently create a local directory named after the scheme.
    public static func parse(_ text: String) throws(StoreAddressError) -> StoreAddress {
        let lower = text.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            return .postgres(try PostgresURL.parse(text))
        }
        if lower.hasPrefix("file://") { return .sqlite(path: String(text.dropFirst("file://".count))) }
        if lower.hasPrefix("file:") { return .sqlite(path: String(text.dropFirst("file:".count))) }
        if let range = text.range(of: "://") {
            let scheme = text[..<range.lowerBound]
            if !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) {
                throw StoreAddressError(
                    "--db: unsupported scheme '\(scheme)://': give an SQLite file path, file:PATH, or postgres://USER@HOST:PORT/DB")
            }
        }
        return .sqlite(path: text)
    }
}

/// A `--db` value that names no store hookscope can open; its message never holds a password.
public struct StoreAddressError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A PostgreSQL store's address, `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…]`, as libpq
/// reads it. The password, when the URL has one, is kept apart and never part of `description`.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// libpq's `sslmode` values; `verify-ca` is taken as `verify-full` (the stricter check).
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var user: String
    /// From the URL only; see `resolvedPassword` for PGPASSWORD and ~/.pgpass.
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode
    /// The schema the tables live in (`?schema=NAME`), created if missing; nil for the user's default
    /// (`public` on most servers).
    public var schema: String?

    public init(user: String, password: String? = nil, host: String, port: Int = 5432, database: String, sslMode: SSLMode = .prefer, schema: String? = nil) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.sslMode = sslMode
        self.schema = schema
    }

    /// The address without its password: what messages, logs and the status bar show.
    public var description: String {
        var text = "postgres://\(user.isEmpty ? "" : Self.escape(user) + "@")\(host.contains(":") ? "[\(host)]" : host):\(port)/\(Self.escape(database))"
        var query: [String] = []
        if sslMode != .prefer { query.append("sslmode=\(sslMode.rawValue)") }
        if let schema { query.append("schema=\(Self.escape(schema))") }
        if !query.isEmpty { text += "?" + query.joined(separator: "&") }
        return text
    }

    public static func parse(_ text: String) throws(StoreAddressError) -> PostgresURL {
        guard let schemeEnd = text.range(of: "://") else { throw StoreAddressError("--db: not a postgres:// URL") }
        var rest = Substring(text[schemeEnd.upperBound...])
        var queryText: Substring = ""
        if let question = rest.firstIndex(of: "?") {
            queryText = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var user = ""
        var password: String?
        // The last '@' ends the credentials: a password may hold '@' when percent-encoded or not.
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                user = try decode(credentials[..<colon], "user name")
                password = try decode(credentials[credentials.index(after: colon)...], "password")
            } else {
                user = try decode(credentials, "user name")
            }
        }
        var host = ""
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw StoreAddressError("--db: unclosed '[' in the host of the postgres:// URL") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw StoreAddressError("--db: unexpected '\(after)' after the host of the postgres:// URL")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            portText = rest[rest.index(after: colon)...]
        } else {
            host = String(rest)
        }
        host = try decode(Substring(host), "host")
        var port = 5432
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw StoreAddressError("--db: the port of the postgres:// URL must be between 1 and 65535, not '\(portText)'")
            }
            port = value
        }
        if host.isEmpty { host = "localhost" }
        let database = try decode(path, "database name")
        if user.isEmpty {
            throw StoreAddressError("--db: the postgres:// URL needs a user name: postgres://USER@HOST:PORT/DB")
        }
        var url = PostgresURL(user: user, password: password, host: host, port: port, database: database.isEmpty ? user : database)
        for pair in queryText.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = try parts.count > 1 ? decode(parts[1], key) : ""
            switch key {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw StoreAddressError(
                        "--db: sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", ")), not '\(value)'")
                }
                url.sslMode = mode
            case "schema":
                guard !value.isEmpty, value.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) }),
                    !(0x30...0x39).contains(value.utf8.first!)
                else {
                    throw StoreAddressError("--db: schema must be a lower-case name of letters, digits and '_', not '\(value)'")
                }
                url.schema = value
            case "application_name", "connect_timeout":
                break  // libpq settings with nothing to do here
            default:
                throw StoreAddressError("--db: unknown setting '\(key)' in the postgres:// URL (known: sslmode, schema)")
            }
        }
        return url
    }

    private static func decode(_ text: Substring, _ what: String) throws(StoreAddressError) -> String {
        guard let decoded = String(text).removingPercentEncoding else {
            throw StoreAddressError("--db: the \(what) in the postgres:// URL has a bad %-escape")
        }
        return decoded
    }

    private static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed.subtracting(CharacterSet(charactersIn: ":@/?#"))) ?? text
    }

    /// The password as libpq finds it: the URL's, else `PGPASSWORD`, else the first matching line of
    /// the password file (`PGPASSFILE`, else `~/.pgpass`; skipped when others can read it, as libpq
    /// does), else none.
    public func resolvedPassword(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let password { return password }
        if let password = environment["PGPASSWORD"], !password.isEmpty { return password }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        let file = environment["PGPASSFILE"] ?? home + "/.pgpass"
        var info = stat()
        guard stat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_mode & 0o077 == 0,
            let contents = try? String(contentsOfFile: file, encoding: .utf8)
        else { return nil }
        return Self.passwordFile(contents, host: host, port: port, database: database, user: user)
    }

    /// The password of the first line of a `.pgpass` file (`host:port:database:user:password`, `*`
    /// matching anything, `\:` and `\\` escaped) that matches.
    static func passwordFile(_ contents: String, host: String, port: Int, database: String, user: String) -> String? {
        for line in contents.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            var fields: [String] = []
            var field = ""
            var escaped = false
            for character in line {
                if escaped {
                    field.append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == ":" && fields.count < 4 {
                    fields.append(field)
                    field = ""
                } else {
                    field.append(character)
                }
            }
            fields.append(field)
            guard fields.count == 5 else { continue }
            let hostMatches = fields[0] == "*" || fields[0] == host
            if hostMatches, fields[1] == "*" || fields[1] == String(port), fields[2] == "*" || fields[2] == database, fields[3] == "*" || fields[3] == user {
                return fields[4]
            }
        }
        return nil
    }
}
