import CNcurses
import TermUI
#if canImport(Glibc)
import Glibc
#endif

/// All curses calls live here, on the terminal thread only. Not Sendable by design.
final class CursesTerminal {
    let shared: SharedTerminalState
    let window: UnsafeMutablePointer<WINDOW>
    let info: TerminalInfo
    private var previous: CellGrid?
    private var pairs: [ColorRole: Int16] = [:]
    private var running = true
    private var emptyReads = 0
    private let ccharwMax = Int(hs_ccharw_max())

    init(shared: SharedTerminalState, environment: [String: String]) throws {
        self.shared = shared
        // The locale must be set before initscr, falling back to C.UTF-8 when none is configured.
        setlocale(LC_ALL, "")
        if hs_codeset_is_utf8() == 0 {
            let configured = ["LC_ALL", "LC_CTYPE", "LANG"].contains { !(environment[$0] ?? "").isEmpty }
            if !configured { setlocale(LC_ALL, "C.UTF-8") }
        }
        let utf8 = hs_codeset_is_utf8() != 0
        set_escdelay(25)
        guard let window = initscr() else { throw TerminalError("curses could not initialise the terminal") }
        self.window = window
        SignalState.terminalActive = true
        cbreak()
        noecho()
        nonl()
        keypad(window, true)
        nodelay(window, true)
        intrflush(window, false)
        curs_set(0)
        var hasColors = has_colors()
        if hasColors {
            hasColors = start_color() == OK
            if hasColors { use_default_colors() }
        }
        mousemask(HS_ALL_MOUSE_EVENTS, nil)
        mouseinterval(0)
        let theme = Theme.choose(environment: environment, terminalHasColors: hasColors)
        info = TerminalInfo(size: Size(width: Int(getmaxx(window)), height: Int(getmaxy(window))), isUTF8: utf8, theme: theme)
        if theme.usesColor {
            var next: Int16 = 1
            for role in ColorRole.allCases {
                let look = theme.appearance(of: role)
                guard look.foreground != .default || look.background != .default, Int32(next) < hs_color_pairs() else { continue }
                init_pair(next, Int16(look.foreground.rawValue), Int16(look.background.rawValue))
                pairs[role] = next
                next += 1
            }
        }
    }

    /// Blocks in poll() until told to stop.
    func run() {
        var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: shared.wakeRead, events: Int16(POLLIN), revents: 0)]
        while running {
            fds[0].revents = 0
            fds[1].revents = 0
            let rc = poll(&fds, 2, -1)
            if rc < 0 {
                if errno == EINTR { continue }
                shared.continuation.yield(.endOfInput)
                break
            }
            if fds[1].revents & Int16(POLLIN) != 0 { drainPipe() }
            guard running else { break }
            let stdinEvents = fds[0].revents
            if stdinEvents & Int16(POLLIN) != 0 {
                readKeys()
            } else if stdinEvents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                endOfInput()
            }
        }
    }

    private func endOfInput() {
        shared.continuation.yield(.endOfInput)
        // Stop polling a dead descriptor; keep serving the pipe until asked to stop.
        var fds = [pollfd(fd: shared.wakeRead, events: Int16(POLLIN), revents: 0)]
        while running {
            if poll(&fds, 1, -1) > 0 { drainPipe() }
        }
    }

    private func drainPipe() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let n = read(shared.wakeRead, &buffer, buffer.count)
            guard n > 0 else { break }
            for byte in buffer[0..<n] {
                switch byte {
                case SignalState.frameByte:
                    if let grid = shared.mailbox.take() { blit(grid) }
                case SignalState.quitByte:
                    running = false
                case SignalState.resizeByte:
                    handleResize()
                case SignalState.externalByte:
                    if let job = shared.pendingExternal.withLock({ pending in defer { pending = nil }; return pending }) {
                        job.done(runExternal(job.arguments))
                    }
                case SignalState.outputByte:
                    // curses has flushed its own output after the last frame: write straight to the tty.
                    for sequence in shared.pendingOutput.withLock({ pending in defer { pending = [] }; return pending }) {
                        sequence.withUnsafeBytes { _ = write(STDOUT_FILENO, $0.baseAddress, $0.count) }
                    }
                default:
                    shared.continuation.yield(.terminate(signal: Int32(byte)))
                }
            }
        }
    }

    private func handleResize() {
        var rows: Int32 = 0
        var cols: Int32 = 0
        guard hs_terminal_size(STDOUT_FILENO, &rows, &cols) == 0, rows > 0, cols > 0 else { return }
        // resizeterm queues a KEY_RESIZE of its own; readKeys ignores it so a resize is reported once.
        resizeterm(rows, cols)
        previous = nil
        shared.continuation.yield(.resize(Size(width: Int(cols), height: Int(rows))))
    }

    private func readKeys() {
        var got = false
        while true {
            var wch: wint_t = 0
            let rc = wget_wch(window, &wch)
            if rc == ERR { break }
            got = true
            if rc == KEY_CODE_YES {
                functionKey(Int32(bitPattern: wch))
            } else {
                character(wch)
            }
        }
        if got {
            emptyReads = 0
        } else {
            // Readable but nothing to read, several times in a row: stdin is at end of file.
            emptyReads += 1
            if emptyReads >= 3 { endOfInput() }
        }
    }

    private func character(_ wch: wint_t) {
        if let key = Key.fromTerminalCharacter(UInt32(wch)) { shared.continuation.yield(.key(key)) }
    }

    private func functionKey(_ code: Int32) {
        let key: Key?
        switch code {
        case KEY_UP: key = .up
        case KEY_DOWN: key = .down
        case KEY_LEFT: key = .left
        case KEY_RIGHT: key = .right
        case KEY_HOME: key = .home
        case KEY_END: key = .end
        case KEY_PPAGE: key = .pageUp
        case KEY_NPAGE: key = .pageDown
        case KEY_BTAB: key = .backTab
        case KEY_ENTER: key = .enter
        case KEY_BACKSPACE: key = .backspace
        case KEY_DC: key = .delete
        case KEY_RESIZE: key = nil   // already reported by handleResize
        case KEY_MOUSE:
            mouse()
            key = nil
        case (KEY_F0 + 1)...(KEY_F0 + 24): key = .function(Int(code - KEY_F0))
        default: key = nil
        }
        if let key { shared.continuation.yield(.key(key)) }
    }

    private func mouse() {
        var event = MEVENT()
        while getmouse(&event) == OK {
            let state = event.bstate
            let button: MouseButton?
            if state & (HS_BUTTON1_PRESSED | HS_BUTTON1_CLICKED) != 0 { button = .left }
            else if state & HS_BUTTON4_PRESSED != 0 { button = .wheelUp }
            else if state & HS_BUTTON5_PRESSED != 0 { button = .wheelDown }
            else if state & HS_BUTTON2_PRESSED != 0 { button = .middle }
            else if state & HS_BUTTON3_PRESSED != 0 { button = .right }
            else { button = nil }
            if let button {
                shared.continuation.yield(.mouse(MouseEvent(button: button, x: Int(event.x), y: Int(event.y))))
            }
        }
    }

    /// Writes the cells that changed since the last frame; curses sends only what differs on screen.
    func blit(_ grid: CellGrid) {
        let height = Int(getmaxy(window))
        let width = Int(getmaxx(window))
        let full = previous?.size != grid.size
        if full { werase(window) }
        var cell = cchar_t()
        var text = [wchar_t](repeating: 0, count: ccharwMax + 1)
        for y in 0..<min(height, grid.height) {
            for x in 0..<min(width, grid.width) {
                let c = grid[x, y]
                if c.isContinuation { continue }
                if !full, let previous, previous[x, y] == c { continue }
                if c.width == 2 && x + 1 >= width { continue }
                var count = 0
                for scalar in c.text.unicodeScalars where count < ccharwMax {
                    text[count] = wchar_t(bitPattern: info.isUTF8 ? scalar.value : Self.asciiFallback(scalar))
                    count += 1
                }
                if count == 0 { text[0] = 32; count = 1 }
                text[count] = 0
                let (attrs, pair) = attributes(c.effectiveStyle)
                hs_setcchar(&cell, text, attrs, pair)
                mvwadd_wch(window, Int32(y), Int32(x), &cell)
            }
        }
        previous = grid
        wnoutrefresh(window)
        doupdate()
    }

    static func asciiFallback(_ scalar: Unicode.Scalar) -> UInt32 {
        if scalar.value < 0x80 { return scalar.value }
        switch scalar {
        case "─": return UInt32(UInt8(ascii: "-"))
        case "│": return UInt32(UInt8(ascii: "|"))
        case "┌", "┐", "└", "┘": return UInt32(UInt8(ascii: "+"))
        case "…": return UInt32(UInt8(ascii: "~"))
        case "▐", "▏": return UInt32(UInt8(ascii: "|"))
        case "·": return UInt32(UInt8(ascii: "."))
        case "✓": return UInt32(UInt8(ascii: "v"))
        case "✗": return UInt32(UInt8(ascii: "x"))
        case "→": return UInt32(UInt8(ascii: ">"))
        case "↑", "↓": return UInt32(UInt8(ascii: "^"))
        default: return UInt32(UInt8(ascii: "?"))
        }
    }

    private func attributes(_ style: Style) -> (attr_t, Int16) {
        let look = info.theme.appearance(of: style.role)
        var attrs = HS_A_NORMAL
        if look.bold || style.bold { attrs |= HS_A_BOLD }
        if look.reverse || style.reverse { attrs |= HS_A_REVERSE }
        if look.underline || style.underline { attrs |= HS_A_UNDERLINE }
        if look.dim { attrs |= HS_A_DIM }
        return (attrs, pairs[style.role] ?? 0)
    }

    /// Leaves curses mode, runs the program with the terminal as its stdin/stdout, waits, and comes back.
    private func runExternal(_ arguments: [String]) -> Int32 {
        mousemask(0, nil)
        def_prog_mode()
        endwin()
        let off = Array("\u{1b}[?1000l\u{1b}[?1006l".utf8)
        off.withUnsafeBufferPointer { _ = write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        var status: Int32 = 127
        // Only stdin, stdout and stderr go to the child: NIO's accepted sockets are not close-on-exec,
        // and an editor must not hold the listener's connections (or any other descriptor) open.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        if posix_spawnp(&pid, arguments[0], &actions, nil, &argv, environ) == 0 {
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        }
        reset_prog_mode()
        mousemask(HS_ALL_MOUSE_EVENTS, nil)
        previous = nil
        clearok(window, true)
        refresh()
        // The screen is redrawn from the newest frame.
        if let grid = shared.mailbox.take() { blit(grid) } else { shared.continuation.yield(.resize(Size(width: Int(getmaxx(window)), height: Int(getmaxy(window))))) }
        return status
    }

    func shutdown() {
        mousemask(0, nil)
        curs_set(1)
        endwin()
        SignalState.terminalActive = false
        // Mouse tracking off, in case the terminal kept it.
        let off = Array("\u{1b}[?1000l\u{1b}[?1006l".utf8)
        off.withUnsafeBufferPointer { _ = write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }
}
