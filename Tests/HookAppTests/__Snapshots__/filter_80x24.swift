// Recorded by `RECORD_SNAPSHOTS=1 swift test --filter SnapshotTests`: the expected screen, times masked.
extension Snapshots {
    static let filter_80x24 = #"""
┌ Requests 2 of 3 following ───────────────────────────────────────────────────┐
│     ID TIME         METHOD  TARGET                         SIZE ST  SIGNATURE│
│      1 hh:mm:ss.mmm POST    /hooks/stripe                    9B 200 valid    │
│      2 hh:mm:ss.mmm PUT     /hooks/github?delivery=日本     31B 200 invalid  │
│                                                                              │
│                                                                              │
└──────────────────────────────────────────────────────────────────────────────┘
┌ Headers 1 ───────────────────────────────────────────────────────────────────┐
│PUT /hooks/github?delivery=日本 HTTP/1.1                                      │
│#2 from 127.0.0.1:50000 at YYYY-MM-DDThh:mm:ss.uuuuuuZ · answered 200         │
│Content-Type: text/plain                                                      │
└──────────────────────────────────────────────────────────────────────────────┘
┌ Body 31B [text 1/3] ─────────────────────────────────────────────────────────┐
│línea uno                                                                     │
│    indented 🎉                                                               │
│third                                                                         │
│                                                                              │
│                                                                              │
└──────────────────────────────────────────────────────────────────────────────┘
┌ Signature ───────────────────────────────────────────────────────────────────┐
│✗ invalid · github                                                            │
│X-Hub-Signature-256 does not match                                            │
└──────────────────────────────────────────────────────────────────────────────┘
http://127.0.0.1:9777 │ 3 captures │ filter: hooks▏         Enter keep Esc clear
"""#
}
