import CBLAS

extension DistanceSums {
    /// The rows with the `k` smallest Euclidean distance sums g(x) = sum_y ||x - y||_2, ties to the lower
    /// row: the same rows as ranking the Float64 sums of `compute`, at a fraction of the cost.
    ///
    /// The sums are first estimated from a Float32 Gram matrix (one `ssyrk`, twice the speed of Float64),
    /// with exact Float64 squared norms: ||x - y||^2 ~ |x|^2 + |y|^2 - 2 fl32(x.y). A Float32 dot product
    /// of length D is off by at most gamma_D |x| |y| with gamma_D = D u / (1 - D u), u = 2^-24, so each
    /// estimated distance d~ is within e = min(sqrt(delta), delta / d~) of the true one, delta = 2 gamma_D |x| |y|,
    /// and each estimated sum within E = sum of those e. A row whose whole interval [s~ - E, s~ + E] lies
    /// below every possible k-th smallest sum is in; one whose interval lies above is out; the rows in
    /// between (those near the cut) get their sums in Float64 (`euclideanSums(ofRows:)`), which decide.
    /// - Complexity: n^2 D / 2 Float32 multiply-adds in BLAS, plus O(m n D) for the m rows near the cut.
    public static func smallestEuclideanSums(_ k: Int, of filters: FilterMatrix) -> [Int] {
        let n = filters.rows, d = filters.columns
        guard k > 0 else { return [] }
        guard k < n else { return Array(0..<n) }
        var gram = [Float](repeating: 0, count: n * n)
        filters.scalars.withUnsafeBufferPointer { x in
            gram.withUnsafeMutableBufferPointer { g in
                cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(d), 1, x.baseAddress, Int32(d), 0, g.baseAddress, Int32(n))
            }
        }
        let squaredNorms = FilterNorm.l2.values(of: filters).map { $0 * $0 }
        let (estimate, bound) = estimatedSums(gram: gram, squaredNorms: squaredNorms, dimension: d)
        // The k-th smallest true sum lies between the k-th smallest lower and upper bounds.
        let lower = (0..<n).map { estimate[$0] - bound[$0] }, upper = (0..<n).map { estimate[$0] + bound[$0] }
        let kthLower = lower.sorted()[k - 1], kthUpper = upper.sorted()[k - 1]
        let surelyIn = (0..<n).filter { upper[$0] < kthLower }
        let undecided = (0..<n).filter { upper[$0] >= kthLower && lower[$0] <= kthUpper }
        let exact = euclideanSums(ofRows: undecided, in: filters, squaredNorms: squaredNorms)
        let decided = FilterSelector.smallest(k - surelyIn.count, of: exact, indices: undecided)
        return (surelyIn + decided).sorted()
    }

    /// Estimated sums s~ and their error bounds E from the upper triangle of a Float32 Gram matrix.
    /// Per pair: d~ = sqrt(max(0, |x|^2 + |y|^2 - 2 fl32(x.y))) and e = delta / max(d~, sqrt(delta)),
    /// which is min(sqrt(delta), delta / d~) without a branch.
    private static func estimatedSums(gram: [Float], squaredNorms: [Double], dimension d: Int) -> (estimate: [Double], bound: [Double]) {
        let n = squaredNorms.count
        let unit = 0x1p-24, gamma = Double(d) * unit / (1 - Double(d) * unit)
        let norms = squaredNorms.map { $0.squareRoot() }
        var estimate = [Double](repeating: 0, count: n), bound = [Double](repeating: 0, count: n)
        gram.withUnsafeBufferPointer { g in
            squaredNorms.withUnsafeBufferPointer { sq in
                norms.withUnsafeBufferPointer { root in
                    estimate.withUnsafeMutableBufferPointer { est in
                        bound.withUnsafeMutableBufferPointer { err in
                            for i in 0..<n {
                                let ni = sq[i], ri = root[i]
                                var rowEstimate = 0.0, rowBound = 0.0
                                for j in (i + 1)..<max(n, i + 1) {
                                    let squared = max(0, ni + sq[j] - 2 * Double(g[i * n + j]))
                                    // Twice the dot product's error bound plus the Float64 rounding of the sum.
                                    let delta = 2 * gamma * ri * root[j] + 0x1p-51 * (ni + sq[j])
                                    let distance = squared.squareRoot()
                                    let error = delta / max(distance, delta.squareRoot(), .leastNormalMagnitude)
                                    rowEstimate += distance
                                    rowBound += error
                                    est[j] += distance
                                    err[j] += error
                                }
                                est[i] += rowEstimate
                                err[i] += rowBound
                            }
                        }
                    }
                }
            }
        }
        return (estimate, bound)
    }
}
