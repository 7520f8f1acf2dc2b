// Recorded by `RECORD_SNAPSHOTS=1 swift test --filter SnapshotTests`: the expected screen, times masked.
extension Snapshots {
    static let forwarding_80x24 = #"""
┌ Requests 4 following ────────────────────────────────────────────────────────┐
│     ID METHOD  TARGET                           SIZE ST  SIGNATURE FORWARD   │
│     ↻1 POST    /hooks/stripe                      9B 200 valid     →200 4ms  │
│     ↻2 PUT     /hooks/github?delivery=日本       31B 200 invalid   →timeout  │
│      3 POST    /slack/events                      9B 500 no secret           │
│      4 POST    /hooks/new                         9B 200 unsigned  →…        │
└──────────────────────────────────────────────────────────────────────────────┘
┌ Headers 1 ───────────────────────────────────────────────────────────────────┐
│POST /hooks/new HTTP/1.1                                                      │
│#4 from 127.0.0.1:50000 at YYYY-MM-DDThh:mm:ss.uuuuuuZ · answered 200         │
│Content-Type: text/plain                                                      │
└──────────────────────────────────────────────────────────────────────────────┘
┌ Body 9B [text 1/3] ──────────────────────────────────────────────────────────┐
│ping body                                                                     │
│                                                                              │
│                                                                              │
│                                                                              │
│                                                                              │
└──────────────────────────────────────────────────────────────────────────────┘
┌ Signature ───────────────────────────────────────────────────────────────────┐
│- unsigned · no provider recognised                                           │
│no signature header recognised                                                │
└──────────────────────────────────────────────────────────────────────────────┘
http://127.0.0.1:9777 │ 4 captures             ↑↓/jk move Tab pane ? help q quit
"""#
}
