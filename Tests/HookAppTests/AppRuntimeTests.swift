import Foundation
import HookCore
import HookStore
import Testing
import TermUI
@testable import HookApp

@Suite struct AppRuntimeTests {
    struct Running {
        let input: AsyncStream<InputEvent>.Continuation
        let captures: AsyncStream<CaptureBatch>.Continuation
        let frames: AsyncStream<CellGrid>
        let app: Task<Void, Never>
    }

    func start(store: any RequestStore, size: Size = Size(width: 80, height: 24)) -> Running {
        let (input, inputContinuation) = AsyncStream<InputEvent>.makeStream()
        let (captures, captureContinuation) = AsyncStream<CaptureBatch>.makeStream()
        let (frames, frameContinuation) = AsyncStream<CellGrid>.makeStream()
        let environment = AppEnvironment(store: store, listenURL: "http://127.0.0.1:4242", captures: captures)
        let app = Task {
            await AppRuntime.run(environment: environment, input: input, initialSize: size) { frameContinuation.yield($0) }
            frameContinuation.finish()
        }
        return Running(input: inputContinuation, captures: captureContinuation, frames: frames, app: app)
    }

    static func text(_ grid: CellGrid) -> String { grid.textLines().joined(separator: "\n") }

    @Test func drawsLiveCapturesAndQuitsOnQ() async throws {
        let store = try await Sample.store([Sample.request("/first")])
        let running = start(store: store)
        var frames = running.frames.makeAsyncIterator()
        var sawFirst = false
        while let frame = await frames.next() {
            if Self.text(frame).contains("/first") { sawFirst = true; break }
        }
        #expect(sawFirst)
        let stored = try await store.insert(Sample.request("/second", second: 1))
        running.captures.yield(CaptureBatch([stored.summary]))
        var sawSecond = false
        while let frame = await frames.next() {
            let text = Self.text(frame)
            if text.contains("/second") && text.contains("2 captures") { sawSecond = true; break }
        }
        #expect(sawSecond)
        running.input.yield(.key(.character("q")))
        await running.app.value
        // The frame stream finished: the loop ended because of q.
        while await frames.next() != nil {}
    }

    @Test func forwardResultsShowLiveInTheList() async throws {
        let store = try await Sample.store([])
        let (input, inputContinuation) = AsyncStream<InputEvent>.makeStream()
        let (captures, captureContinuation) = AsyncStream<CaptureBatch>.makeStream()
        let (results, resultsContinuation) = AsyncStream<ReplayAttempt>.makeStream()
        let (frames, frameContinuation) = AsyncStream<CellGrid>.makeStream()
        let environment = AppEnvironment(
            store: store, listenURL: "http://127.0.0.1:4242", captures: captures,
            forwardTarget: "http://127.0.0.1:3000", replayResults: results)
        let app = Task {
            await AppRuntime.run(environment: environment, input: input, initialSize: Size(width: 80, height: 24)) {
                frameContinuation.yield($0)
            }
            frameContinuation.finish()
        }
        var iterator = frames.makeAsyncIterator()
        let stored = try await store.insert(Sample.request("/hook"))
        captureContinuation.yield(CaptureBatch([stored.summary]))
        var sawPending = false
        while let frame = await iterator.next() {
            if Self.text(frame).contains("→…") { sawPending = true; break }
        }
        #expect(sawPending)
        resultsContinuation.yield(ForwardColumnTests.attempt(stored.id, status: 202, milliseconds: 7))
        var sawResult = false
        while let frame = await iterator.next() {
            if Self.text(frame).contains("→202 7ms") { sawResult = true; break }
        }
        #expect(sawResult)
        inputContinuation.yield(.key(.character("q")))
        await app.value
    }

    @Test func endOfInputAndSignalsEndTheLoop() async throws {
        let a = start(store: InMemoryRequestStore())
        a.input.finish()
        await a.app.value
        let b = start(store: InMemoryRequestStore())
        b.input.yield(.terminate(signal: 1))
        await b.app.value
    }

    @Test func resizeProducesAFrameOfTheNewSize() async throws {
        let running = start(store: InMemoryRequestStore())
        var frames = running.frames.makeAsyncIterator()
        running.input.yield(.resize(Size(width: 120, height: 40)))
        var resized = false
        while let frame = await frames.next() {
            if frame.size == Size(width: 120, height: 40) { resized = true; break }
        }
        #expect(resized)
        running.input.yield(.key(.character("q")))
        await running.app.value
    }
}
