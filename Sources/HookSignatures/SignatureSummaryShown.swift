import Foundation
import HookCore

extension SignatureSummary {
    /// The detail without the note that the cause was not looked for: for a place that shows the
    /// full report, where the cause is looked for, beside it.
    var detailBesideAFullReport: String {
        guard causeNotLookedFor, let note = diagnosis.note, detail.hasSuffix(note) else { return detail }
        var shown = detail.dropLast(note.count)
        if shown.hasSuffix(" ") { shown = shown.dropLast() }
        return String(shown)
    }

    /// The detail and the lines of a full report (`SignatureVerifier.verify(_:now:).lines`) as the
    /// signature pane and `hookscope verify` show them together: the detail loses a note that the
    /// cause was not looked for (the report looks for it), and a report line that repeats the
    /// detail and adds to it (unsigned: "… (see `hookscope providers`)") is said once, in the
    /// detail's place.
    public func shown(with report: [String]) -> (detail: String, lines: [String]) {
        guard !report.isEmpty else { return (detail, []) }
        let detail = detailBesideAFullReport
        var lines = report
        if !detail.isEmpty, let repeated = lines.firstIndex(where: { $0.hasPrefix(detail) }) {
            return (lines.remove(at: repeated), lines)
        }
        return (detail, lines)
    }
}
