import CNcurses
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// State the signal handlers and the `atexit` hook may touch: plain values set before handlers are installed.
enum SignalState {
    /// Write end of the terminal thread's self-pipe; signal handlers only write a byte there.
    nonisolated(unsafe) static var wakeFD: Int32 = -1
    /// True while curses owns the terminal: `atexit` then restores the saved modes.
    nonisolated(unsafe) static var terminalActive = false
    nonisolated(unsafe) static var savedTermios = termios()
    nonisolated(unsafe) static var haveSavedTermios = false
    nonisolated(unsafe) static var atexitInstalled = false

    /// Leaves the alternate screen, shows the cursor, resets attributes and turns mouse reporting off.
    static let resetSequence: [UInt8] = Array("\u{1b}[?1000l\u{1b}[?1002l\u{1b}[?1006l\u{1b}[0m\u{1b}[?25h\u{1b}[?1049l\r\n".utf8)

    /// Byte codes on the self-pipe besides signal numbers.
    static let frameByte: UInt8 = 70     // "F": a new frame is waiting
    static let quitByte: UInt8 = 81      // "Q": stop the terminal thread
    static let resizeByte: UInt8 = 87    // "W": SIGWINCH
    static let outputByte: UInt8 = 79    // "O": control sequences are waiting to be written
    static let externalByte: UInt8 = 69  // "E": run a program in the foreground (the editor)

    static func install() {
        let notify: @convention(c) (Int32) -> Void = { signal in
            var byte = UInt8(truncatingIfNeeded: signal)
            if signal == SIGWINCH { byte = SignalState.resizeByte }
            let fd = SignalState.wakeFD
            if fd >= 0 { _ = write(fd, &byte, 1) }
        }
        signal(SIGINT, notify)
        signal(SIGTERM, notify)
        signal(SIGHUP, notify)
        signal(SIGWINCH, notify)
        installCrashHandlers()
        if !atexitInstalled {
            atexitInstalled = true
            atexit {
                SignalState.emergencyRestore()
            }
        }
    }

    /// Dispositions that were in place before the crash handlers (the Swift backtracer's, usually).
    nonisolated(unsafe) static var previousCrashActions = [hs_sigaction_t](repeating: hs_sigaction_t(), count: 65)
    nonisolated(unsafe) static var crashHandlersInstalled = false
    static let crashSignals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT]

    /// On a crash: restore the terminal, put the previous handler back and return. The faulting
    /// instruction runs again and faults into the previous handler (the Swift backtracer, or the
    /// default action), so the crash is still reported with its real context; `abort()` re-raises by itself.
    static func installCrashHandlers() {
        guard !crashHandlersInstalled else { return }
        crashHandlersInstalled = true
        let handler: @convention(c) (Int32) -> Void = { signal in
            SignalState.emergencyRestore()
            if signal >= 0, signal < 65 {
                _ = hs_restore_action(signal, &SignalState.previousCrashActions[Int(signal)])
            }
        }
        for signal in crashSignals {
            _ = hs_set_handler(signal, handler, &previousCrashActions[Int(signal)])
        }
    }

    static func uninstallCrashHandlers() {
        guard crashHandlersInstalled else { return }
        crashHandlersInstalled = false
        for signal in crashSignals {
            _ = hs_restore_action(signal, &previousCrashActions[Int(signal)])
        }
    }

    static func uninstall() {
        uninstallCrashHandlers()
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        signal(SIGHUP, SIG_DFL)
        signal(SIGWINCH, SIG_DFL)
    }

    static func saveTermios() {
        if tcgetattr(STDIN_FILENO, &savedTermios) == 0 { haveSavedTermios = true }
    }

    /// Async-signal-safe restore used from `atexit` when the normal shutdown did not run.
    static func emergencyRestore() {
        guard terminalActive else { return }
        terminalActive = false
        if haveSavedTermios { _ = tcsetattr(STDIN_FILENO, TCSANOW, &savedTermios) }
        resetSequence.withUnsafeBufferPointer { buffer in
            _ = write(STDOUT_FILENO, buffer.baseAddress, buffer.count)
        }
    }
}
