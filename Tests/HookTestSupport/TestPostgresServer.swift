import Foundation

/// The PostgreSQL server the tests use: `HOOKSCOPE_TEST_POSTGRES_URL`
/// (`postgres://USER[:PASSWORD]@HOST:PORT/DB`). `.ci/run` starts one and sets it.
///
/// Unset outside CI, the PostgreSQL tests are left out with one line on stderr; with `CI=true`
/// they run anyway and fail, unset or unreachable: CI never skips them silently.
public enum TestPostgresServer {
    public static let variable = "HOOKSCOPE_TEST_POSTGRES_URL"

    public static var url: String? {
        ProcessInfo.processInfo.environment[variable].flatMap { $0.isEmpty ? nil : $0 }
    }

    public static let wanted: Bool = {
        if url != nil || ProcessInfo.processInfo.environment["CI"] == "true" { return true }
        FileHandle.standardError.write(Data(
            "PostgreSQL store tests skipped: \(variable) is not set (e.g. postgres://USER@127.0.0.1:5432/DB); with CI=true they fail instead\n".utf8))
        return false
    }()

    /// The server's URL with a new schema of its own (`?schema=hs_test_…`): a store opened with it
    /// starts empty, with ids from 1.
    public static func freshSchemaURL() throws -> String {
        guard let url else {
            throw TestPostgresError("\(variable) is not set: with CI=true the PostgreSQL store tests need a server")
        }
        let schema = "hs_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        return url + (url.contains("?") ? "&" : "?") + "schema=" + schema
    }
}

extension TestPostgresServer {
    /// `url` with its host and port replaced by 127.0.0.1:`port` (a relay in front of the server).
    public static func url(_ url: String, throughPort port: Int) -> String {
        guard let start = url.range(of: "@")?.upperBound else { return url }
        let end = url[start...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? url.endIndex
        return String(url[..<start]) + "127.0.0.1:\(port)" + String(url[end...])
    }

    /// The port of `url` (5432 when it names none).
    public static func port(of url: String) -> Int {
        guard let start = url.range(of: "@")?.upperBound else { return 5432 }
        let end = url[start...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? url.endIndex
        let hostPort = url[start..<end]
        guard !hostPort.hasSuffix("]"), let colon = hostPort.lastIndex(of: ":") else { return 5432 }
        return Int(hostPort[hostPort.index(after: colon)...]) ?? 5432
    }
}

public struct TestPostgresError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
