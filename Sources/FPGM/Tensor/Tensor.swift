/// A dense tensor of 32-bit floats in contiguous row-major (C) order.
///
/// The element at index (i0, i1, ..., ik) lives at offset sum_j i_j * stride_j, where
/// stride_k = 1 and stride_j = stride_{j+1} * shape[j+1].
public struct Tensor: Sendable, Equatable {
    /// The extent of each dimension; an empty shape is a scalar with one element.
    public let shape: [Int]
    /// The elements in row-major order; `scalars.count` is the product of `shape`.
    public private(set) var scalars: [Float]

    /// Creates a tensor; fails when the element count differs from the product of the shape.
    public init(shape: [Int], scalars: [Float]) throws(TensorError) {
        guard let count = Tensor.elementCount(of: shape), count == scalars.count else {
            throw .shapeMismatch(shape: shape, count: scalars.count)
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor with every element equal to `value`; a shape with a negative extent holds nothing.
    public init(shape: [Int], repeating value: Float) {
        self.shape = shape
        self.scalars = [Float](repeating: value, count: Tensor.elementCount(of: shape) ?? 0)
    }

    /// A tensor from storage the caller has sized to the shape.
    init(validShape shape: [Int], scalars: [Float]) {
        precondition(Tensor.elementCount(of: shape) == scalars.count, "tensor storage does not match its shape")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor whose elements are drawn in order from `next`.
    init(shape: [Int], generating next: () -> Float) {
        self.shape = shape
        self.scalars = (0..<(Tensor.elementCount(of: shape) ?? 0)).map { _ in next() }
    }

    /// The number of elements.
    public var count: Int { scalars.count }

    /// The product of a shape's extents, or nil when an extent is negative or the product overflows `Int`.
    public static func elementCount(of shape: [Int]) -> Int? {
        var product = 1
        for extent in shape {
            guard extent >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: extent)
            guard !overflow else { return nil }
            product = next
        }
        return product
    }

    /// The sum of |x| over all elements, accumulated in Float64.
    public var absoluteSum: Double {
        scalars.reduce(0.0) { $0 + Double(abs($1)) }
    }

    /// The filters of a 4-D convolution weight (or the rows of a 2-D weight) as an N x D matrix,
    /// N = shape[0] output channels and D = C * K * K values per filter.
    public var filters: FilterMatrix {
        let rows = shape.first ?? 1
        return FilterMatrix(rows: rows, columns: rows == 0 ? 0 : count / rows, scalars: scalars)
    }
}

/// Errors in building a tensor.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    case shapeMismatch(shape: [Int], count: Int)

    public var description: String {
        switch self {
        case let .shapeMismatch(shape, count):
            return "shape \(shape) does not hold \(count) elements"
        }
    }
}
