/// Values at an address that does not move for the buffer's lifetime, for kernels that take pointers:
/// written once when made, read-only afterwards (hence Sendable).
final class PinnedBuffer<Element>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Element>
    let count: Int

    /// A copy of `values`.
    init(_ values: [Element]) {
        count = values.count
        pointer = .allocate(capacity: max(1, count))
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.initialize(from: base, count: count) }
        }
    }

    /// `count` elements that `fill` initialises, all of them.
    init(count: Int, fill: (UnsafeMutablePointer<Element>) -> Void) {
        self.count = count
        pointer = .allocate(capacity: max(1, count))
        fill(pointer)
    }

    subscript(index: Int) -> Element { pointer[index] }

    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: pointer, count: count) }

    deinit {
        pointer.deinitialize(count: count)
        pointer.deallocate()
    }
}
