import ArgumentParser
import HookCore

/// `--filter`, in the TUI's syntax, for every command that takes one.
enum FilterOption {
    /// The parsed filter; a bad one is a usage error that says what is wrong.
    static func parse(_ text: String) throws -> RequestFilter {
        do {
            return try RequestFilter.parse(text)
        } catch {
            throw ValidationError("--filter: \(error)")
        }
    }
}
