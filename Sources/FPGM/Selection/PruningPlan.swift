/// Which filters one layer loses, split by the step that chose them.
public struct LayerPlan: Sendable, Equatable {
    /// The layer's name (the weight tensor's name without `.weight`).
    public let name: String
    /// N, the layer's filter count.
    public let filters: Int
    /// Filters pruned by the norm step, ascending.
    public let prunedByNorm: [Int]
    /// Filters pruned by the criterion step, ascending.
    public let prunedByDistance: [Int]

    /// All pruned filters, ascending.
    public var pruned: [Int] { (prunedByNorm + prunedByDistance).sorted() }
    /// The filters that stay, ascending.
    public var kept: [Int] {
        let gone = Set(prunedByNorm + prunedByDistance)
        return (0..<filters).filter { !gone.contains($0) }
    }
}

/// A pruning plan: for each pruned layer, in network order, the filters it loses.
public struct PruningPlan: Sendable, Equatable {
    public let layers: [LayerPlan]

    /// The plan of one layer, by name.
    public func layer(named name: String) -> LayerPlan? {
        layers.first { $0.name == name }
    }

    /// The filters of all the plan's layers.
    public var filters: Int { layers.reduce(0) { $0 + $1.filters } }

    /// The filters the plan prunes, over all its layers.
    public var prunedFilters: Int { layers.reduce(0) { $0 + $1.pruned.count } }
}
