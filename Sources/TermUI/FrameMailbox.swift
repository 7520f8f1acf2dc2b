import Synchronization

/// A one-slot mailbox for frames: a newer frame replaces one not yet drawn, so a flood of updates
/// never queues frames. `put` reports whether the reader must be woken (the slot was empty).
public final class FrameMailbox: Sendable {
    private let slot = Mutex<CellGrid?>(nil)

    public init() {}

    /// Stores the frame; returns true when the slot was empty (the reader needs a wake-up).
    @discardableResult
    public func put(_ grid: CellGrid) -> Bool {
        slot.withLock { slot in
            defer { slot = grid }
            return slot == nil
        }
    }

    /// Takes the newest frame, leaving the slot empty.
    public func take() -> CellGrid? {
        slot.withLock { slot in
            defer { slot = nil }
            return slot
        }
    }
}
