import Foundation
import Testing

/// `listen --rules` refuses a bad rules file at start: one line naming the file, the line and the
/// rule, exit 64, nothing on stdout; a file that cannot be read is refused the same way.
@Suite struct RulesCLITests {
    @Test(arguments: [
        ("[[rule]]\nname = \"a\"\nfail = [\"timeout\", \"reset\"]\n", ":1: rule 'a': one failure kind per rule"),
        ("[[rule]]\nforward_to = \"ftp://x\"\n", ":1: rule '1': forward_to: invalid URL"),
        ("[[rule]]\npath = \"[\"\n", ":1: rule '1': path: bad glob"),
    ])
    func aBadRulesFileExits64WithOneLine(text: String, expected: String) async throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("rules.toml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let result = try await runHookscope(["listen", "--memory", "--port", "0", "--headless", "--rules", file.path])
        #expect(result.status == 64, "exit \(result.status), stderr: \(result.stderr)")
        #expect(result.stderr.hasPrefix("hookscope: \(file.path)\(expected)"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        let missing = try await runHookscope(["listen", "--memory", "--port", "0", "--headless", "--rules", directory.appendingPathComponent("none.toml").path])
        #expect(missing.status == 64)
        #expect(missing.stderr.hasPrefix("hookscope: --rules: cannot read "), "\(missing.stderr)")
    }
}
