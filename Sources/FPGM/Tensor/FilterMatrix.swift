/// The filters of one layer viewed as an N x D matrix: row j is filter F_j flattened to
/// D = C * K * K values (the paper's F_{i,j} in R^{N_i x K x K}).
public struct FilterMatrix: Sendable, Equatable {
    /// N, the number of filters (output channels).
    public let rows: Int
    /// D, the number of values in one filter.
    public let columns: Int
    /// Row-major storage: filter j occupies scalars[j*D ..< (j+1)*D].
    public let scalars: [Float]

    public init(rows: Int, columns: Int, scalars: [Float]) {
        precondition(rows * columns == scalars.count, "filter matrix shape does not match its storage")
        self.rows = rows
        self.columns = columns
        self.scalars = scalars
    }

    /// Filter j as a slice of the storage.
    public func filter(_ j: Int) -> ArraySlice<Float> {
        scalars[(j * columns)..<((j + 1) * columns)]
    }

    /// A matrix of the chosen rows, in the order given.
    public func gathering(rows indices: [Int]) -> FilterMatrix {
        var gathered = [Float]()
        gathered.reserveCapacity(indices.count * columns)
        for j in indices { gathered.append(contentsOf: filter(j)) }
        return FilterMatrix(rows: indices.count, columns: columns, scalars: gathered)
    }
}
