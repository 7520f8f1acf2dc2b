import Foundation

/// Where the captures database lives by default.
public enum StoreLocation {
    /// `$XDG_DATA_HOME/hookscope/captures.sqlite`, else `~/.local/share/hookscope/captures.sqlite`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            return xdg + "/hookscope/captures.sqlite"
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/share/hookscope/captures.sqlite"
    }
}
