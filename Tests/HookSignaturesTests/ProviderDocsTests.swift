import Foundation
import HookCore
import Testing
@testable import HookSignatures

@Suite struct ProviderDocsTests {
    static var docsURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/providers.md")
    }

    @Test func committedDocsMatchTheCatalog() throws {
        let generated = ProviderCatalog.markdown()
        if ProcessInfo.processInfo.environment["UPDATE_DOCS"] == "1" {
            try generated.write(to: Self.docsURL, atomically: true, encoding: .utf8)
        }
        let committed = try String(contentsOf: Self.docsURL, encoding: .utf8)
        #expect(committed == generated, "docs/providers.md is stale: run UPDATE_DOCS=1 swift test --filter ProviderDocsTests")
    }

    @Test func markdownNamesEveryProviderAndEnvVar() {
        let text = ProviderCatalog.markdown()
        for provider in ProviderCatalog.all {
            #expect(text.contains("## \(provider.displayName) (`\(provider.id)`)"))
            #expect(text.contains("`HOOKSCOPE_SECRET_\(provider.id.uppercased())`"))
        }
    }
}
