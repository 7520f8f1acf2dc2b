import Foundation
import Testing
@testable import HookCore

@Suite struct ShellQuotingTests {
    @Test(arguments: ShellDialect.allCases)
    func hostileArgumentsRoundTripByteExact(dialect: ShellDialect) throws {
        for input in hostileInputs {
            let quoted = ShellQuoting.quote(input, dialect: dialect)
            let out = try ShellRun.run("printf '%s' " + quoted, dialect)
            #expect(out == input, "\(dialect) quoting of \(input) gave \(quoted)")
            // The command text itself carries no control bytes besides LF and tab.
            #expect(!quoted.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || (0x7F...0x9F).contains($0.value) })
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/hookscope-pwned"))
    }

    @Test(arguments: ShellDialect.allCases)
    func randomBytesRoundTrip(dialect: ShellDialect) throws {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt8 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: seed >> 33)
        }
        // Many cases in one shell run: each printed followed by a NUL separator (inputs have no NUL).
        var inputs: [[UInt8]] = []
        for _ in 0..<150 {
            let count = Int(next() % 40)
            inputs.append((0..<count).map { _ in let b = next(); return b == 0 ? 1 : b })
        }
        let script = inputs.map { "printf '%s\\0' " + ShellQuoting.quote($0, dialect: dialect) }.joined(separator: "\n")
        let out = try ShellRun.run(script, dialect)
        let pieces = out.split(separator: 0, omittingEmptySubsequences: false).dropLast().map(Array.init)
        #expect(pieces == inputs)
    }

    @Test func readableQuotingForCommonText() {
        #expect(ShellQuoting.quote("abc-1.2/x") == "abc-1.2/x")
        #expect(ShellQuoting.quote("a b") == "'a b'")
        #expect(ShellQuoting.quote("it's") == #"'it'\''s'"#)
        #expect(ShellQuoting.quote([0x61, 0x01, 0x27], dialect: .bash) == #"$'a\x01\''"#)
        #expect(ShellQuoting.quote([0x61, 0x01, 0x27], dialect: .posix) == #"'a'"$(printf '\001')"''\'''"#)
        #expect(ShellQuoting.quote("") == "''")
    }

    @Test(arguments: ShellDialect.allCases)
    func printfFormatCarriesEveryByteIncludingNUL(dialect: ShellDialect) throws {
        let all = (0...255).map { UInt8($0) } + Array("%s %% \\n '\"' $(x)\n\n".utf8) + [0, 0]
        let out = try ShellRun.run("printf " + ShellQuoting.printfFormat(all), dialect)
        #expect(out == all)
    }
}
