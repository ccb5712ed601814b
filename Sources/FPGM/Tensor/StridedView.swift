extension Tensor {
    /// The strided view of `storage` in which element (i_0, ..., i_k) sits at offset + sum_j i_j stride_j,
    /// as a contiguous tensor: the storage itself when the view is all of it in row-major order, a copy
    /// otherwise; nil when the view reaches outside the storage.
    /// - Complexity: O(count * rank) for a strided view, O(1) for the whole storage.
    init?(viewing storage: [Float], shape: [Int], strides: [Int], offset: Int) {
        guard shape.count == strides.count, offset >= 0, strides.allSatisfy({ $0 >= 0 }),
              let count = Tensor.elementCount(of: shape) else { return nil }
        guard count > 0 else { self.init(validShape: shape, scalars: []); return }
        let last = offset + zip(shape, strides).reduce(0) { $0 + ($1.0 - 1) * $1.1 }
        guard last < storage.count else { return nil }
        var rowMajor = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) { rowMajor[axis] = rowMajor[axis + 1] * shape[axis + 1] }
        let contiguous = zip(zip(shape, strides), rowMajor).allSatisfy { $0.0.0 == 1 || $0.0.1 == $0.1 }
        if contiguous {
            self.init(validShape: shape, scalars: offset == 0 && count == storage.count ? storage : Array(storage[offset..<(offset + count)]))
            return
        }
        var scalars = [Float]()
        scalars.reserveCapacity(count)
        var index = [Int](repeating: 0, count: shape.count), position = offset
        for _ in 0..<count {
            scalars.append(storage[position])
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                position += strides[axis]
                if index[axis] < shape[axis] { break }
                position -= strides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        self.init(validShape: shape, scalars: scalars)
    }
}
