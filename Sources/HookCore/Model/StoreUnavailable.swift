/// A capture that could not be stored because the store cannot be reached for now (its database
/// server is down, restarting or unreachable): the listener answers 503 with `Retry-After`, not
/// 500, so that the sender retries later; the capture was not stored.
public struct StoreUnavailableError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
