/// The FPGM criterion (Eq. 4 of the paper): score(x) = g(x) = sum_{y in S} d(x, y) over the candidate
/// set S; the filters with the smallest sums are nearest the geometric median of S, so they are the
/// most replaceable and are pruned first.
public struct DistanceSumCriterion: FilterCriterion {
    public let distance: FilterDistance
    public init(distance: FilterDistance = .euclidean) { self.distance = distance }
    public var name: String { "fpgm" }

    public func scores(of candidates: [Int], in filters: FilterMatrix, layer: String) -> [Double] {
        DistanceSums.compute(filters.gathering(rows: candidates), distance: distance)
    }

    /// For the Euclidean distance, `DistanceSums.smallestEuclideanSums`: a Float32 estimate with the
    /// filters near the cut re-checked exactly, so the choice equals ranking the exact sums.
    public func lowest(_ k: Int, of candidates: [Int], in filters: FilterMatrix, layer: String, norms: [Double]) -> [Int] {
        guard distance == .euclidean else {
            return FilterRanking.smallest(k, of: scores(of: candidates, in: filters, layer: layer), indices: candidates)
        }
        let allRows = candidates.count == filters.rows && candidates.elementsEqual(0..<filters.rows)
        return DistanceSums.smallestEuclideanSums(k, of: allRows ? filters : filters.gathering(rows: candidates),
                                                  squaredNorms: candidates.map { norms[$0] * norms[$0] }).map { candidates[$0] }
    }
}
