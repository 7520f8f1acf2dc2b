// Recorded by `RECORD_SNAPSHOTS=1 swift test --filter SnapshotTests`: the expected screen, times masked.
extension Snapshots {
    static let deliveries_80x24 = #"""
┌ Requests 5 following ────────────────────────────────────────────────────────┐
│     ID METHOD  TARGET             EVENT                    SIZE ST  SIGNATURE│
│      2 POST    /plain                                        9B 200 unsigned │
│      3 POST    /github            issues.opened             19B 500 valid    │
│      4 POST    /github            ×2 issues.opened          19B 500 valid    │
│      5 POST    /github            ×3 issues.opened          19B 200 valid    ▐
└──────────────────────────────────────────────────────────────────────────────┘
┌ Headers 2 1/6 ───────────────────────────────────────────────────────────────┐
│POST /github HTTP/1.1                                                         │
│#5 from 127.0.0.1:50000 at YYYY-MM-DDThh:mm:ss.uuuuuuZ · answered 200 · event │
│issues.opened · delivery 72d3162e-cc78                                        │
└──────────────────────────────────────────────────────────────────────────────┘
┌ Body 19B [json 1/4] ─────────────────────────────────────────────────────────┐
│{                                                                             │
│  "action": "opened"                                                          │
│}                                                                             │
│                                                                              │
│                                                                              │
└──────────────────────────────────────────────────────────────────────────────┘
┌ Signature ───────────────────────────────────────────────────────────────────┐
│✓ valid · github                                                              │
│signature matches                                                             │
└──────────────────────────────────────────────────────────────────────────────┘
http://127.0.0.1:9777 │ 5 captures             ↑↓/jk move Tab pane ? help q quit
"""#
}
