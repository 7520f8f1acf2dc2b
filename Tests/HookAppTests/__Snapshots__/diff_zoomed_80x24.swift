// Recorded by `RECORD_SNAPSHOTS=1 swift test --filter SnapshotTests`: the expected screen, times masked.
extension Snapshots {
    static let diff_zoomed_80x24 = #"""
┌ Diff A #1 ↔ B #2 ────────────────────────────────────────────────────────────┐
│A #1 POST /hooks/stripe  ↔  B #2 POST /hooks/stripe: 3 differences            │
│                                                                              │
│Request line                                                                  │
│  the same                                                                    │
│                                                                              │
│Headers                                                                       │
│  * content-type: name case Content-Type → content-type  (the name's case cha…│
│  + X-Forwarded-For: 10.0.0.1                                                 │
│                                                                              │
│Body (JSON, 52 bytes)                                                         │
│  ~ data.object.amount: 2000 → 2500                                           │
│                                                                              │
│Signature  (A #1 | B #2)                                                      │
│    verdict: unsigned — no signature header recognised                        │
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
