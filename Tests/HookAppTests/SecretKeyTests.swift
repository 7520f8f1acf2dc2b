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
        #expect(h.state.status?.text.contains("re-verified all captures (600 verdicts changed)") == true)
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
}
