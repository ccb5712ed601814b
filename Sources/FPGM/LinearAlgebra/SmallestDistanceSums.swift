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
    /// `squaredNorms`, when given, are the rows' |x|^2 (computed in Float64), saving a pass over the filters.
    public static func smallestEuclideanSums(_ k: Int, of filters: FilterMatrix, squaredNorms given: [Double]? = nil) -> [Int] {
        let n = filters.rows, d = filters.columns
        guard k > 0 else { return [] }
        guard k < n else { return Array(0..<n) }
        let gram = Float32GramMatrix(filters).values
        let squaredNorms = given ?? FilterNorm.l2.values(of: filters).map { $0 * $0 }
        let (estimate, bound) = estimatedSums(gram: gram, squaredNorms: squaredNorms, dimension: d)
        // The k-th smallest true sum lies between the k-th smallest lower and upper bounds.
        let lower = (0..<n).map { estimate[$0] - bound[$0] }, upper = (0..<n).map { estimate[$0] + bound[$0] }
        let kthLower = lower.sorted()[k - 1], kthUpper = upper.sorted()[k - 1]
        let surelyIn = (0..<n).filter { upper[$0] < kthLower }
        let undecided = (0..<n).filter { upper[$0] >= kthLower && lower[$0] <= kthUpper }
        let exact = euclideanSums(ofRows: undecided, in: filters, squaredNorms: squaredNorms)
        let decided = FilterRanking.smallest(k - surelyIn.count, of: exact, indices: undecided)
        return (surelyIn + decided).sorted()
    }

    /// Estimated sums s~ and their error bounds E from the upper triangle of a Float32 Gram matrix.
    /// Per pair: d~ = sqrt(max(0, |x|^2 + |y|^2 - 2 fl32(x.y))) and e = delta / max(d~, sqrt(delta)),
    /// which is min(sqrt(delta), delta / d~) without a branch; eight pairs at a time.
    private static func estimatedSums(gram: [Float], squaredNorms: [Double], dimension d: Int) -> (estimate: [Double], bound: [Double]) {
        let n = squaredNorms.count
        let unit = 0x1p-24, gamma = Double(d) * unit / (1 - Double(d) * unit)
        // delta = 2 gamma |x| |y| (the dot product's error, twice) + 2^-51 (|x|^2 + |y|^2) (Float64 rounding).
        let dotBound = 2 * gamma, roundingBound = 0x1p-51
        let norms = squaredNorms.map { $0.squareRoot() }
        var estimate = [Double](repeating: 0, count: n), bound = [Double](repeating: 0, count: n)
        gram.withUnsafeBufferPointer { gramBuffer in
            squaredNorms.withUnsafeBufferPointer { sqBuffer in
                norms.withUnsafeBufferPointer { rootBuffer in
                    estimate.withUnsafeMutableBufferPointer { estBuffer in
                        bound.withUnsafeMutableBufferPointer { errBuffer in
                            let g = gramBuffer.baseAddress!, sq = sqBuffer.baseAddress!, root = rootBuffer.baseAddress!
                            let est = estBuffer.baseAddress!, err = errBuffer.baseAddress!
                            func pair(_ ni: Double, _ ri: Double, _ nj: Double, _ rj: Double, _ dot: Double) -> (Double, Double) {
                                let distance = max(0, ni + nj - 2 * dot).squareRoot()
                                let delta = dotBound * ri * rj + roundingBound * (ni + nj)
                                return (distance, delta / max(distance, delta.squareRoot(), .leastNormalMagnitude))
                            }
                            for i in 0..<n {
                                let ni = sq[i], ri = root[i]
                                var rowEstimate = SIMD8<Double>(), rowBound = SIMD8<Double>()
                                var j = i + 1
                                while j + 8 <= n {
                                    let dot = wideLoad(g + i * n + j)
                                    let nj = wideLoad(sq + j)
                                    let rj = wideLoad(root + j)
                                    let squared = ni + nj - 2 * dot
                                    let distance = squared.replacing(with: 0, where: squared .< 0).squareRoot()
                                    let delta = dotBound * ri * rj + roundingBound * (ni + nj)
                                    // delta is 0 only for two zero filters, whose distance is exactly 0.
                                    let rootDelta = delta.squareRoot()
                                    var floor = distance.replacing(with: rootDelta, where: distance .< rootDelta)
                                    floor.replace(with: 1, where: floor .== 0)
                                    let error = delta / floor
                                    rowEstimate += distance
                                    rowBound += error
                                    let estimateSlot = UnsafeMutableRawPointer(est + j), boundSlot = UnsafeMutableRawPointer(err + j)
                                    estimateSlot.storeBytes(of: estimateSlot.loadUnaligned(as: SIMD8<Double>.self) + distance, as: SIMD8<Double>.self)
                                    boundSlot.storeBytes(of: boundSlot.loadUnaligned(as: SIMD8<Double>.self) + error, as: SIMD8<Double>.self)
                                    j += 8
                                }
                                var tailEstimate = 0.0, tailBound = 0.0
                                while j < n {
                                    let (distance, error) = pair(ni, ri, sq[j], root[j], Double(g[i * n + j]))
                                    tailEstimate += distance; tailBound += error
                                    est[j] += distance; err[j] += error
                                    j += 1
                                }
                                est[i] += rowEstimate.sum() + tailEstimate
                                err[i] += rowBound.sum() + tailBound
                            }
                        }
                    }
                }
            }
        }
        return (estimate, bound)
    }
}

/// The Gram matrix G = X X^T of n filters in Float32, upper triangle only, from one BLAS `ssyrk` call.
/// - Complexity: n^2 D / 2 multiply-adds.
public struct Float32GramMatrix: Sendable {
    /// Row-major n x n; entries with j < i are unspecified.
    public let values: [Float]

    public init(_ filters: FilterMatrix) {
        let n = filters.rows, d = filters.columns
        // ssyrk with beta 0 writes the whole upper triangle; the lower one is never read, so the storage
        // is not cleared first.
        values = filters.scalars.withUnsafeBufferPointer { x in
            [Float](unsafeUninitializedCapacity: n * n) { g, initialized in
                BLASRuntime.gram(n: n, d: d, x.baseAddress!, into: g.baseAddress!)
                initialized = n * n
            }
        }
    }
}
