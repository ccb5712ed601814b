/// Per-filter norms, accumulated in Float64.
public enum FilterNorm: String, CaseIterable, Sendable {
    /// ||F_j||_1 = sum_k |F_jk|
    case l1
    /// ||F_j||_2 = sqrt(sum_k F_jk^2), the norm of the official code's `torch.norm(weight_vec, 2, 1)`.
    case l2

    /// The norm of every row of `filters`.
    /// - Complexity: O(N D).
    public func values(of filters: FilterMatrix) -> [Double] {
        values(of: Array(0..<filters.rows), in: filters)
    }

    /// The norm of the chosen rows of `filters`, in the order given. Sums run in eight Float64 lanes
    /// (SIMD), then the lanes are added.
    public func values(of rows: [Int], in filters: FilterMatrix) -> [Double] {
        let d = filters.columns
        return filters.scalars.withUnsafeBufferPointer { x in
            rows.map { j in
                let row = x.baseAddress! + j * d
                var lanes = SIMD8<Double>()
                var k = 0
                while k + 8 <= d {
                    let values = wideLoad(row + k)
                    lanes += self == .l1 ? values.replacing(with: -values, where: values .< 0) : values * values
                    k += 8
                }
                var sum = lanes.sum()
                while k < d {
                    let value = Double(row[k])
                    sum += self == .l1 ? abs(value) : value * value
                    k += 1
                }
                return self == .l1 ? sum : sum.squareRoot()
            }
        }
    }
}

/// The "smaller norm, less important" criterion (Li et al. 2017, He et al. 2018): score = ||F_j||_p.
public struct FilterNormCriterion: FilterCriterion {
    public let norm: FilterNorm
    public init(norm: FilterNorm) { self.norm = norm }
    public var name: String { norm.rawValue }

    public func scores(of candidates: [Int], in filters: FilterMatrix, layer: String) -> [Double] {
        norm.values(of: candidates, in: filters)
    }
}
