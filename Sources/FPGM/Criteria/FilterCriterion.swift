/// How important each filter of a layer is: a score per candidate filter, where the lowest scores
/// are pruned first. Criteria only score; which filters go is the selection's question.
public protocol FilterCriterion: Sendable {
    /// The name used on the command line and in reports.
    var name: String { get }
    /// One score per entry of `candidates` (row indices into `filters`), in the same order.
    /// `layer` names the layer, for criteria that draw per-layer random numbers.
    func scores(of candidates: [Int], in filters: FilterMatrix, layer: String) -> [Double]
    /// The `k` candidates with the lowest scores, ties to the lower filter index. `norms` holds the L2
    /// norm of every filter of the layer (the selection has them already), for criteria that use them.
    func lowest(_ k: Int, of candidates: [Int], in filters: FilterMatrix, layer: String, norms: [Double]) -> [Int]
}

extension FilterCriterion {
    /// Ranks all scores; criteria with a faster exact way to find the lowest k override this.
    public func lowest(_ k: Int, of candidates: [Int], in filters: FilterMatrix, layer: String, norms: [Double]) -> [Int] {
        FilterRanking.smallest(k, of: scores(of: candidates, in: filters, layer: layer), indices: candidates)
    }
}

/// Ranking by score, shared by the criteria and the selection.
public enum FilterRanking {
    /// The indices of the k smallest scores, ties to the lower index.
    public static func smallest(_ k: Int, of scores: [Double], indices: [Int]) -> [Int] {
        guard k > 0 else { return [] }
        let order = scores.indices.sorted { a, b in
            scores[a] != scores[b] ? scores[a] < scores[b] : indices[a] < indices[b]
        }
        return order.prefix(k).map { indices[$0] }
    }
}

/// The criteria `fpgm select --criterion` offers.
public enum CriterionKind: String, CaseIterable, Sendable {
    case fpgm, l2, l1, random
    case gmExact = "gm-exact"

    /// The criterion this kind names; `distance` applies to FPGM, `seed` to random.
    public func criterion(distance: FilterDistance = .euclidean, seed: UInt64 = 0) -> any FilterCriterion {
        switch self {
        case .fpgm: return DistanceSumCriterion(distance: distance)
        case .l2: return FilterNormCriterion(norm: .l2)
        case .l1: return FilterNormCriterion(norm: .l1)
        case .random: return RandomCriterion(seed: seed)
        case .gmExact: return GeometricMedianCriterion()
        }
    }
}
