import Foundation

/// Chooses the filters to prune, layer by layer, with the official code's two steps
/// (`get_filter_codebook`, then `get_filter_similar`):
///
/// 1. the `Int(N (1 - R))` filters with the smallest L2 norms are pruned;
/// 2. the criterion scores the remaining filters, and the `Int(N D)` lowest scores are pruned.
///
/// Each step takes the k smallest values in one shot (no re-scoring after each removal), and ties
/// go to the lower filter index (the official numpy `argsort` is not stable; this is).
public struct FilterSelector: Sendable {
    public let rates: PruningRates
    /// Rates for particular layers, by layer name, overriding `rates`.
    public let layerRates: [String: PruningRates]
    public let criterion: any FilterCriterion

    public init(rates: PruningRates, layerRates: [String: PruningRates] = [:],
                criterion: any FilterCriterion = DistanceSumCriterion()) {
        self.rates = rates
        self.layerRates = layerRates
        self.criterion = criterion
    }

    /// The plan for the given layers (name and filter matrix each), in the order given.
    /// Fails when a per-layer rate names a layer that is not in the list, when the rates prune every
    /// filter of a layer, or when a layer holds NaN or infinite values (the first such layer in the order given).
    public func plan(for layers: [(name: String, filters: FilterMatrix)]) throws(SelectionError) -> PruningPlan {
        let names = Set(layers.map(\.name))
        if let stray = layerRates.keys.sorted().first(where: { !names.contains($0) }) {
            throw .unknownLayer(stray)
        }
        // Layers are independent: spread them over the cores, largest first (programs that do this
        // want one BLAS thread per call: see `BLASRuntime`).
        let order = layers.indices.sorted { layers[$0].filters.scalars.count * layers[$0].filters.rows > layers[$1].filters.scalars.count * layers[$1].filters.rows }
        let plans = ParallelMap.map(layers.count, order: order) { index in
            Result { () throws(SelectionError) in try select(name: layers[index].name, filters: layers[index].filters) }
        }
        var layerPlans = [LayerPlan]()
        for result in plans { layerPlans.append(try result.get()) }
        return PruningPlan(layers: layerPlans)
    }

    /// The plan of one layer; fails when the rates prune all its filters or it holds NaN or infinite values.
    public func select(name: String, filters: FilterMatrix) throws(SelectionError) -> LayerPlan {
        let n = filters.rows
        let layerRate = layerRates[name] ?? rates
        try layerRate.checkEveryLayerKeepsAFilter([(name, n)])
        let all = Array(0..<n)
        let norms = FilterNorm.l2.values(of: filters)
        guard norms.allSatisfy(\.isFinite) else { throw .nonFiniteValues(layer: name) }
        let byNorm = FilterRanking.smallest(layerRate.normCount(filters: n), of: norms, indices: all)
        let normSet = Set(byNorm)
        let survivors = all.filter { !normSet.contains($0) }
        let distanceCount = layerRate.distanceCount(filters: n)
        let byDistance = distanceCount == 0 ? [] : criterion.lowest(distanceCount, of: survivors, in: filters, layer: name, norms: norms)
        return LayerPlan(name: name, filters: n, prunedByNorm: byNorm.sorted(), prunedByDistance: byDistance.sorted())
    }
}

