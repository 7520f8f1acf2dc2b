import Foundation
import HookCore
import HookSignatures
import Synchronization

/// How one capture is answered when a rule (or an override from the TUI) answers it.
struct RuleAnswer: Sendable {
    /// Stored as the capture's `rule`.
    var label: String
    /// What the sender gets, unless `failure` (or a forward that answered) says otherwise.
    var response: CapturedResponse
    var failure: AnswerFailure?
    var delay: Duration
    /// Forward there and answer with the handler's response; `response` when it is down.
    var forwardTo: String?
}

/// The active response rules of a session, what each has matched, the position of each sequence,
/// and the TUI's override. `answer(for:)` runs on the listener's event loops for every capture: it
/// takes one lock, and with no rules and no override it returns at once.
public final class RuleBook: Sendable {
    private struct State {
        var rules: [ResponseRule]
        var matched: [Int]
        /// Responses given so far per rule and delivery id ("" when the provider names none).
        var sequencePositions: [SequenceKey: Int] = [:]
        var override: AnswerOverride?
    }

    private struct SequenceKey: Hashable {
        var rule: String
        var delivery: String
    }

    /// At most this many sequence positions are kept; past it they start over (the oldest
    /// deliveries are long answered).
    static let maxSequencePositions = 100_000

    private let state: Mutex<State>
    /// Whether there is a rule or an override: read without the lock for every capture.
    private let active: Atomic<Bool>
    /// Provider detection for `provider` and the delivery identity (the verifier's current secrets
    /// and pins).
    private let detectProvider: @Sendable (CapturedRequest) -> String?
    /// The source of the rules, for reloads: nil when they came from the config file only.
    public let file: String?

    public init(rules: [ResponseRule], file: String? = nil, detectProvider: @escaping @Sendable (CapturedRequest) -> String?) {
        state = Mutex(State(rules: rules, matched: Array(repeating: 0, count: rules.count)))
        active = Atomic(!rules.isEmpty)
        self.file = file
        self.detectProvider = detectProvider
    }

    /// Replaces the rules (a reload); match counts and sequence positions of rules that keep their
    /// label carry over.
    public func replace(with rules: [ResponseRule]) {
        state.withLock { state in
            var counts: [String: Int] = [:]
            for (rule, count) in zip(state.rules, state.matched) { counts[rule.label] = count }
            let labels = Set(rules.map(\.label))
            state.rules = rules
            state.matched = rules.map { counts[$0.label] ?? 0 }
            state.sequencePositions = state.sequencePositions.filter { labels.contains($0.key.rule) }
            active.store(!rules.isEmpty || state.override != nil, ordering: .relaxed)
        }
    }

    /// Whether any rule or override may answer.
    var isActive: Bool { active.load(ordering: .relaxed) }

    /// Whether the rule with this label forwards (`forward_to`).
    func forwards(label: String) -> Bool {
        state.withLock { $0.rules.contains { $0.label == label && $0.forwardTo != nil } }
    }

    public var statuses: [RuleStatus] {
        state.withLock { state in
            zip(state.rules, state.matched).map { RuleStatus(label: $0.label, summary: $0.summary, matched: $1) }
        }
    }

    public var override: AnswerOverride? { state.withLock { $0.override } }

    public func setOverride(_ override: AnswerOverride?) {
        state.withLock { state in
            state.override = override
            active.store(!state.rules.isEmpty || override != nil, ordering: .relaxed)
        }
    }

    /// The rule's (or override's) answer for a capture, or nil for the listener's own.
    /// - Parameter exempt: asked once something matched, before it counts: true leaves the capture
    ///   to the listener (a provider's handshake, which hookscope answers whatever the rules say),
    ///   and then no match count, sequence position or fail-next request is used up by it.
    func answer(for request: CapturedRequest, exempt: (CapturedRequest) -> Bool = { _ in false }) -> RuleAnswer? {
        state.withLock { state -> RuleAnswer? in
            if let override = state.override, override.applies(toPath: request.path) {
                return exempt(request) ? nil : Self.answer(state: &state, override: override)
            }
            guard !state.rules.isEmpty else { return nil }
            var provider: String??
            var identity: DeliveryIdentity?
            let path = request.path
            let method = request.method.uppercased()
            var pathScalars: [Unicode.Scalar]?
            for index in state.rules.indices {
                let rule = state.rules[index]
                if let wanted = rule.method, method != wanted { continue }
                if let glob = rule.path {
                    if let literal = glob.literal {
                        if path != literal { continue }
                    } else {
                        if pathScalars == nil { pathScalars = Array(path.unicodeScalars) }
                        if !glob.matches(pathScalars!) { continue }
                    }
                }
                if let (name, glob) = rule.header {
                    guard let value = request.headers.value(named: name), glob.matches(value) else { continue }
                }
                if rule.provider != nil || rule.needsIdentity {
                    if provider == nil { provider = .some(detectProvider(request)) }
                }
                if let wanted = rule.provider, provider! != wanted { continue }
                if rule.needsIdentity && identity == nil {
                    identity = DeliveryIdentity.of(request, provider: provider!)
                }
                if let glob = rule.event {
                    guard let event = identity?.event, glob.matches(event) else { continue }
                }
                if exempt(request) { return nil }
                state.matched[index] += 1
                var status = rule.status ?? 200
                if !rule.sequence.isEmpty {
                    let key = SequenceKey(rule: rule.label, delivery: identity?.deliveryID ?? "")
                    if state.sequencePositions.count >= Self.maxSequencePositions { state.sequencePositions.removeAll() }
                    let position = state.sequencePositions[key, default: 0]
                    state.sequencePositions[key] = position + 1
                    status = rule.sequence[min(position, rule.sequence.count - 1)]
                }
                var response = CapturedResponse(status: status, headers: rule.headers, body: rule.body)
                if rule.fail != nil { response = CapturedResponse(status: 0) }
                if rule.forwardTo != nil && rule.status == nil {
                    // Nothing to fall back on: the sender hears that the handler is down.
                    response = CapturedResponse(
                        status: 502, headers: [HeaderField("Content-Type", "text/plain; charset=utf-8")],
                        body: Data("hookscope could not forward this request to \(rule.forwardTo!)\n".utf8))
                }
                return RuleAnswer(label: rule.label, response: response, failure: rule.fail, delay: rule.delay, forwardTo: rule.forwardTo)
            }
            return nil
        }
    }

    /// The override's answer (it applies to the request: `AnswerOverride.applies(toPath:)`); a
    /// fail-next counts down and ends after its last request.
    private static func answer(state: inout State, override: AnswerOverride) -> RuleAnswer {
        func answer(status: Int, failure: AnswerFailure?) -> RuleAnswer {
            let response = failure != nil
                ? CapturedResponse(status: 0)
                : CapturedResponse(
                    status: status, headers: [HeaderField("Content-Type", "text/plain; charset=utf-8"), HeaderField("Retry-After", "60")],
                    body: Data("hookscope: \(override.description)\n".utf8))
            return RuleAnswer(label: override.label, response: response, failure: failure, delay: .zero, forwardTo: nil)
        }
        switch override {
        case .endpointDown(let failure):
            return answer(status: 503, failure: failure)
        case .failNext(let remaining, let status, let failure, let pathPrefix):
            let result = answer(status: status, failure: failure)
            state.override = remaining > 1 ? .failNext(remaining: remaining - 1, status: status, failure: failure, pathPrefix: pathPrefix) : nil
            return result
        }
    }
}
