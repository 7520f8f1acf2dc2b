import Foundation
#if canImport(Glibc)
import Glibc
#endif

// glibc (2.34+) declares it only under _GNU_SOURCE.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32

/// Spawn attributes that start a child with no signal blocked and every signal at its default
/// action. A test process blocks signals in its threads (dispatch signal sources of in-process
/// listeners): a child would inherit that mask, and a TUI or a tmux server spawned from a test would
/// then never see SIGTERM or SIGHUP, outliving the test with its connections. Destroy it after use.
public func cleanSignalAttributes() -> posix_spawnattr_t {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attributes, &none)
    var all = sigset_t()
    sigfillset(&all)
    sigdelset(&all, SIGKILL)
    sigdelset(&all, SIGSTOP)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    return attributes
}

/// Adds to `actions` the closing of every descriptor from 3 up, after what `actions` already does:
/// the child then gets no descriptor of the test process but those wired to 0, 1 and 2. Without it a
/// child inherits every socket the test process has open at that moment, among them the accepted
/// connections of the listeners other tests run in this process (NIO does not mark them
/// close-on-exec), and a tmux server, which outlives the spawn by up to a minute, keeps them open:
/// their clients then never see the listener's close.
public func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
    _ = addCloseFrom(&actions, 3)
}

/// A child process for tests, with the part of Foundation's `Process` API the tests use, started
/// with `posix_spawn`. Foundation's `Process.run()` on Linux (swift-corelibs-foundation before
/// PR #5472) over-reads a `dirent` while it lists `/proc/self/fd` and crashes the test process now
/// and then (seen here: SIGSEGV in `Process.run` → `memcpy`, about one full test run in four under
/// load). Tests use it in place of `Process`.
///
/// Standard streams: a `Pipe` (the child gets the matching end; the parent's copy of that end is
/// closed once the child runs, as Foundation does), a `FileHandle` (`FileHandle.nullDevice` is
/// /dev/null), or nil to inherit. The child gets no other descriptor.
public final class ChildProcess: @unchecked Sendable {
    public var executableURL: URL?
    public var arguments: [String]?
    public var environment: [String: String]?
    public var standardInput: Any?
    public var standardOutput: Any?
    public var standardError: Any?

    private let lock = NSLock()
    private var pid: pid_t = 0
    private var exit: Int32?

    public init() {}

    public var processIdentifier: Int32 { lock.withLock { pid } }

    public struct SpawnError: Error, CustomStringConvertible {
        public var description: String
    }

    public func run() throws {
        guard let path = executableURL?.path else { throw SpawnError(description: "no executable") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var closeAfterSpawn: [FileHandle] = []
        func wire(_ stream: Any?, to fd: Int32, childReads: Bool) {
            switch stream {
            case let pipe as Pipe:
                let childEnd = childReads ? pipe.fileHandleForReading : pipe.fileHandleForWriting
                posix_spawn_file_actions_adddup2(&actions, childEnd.fileDescriptor, fd)
                closeAfterSpawn.append(childEnd)
            case let handle as FileHandle where handle === FileHandle.nullDevice:
                posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", childReads ? O_RDONLY : O_WRONLY, 0)
            case let handle as FileHandle:
                posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, fd)
            default:
                break
            }
        }
        wire(standardInput, to: 0, childReads: true)
        wire(standardOutput, to: 1, childReads: false)
        wire(standardError, to: 2, childReads: false)
        closeInheritedDescriptors(&actions)

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + (arguments ?? [])).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var envp: [UnsafeMutablePointer<CChar>?] = []
        if let environment {
            envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        defer { for pointer in envp { free(pointer) } }
        var child: pid_t = 0
        var attributes = cleanSignalAttributes()
        defer { posix_spawnattr_destroy(&attributes) }
        let result = envp.isEmpty
            ? posix_spawn(&child, path, &actions, &attributes, argv, environ)
            : posix_spawn(&child, path, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw SpawnError(description: "cannot run \(path): \(String(cString: strerror(result)))")
        }
        lock.withLock { pid = child }
        for handle in closeAfterSpawn { try? handle.close() }
    }

    /// Reaps the child if it has exited (or, with `blocking`, once it has).
    private func reap(blocking: Bool) {
        let child: pid_t = lock.withLock { exit == nil ? pid : 0 }
        guard child > 0 else { return }
        var raw: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(child, &raw, blocking ? 0 : WNOHANG) } while result < 0 && errno == EINTR
        if result == child {
            // Exit code, or the signal's number when a signal ended it (as Foundation reports it).
            let status: Int32 = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : raw & 0x7f
            lock.withLock { exit = status }
        } else if result < 0 && errno == ECHILD && blocking {
            // Another thread reaped it: wait for that thread to record the status.
            while lock.withLock({ exit == nil }) { usleep(1000) }
        }
    }

    public func waitUntilExit() { reap(blocking: true) }

    public var isRunning: Bool {
        reap(blocking: false)
        return lock.withLock { pid > 0 && exit == nil }
    }

    public var terminationStatus: Int32 { lock.withLock { exit ?? 0 } }

    public func terminate() {
        let child = lock.withLock { exit == nil ? pid : 0 }
        if child > 0 { kill(child, SIGTERM) }
    }
}
