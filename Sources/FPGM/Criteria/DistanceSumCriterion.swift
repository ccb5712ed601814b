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
}
