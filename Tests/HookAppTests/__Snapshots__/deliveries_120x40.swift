// Recorded by `RECORD_SNAPSHOTS=1 swift test --filter SnapshotTests`: the expected screen, times masked.
extension Snapshots {
    static let deliveries_120x40 = #"""
┌ Requests 5 following ────────────────────────────────────────────────────────────────────────────────────────────────┐
│     ID TIME         METHOD  TARGET                         EVENT                    SIZE ST  SIGNATURE               │
│      1 hh:mm:ss.mmm POST    /stripe                        invoice.paid\x1b[2J        9B 200 no secret · stripe      │
│      2 hh:mm:ss.mmm POST    /plain                                                    9B 200 unsigned                │
│      3 hh:mm:ss.mmm POST    /github                        issues.opened             19B 500 valid · github          │
│      4 hh:mm:ss.mmm POST    /github                        ×2 issues.opened          19B 500 valid · github          │
│      5 hh:mm:ss.mmm POST    /github                        ×3 issues.opened          19B 200 valid · github          │
│                                                                                                                      │
│                                                                                                                      │
│                                                                                                                      │
│                                                                                                                      │
│                                                                                                                      │
│                                                                                                                      │
│                                                                                                                      │
└──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────┘
┌ Headers 2 ───────────────────────────────────┐┌ Body 19B [json 1/4] ─────────────────────────────────────────────────┐
│POST /github HTTP/1.1                         ││{                                                                     │
│#5 from 127.0.0.1:50000 at 2026-11-18T11:07:10││  "action": "opened"                                                  │
│.300000Z · answered 200 · event issues.opened ││}                                                                     │
│· delivery 72d3162e-cc78                      ││                                                                      │
│attempt 3 of 3 · +0s, +4.1s, +20.3s           ││                                                                      │
│X-GitHub-Event: issues                        ││                                                                      │
│X-GitHub-Delivery: 72d3162e-cc78              ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
└──────────────────────────────────────────────┘│                                                                      │
┌ Signature ───────────────────────────────────┐│                                                                      │
│✓ valid · github                              ││                                                                      │
│signature matches                             ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
└──────────────────────────────────────────────┘└──────────────────────────────────────────────────────────────────────┘
http://127.0.0.1:9777 │ 5 captures                 ↑↓/jk move Tab pane Enter zoom / filter v view r replay ? help q quit
"""#
}
