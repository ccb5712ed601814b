/// A count of multiply-accumulates (MACs) for one image, unpruned and pruned, under one convention.
/// The paper calls these "FLOPs"; one MAC is one multiply and one add.
public struct FLOPsCount: Sendable, Equatable {
    public enum Convention: String, CaseIterable, Sendable {
        /// The paper's: conv-only MACs with a continuous keep ratio, as the official scripts count them.
        case paper
        /// The true count of a plan: integer filter counts, convolution and classifier MACs.
        case exact
    }

    public let convention: Convention
    /// MACs of the unpruned network (fractional only never; kept as Double to share a type with `pruned`).
    public let baseline: Double
    /// MACs of the pruned network; fractional under the paper convention.
    public let pruned: Double

    /// 1 - pruned / baseline. Under the paper convention both counts are first truncated to integers,
    /// as the official scripts do (`1 - int(pruned) / int(baseline)`).
    public var reduction: Double {
        switch convention {
        case .paper: return 1 - pruned.rounded(.towardZero) / baseline.rounded(.towardZero)
        case .exact: return 1 - pruned / baseline
        }
    }
}
