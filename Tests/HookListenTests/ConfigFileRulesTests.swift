import Foundation
import HookCore
import Testing

@testable import HookListen

@Suite struct ConfigFileRulesTests {
    /// `[[rule]]` tables in the config file are the session's rules unless `--rules` is given, and
    /// a mistake in one is reported as in a rules file.
    @Test func theConfigFilesRulesAreUsedAndChecked() throws {
        let config = try ConfigFile.parse("""
            port = 9000

            [[rule]]
            name = "down"
            path = "/stripe*"
            status = 503
            """, path: "config.toml")
        #expect(config.rules.map(\.label) == ["down"])
        var flags = ListenFlags()
        flags.memory = true
        let settings = try ListenSettings.resolve(flags: flags, environment: ["HOME": "/nonexistent"], config: config)
        #expect(settings.rules.map(\.label) == ["down"])
        #expect(settings.rulesFile == nil)
        #expect(throws: UserError("config.toml:2: rule '1': unknown key 'stauts' (known: body, delay_ms, event, fail, forward_to, header, headers, method, name, path, provider, sequence, status)", usage: true)) {
            _ = try ConfigFile.parse("port = 1\n[[rule]]\nstauts = 5\n", path: "config.toml")
        }
    }
}
