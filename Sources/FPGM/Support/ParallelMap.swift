import Dispatch
import Foundation

/// Work spread over threads, the engine's one parallel loop: `body(i, state)` for i in 0..<count, each
/// of up to `threads` threads taking the next index in turn (in `order` when given, for instance the
/// largest items first) and keeping one `state` of its own (a scratch workspace, a file handle); the
/// results in index order whatever thread computed them.
public enum ParallelMap {
    /// The processors this process may use, read once: Foundation reads the scheduler's affinity and
    /// the cgroup's quota from files on every call, which, once per parallel loop, cost about 1% of a
    /// training step.
    public static let processors = ProcessInfo.processInfo.activeProcessorCount

    public static func map<Result, State>(_ count: Int, threads: Int = processors,
                                          order: [Int]? = nil, state: () -> State, _ body: (Int, State) -> Result) -> [Result] {
        precondition(order.map { $0.count == count } ?? true, "an order lists every index once")
        var results = [Result?](repeating: nil, count: count)
        let next = NextIndex()
        withoutActuallyEscaping(state) { state in
            withoutActuallyEscaping(body) { body in
                results.withUnsafeMutableBufferPointer { buffer in
                    nonisolated(unsafe) let slots = buffer, makeState = state, work = body
                    DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { _ in
                        let own = makeState()
                        while let position = next.take(below: count) {
                            let index = order?[position] ?? position
                            slots[index] = work(index, own)
                        }
                    }
                }
            }
        }
        return results.map { $0! }
    }

    /// `map` without per-thread state.
    public static func map<Result>(_ count: Int, threads: Int = processors,
                                   order: [Int]? = nil, _ body: (Int) -> Result) -> [Result] {
        map(count, threads: threads, order: order, state: {}) { index, _ in body(index) }
    }
}
