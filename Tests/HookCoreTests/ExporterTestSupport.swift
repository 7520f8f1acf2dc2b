import Foundation
import Testing
@testable import HookCore

/// Hostile byte strings: each must reach the program exactly, with nothing executed.
let hostileInputs: [[UInt8]] = [
    [],
    Array("plain".utf8),
    Array("it's a 'quote'".utf8),
    Array("$(touch /tmp/hookscope-pwned) `id` ${HOME} $HOME".utf8),
    Array("line1\nline2\r\nline3\t\u{7}".utf8),
    Array("back\\slash \\' \\x41 %s %% !! !$".utf8),
    [0xFF, 0xFE, 0x80, 0x41, 0xC3],
    Array("\u{202E}evil\u{202C} zero\u{200B}width \u{2028} \u{FEFF} \u{85}".utf8),
    Array("é ü 日本 🎉".utf8),
    Array("\"double\" ; | & > < * ? [a] {b,c} ~ #".utf8),
    Array("\u{1B}[31mred\u{1B}[0m".utf8),
    Array("-H".utf8),
    Array("trailing newlines\n\n\n".utf8),
    [0x0A],
    Array((1...255).map { UInt8($0) }),
]

struct ShellRun {
    /// Runs `script` with the shell for the dialect; returns stdout.
    static func run(_ script: String, _ dialect: ShellDialect) throws -> [UInt8] {
        let shell = dialect == .bash ? "/bin/bash" : "/bin/sh"
        // From a file: a script can be larger than one argument may be.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hookscope-test-\(UUID().uuidString).sh")
        try Data(script.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try runProcess(shell, [file.path])
        return [UInt8](result.stdout)
    }
}
