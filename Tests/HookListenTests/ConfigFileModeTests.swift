import Foundation
import HookCore
import Testing

@testable import HookListen

/// A config file that holds secrets and that others can read gets a warning; one that holds none,
/// or only its owner can read, does not.
@Suite struct ConfigFileModeTests {
    func write(_ text: String, mode: Int) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-config-\(UUID().uuidString).toml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    @Test func secretsReadableByOthersAreWarnedAbout() throws {
        let secrets = "[secrets]\nstripe = \"whsec_x\"\n"
        let open = try write(secrets, mode: 0o644)
        let warning = try #require(ConfigFile.readableSecretsWarning(try ConfigFile.load(explicitPath: open), path: open))
        #expect(warning.contains("chmod 600 \(open)"))
        #expect(!warning.contains("whsec_x"))
        let closed = try write(secrets, mode: 0o600)
        #expect(ConfigFile.readableSecretsWarning(try ConfigFile.load(explicitPath: closed), path: closed) == nil)
        let noSecrets = try write("port = 9000\n", mode: 0o644)
        #expect(ConfigFile.readableSecretsWarning(try ConfigFile.load(explicitPath: noSecrets), path: noSecrets) == nil)
    }
}
