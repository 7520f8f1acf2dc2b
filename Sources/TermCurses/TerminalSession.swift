import CNcurses
import Foundation
import Synchronization
import TermUI
#if canImport(Glibc)
import Glibc
#endif

public struct TerminalError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// State shared between the app side and the terminal thread.
final class SharedTerminalState: Sendable {
    let mailbox = FrameMailbox()
    /// Escape sequences to write between frames (e.g. OSC 52), in order.
    let pendingOutput = Mutex<[[UInt8]]>([])
    /// A program to run in the foreground (the editor), with what to call when it exits.
    let pendingExternal = Mutex<(arguments: [String], done: @Sendable (Int32) -> Void)?>(nil)
    let continuation: AsyncStream<InputEvent>.Continuation
    let wakeRead: Int32
    let wakeWrite: Int32
    let stopped: AsyncStream<Void>.Continuation

    init(continuation: AsyncStream<InputEvent>.Continuation, wakeRead: Int32, wakeWrite: Int32, stopped: AsyncStream<Void>.Continuation) {
        self.continuation = continuation
        self.wakeRead = wakeRead
        self.wakeWrite = wakeWrite
        self.stopped = stopped
    }

    func wake(_ byte: UInt8) {
        var b = byte
        _ = write(wakeWrite, &b, 1)
    }
}

/// What the terminal thread reports once curses is up.
struct TerminalInfo: Sendable {
    var size: Size
    var isUTF8: Bool
    var theme: Theme
}

/// Owns the terminal for the TUI. One dedicated thread does all curses work: it blocks in `poll()` on
/// stdin and a self-pipe, blits the newest frame (a newer frame replaces an unsent one), and turns keys,
/// mouse, resizes, stdin EOF and SIGINT/SIGTERM/SIGHUP into `InputEvent`s. `stop()` restores the terminal;
/// an `atexit` hook restores it too if the process exits without stopping.
public final class TerminalSession: Sendable {
    public let events: AsyncStream<InputEvent>
    public let initialSize: Size
    public let isUTF8: Bool
    public let theme: Theme
    private let shared: SharedTerminalState
    private let stoppedStream: AsyncStream<Void>
    private let stopOnce = Mutex(false)

    /// Takes over the terminal. Throws when stdin or stdout is not a terminal or curses cannot start.
    public static func start(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> TerminalSession {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw TerminalError("the TUI needs a terminal on stdin and stdout (use --headless)")
        }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TerminalError("cannot create the wake-up pipe") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        let (events, continuation) = AsyncStream<InputEvent>.makeStream(bufferingPolicy: .unbounded)
        let (stopped, stoppedContinuation) = AsyncStream<Void>.makeStream()
        let shared = SharedTerminalState(continuation: continuation, wakeRead: fds[0], wakeWrite: fds[1], stopped: stoppedContinuation)

        // Handlers first: otherwise initscr installs its own (whose SIGHUP handling leaves the terminal raw).
        SignalState.wakeFD = fds[1]
        SignalState.saveTermios()
        SignalState.install()

        let ready = DispatchSemaphore(value: 0)
        let info = Mutex<Result<TerminalInfo, TerminalError>?>(nil)
        let thread = Thread {
            let terminal: CursesTerminal
            do {
                terminal = try CursesTerminal(shared: shared, environment: environment)
                info.withLock { $0 = .success(terminal.info) }
            } catch let error as TerminalError {
                info.withLock { $0 = .failure(error) }
                ready.signal()
                shared.stopped.finish()
                return
            } catch {
                info.withLock { $0 = .failure(TerminalError("\(error)")) }
                ready.signal()
                shared.stopped.finish()
                return
            }
            ready.signal()
            terminal.run()
            terminal.shutdown()
            shared.continuation.finish()
            shared.stopped.finish()
        }
        thread.name = "hookscope-terminal"
        thread.start()
        ready.wait()
        switch info.withLock({ $0 }) {
        case .success(let terminalInfo):
            return TerminalSession(events: events, info: terminalInfo, shared: shared, stopped: stopped)
        case .failure(let error):
            SignalState.uninstall()
            throw error
        case nil:
            throw TerminalError("the terminal thread did not start")
        }
    }

    private init(events: AsyncStream<InputEvent>, info: TerminalInfo, shared: SharedTerminalState, stopped: AsyncStream<Void>) {
        self.events = events
        self.initialSize = info.size
        self.isUTF8 = info.isUTF8
        self.theme = info.theme
        self.shared = shared
        self.stoppedStream = stopped
    }

    /// Hands a frame to the terminal thread. Never blocks; an older frame not yet drawn is dropped.
    /// Writes a control sequence built by hookscope itself (never captured bytes), such as OSC 52,
    /// from the terminal thread between two frames.
    public func writeControlSequence(_ bytes: [UInt8]) {
        shared.pendingOutput.withLock { $0.append(bytes) }
        shared.wake(SignalState.outputByte)
    }

    /// Suspends the interface, runs a program in the foreground of the terminal (an editor), then
    /// restores the interface. Returns the program's exit status (127 when it could not start).
    public func runInForeground(_ arguments: [String]) async -> Int32 {
        await withCheckedContinuation { continuation in
            shared.pendingExternal.withLock { $0 = (arguments, { continuation.resume(returning: $0) }) }
            shared.wake(SignalState.externalByte)
        }
    }

    /// Puts text on the clipboard of the terminal (and, with `set-clipboard on`, of tmux) with OSC 52.
    public func copyToClipboard(_ text: String) {
        let payload = Data(text.utf8).base64EncodedString()
        writeControlSequence(Array("\u{1b}]52;c;\(payload)\u{07}".utf8))
    }

    public func present(_ grid: CellGrid) {
        if shared.mailbox.put(grid) { shared.wake(SignalState.frameByte) }
    }

    /// Restores the terminal and waits until the terminal thread has finished.
    public func stop() async {
        let first = stopOnce.withLock { done in
            defer { done = true }
            return !done
        }
        if first { shared.wake(SignalState.quitByte) }
        for await _ in stoppedStream {}
        SignalState.uninstall()
    }
}
