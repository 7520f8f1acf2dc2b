/// SplitMix64: a small generator that gives the same numbers on every platform, so a seeded fuzz
/// test makes the same cases on every run and a failure can be replayed.
public struct SeededGenerator: RandomNumberGenerator {
    public var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The edits a mutation fuzzer makes to bytes.
public struct ByteMutator: Sendable {
    /// Pieces inserted at random places (separators, line breaks, huge numbers, invalid UTF-8).
    public var pieces: [[UInt8]]
    /// Whole inputs appended now and then (another request after this one), if any.
    public var splices: [[UInt8]]
    /// How many edits one mutation makes.
    public var edits: ClosedRange<Int>
    /// The longest run removed, and the longest run repeated (up to `repeats` more times).
    public var longestRemoval: Int
    public var longestRepeat: Int
    public var repeats: ClosedRange<Int>
    /// The most random bytes inserted in one go.
    public var longestNoise: Int

    public init(
        pieces: [[UInt8]], splices: [[UInt8]] = [], edits: ClosedRange<Int> = 1...4, longestRemoval: Int = 12,
        longestRepeat: Int = 16, repeats: ClosedRange<Int> = 1...4, longestNoise: Int = 8
    ) {
        self.pieces = pieces
        self.splices = splices
        self.edits = edits
        self.longestRemoval = longestRemoval
        self.longestRepeat = longestRepeat
        self.repeats = repeats
        self.longestNoise = longestNoise
    }

    /// `bytes` with a random number of edits: a byte changed, a piece inserted, a run removed, a run
    /// repeated, random bytes inserted, the rest cut off, or a splice appended.
    public func mutate(_ bytes: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: edits, using: &random) {
            let at = Int.random(in: 0...bytes.count, using: &random)
            switch Int.random(in: 0..<7, using: &random) {
            case 0 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            case 1 where !pieces.isEmpty:
                bytes.insert(contentsOf: pieces.randomElement(using: &random)!, at: at)
            case 2 where at < bytes.count:
                bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...longestRemoval, using: &random)))
            case 3 where at < bytes.count:
                let run = Array(bytes[at..<min(bytes.count, at + Int.random(in: 1...longestRepeat, using: &random))])
                bytes.insert(contentsOf: Array(repeating: run, count: Int.random(in: repeats, using: &random)).joined(), at: at)
            case 4:
                let noise = (0..<Int.random(in: 1...longestNoise, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                bytes.insert(contentsOf: noise, at: at)
            case 5 where !splices.isEmpty:
                bytes += splices.randomElement(using: &random)!
            case 6 where !bytes.isEmpty:
                bytes.removeSubrange(Int.random(in: 0..<bytes.count, using: &random)...)
            default:
                break
            }
        }
        return bytes
    }
}
