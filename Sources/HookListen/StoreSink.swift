import Dispatch
import Foundation
import HookCore
import HookReplay
import HookServer
import HookSignatures
import HookStore
import NIOCore

/// Verifies each capture's signature (against the time it arrived), reads its event type and
/// delivery id, answers provider handshakes, and stores the capture.
struct StoreSink: CaptureSink {
    let store: any RequestStore
    let verifiers: VerifierBox
    let handshakes: Bool
    let metaVerifyToken: String?
    var forwarder: Forwarder?
    var proxyResponse = false
    /// One per event loop: gathers the captures a loop finishes in one tick.
    let batchers = TickBatchers()
    /// Bounds the CPU spent explaining wrong signatures (a flood of them would otherwise cost
    /// several times what valid ones do); the signature pane and `hookscope verify` always explain.
    let diagnosisBudget: DiagnosisBudget
    /// Told of every capture the store took or refused (the status bar's store line).
    var health: StoreHealthTracker?
    /// The session's response rules and the TUI's override.
    var rules: RuleBook?
    /// The forwards of rules with `forward_to`.
    var ruleForwards: RuleForwards?

    func handshakeResponse(for request: CapturedRequest) -> CapturedResponse? {
        guard handshakes else { return nil }
        return HandshakeResponder.response(for: request, verifier: verifiers.current, metaVerifyToken: metaVerifyToken)
    }

    /// The fast path: small bodies are verified right here and the store completes the future from
    /// its writer thread, so a request costs no task hop. Forwarding and large bodies take `record(_:)`.
    /// A response rule (or the TUI's override) that matches sets the capture's answer, `rule` and
    /// `failure` before it is stored; its delay is waited out here, after the commit.
    func record(_ request: CapturedRequest, on loop: any EventLoop) -> EventLoopFuture<CapturedRequest> {
        var request = request
        var ruleTarget: String?
        var ruleDelay: Duration = .zero
        // A handshake is answered by hookscope whatever the rules say, and uses up no rule's count,
        // sequence or fail-next (checked only when a rule matched: the handler has set its answer
        // already, and this costs a pass over the body).
        if let rules, rules.isActive, request.refusal == nil,
           let answer = rules.answer(for: request, exempt: { handshakeResponse(for: $0) != nil }) {
            request.rule = answer.label
            request.failure = answer.failure
            request.response = answer.response
            ruleTarget = answer.forwardTo
            ruleDelay = answer.delay
        }
        let stored = store(request, forwardTo: ruleTarget, on: loop)
        let delay = TimeAmount(ruleDelay)
        guard delay > .zero else { return stored }
        return stored.flatMap { stored in
            loop.scheduleTask(in: delay) { stored }.futureResult
        }
    }

    private func store(_ request: CapturedRequest, forwardTo ruleTarget: String?, on loop: any EventLoop) -> EventLoopFuture<CapturedRequest> {
        guard forwarder == nil, ruleTarget == nil, request.body.count <= 64 * 1024, let fast = store as? any CallbackInserting else {
            let promise = loop.makePromise(of: CapturedRequest.self)
            promise.completeWithTask { try await self.record(request, forwardTo: ruleTarget) }
            return promise.futureResult
        }
        let promise = loop.makePromise(of: CapturedRequest.self)
        batchers.batcher(for: loop).add(verified(request), promise: promise, store: fast)
        guard let health else { return promise.futureResult }
        return promise.futureResult.always { result in
            switch result {
            case .success: health.stored()
            case .failure(let error): health.failed("\(error)")
            }
        }
    }

    /// - Parameter budget: the diagnosis budget for this verdict (`DiagnosisBudget.later` to answer
    ///   first and explain later).
    private func verified(_ request: CapturedRequest, budget: DiagnosisBudget? = nil) -> CapturedRequest {
        var request = request
        if request.refusal == nil {
            request.signature = verifiers.current.summary(for: request, now: request.receivedAt, diagnosisBudget: budget ?? diagnosisBudget)
        } else {
            request.signature = SignatureSummary(provider: nil, status: .unsigned, detail: "not verified: the body was refused and not kept")
        }
        // The event type and delivery id, read where the verdict's provider puts them (a refused
        // capture still has its headers); the store numbers the delivery's attempts.
        return DeliveryIdentity.identified(request)
    }

    /// Large bodies are verified on `largeBodyVerification`, one at a time, rather than on the
    /// cooperative pool the TUI runs on, and without looking for the cause of a mismatch: on a JSON
    /// body of a few MB the diagnosis tries re-serialized variants for up to seconds (tens of times
    /// longer in a debug build), and the sender, which may give up after a few seconds, would wait
    /// for it. Their verdict is stored in the `.deferred` diagnosis state (`DiagnosisBudget.later`), and
    /// `SignatureCatchUp` stores the explanation right after, within the same budget as the others.
    /// Small bodies take microseconds and are verified where they are.
    private func verifiedOffThePool(_ request: CapturedRequest) async -> CapturedRequest {
        guard request.body.count > Self.offPoolVerificationSize else { return verified(request) }
        return await withCheckedContinuation { continuation in
            Self.largeBodyVerification.async { continuation.resume(returning: verified(request, budget: .later)) }
        }
    }

    static let offPoolVerificationSize = 64 * 1024
    private static let largeBodyVerification = DispatchQueue(label: "hookscope.verify-large-bodies")

    /// Whether a stored capture is forwarded by `--forward-to`: not when it was refused (its body
    /// was not kept), nor when a response rule answered it (its own `forward_to` decides).
    static func forwards(_ request: CapturedRequest) -> Bool { request.refusal == nil && request.rule == nil }

    func record(_ request: CapturedRequest) async throws -> CapturedRequest {
        try await record(request, forwardTo: nil)
    }

    /// - Parameter ruleTarget: a response rule's `forward_to`: the capture goes there instead of to
    ///   `--forward-to`, and the sender gets the handler's answer, or the rule's own when it is down.
    private func record(_ request: CapturedRequest, forwardTo ruleTarget: String?) async throws -> CapturedRequest {
        var stored: CapturedRequest
        do {
            stored = try await store.insert(verifiedOffThePool(request))
            health?.stored()
        } catch {
            health?.failed("\(error)")
            throw error
        }
        if let ruleTarget, let ruleForwards {
            let attempt = await ruleForwards.forwardAndWait(stored, to: ruleTarget)
            if attempt.response != nil { stored.response = ProxiedResponse.response(for: attempt) }
            return stored
        }
        // A capture a rule answered goes only where its rule says (`forward_to`), if anywhere.
        guard let forwarder, Self.forwards(stored), stored.rule == nil else { return stored }
        if proxyResponse {
            // Answer the sender with the target's answer; the session stores it with the capture
            // (`ProxiedResponse`) before the forward's result is shown.
            stored.response = ProxiedResponse.response(for: await forwarder.forwardAndWait(stored))
        } else {
            forwarder.forward(stored)
        }
        return stored
    }
}
