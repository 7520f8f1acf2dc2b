import Foundation
import Synchronization
import HookCore
import HookStore
import Testing
import TermUI
@testable import HookApp

/// `s` takes PROVIDER=SECRET, `S` lists the secrets masked and removes one.
@Suite struct SecretBookKeyTests {
    /// A book of secrets in the order they were added, per provider, as the listener's is.
    final class Book: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [(provider: String, secret: String)] = []
        func add(_ provider: String, _ secret: String) throws {
            lock.withLock { entries.append((provider, secret)) }
        }
        var all: [(provider: String, secret: String)] { lock.withLock { entries } }
        func masked() -> [MaskedSecret] {
            let entries = all
            return Set(entries.map(\.provider)).sorted().flatMap { provider in
                entries.filter { $0.provider == provider }.map { MaskedSecret(provider: provider, masked: "…" + String($0.secret.suffix(4))) }
            }
        }
        func remove(_ provider: String, _ index: Int) throws -> String {
            try lock.withLock {
                let positions = entries.indices.filter { entries[$0].provider == provider }
                guard positions.indices.contains(index) else { throw FilterError("no secret #\(index + 1) for \(provider)") }
                return "…" + String(entries.remove(at: positions[index]).secret.suffix(4))
            }
        }
        func secret(_ provider: String) -> String? { lock.withLock { entries.last { $0.provider == provider }?.secret } }
    }

    static func harness(_ book: Book, store: InMemoryRequestStore) async -> AppHarness {
        await AppHarness(
            store: store, size: Size(width: 160, height: 24), addSecret: { try book.add($0, $1) }, secrets: { book.masked() }, removeSecret: { try book.remove($0, $1) },
            verify: { request in
                let provider = request.signature.provider ?? ""
                guard let secret = book.secret(provider) else {
                    return SignatureSummary(provider: provider, status: .noSecret, detail: "no secret for \(provider)")
                }
                return SignatureSummary(provider: provider, status: secret.hasSuffix("right") ? .valid : .invalid, detail: "checked")
            })
    }

    @Test func theSecretPromptTakesProviderEqualsSecret() async throws {
        let book = Book()
        let stripe = SignatureSummary(provider: "stripe", status: .noSecret, detail: "no secret for stripe")
        let github = SignatureSummary(provider: "github", status: .noSecret, detail: "no secret for github")
        let store = try await Sample.store([Sample.request("/gh", signature: github), Sample.request("/stripe", signature: stripe, second: 1)])
        var h = await Self.harness(book, store: store)
        #expect(h.state.selectedSummary?.signature.provider == "stripe")
        // The prompt asks for Stripe's; the user names GitHub's: it is GitHub's secret, without the name.
        await h.type("sgithub=ghright<enter>")
        #expect(book.all.map { "\($0.provider) \($0.secret)" } == ["github ghright"])
        #expect(try await store.request(id: 1)?.signature.status == .valid)
        #expect(try await store.request(id: 2)?.signature.status == .noSecret)
        // Its own name is fine too, and a base64 secret's padding is part of the secret.
        await h.type("sStripe=whsec_a=<enter>")
        await h.type("swhsec_b==<enter>")
        #expect(book.all.map { "\($0.provider) \($0.secret)" } == ["github ghright", "stripe whsec_a=", "stripe whsec_b=="])
        // A name that is no provider: refused with a hint, nothing stored, the secret not shown.
        await h.type("sgithb=ghsecret<enter>")
        #expect(book.all.count == 3)
        #expect(h.state.status?.isError == true)
        #expect(h.state.status?.text.contains("'githb' before '=' is not a provider id") == true)
        #expect(!h.screenText().contains("ghsecret"))
        // Typed as stripe=…, any text is the secret.
        await h.type("sstripe=githb=ghsecret<enter>")
        #expect(book.all.last.map { "\($0.provider) \($0.secret)" } == "stripe githb=ghsecret")
    }

    @Test func secretsAreListedMaskedAndOneCanBeRemoved() async throws {
        let book = Book()
        let stripe = SignatureSummary(provider: "stripe", status: .noSecret, detail: "no secret for stripe")
        let store = try await Sample.store([Sample.request("/stripe", signature: stripe)])
        var h = await Self.harness(book, store: store)
        await h.type("S")
        #expect(h.state.modal.prompt == nil)
        #expect(h.state.status?.text.contains("no secrets loaded") == true)
        // A mistyped secret, then the right one: the capture is invalid, then valid.
        await h.type("swhsec_typo_wrong<enter>")
        #expect(try await store.request(id: 1)?.signature.status == .invalid)
        await h.type("sgithub=ghsecret1234<enter>")
        await h.type("swhsec_good_right<enter>")
        #expect(try await store.request(id: 1)?.signature.status == .valid)
        await h.type("S")
        #expect(h.state.modal.prompt?.kind == .secrets(book.masked()))
        let footer = h.screen()[23]
        #expect(footer.contains("secrets: 1 github …1234 · 2 stripe …rong · 3 stripe …ight │ remove #:"), "\(footer)")
        #expect(!h.screenText().contains("typo"))
        await h.type("9<enter>")
        #expect(h.state.status?.isError == true)
        #expect(book.all.count == 3)
        await h.type("S2<enter>")
        #expect(book.all.map(\.secret) == ["ghsecret1234", "whsec_good_right"])
        #expect(h.state.status?.text == "removed stripe secret …rong for this session; re-verified stripe's captures (0 verdicts changed)")
        #expect(try await store.request(id: 1)?.signature.status == .valid)
        // Removing the last secret of a provider keeps the verdicts it gave: a stored verdict
        // does not fall back to `no secret`.
        await h.type("S2<enter>")
        #expect(book.all.map(\.secret) == ["ghsecret1234"])
        #expect(try await store.request(id: 1)?.signature.status == .valid)
        await h.type("S<esc>")
        #expect(h.state.status?.text == "secrets unchanged")
    }
}
