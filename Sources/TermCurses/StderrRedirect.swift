import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Sends stderr to a log file while the TUI owns the screen, so nothing (log lines, runtime warnings)
/// is written over the interface; `restore()` puts the original stderr back.
public final class StderrRedirect: Sendable {
    public let path: String
    private let savedFD: Int32

    /// The log file: `$HOOKSCOPE_LOG`, else `$XDG_STATE_HOME/hookscope/hookscope.log`,
    /// else `~/.local/state/hookscope/hookscope.log`.
    public static func defaultLogPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["HOOKSCOPE_LOG"], !path.isEmpty { return path }
        let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSTemporaryDirectory()) + "/.local/state")
        return state + "/hookscope/hookscope.log"
    }

    /// Redirects stderr to `path` (appending); returns nil when the file cannot be opened.
    public init?(path: String = StderrRedirect.defaultLogPath()) {
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        let saved = dup(STDERR_FILENO)
        guard saved >= 0, dup2(fd, STDERR_FILENO) >= 0 else {
            close(fd)
            if saved >= 0 { close(saved) }
            return nil
        }
        close(fd)
        self.path = path
        self.savedFD = saved
    }

    public func restore() {
        _ = dup2(savedFD, STDERR_FILENO)
        close(savedFD)
    }
}
