import Foundation
import HookCore
import NIOCore

/// How the listener binds, answers and defends itself.
public struct ListenerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 9777
    /// What every captured request is answered with (unless a handshake answers it).
    public var response = CapturedResponse(status: 200, headers: [], body: Data())
    /// Wait this long before answering.
    public var delay: Duration = .zero
    /// Larger bodies are answered 413 and kept without their body.
    public var maxBodySize = 25 * 1024 * 1024
    /// Body bytes held in memory for all requests in flight together (counted as they arrive, not
    /// as declared) may not exceed this; beyond it requests get 503.
    public var inFlightBodyBudget = 512 * 1024 * 1024
    /// The request line plus headers may not exceed this (431).
    public var maxHeadSize = 64 * 1024
    /// The request target may not exceed this (414).
    public var maxTargetLength = 16 * 1024
    /// At most this many header fields (431).
    public var maxHeaderCount = 1000
    /// Time allowed to receive a whole request head, from its first byte.
    public var headTimeout: Duration = .seconds(10)
    /// Longest pause allowed between two pieces of a body (then 408).
    public var bodyIdleTimeout: Duration = .seconds(20)
    /// A body gets this long from its first byte, plus one second for every `bodyMinimumRate`
    /// bytes that arrive; past that it is answered 408. A sender trickling a byte now and then
    /// cannot hold a connection (and what it declared) for longer than this.
    public var bodyTimeout: Duration = .seconds(30)
    /// Bytes per second a body must keep up on average once `bodyTimeout` has passed (0: no rate).
    public var bodyMinimumRate = 1024
    /// An idle keep-alive connection is closed after this.
    public var idleTimeout: Duration = .seconds(30)
    /// At most this many open connections; at the cap the longest-idle one is closed for a new one.
    public var maxConnections = 1000
    /// Before a refusal (413/503) is answered, read and discard at most this much of its body; then
    /// reading pauses until the answer is written.
    public var refusedBodyDrainLimit = 1024 * 1024
    /// Once the refusal is written while the sender still sends: the listener half-closes (the sender
    /// reads the answer and the end of the stream) and keeps discarding what comes, up to this many
    /// bytes in all or `refusedBodyDrainTime`, before it closes. Closing with unread bytes makes the
    /// kernel send a reset, which can make the sender lose the answer it had not read yet.
    public var refusedBodyLingerLimit = 32 * 1024 * 1024
    /// The longest the connection stays open after the refusal was answered.
    public var refusedBodyDrainTime: Duration = .seconds(2)
    /// Number of event loop threads: one per CPU this process may run on.
    public var threads = ListenerConfiguration.usableCores
    /// At most one "could not store a capture" log line per this interval (the others are counted).
    public var storeErrorLogInterval: Duration = .seconds(1)

    public init() {}

    /// `System.coreCount` counts the machine's (or cgroup's) CPUs; a process confined to fewer with
    /// `taskset` or a cpuset gets only that many event loops, since more threads on one CPU only add
    /// context switches.
    public static var usableCores: Int {
        #if os(Linux)
        // The affinity mask as the kernel shows it: `Cpus_allowed:\t3` (hex, comma-separated words).
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) {
            let allowed = line.dropFirst("Cpus_allowed:".count).reduce(0) { count, digit in
                count + (digit.hexDigitValue?.nonzeroBitCount ?? 0)
            }
            if allowed > 0 { return min(allowed, System.coreCount) }
        }
        #endif
        return System.coreCount
    }
}
