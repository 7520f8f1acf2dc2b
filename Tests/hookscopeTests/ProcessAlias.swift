import HookTestSupport

/// Child processes go through `ChildProcess` (posix_spawn), not Foundation's `Process`: see there why.
typealias Process = ChildProcess
