import Dispatch
import Foundation

/// Work spread over threads: `body(i, state)` for i in 0..<count, each of up to `threads` threads taking
/// the next index in turn and keeping one `state` of its own (a scratch workspace), the results in index
/// order whatever thread computed them.
enum ParallelMap {
    static func map<Result, State>(_ count: Int, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                                   state: () -> State, _ body: (Int, State) -> Result) -> [Result] {
        var results = [Result?](repeating: nil, count: count)
        let next = NextIndex()
        withoutActuallyEscaping(state) { state in
            withoutActuallyEscaping(body) { body in
                results.withUnsafeMutableBufferPointer { buffer in
                    nonisolated(unsafe) let slots = buffer, makeState = state, work = body
                    DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { _ in
                        let own = makeState()
                        while let index = next.take(below: count) { slots[index] = work(index, own) }
                    }
                }
            }
        }
        return results.map { $0! }
    }
}
