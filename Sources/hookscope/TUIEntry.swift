import Foundation
import HookApp
import TermCurses
import TermUI

/// Runs the interactive TUI until the user quits (q), a SIGINT/SIGTERM/SIGHUP arrives or stdin closes.
/// Owns the terminal meanwhile and always restores it before returning; stderr goes to the log file
/// (`StderrRedirect.defaultLogPath()`) while the interface is up.
func runTUI(_ environment: AppEnvironment) async throws {
    let redirect = StderrRedirect()
    defer { redirect?.restore() }
    let session = try TerminalSession.start()
    var environment = environment
    environment.clipboard = { text in session.copyToClipboard(text) }
    let editor = ProcessInfo.processInfo.environment["VISUAL"] ?? ProcessInfo.processInfo.environment["EDITOR"] ?? "vi"
    environment.editFile = { path in
        // Through the shell, so that EDITOR may carry arguments ("code -w").
        await session.runInForeground(["/bin/sh", "-c", editor + " \"$1\"", "sh", path]) == 0
    }
    await AppRuntime.run(
        environment: environment,
        input: session.events,
        initialSize: session.initialSize,
        glyphs: session.isUTF8 ? .unicode : .ascii,
        present: { session.present($0) }
    )
    await session.stop()
}
