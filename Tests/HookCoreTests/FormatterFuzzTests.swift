import Foundation
import Testing
@testable import HookCore

@Suite struct FormatterFuzzTests {
    /// Random mixes of structural fragments and random bytes, through every view: no crash, no LF in a line,
    /// and every line index answers.
    @Test func randomInputsNeverCrashAnyView() {
        var seed: UInt64 = 0xDEAD_BEEF_CAFE_F00D
        func next() -> UInt64 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return seed >> 33
        }
        let fragments: [[UInt8]] = [
            "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u00", "1e", "-", "0.", "true", "nul", "<", ">", "</", "/>",
            "<!--", "-->", "<![CDATA[", "]]>", "<?", "=", "&", "%", "%4", "+", "\r\n", "\n", "\t", "--b", "--b--",
            "Content-Type: text/plain", "a", " ",
        ].map { Array($0.utf8) }
        let types = ["application/json", "application/xml", "application/x-www-form-urlencoded",
                     "multipart/form-data; boundary=b", "text/plain", "", "application/octet-stream"]
        for round in 0..<400 {
            var body: [UInt8] = []
            for _ in 0..<Int(next() % 60) {
                if next() % 3 == 0 {
                    body.append(UInt8(truncatingIfNeeded: next()))
                } else {
                    body += fragments[Int(next() % UInt64(fragments.count))]
                }
            }
            let contentType = types[round % types.count]
            let request = makeRequest(headers: contentType.isEmpty ? [] : [("Content-Type", contentType)], body: body)
            let offered = BodyFormatterRegistry.views(for: request)
            #expect(offered.last == .raw && offered.contains(.hex))
            for view in BodyView.allCases {
                let formatted = BodyFormatterRegistry.format(request, as: view)
                for i in 0..<formatted.lineCount {
                    let bytes = formatted.line(at: i).flatMap(\.bytes)
                    #expect(!bytes.contains(0x0A), "LF in \(view) line \(i) of \(body)")
                }
            }
        }
    }
}
