import Foundation

/// A failure with a message for the user, printed on one line. A usage error (a bad flag value)
/// exits 64 like the argument parser's own; the others exit 1.
public struct UserError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public var isUsage: Bool

    public init(_ description: String, usage: Bool = false) {
        self.description = description
        isUsage = usage
    }
}

/// `~/x` as the home directory's `x`; other paths as they are.
public func expandTilde(_ path: String) -> String {
    path.hasPrefix("~/") ? NSHomeDirectory() + String(path.dropFirst()) : path
}
