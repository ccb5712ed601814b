/// The exact geometric median (Eq. 1-2 of the paper) of points a_1..a_n in R^D:
///
///     x* = argmin_x f(x),   f(x) = sum_i ||x - a_i||_2,
///
/// found by Weiszfeld's iteration in Float64,
///
///     x_{k+1} = (sum_i a_i / ||x_k - a_i||) / (sum_i 1 / ||x_k - a_i||),
///
/// with the Vardi-Zhang step where an iterate lands on an input point a_j (distance below
/// `coincidence`): with R = sum_{i != j} (a_i - x) / ||a_i - x||, x is optimal when ||R|| <= 1
/// (each point weighs 1); otherwise x_{k+1} = (1 - 1/||R||) T(x) + (1/||R||) x, where T is the
/// Weiszfeld map over the other points. The iteration starts at the centroid and stops when
/// ||x_{k+1} - x_k|| <= tolerance * (1 + ||x_k||), or after `maxIterations`.
public struct GeometricMedian: Sendable {
    public var tolerance: Double = 1e-10
    public var maxIterations: Int = 10_000
    /// Distances below this count as the iterate coinciding with an input point.
    public var coincidence: Double = 1e-14

    public init(tolerance: Double = 1e-10, maxIterations: Int = 10_000) {
        self.tolerance = tolerance
        self.maxIterations = maxIterations
    }

    /// The median of the given rows of `filters` and the number of iterations it took.
    public func median(of rows: [Int], in filters: FilterMatrix) -> (point: [Double], iterations: Int) {
        let d = filters.columns
        let points = rows.map { filters.filter($0).map(Double.init) }
        guard !points.isEmpty else { return ([Double](repeating: 0, count: d), 0) }
        var x = [Double](repeating: 0, count: d)
        for p in points { for k in 0..<d { x[k] += p[k] } }
        for k in 0..<d { x[k] /= Double(points.count) }

        for iteration in 1...max(1, maxIterations) {
            var numerator = [Double](repeating: 0, count: d)
            var weightSum = 0.0
            var coincident = false
            for p in points {
                let dist = euclidean(x, p)
                if dist < coincidence { coincident = true; continue }
                let w = 1 / dist
                weightSum += w
                for k in 0..<d { numerator[k] += w * p[k] }
            }
            guard weightSum > 0 else { return (x, iteration) }
            var next = numerator.map { $0 / weightSum }
            if coincident {
                // R = sum_{i != j} (a_i - x)/||a_i - x|| = weightSum * (T(x) - x).
                let pull = weightSum * euclidean(next, x)
                if pull <= 1 { return (x, iteration) }
                let step = 1 / pull
                next = (0..<d).map { (1 - step) * next[$0] + step * x[$0] }
            }
            let moved = euclidean(next, x)
            let scale = 1 + x.reduce(0) { $0 + $1 * $1 }.squareRoot()
            x = next
            if moved <= tolerance * scale { return (x, iteration) }
        }
        return (x, maxIterations)
    }

    /// f(x) = sum_i ||x - a_i||_2 over the given rows.
    public func objective(at x: [Double], of rows: [Int], in filters: FilterMatrix) -> Double {
        rows.reduce(0) { $0 + euclidean(x, filters.filter($1).map(Double.init)) }
    }

    private func euclidean(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for k in a.indices { let diff = a[k] - b[k]; sum += diff * diff }
        return sum.squareRoot()
    }
}

/// Scores each filter by its distance to the exact geometric median of the candidates (Eq. 2-3):
/// the filters nearest x^GM go first. Shows how far the paper's relaxation (Eq. 4) is from the
/// unrelaxed problem; never the default.
public struct GeometricMedianCriterion: FilterCriterion {
    public let median: GeometricMedian
    public init(median: GeometricMedian = GeometricMedian()) { self.median = median }
    public var name: String { "gm-exact" }

    public func scores(of candidates: [Int], in filters: FilterMatrix, layer: String) -> [Double] {
        let center = median.median(of: candidates, in: filters).point
        return candidates.map { j in
            var sum = 0.0
            for (k, value) in filters.filter(j).enumerated() {
                let diff = Double(value) - center[k]
                sum += diff * diff
            }
            return sum.squareRoot()
        }
    }
}
