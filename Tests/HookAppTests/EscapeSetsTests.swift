import HookCore
import Testing
import TermUI
@testable import HookApp

/// Headless lines, `show` and `list` escape with `TerminalSafety`, the TUI with `Sanitizer`: both
/// must escape the same characters.
@Suite struct EscapeSetsTests {
    @Test func theHeadlessAndTheScreenEscapeTheSameCharacters() {
        var differences: [String] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            if TerminalSafety.isUnsafe(scalar) != Sanitizer.mustEscape(scalar) {
                differences.append("U+\(String(value, radix: 16, uppercase: true))")
                if differences.count > 10 { break }
            }
        }
        let same = differences.isEmpty
        #expect(same, "\(differences.joined(separator: " "))")
    }
}
