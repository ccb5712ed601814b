/// Sums of pairwise filter distances: for every filter x of a set S,
///
///     g(x) = sum_{y in S} d(x, y),
///
/// the quantity the FPGM criterion minimises (Eq. 4 and 6 of the paper; the y = x term is 0,
/// so it makes no difference whether x is counted, which is the paper's g(x) = g'(x)).
///
/// `compute` is the fast path: for the Euclidean and cosine distances it forms the Gram matrix
/// G = X X^T in Float64 with one BLAS `dsyrk` call (cost O(n^2 D / 2) multiply-adds) and reads
/// ||x - y||^2 = G_xx + G_yy - 2 G_xy from it, clamping negatives to 0. That form cancels badly when
/// x and y are nearly equal, so every pair with ||x - y||^2 <= `cancellationThreshold` * (G_xx + G_yy)
/// is recomputed directly from the filters (differences of Float32 values are exact in Float64).
/// The L1 distance has no Gram form and is summed directly on all cores.
/// `reference` is the plain O(n^2 D) double loop that the tests compare against.
public enum DistanceSums {
    /// Pairs whose Gram-form squared distance falls below this fraction of G_xx + G_yy are recomputed
    /// directly. With Float64 dot products of length D the Gram form has an absolute error near
    /// sqrt(D) * 1.1e-16 * (G_xx + G_yy), so above the threshold the relative error of a squared
    /// distance stays below about 1e-10 for D up to 10^4.
    public static let cancellationThreshold = 1e-4

    /// Up to this many rows, `euclideanSums(ofRows:)` sums distances directly rather than through BLAS.
    static let directRowLimit = 8

    /// g(x) for each row x of `filters`, by the Gram-matrix path.
    /// - Complexity: O(n^2 D) for n rows of D values, n^2 D / 2 of them inside BLAS.
    public static func compute(_ filters: FilterMatrix, distance: FilterDistance) -> [Double] {
        let n = filters.rows
        guard n > 1 else { return [Double](repeating: 0, count: n) }
        switch distance {
        case .euclidean, .cosine:
            let gram = GramMatrix(filters)
            return gramSums(filters, gram: gram, distance: distance)
        case .l1:
            return directSums(filters) { cityBlock(filters, $0, $1) }
        }
    }

    /// g(x) for each row x of `filters`, by the plain double loop: each distance computed from its
    /// definition with Float64 accumulation.
    /// - Complexity: O(n^2 D).
    public static func reference(_ filters: FilterMatrix, distance: FilterDistance) -> [Double] {
        let n = filters.rows
        var sums = [Double](repeating: 0, count: n)
        for i in 0..<n {
            for j in (i + 1)..<n {
                let d = exactDistance(filters, i, j, distance: distance)
                sums[i] += d
                sums[j] += d
            }
        }
        return sums
    }

    /// Euclidean g(x) for each row x read from the Gram form ||x - y||^2 = G_xx + G_yy - 2 G_xy, with
    /// every dot product summed in plain Float64 in index order (no BLAS, no cancellation repair), so
    /// that its rounding is the same on every processor and with every BLAS library: the Gram-form
    /// counterpart of `excludingSelf` that reports compare with it.
    /// - Complexity: O(n^2 D).
    public static func gramFormReference(_ filters: FilterMatrix) -> [Double] {
        let n = filters.rows, d = filters.columns
        return filters.scalars.withUnsafeBufferPointer { x in
            func dot(_ i: Int, _ j: Int) -> Double {
                var sum = 0.0
                for k in 0..<d { sum += Double(x[i * d + k]) * Double(x[j * d + k]) }
                return sum
            }
            let squaredNorms = (0..<n).map { dot($0, $0) }
            var sums = [Double](repeating: 0, count: n)
            for i in 0..<n {
                for j in (i + 1)..<n {
                    let distance = max(0, squaredNorms[i] + squaredNorms[j] - 2 * dot(i, j)).squareRoot()
                    sums[i] += distance
                    sums[j] += distance
                }
            }
            return sums
        }
    }

    /// g'(x) of Eq. 6 for each row x: the Euclidean distances to every other row, x itself left out,
    /// each computed from its definition (no Gram matrix), so that it checks `compute` independently.
    /// - Complexity: O(n^2 D).
    public static func excludingSelf(_ filters: FilterMatrix) -> [Double] {
        (0..<filters.rows).map { i in
            (0..<filters.rows).reduce(0.0) { $1 == i ? $0 : $0 + exactDistance(filters, i, $1, distance: .euclidean) }
        }
    }

    /// The distance between rows i and j computed from its definition in Float64.
    static func exactDistance(_ filters: FilterMatrix, _ i: Int, _ j: Int, distance: FilterDistance) -> Double {
        switch distance {
        case .euclidean:
            return squaredEuclidean(filters, i, j).squareRoot()
        case .l1:
            return cityBlock(filters, i, j)
        case .cosine:
            return cosineDistance(filters, i, j)
        }
    }

    /// sum_k (x_ik - x_jk)^2 in Float64 (each difference of two Float32 values is exact), in eight lanes.
    private static func squaredEuclidean(_ filters: FilterMatrix, _ i: Int, _ j: Int) -> Double {
        let d = filters.columns
        return filters.scalars.withUnsafeBufferPointer { x in
            let a = x.baseAddress! + i * d, b = x.baseAddress! + j * d
            var lanes = SIMD8<Double>()
            var k = 0
            while k + 8 <= d {
                let diff = wideLoad(a + k) - wideLoad(b + k)
                lanes += diff * diff
                k += 8
            }
            var sum = lanes.sum()
            while k < d {
                let diff = Double(a[k]) - Double(b[k])
                sum += diff * diff
                k += 1
            }
            return sum
        }
    }

    private static func cityBlock(_ filters: FilterMatrix, _ i: Int, _ j: Int) -> Double {
        let d = filters.columns
        return filters.scalars.withUnsafeBufferPointer { x in
            var sum = 0.0
            for k in 0..<d {
                sum += abs(Double(x[i * d + k]) - Double(x[j * d + k]))
            }
            return sum
        }
    }

    /// 1 - cos(a, b) computed as ||a/|a| - b/|b|||^2 / 2, which keeps its relative precision
    /// when a and b are nearly parallel.
    private static func cosineDistance(_ filters: FilterMatrix, _ i: Int, _ j: Int) -> Double {
        let d = filters.columns
        return filters.scalars.withUnsafeBufferPointer { x in
            var normA = 0.0, normB = 0.0
            for k in 0..<d {
                normA += Double(x[i * d + k]) * Double(x[i * d + k])
                normB += Double(x[j * d + k]) * Double(x[j * d + k])
            }
            switch (normA == 0, normB == 0) {
            case (true, true): return 0
            case (true, false), (false, true): return 1
            case (false, false): break
            }
            let scaleA = 1 / normA.squareRoot(), scaleB = 1 / normB.squareRoot()
            var sum = 0.0
            for k in 0..<d {
                let diff = Double(x[i * d + k]) * scaleA - Double(x[j * d + k]) * scaleB
                sum += diff * diff
            }
            return sum / 2
        }
    }

    /// Row sums of a distance read from the Gram matrix, with nearly-equal pairs recomputed exactly.
    private static func gramSums(_ filters: FilterMatrix, gram: GramMatrix, distance: FilterDistance) -> [Double] {
        let n = filters.rows
        var sums = [Double](repeating: 0, count: n)
        gram.values.withUnsafeBufferPointer { g in
            for i in 0..<n {
                for j in (i + 1)..<n {
                    // Upper triangle, filled by dsyrk.
                    let value = gramDistance(filters, i, j, gii: g[i * n + i], gjj: g[j * n + j], gij: g[i * n + j], distance: distance)
                    sums[i] += value
                    sums[j] += value
                }
            }
        }
        return sums
    }

    /// The distance of rows i and j from their Gram entries, or from the filters themselves when the
    /// Gram form would cancel (see `cancellationThreshold`).
    @inline(__always)
    static func gramDistance(_ filters: FilterMatrix, _ i: Int, _ j: Int, gii: Double, gjj: Double, gij: Double,
                             distance: FilterDistance) -> Double {
        switch distance {
        case .euclidean:
            let squared = gii + gjj - 2 * gij
            return squared <= cancellationThreshold * (gii + gjj)
                ? exactDistance(filters, i, j, distance: .euclidean)
                : squared.squareRoot()
        case .cosine:
            if gii == 0 || gjj == 0 { return (gii == 0 && gjj == 0) ? 0 : 1 }
            let cosineGap = 1 - gij / (gii * gjj).squareRoot()
            return cosineGap <= cancellationThreshold ? exactDistance(filters, i, j, distance: .cosine) : cosineGap
        case .l1:
            preconditionFailure("the L1 distance has no Gram form")
        }
    }

    /// g(x) for the chosen rows x of `filters` only, summed over all rows: the rows' dot products with
    /// every filter come from one Float64 `dgemm` (m x n x D multiply-adds for m rows), read as in `compute`.
    /// A few rows (at most `directRowLimit`) are summed directly instead, which skips widening the layer.
    public static func euclideanSums(ofRows rows: [Int], in filters: FilterMatrix, squaredNorms: [Double]) -> [Double] {
        let n = filters.rows, d = filters.columns, m = rows.count
        guard m > directRowLimit else {
            return rows.map { i in (0..<n).reduce(0.0) { $1 == i ? $0 : $0 + exactDistance(filters, i, $1, distance: .euclidean) } }
        }
        let all = filters.scalars.map(Double.init)
        let chosen = filters.gathering(rows: rows).scalars.map(Double.init)
        var dots = [Double](repeating: 0, count: m * n)
        chosen.withUnsafeBufferPointer { a in
            all.withUnsafeBufferPointer { b in
                dots.withUnsafeMutableBufferPointer { c in
                    BLASRuntime.multiplyTransposed(m: m, n: n, k: d, a.baseAddress!, b.baseAddress!, into: c.baseAddress!)
                }
            }
        }
        return rows.enumerated().map { r, i in
            var sum = 0.0
            for j in 0..<n where j != i {
                sum += gramDistance(filters, i, j, gii: squaredNorms[i], gjj: squaredNorms[j], gij: dots[r * n + j], distance: .euclidean)
            }
            return sum
        }
    }

    /// Row sums of a distance computed pair by pair, rows spread over all cores.
    private static func directSums(_ filters: FilterMatrix, distance: @Sendable (Int, Int) -> Double) -> [Double] {
        let n = filters.rows
        return ParallelMap.map(n) { i in
            var sum = 0.0
            for j in 0..<n where j != i { sum += distance(i, j) }
            return sum
        }
    }
}

/// The Gram matrix G = X X^T of n filters in Float64: G_ij = sum_k x_ik x_jk.
/// Only the upper triangle (j >= i) is filled; it is computed by one BLAS `dsyrk` call.
/// - Complexity: n^2 D / 2 multiply-adds.
public struct GramMatrix: Sendable {
    /// Row-major n x n; entries with j < i are unspecified.
    public let values: [Double]

    /// The Gram matrix of a layer's filters, widened to Float64 (exactly) first.
    public init(_ filters: FilterMatrix) {
        let n = filters.rows, d = filters.columns
        let rows = filters.scalars.map(Double.init)
        var gram = [Double](repeating: 0, count: n * n)
        rows.withUnsafeBufferPointer { x in
            gram.withUnsafeMutableBufferPointer { g in
                BLASRuntime.gram(n: n, d: d, x.baseAddress!, into: g.baseAddress!)
            }
        }
        values = gram
    }
}
