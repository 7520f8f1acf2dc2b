import HookCore

/// Reads the event type and delivery id of the captures stored before hookscope read them at
/// capture (a store older than its `v10-deliveries` migration), off the capture path.
///
/// The listener runs it in the background once it has opened the store: a batch of captures at a
/// time (one read, then one write transaction), oldest first, until none is left. Each batch also
/// numbers again the attempts of the delivery ids it found, so a retry captured since the upgrade
/// counts the older captures of its delivery once they are read. Until then such captures show
/// no event, no delivery id and attempt 1.
public enum DeliveryCatchUp {
    /// - Parameter identify: the event and delivery id of a capture (`DeliveryIdentity`, which the
    ///   store cannot see).
    /// - Returns: how many captures it read.
    @discardableResult
    public static func run(
        store: any RequestStore, batchSize: Int = 256,
        identify: @escaping @Sendable (CapturedRequest) -> (event: String?, deliveryID: String?)
    ) async -> Int {
        var after: Int64 = 0
        var done = 0
        while !Task.isCancelled {
            guard let batch = try? await store.unidentifiedRequests(afterID: after, limit: batchSize), let last = batch.last else { break }
            let identities = batch.map { request in
                let identity = identify(request)
                return (id: request.id, event: identity.event, deliveryID: identity.deliveryID)
            }
            guard (try? await store.setIdentities(identities)) != nil else { break }
            done += batch.count
            after = last.id
            await Task.yield()
        }
        return done
    }
}
