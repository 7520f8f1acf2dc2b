// Recorded by `RECORD_SNAPSHOTS=1 swift test --filter SnapshotTests`: the expected screen, times masked.
extension Snapshots {
    static let zoomed_body_80x24 = #"""
┌ Body 31B [text 1/3] ─────────────────────────────────────────────────────────┐
│línea uno                                                                     │
│    indented 🎉                                                               │
│third                                                                         │
│                                                                              │
│                                                                              │
│                                                                              │
│                                                                              │
│                                                                              │
│                                                                              │
│                                                                              │
│                                                                              │
│                                                                              │
│                                                                              │
│                                                                              │
│                                                                              │
│                                                                              │
│                                                                              │
│                                                                              │
│                                                                              │
│                                                                              │
│                                                                              │
└──────────────────────────────────────────────────────────────────────────────┘
http://127.0.0.1:9777 │ 3 captures      / search n next ↑↓/jk move ? help q quit
"""#
}
