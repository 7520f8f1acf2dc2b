import Testing

@testable import HookSignatures

/// Every MAC comparison goes through `constantTimeEqual`, which folds every byte into one
/// accumulator and never returns early on a mismatch. Timing is not asserted (no timed tests);
/// these pin its results for a difference at every position and for different lengths.
@Suite struct ConstantTimeTests {
    @Test func aDifferenceAtAnyPositionIsFound() {
        let mac = (0..<32).map { UInt8($0 * 7 & 0xff) }
        #expect(constantTimeEqual(mac, mac))
        for position in mac.indices {
            var other = mac
            other[position] ^= 0x01
            #expect(!constantTimeEqual(mac, other), "difference at byte \(position) missed")
            other[position] = mac[position] ^ 0x80
            #expect(!constantTimeEqual(other, mac))
        }
    }

    @Test func differentLengthsAndEmptyInputs() {
        #expect(!constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(!constantTimeEqual([], [0]))
        #expect(constantTimeEqual([], []))
    }
}
