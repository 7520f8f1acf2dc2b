import ArgumentParser
import HookCore
import HookListen

/// `--filter`, in the TUI's syntax, for every command that takes one.
enum FilterOption {
    /// The parsed filter; a bad one is a usage error that says what is wrong. `sig:` takes the
    /// built-in provider ids and those of the custom schemes in `config` (the default config file
    /// when nil; one that cannot be read adds none, and the command says why when it reads it).
    static func parse(_ text: String, config: ConfigFile? = nil) throws -> RequestFilter {
        let custom = (config ?? (try? ConfigFile.load(explicitPath: nil)))?.customSchemes.map(\.id) ?? []
        do {
            return try RequestFilter.parse(text, customProviders: Set(custom))
        } catch {
            throw ValidationError("--filter: \(error)")
        }
    }
}
