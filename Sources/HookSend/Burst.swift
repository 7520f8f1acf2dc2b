import Foundation
import HookCore
import HookReplay
import HookSignatures
import Synchronization

/// How a `send` spreads its deliveries.
public struct BurstPlan: Sendable, Hashable {
    /// Deliveries, each with its own id.
    public var count: Int = 1
    /// Requests in flight at once.
    public var concurrency: Int = 1
    /// Requests started per second at most; nil: as fast as answers come.
    public var rate: Double?
    /// Extra copies of each delivery: the same id, signature and bytes, as a provider's retries.
    public var duplicates: Int = 0
    /// Send in random order (copies included), not delivery by delivery.
    public var shuffle = false

    public init(count: Int = 1, concurrency: Int = 1, rate: Double? = nil, duplicates: Int = 0, shuffle: Bool = false) {
        self.count = count
        self.concurrency = concurrency
        self.rate = rate
        self.duplicates = duplicates
        self.shuffle = shuffle
    }

    /// The order requests go out in: (delivery number from 1, copy number, 0 for the first).
    public func order<G: RandomNumberGenerator>(using generator: inout G) -> [(n: Int, copy: Int)] {
        var jobs: [(n: Int, copy: Int)] = []
        jobs.reserveCapacity(count * (duplicates + 1))
        for n in 1...max(1, count) {
            for copy in 0...duplicates { jobs.append((n, copy)) }
        }
        if shuffle { jobs.shuffle(using: &generator) }
        return jobs
    }
}

/// What one request of a burst got.
public struct SendResult: Sendable, Hashable {
    /// The delivery's number, from 1.
    public var n: Int
    /// 0 for a delivery's first request, 1… for its copies (whichever went out first).
    public var copy: Int
    public var deliveryID: String
    /// The status the target answered; nil when it did not.
    public var status: Int?
    public var error: String?
    public var failure: ReplayFailure?
    public var durationNanoseconds: Int64
}

/// Sends a burst: builds each delivery once, when its first request is due (so that timestamps
/// are fresh however long the burst), and sends its copies with the same bytes.
public struct Burst: Sendable {
    public var builder: DeliveryBuilder
    public var plan: BurstPlan

    public init(builder: DeliveryBuilder, plan: BurstPlan) {
        self.builder = builder
        self.plan = plan
    }

    /// Sends every request of the plan, calling `report` with each result as it comes (from
    /// several tasks at once). A delivery that cannot be built (signing refused) is reported as
    /// failed with `failure` `.unsent` and is not sent.
    public func run(replayer: HTTPReplayer, report: @escaping @Sendable (SendResult) -> Void) async {
        var generator = SystemRandomNumberGenerator()
        let jobs = plan.order(using: &generator)
        let shared = Shared()
        let start = ContinuousClock.now
        let builder = builder
        let rate = plan.rate
        let url = builder.targetURL
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, min(plan.concurrency, jobs.count)) {
                group.addTask {
                    while true {
                        let index = shared.next.withLock { value -> Int in
                            defer { value += 1 }
                            return value
                        }
                        guard index < jobs.count else { return }
                        // Pacing, not synchronisation: request `index` may not start before its slot.
                        if let rate {
                            try? await Task.sleep(until: start + .nanoseconds(Int64(Double(index) / rate * 1e9)), clock: .continuous)
                        }
                        let job = jobs[index]
                        let delivery = shared.built.withLock { cache in
                            if let done = cache[job.n] { return done }
                            let made = builder.make(n: job.n)
                            cache[job.n] = made
                            return made
                        }
                        switch delivery {
                        case .failure(let error):
                            report(SendResult(
                                n: job.n, copy: job.copy, deliveryID: "", status: nil, error: error.description, failure: .unsent,
                                durationNanoseconds: 0))
                        case .success(let delivery):
                            let attempt = await replayer.replay(delivery.request, to: url)
                            report(SendResult(
                                n: job.n, copy: job.copy, deliveryID: delivery.deliveryID, status: attempt.response?.status,
                                error: attempt.response == nil ? attempt.error : nil, failure: attempt.failure,
                                durationNanoseconds: attempt.durationNanoseconds))
                        }
                    }
                }
            }
        }
    }
}

/// What the sending tasks of one burst share: the next request's index, and each delivery once built.
private final class Shared: Sendable {
    let next = Mutex(0)
    let built = Mutex([Int: Result<Delivery, ResignError>]())
}

/// The totals a burst prints at the end.
public struct BurstSummary: Sendable, Hashable {
    public var requests = 0
    public var deliveries = Set<Int>()
    public var statuses: [Int: Int] = [:]
    public var failures: [ReplayFailure: Int] = [:]
    /// Copies (`copy` > 0) the target answered 2xx: a handler that is not idempotent does the
    /// work again for each of these unless it de-duplicates by delivery id.
    public var copiesAnswered2xx = 0
    public var copies = 0
    public var durations: [Int64] = []

    public init() {}

    public mutating func add(_ result: SendResult) {
        requests += 1
        deliveries.insert(result.n)
        if let status = result.status {
            statuses[status, default: 0] += 1
            durations.append(result.durationNanoseconds)
        } else {
            failures[result.failure ?? .other, default: 0] += 1
        }
        if result.copy > 0 {
            copies += 1
            if let status = result.status, (200..<300).contains(status) { copiesAnswered2xx += 1 }
        }
    }

    public var allAnswered2xx: Bool {
        failures.isEmpty && statuses.keys.allSatisfy { (200..<300).contains($0) }
    }

    /// The `p`-th percentile (0…100) of the answered requests' durations, nearest rank.
    public func percentile(_ p: Double) -> Int64? {
        guard !durations.isEmpty else { return nil }
        let sorted = durations.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}
