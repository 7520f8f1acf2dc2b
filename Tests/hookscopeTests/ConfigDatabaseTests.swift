import Foundation
import Testing

/// `db` in the config file is where every command finds the captures, not only `listen` and `replay`.
@Suite struct ConfigDatabaseTests {
    @Test func everyCommandReadsTheDatabaseNamedInTheConfigFile() async throws {
        let db = try await SignatureCLITests().capturedStripeRequests()
        let home = try temporaryDirectory()
        let configDirectory = home.appendingPathComponent("hookscope")
        try FileManager.default.createDirectory(at: configDirectory, withIntermediateDirectories: true)
        try Data("db = \"\(db)\"\n".utf8).write(to: configDirectory.appendingPathComponent("config.toml"))
        var environment = cleanEnvironment()
        environment["XDG_CONFIG_HOME"] = home.path
        environment["XDG_DATA_HOME"] = home.appendingPathComponent("data").path

        let list = try await runHookscope(["list", "--json"], environment: environment)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(String(decoding: list.stdout, as: UTF8.self).split(separator: "\n").count >= 1)
        let show = try await runHookscope(["show", "1"], environment: environment)
        #expect(show.status == 0, "\(show.stderr)")
        let verify = try await runHookscope(["verify", "1"], environment: environment)
        #expect([0, 1, 2].contains(verify.status), "\(verify.stderr)")
        let export = try await runHookscope(["export", "--curl", "--id", "1"], environment: environment)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(String(decoding: export.stdout, as: UTF8.self).contains("\ncurl "))

        // Without the config file the same commands look in the default place, which is empty.
        environment["XDG_CONFIG_HOME"] = home.appendingPathComponent("elsewhere").path
        let missing = try await runHookscope(["list"], environment: environment)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no captures yet"), "\(missing.stderr)")
    }
}
