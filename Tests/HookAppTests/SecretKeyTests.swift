import Foundation
import Synchronization
import HookCore
import HookStore
import Testing
import TermUI
@testable import HookApp

@Suite struct SecretKeyTests {
    final class Secrets: @unchecked Sendable {
        private let lock = NSLock()
        private var known: [String: String] = [:]
        func add(_ provider: String, _ secret: String) throws {
            guard secret != "bad" else { throw FilterError("that is not a stripe secret") }
            lock.withLock { known[provider] = secret }
        }
        func secret(_ provider: String) -> String? { lock.withLock { known[provider] } }
    }

    @Test func sSetsTheSecretAndEveryCaptureIsReverified() async throws {
        let secrets = Secrets()
        let stripe = SignatureSummary(provider: "stripe", status: .noSecret, detail: "no secret for stripe")
        var requests = (0..<600).map { Sample.request("/hooks/\($0)", signature: stripe, second: Int64($0)) }
        requests.append(Sample.request("/plain", second: 601))
        let store = try await Sample.store(requests)
        let reported = Mutex<[Int64: SignatureSummary]>([:])
        var h = await AppHarness(
            store: store, addSecret: { try secrets.add($0, $1) },
            verify: { request in
                guard request.signature.provider == "stripe" else { return request.signature }
                return secrets.secret("stripe") == "whsec_right"
                    ? SignatureSummary(provider: "stripe", status: .valid, detail: "signature matches")
                    : SignatureSummary(provider: "stripe", status: .noSecret, detail: "no secret for stripe")
            },
            storedVerdicts: { verdicts in reported.withLock { for (id, signature) in verdicts { $0[id] = signature } } })
        // The newest is unsigned: no provider to set a secret for.
        await h.type("s")
        #expect(h.state.modal.prompt == nil)
        #expect(h.state.status?.text.contains("no provider recognised") == true)
        await h.type("k")
        await h.type("s")
        #expect(h.state.modal.prompt?.kind == .secret(provider: "stripe"))
        await h.type("bad<enter>")
        #expect(h.state.status?.isError == true)
        #expect(try await store.request(id: 1)?.signature.status == .noSecret)
        await h.type("s")
        await h.type("whsec_right")
        // The secret is never drawn.
        #expect(!h.screenText().contains("whsec_right"))
        #expect(h.screen()[23].contains("•••••••••••"))
        await h.type("<enter>")
        #expect(h.state.status?.text.contains("re-verified stripe's captures (600 verdicts changed)") == true)
        for id: Int64 in [1, 300, 600] {
            #expect(try await store.request(id: id)?.signature.status == .valid)
        }
        #expect(try await store.request(id: 601)?.signature.status == .unsigned)
        // Every stored verdict is reported (the listener's catch-up hears of them this way).
        let told = reported.withLock { $0 }
        #expect(Set(told.keys) == Set(1...600))
        #expect(told.values.allSatisfy { $0.status == .valid })
        #expect(h.state.detail.request?.signature.status == .valid)
        #expect(h.screenText().contains("valid"))
    }

    /// A verifier that knows only the secrets `Secrets` holds, like a `listen` started with a
    /// Slack secret over a store whose verdicts an earlier session (with other secrets) judged.
    static func verifier(_ secrets: Secrets) -> @Sendable (CapturedRequest) -> SignatureSummary {
        { request in
            let provider = request.headers.value(named: "X-Provider") ?? request.signature.provider ?? ""
            guard let secret = secrets.secret(provider) else {
                return SignatureSummary(provider: provider, status: .noSecret, detail: "no secret for \(provider)")
            }
            return secret == "right"
                ? SignatureSummary(provider: provider, status: .valid, detail: "signature matches")
                : SignatureSummary(provider: provider, status: .invalid, detail: "signature mismatch")
        }
    }

    @Test func aNewSecretReverifiesOnlyItsProvidersCapturesAndNeverForgetsAVerdict() async throws {
        let secrets = Secrets()
        func capture(_ provider: String, _ status: VerdictStatus, second: Int64) -> CapturedRequest {
            Sample.request(
                "/\(provider)", headers: [HeaderField("X-Provider", provider)],
                signature: SignatureSummary(provider: provider, status: status, detail: "stored earlier"), second: second)
        }
        let store = try await Sample.store([
            capture("stripe", .valid, second: 0), capture("stripe", .invalid, second: 1), capture("github", .valid, second: 2),
            capture("standardwebhooks", .invalid, second: 3), capture("slack", .noSecret, second: 4), capture("shopify", .noSecret, second: 5),
        ])
        var h = await AppHarness(store: store, addSecret: { try secrets.add($0, $1) }, verify: Self.verifier(secrets))
        // The newest (shopify) is selected; its secret is set.
        await h.type("sright<enter>")
        #expect(h.state.status?.text == "secret for shopify set; re-verified shopify's captures (1 verdict changed)")
        let stored = try await (1...6).asyncMap { try await store.request(id: Int64($0))?.signature.status }
        #expect(stored == [.valid, .invalid, .valid, .invalid, .noSecret, .valid])
        // A secret for the one provider without a verdict changes that one; the others stay as stored.
        await h.type("k")
        await h.type("sright<enter>")
        #expect(h.state.status?.text == "secret for slack set; re-verified slack's captures (1 verdict changed)")
        #expect(try await store.request(id: 1)?.signature.detail == "stored earlier")
        #expect(try await store.request(id: 5)?.signature.status == .valid)
        // A Stripe secret that verifies neither: the stored valid and invalid verdicts (judged with
        // the secret that signed them) stay as they were.
        await h.type("sstripe=wrong<enter>")
        #expect(h.state.status?.text == "secret for stripe set; re-verified stripe's captures (0 verdicts changed)")
        #expect(try await store.request(id: 1)?.signature == SignatureSummary(provider: "stripe", status: .valid, detail: "stored earlier"))
        #expect(try await store.request(id: 2)?.signature == SignatureSummary(provider: "stripe", status: .invalid, detail: "stored earlier"))
        // One that verifies the invalid capture turns it valid.
        await h.type("sstripe=right<enter>")
        #expect(h.state.status?.text == "secret for stripe set; re-verified stripe's captures (1 verdict changed)")
        #expect(try await store.request(id: 2)?.signature.status == .valid)
        #expect(try await store.request(id: 1)?.signature.detail == "stored earlier")
    }

    @Test func aFilteredListShowsTheNewVerdicts() async throws {
        let secrets = Secrets()
        let store = try await Sample.store([
            Sample.request("/a", headers: [HeaderField("X-Provider", "github")], signature: SignatureSummary(provider: "github", status: .noSecret, detail: "no secret")),
            Sample.request("/b", headers: [HeaderField("X-Provider", "slack")], signature: SignatureSummary(provider: "slack", status: .noSecret, detail: "no secret"), second: 1),
        ])
        var h = await AppHarness(store: store, addSecret: { try secrets.add($0, $1) }, verify: Self.verifier(secrets))
        await h.type("/sig:no-secret<enter>")
        #expect(h.state.filter.matches.map(\.id) == [1, 2])
        await h.type("sgithub=right<enter>")
        #expect(h.state.filter.matches.map(\.id) == [2])
        #expect(h.state.filter.matches.allSatisfy { $0.signature.status == .noSecret })
    }

    @Test func theSignaturePaneShowsTheNewVerdictWhenTheCaptureLoadsBeforeTheList() async throws {
        let noSecret = SignatureSummary(provider: "github", status: .noSecret, detail: "no secret for github")
        let store = try await Sample.store([Sample.request("/a", signature: noSecret), Sample.request("/b", signature: noSecret, second: 1)])
        var h = await AppHarness(store: store)
        #expect(h.state.detail.request?.signature.status == .noSecret)
        // The re-verification stored a new verdict and says so; the selected capture's answer comes
        // back before the list window's (the order the runtime's concurrent effects often take).
        let valid = SignatureSummary(provider: "github", status: .valid, detail: "signature matches")
        try await store.updateSignature(id: 2, valid)
        var effects = h.state.apply(.reverified(provider: "github", changed: 1, done: true))
        effects.sort { first, _ in if case .loadRequest = first { true } else { false } }
        await h.run(effects)
        #expect(h.state.detail.request?.signature == valid)
        #expect(h.screenText().contains("✓ valid · github"))
        #expect(!h.screenText().contains("? no secret"))
    }
}

extension ClosedRange where Bound == Int {
    func asyncMap<T>(_ transform: (Int) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for value in self { out.append(try await transform(value)) }
        return out
    }
}
