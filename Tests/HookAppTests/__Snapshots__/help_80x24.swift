// Recorded by `RECORD_SNAPSHOTS=1 swift test --filter SnapshotTests`: the expected screen, times masked.
extension Snapshots {
    static let help_80x24 = #"""
┌ Requests 3 following ────────────────────────────────────────────────────────┐
│┌ Help: keys (Esc closes) ───────────────────────────────────────────────────┐│
││ Everywhere                                                                 ││
││   Up, k         previous request (or scroll the focused pane up)           ││
││   Down, j       next request (or scroll the focused pane down)             ││
││   g, Home       first request (or top of the pane)                         ││
└│   G, End        last request, following again (or bottom of the pane)      │┘
┌│   PgUp          one page up                                                │┐
││   PgDn          one page down                                              ││
││   Left, h       scroll the body left (the headers and signature panes wrap…││
││   Right, l      scroll the body right (long lines)                         ││
└│   Tab           focus the next pane                                        │┘
┌│   Shift-Tab     focus the previous pane                                    │┐
││   Enter         zoom the focused pane (again to go back)                   ││
││   /             filter the list as you type (e.g. stripe, method:POST)     ││
││   v             cycle the body views (json, form, text, hex, raw, ...)     ││
││   b             raw body bytes (again to go back)                          ││
││   f             follow the newest request (toggle)                         ││
└│   r             replay the selected request (prompts for the URL, pre-fill…│┘
┌│   s             add a signing secret for the selected request's provider, …│┐
││   S             list the secrets loaded (masked); type a number and Enter …││
││   y             copy the selected request as a curl command (clipboard thr…││
└└────────────────────────────────────────────────────────────────────────────┘┘
http://127.0.0.1:9777 │ 3 captures                                     Esc close
"""#
}
