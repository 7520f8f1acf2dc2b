import Foundation
import HookCore
import HookStore
import HookTestSupport
import Synchronization
import TermUI
@testable import HookApp

/// Drives `AppState` with real effects against a store, running each effect to completion before the
/// next key, so sessions are deterministic without sleeping.
struct AppHarness {
    var state: AppState
    let runner: EffectRunner
    let store: any RequestStore

    init(store: any RequestStore, size: Size = Size(width: 80, height: 24), replayTo: String? = nil,
         explain: @escaping @Sendable (CapturedRequest) -> [String] = { _ in [] }, scanBatchSize: Int = 512,
         replay: (@Sendable (Int64, String, Bool) async -> ReplayAttempt)? = nil,
         clipboard: (@Sendable (String) -> Void)? = nil, exportDirectory: String? = nil,
         addSecret: (@Sendable (String, String) throws -> Void)? = nil,
         secrets: (@Sendable () -> [MaskedSecret])? = nil,
         removeSecret: (@Sendable (String, Int) throws -> String)? = nil,
         verify: (@Sendable (CapturedRequest) -> SignatureSummary)? = nil,
         storedVerdicts: (@Sendable ([(id: Int64, signature: SignatureSummary)]) -> Void)? = nil,
         replayEdited: (@Sendable (CapturedRequest, String, Bool) async -> ReplayAttempt)? = nil,
         editFile: (@Sendable (String) async -> Bool)? = nil, forwardTarget: String? = nil,
         rules: (@Sendable () -> [RuleStatus])? = nil, setOverride: (@Sendable (AnswerOverride?) -> Void)? = nil,
         currentOverride: (@Sendable () -> AnswerOverride?)? = nil,
         saveSample: (@Sendable (CapturedRequest) throws -> (name: String, path: String))? = nil) async {
        self.store = store
        var environment = AppEnvironment(
            store: store, listenURL: "http://127.0.0.1:9777", captures: AsyncStream { $0.finish() },
            explainSignature: explain, replayTo: replayTo, replay: replay, clipboard: clipboard,
            exportDirectory: exportDirectory, addSecret: addSecret, secrets: secrets, removeSecret: removeSecret, verify: verify, storedVerdicts: storedVerdicts, replayEdited: replayEdited,
            editFile: editFile, forwardTarget: forwardTarget)
        environment.rules = rules
        environment.setOverride = setOverride
        environment.currentOverride = currentOverride
        environment.saveSample = saveSample
        runner = EffectRunner(environment: environment, scanBatchSize: scanBatchSize)
        state = AppState(listenURL: environment.listenURL, replayTo: replayTo, forwardTarget: forwardTarget, size: size)
        var initial = AppState.startEffects
        initial += state.reconcile()
        await run(initial)
    }

    mutating func send(_ event: AppEvent) async {
        let effects = state.apply(event)
        await run(effects)
    }

    mutating func run(_ effects: [Effect]) async {
        var pending = effects
        while !pending.isEmpty {
            let effect = pending.removeFirst()
            let collected = Mutex<[AppEvent]>([])
            await runner.run(effect) { event in collected.withLock { $0.append(event) } }
            for event in collected.withLock({ $0 }) {
                pending += state.apply(event)
            }
        }
    }

    mutating func type(_ script: String) async {
        for key in Key.parseSequence(script) { await send(.input(.key(key))) }
    }

    mutating func capture(_ request: CapturedRequest) async throws {
        let stored = try await store.insert(request)
        await send(.captured(stored.summary))
    }

    func grid() -> CellGrid {
        var grid = CellGrid(size: state.size)
        MainScreen.render(state, into: &grid)
        return grid
    }

    /// The screen as text with wall-clock times masked.
    func screen() -> [String] {
        grid().textLines().map(Self.maskTimes)
    }

    func screenText() -> String { screen().joined(separator: "\n") }

    static func maskTimes(_ line: String) -> String {
        line.replacingOccurrences(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"#, with: "YYYY-MM-DDThh:mm:ss.uuuuuuZ", options: .regularExpression)
            .replacingOccurrences(of: #"\d\d:\d\d:\d\d\.\d\d\d"#, with: "hh:mm:ss.mmm", options: .regularExpression)
    }
}

enum Sample {
    static func request(_ path: String, method: String = "POST", body: String = "ping body",
                        headers: [HeaderField] = [HeaderField("Content-Type", "text/plain")],
                        status: Int = 200, signature: SignatureSummary = .unsigned, second: Int64 = 0) -> CapturedRequest {
        sampleCapture(
            receivedAt: CaptureTime(nanosecondsSince1970: 1_795_000_000_000_000_000 + second * 1_000_000_000),
            method: method, rawTarget: Array(path.utf8), headers: headers, body: Data(body.utf8),
            response: CapturedResponse(status: status), signature: signature)
    }

    static func store(_ requests: [CapturedRequest]) async throws -> InMemoryRequestStore {
        let store = InMemoryRequestStore()
        for r in requests { _ = try await store.insert(r) }
        return store
    }
}
