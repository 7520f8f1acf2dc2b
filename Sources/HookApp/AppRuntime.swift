import HookCore
import Synchronization
import TermUI

/// Collects events from every source; the app loop drains them all at once and draws one frame.
final class Inbox: Sendable {
    private let queue = Mutex<[AppEvent]>([])
    let signal: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (signal, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func post(_ event: AppEvent) {
        queue.withLock { $0.append(event) }
        continuation.yield()
    }

    /// Several events with one lock and one wake-up.
    func post(contentsOf events: some Sequence<AppEvent>) {
        queue.withLock { $0.append(contentsOf: events) }
        continuation.yield()
    }

    func drain() -> [AppEvent] {
        queue.withLock { events in
            defer { events.removeAll(keepingCapacity: true) }
            return events
        }
    }

    /// Wakes the loop without an event (the frame pacer's timer).
    func wake() { continuation.yield() }

    func finish() { continuation.finish() }
}

/// The effect tasks in flight, so quitting can cancel them.
final class TaskSet: Sendable {
    private struct Entries {
        var tasks: [Int: Task<Void, Never>] = [:]
        /// Tasks that finished before they were inserted.
        var done: Set<Int> = []
    }
    private let entries = Mutex(Entries())

    func insert(_ id: Int, _ task: Task<Void, Never>) {
        entries.withLock { e in
            if e.done.remove(id) == nil { e.tasks[id] = task }
        }
    }

    func remove(_ id: Int) {
        entries.withLock { e in
            if e.tasks.removeValue(forKey: id) == nil { e.done.insert(id) }
        }
    }

    func cancelAll() { entries.withLock { $0.tasks.values.forEach { $0.cancel() } } }
}

/// The app loop: one task owns `AppState`, applies events, runs effects as child tasks and hands the
/// newest frame to the terminal (which drops frames it has not sent yet).
public enum AppRuntime {
    /// Runs until the user quits, stdin closes or a termination signal arrives (reported through `input`).
    /// - Parameters:
    ///   - present: receives each new frame; must not block (a mailbox that keeps only the newest frame).
    public static func run(
        environment: AppEnvironment,
        input: AsyncStream<InputEvent>,
        initialSize: Size,
        glyphs: BorderGlyphs = .unicode,
        minimumFrameInterval: Duration = .milliseconds(33),
        present: @escaping @Sendable (CellGrid) -> Void
    ) async {
        let inbox = Inbox()
        let runner = EffectRunner(environment: environment)
        var state = AppState(
            listenURL: environment.listenURL, replayTo: environment.replayTo, forwardTarget: environment.forwardTarget,
            customProviders: environment.customProviders, size: initialSize)
        state.proxyResponse = environment.proxyResponse
        state.watchedStore = environment.watchedStore
        // A viewer has no listener: the keys that change how the listener answers are not bound there.
        if environment.watchedStore != nil { state.keymap = .viewer }
        var slots: [EffectSlot: Task<Void, Never>] = [:]
        let running = TaskSet()
        var nextTaskID = 0

        let inputTask = Task {
            for await event in input { inbox.post(.input(event)) }
            inbox.post(.input(.endOfInput))
        }
        let capturesTask = Task {
            // A fail-next override ends once its requests came: the status bar follows it.
            var override = environment.currentOverride?()
            for await batch in environment.captures {
                if batch.elsewhere {
                    inbox.post(contentsOf: batch.summaries.lazy.map { .capturedElsewhere($0) })
                } else {
                    inbox.post(contentsOf: batch.summaries.lazy.map { .captured($0) })
                }
                if let current = environment.currentOverride, override != nil || batch.summaries.contains(where: { $0.rule != nil }) {
                    let now = current()
                    if now != override { inbox.post(.overrideChanged(now)) }
                    override = now
                }
            }
        }
        let ruleNoticesTask = Task {
            guard let notices = environment.ruleNotices else { return }
            for await notice in notices { inbox.post(.ruleNotice(notice)) }
        }
        let replayResultsTask = Task {
            guard let results = environment.replayResults else { return }
            for await attempt in results { inbox.post(.replayRecorded(attempt)) }
        }
        let storeHealthTask = Task {
            guard let updates = environment.storeHealth else { return }
            for await health in updates { inbox.post(.storeHealth(health)) }
        }
        let storeChangesTask = Task {
            guard let changes = environment.storeChanges else { return }
            for await change in changes { inbox.post(.storeChanged(change)) }
        }

        func launch(_ effect: Effect) {
            if let slot = effect.slot {
                slots[slot]?.cancel()
                if case .cancelFilterScan = effect { slots[slot] = nil; return }
            }
            nextTaskID += 1
            let id = nextTaskID
            let task = Task {
                await runner.run(effect) { inbox.post($0) }
                running.remove(id)
            }
            running.insert(id, task)
            if let slot = effect.slot { slots[slot] = task }
        }

        for effect in AppState.startEffects + state.reconcile() { launch(effect) }
        var grid = CellGrid(size: state.size)
        MainScreen.render(state, into: &grid, glyphs: glyphs)
        present(grid)

        let clock = ContinuousClock()
        var pacer = FramePacer(minimumInterval: minimumFrameInterval)
        pacer.drew(at: clock.now)
        for await _ in inbox.signal {
            let events = inbox.drain()
            for event in events {
                for effect in state.absorb(event) { launch(effect) }
            }
            if state.quitRequested { break }
            switch pacer.decide(after: events, now: clock.now) {
            case .wait:
                continue
            case .drawAfter(let delay):
                Task {
                    try? await Task.sleep(for: delay)
                    inbox.wake()
                }
                continue
            case .draw:
                for effect in state.reconcile() { launch(effect) }
                var frame = CellGrid(size: state.size)
                MainScreen.render(state, into: &frame, glyphs: glyphs)
                present(frame)
                pacer.drew(at: clock.now)
            }
        }
        inputTask.cancel()
        capturesTask.cancel()
        replayResultsTask.cancel()
        storeHealthTask.cancel()
        storeChangesTask.cancel()
        ruleNoticesTask.cancel()
        running.cancelAll()
        inbox.finish()
    }
}
