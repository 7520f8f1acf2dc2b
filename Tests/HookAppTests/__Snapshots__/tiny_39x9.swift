// Recorded by `RECORD_SNAPSHOTS=1 swift test --filter SnapshotTests`: the expected screen, times masked.
extension Snapshots {
    static let tiny_39x9 = #"""
Terminal too small
39x9, need 40x10
q quits






"""#
}
