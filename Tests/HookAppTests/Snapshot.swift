import Foundation
import Testing

/// Expected screens, one Swift file each in `__Snapshots__/` (Swift sources, so the test target needs no
/// resource declarations).
enum Snapshots {}

/// Compares screen lines with a recorded snapshot; `RECORD_SNAPSHOTS=1` rewrites the snapshot file
/// (the new text is compiled in on the next run).
enum Snapshot {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("__Snapshots__")

    static func check(_ lines: [String], named name: String, expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let text = lines.joined(separator: "\n")
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            let source = "// Recorded by `RECORD_SNAPSHOTS=1 swift test --filter SnapshotTests`: the expected screen, times masked.\n"
                + "extension Snapshots {\n    static let \(name) = #\"\"\"\n\(text)\n\"\"\"#\n}\n"
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try source.write(to: directory.appendingPathComponent(name + ".swift"), atomically: true, encoding: .utf8)
            return
        }
        #expect(text == expected, "screen differs from snapshot \(name) (RECORD_SNAPSHOTS=1 to accept)", sourceLocation: sourceLocation)
    }
}
