// Recorded by `RECORD_SNAPSHOTS=1 swift test --filter SnapshotTests`: the expected screen, times masked.
extension Snapshots {
    static let main_120x40 = #"""
┌ Requests 3 ──────────────────────────────────────────────────────────────────────────────────────────────────────────┐
│     ID TIME         METHOD  TARGET                                                  SIZE ST  SIGNATURE               │
│      1 hh:mm:ss.mmm POST    /hooks/stripe                                             9B 200 valid · stripe          │
│      2 hh:mm:ss.mmm PUT     /hooks/github?delivery=日本                              31B 200 invalid · github        │
│      3 hh:mm:ss.mmm POST    /slack/events                                             9B 500 no secret · slack       │
│                                                                                                                      │
│                                                                                                                      │
│                                                                                                                      │
│                                                                                                                      │
│                                                                                                                      │
│                                                                                                                      │
│                                                                                                                      │
│                                                                                                                      │
│                                                                                                                      │
└──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────┘
┌ Headers 1 ───────────────────────────────────┐┌ Body 31B [text 1/3] ─────────────────────────────────────────────────┐
│PUT /hooks/github?delivery=日本 HTTP/1.1      ││línea uno                                                             │
│#2 from 127.0.0.1:50000 at 2026-11-18T11:06:41││        indented 🎉                                                   │
│.000000Z · answered 200                       ││third                                                                 │
│Content-Type: text/plain                      ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
└──────────────────────────────────────────────┘│                                                                      │
┌ Signature ───────────────────────────────────┐│                                                                      │
│✗ invalid · github                            ││                                                                      │
│X-Hub-Signature-256 does not match            ││                                                                      │
│expected header X-Hub-Signature-256           ││                                                                      │
│computed sha256=… over 31 bytes               ││                                                                      │
│                                              ││                                                                      │
│                                              ││                                                                      │
└──────────────────────────────────────────────┘└──────────────────────────────────────────────────────────────────────┘
http://127.0.0.1:9777 │ 3 captures                 ↑↓/jk move Tab pane Enter zoom / filter v view r replay ? help q quit
"""#
}
