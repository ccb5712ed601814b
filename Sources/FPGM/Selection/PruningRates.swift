/// The two rates of the official code for one layer of N filters:
/// `Int(Double(N) * (1 - rateNorm))` filters with the smallest L2 norms are pruned first, then
/// `Int(Double(N) * rateDist)` filters, chosen by the criterion among the norm survivors.
/// FPGM-only is (1.0, P); the official "mix" scripts use (0.7, 0.1).
public struct PruningRates: Sendable, Equatable, Hashable {
    /// R, the fraction kept by the norm step.
    public let rateNorm: Double
    /// D, the fraction pruned by the criterion step.
    public let rateDist: Double

    /// The two rates by the step they belong to.
    public enum Step: Sendable, Equatable {
        /// R, the fraction the norm step keeps.
        case norm
        /// D, the fraction the criterion step prunes.
        case distance
    }

    /// Fails unless both rates lie in [0, 1], naming the first that does not.
    public init(rateNorm: Double = 1.0, rateDist: Double) throws(SelectionError) {
        for (step, value) in [(Step.norm, rateNorm), (.distance, rateDist)] where !(0...1).contains(value) {
            throw .rateOutOfRange(step, value: value)
        }
        self.rateNorm = rateNorm
        self.rateDist = rateDist
    }

    /// The number pruned by the norm step from N filters: Int(N * (1 - R)), truncated as Python's `int`.
    public func normCount(filters n: Int) -> Int { Int(Double(n) * (1 - rateNorm)) }

    /// The number pruned by the criterion step from N filters: Int(N * D), at most the norm survivors.
    public func distanceCount(filters n: Int) -> Int {
        min(Int(Double(n) * rateDist), n - normCount(filters: n))
    }

    /// Fails with the first layer, in the order given, of which these rates would prune every filter:
    /// a layer must keep at least one.
    public func checkEveryLayerKeepsAFilter(_ layers: [(name: String, filters: Int)]) throws(SelectionError) {
        if let empty = layers.first(where: { normCount(filters: $0.filters) + distanceCount(filters: $0.filters) >= $0.filters }) {
            throw .everyFilterPruned(layer: empty.name, filters: empty.filters)
        }
    }

    /// The continuous keep ratio r = R - D of the paper's FLOPs convention
    /// (the official log's "total remaining ratio is rate_norm - rate_dist"), at least 0.
    public var keepRatio: Double { max(0, rateNorm - rateDist) }
}

/// Errors in selection input.
public enum SelectionError: Error, Equatable, CustomStringConvertible {
    /// A rate outside [0, 1]; callers word it in their own terms (`--rate-norm`, `rate_norm`).
    case rateOutOfRange(PruningRates.Step, value: Double)
    case unknownLayer(String)
    case nonFiniteValues(layer: String)
    /// The rates prune every filter of this layer; a layer must keep at least one.
    case everyFilterPruned(layer: String, filters: Int)

    public var description: String {
        switch self {
        case let .rateOutOfRange(step, value):
            return "\(step == .norm ? "the norm step's rate R" : "the criterion step's rate D") must lie in [0, 1], got \(value)"
        case let .unknownLayer(name):
            return "a per-layer rate names '\(name)', which is not a prunable layer"
        case let .nonFiniteValues(layer):
            return "layer '\(layer)' holds NaN or infinite values"
        case let .everyFilterPruned(layer, filters):
            return "the rates prune all \(filters) filters of \(layer); a layer must keep at least one"
        }
    }
}
