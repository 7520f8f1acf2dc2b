import Crypto
import Foundation
import HookCore
import Testing
@testable import HookSignatures

@Suite struct HotPathHelperTests {
    @Test func environmentVariableNames() {
        #expect(SecretBook.environmentVariable(for: "stripe") == "HOOKSCOPE_SECRET_STRIPE")
        #expect(SecretBook.environmentVariable(for: "Acme-hooks.v2") == "HOOKSCOPE_SECRET_ACME_HOOKS_V2")
        #expect(SecretBook.environmentVariable(for: "café") == "HOOKSCOPE_SECRET_CAF_")
    }

    @Test func keyedListsSplitTheSameWithAndWithoutNonASCII() {
        let ascii = parseKeyedList(" t=1700000000, v1=abc ,v0=,x", separator: ",")
        #expect(ascii.map(\.key) == ["t", "v1", "v0", "x"])
        #expect(ascii.map(\.value) == ["1700000000", "abc", "", ""])
        let odd = parseKeyedList(",,a=1,, b = 2 ,\t=x\t, c, ,d==e", separator: ",")
        #expect(odd.map(\.key) == ["a", "b ", "", "c", "", "d"])
        #expect(odd.map(\.value) == ["1", " 2", "x", "", "", "=e"])
        let paddle = parseKeyedList("ts=1696195954;h1=d962", separator: ";")
        #expect(paddle.map(\.key) == ["ts", "h1"])
        #expect(paddle.map(\.value) == ["1696195954", "d962"])
        let unicode = parseKeyedList("t=1,\u{00A0}v1=é\u{00A0}", separator: ",")
        #expect(unicode.map(\.key) == ["t", "v1"])
        #expect(unicode.map(\.value) == ["1", "é"])
    }

    @Test func timestampsWithAndWithoutSpaces() {
        #expect(TimestampCheck.parseTimestamp("1700000000", unit: .seconds) == 1_700_000_000)
        #expect(TimestampCheck.parseTimestamp(" 1700000000 ", unit: .seconds) == 1_700_000_000)
        #expect(TimestampCheck.parseTimestamp("1700000000000", unit: .auto) == 1_700_000_000)
        #expect(TimestampCheck.parseTimestamp("17e8", unit: .seconds) == nil)
        #expect(TimestampCheck.parseTimestamp("", unit: .auto) == nil)
    }
}
