/// MACs and parameters of a pruned network with integer filter counts: a convolution keeping k_out of
/// its filters and reading k_in channels costs k_out * k_in * kernel^2 * outputSize^2 MACs and has
/// k_out * k_in * kernel^2 weights plus 2 k_out batch-norm parameters; the classifier costs
/// inFeatures * outFeatures. Input channels shrink where the network's graph says a layer reads a
/// pruned convolution directly (`NetworkGraph.inputChannels`); the residual stream keeps its full
/// width, and convolutions selection does not prune (projection shortcuts) keep all their filters.
public struct ExactFLOPsCounter: Sendable {
    public let architecture: Architecture

    public init(architecture: Architecture) { self.architecture = architecture }

    /// MACs with `kept(name)` filters kept in each prunable convolution (nil: all of them).
    public func count(kept: (String) -> Int?) -> FLOPsCount {
        FLOPsCount(convention: .exact, baseline: Double(macs { _ in nil }), pruned: Double(macs(kept: kept)))
    }

    /// MACs after the plan's filters are removed.
    public func count(plan: PruningPlan) -> FLOPsCount {
        count(kept: keptCounts(plan))
    }

    /// MACs with the same rates on every prunable layer, as integer filter counts; fails when the rates
    /// leave some layer without a filter.
    public func count(rates: PruningRates) throws(SelectionError) -> FLOPsCount {
        try rates.checkEveryLayerKeepsAFilter(architecture.prunableConvolutions.map { ($0.name, $0.outChannels) })
        return count(kept: keptCounts(rates))
    }

    /// Learnable parameters after the plan's filters are removed.
    public func parameters(plan: PruningPlan) -> Int { parameters(kept: keptCounts(plan)) }

    /// Learnable parameters with the same rates on every prunable layer.
    public func parameters(rates: PruningRates) -> Int { parameters(kept: keptCounts(rates)) }

    /// MACs of the convolutions alone (no classifier).
    public func convolutionMACs(kept: (String) -> Int?) -> Int {
        architecture.graph.nodes.reduce(0) { total, node in
            let (out, inputs) = channels(node, kept: kept), layer = node.layer
            return total + out * inputs * layer.kernel * layer.kernel * layer.outputSize * layer.outputSize
        }
    }

    /// Convolution and classifier MACs.
    public func macs(kept: (String) -> Int?) -> Int {
        convolutionMACs(kept: kept) + classifierInputs(kept: kept) * architecture.classifier.outFeatures
    }

    /// Learnable parameters with `kept(name)` filters kept in each prunable convolution.
    public func parameters(kept: (String) -> Int?) -> Int {
        var total = 0
        for node in architecture.graph.nodes {
            let (out, inputs) = channels(node, kept: kept)
            // The weights, the bias if any, and the batch norm's scale and shift.
            total += out * inputs * node.layer.kernel * node.layer.kernel + (node.layer.hasBias ? out : 0) + 2 * out
        }
        let classifier = architecture.classifier
        return total + classifierInputs(kept: kept) * classifier.outFeatures + classifier.outFeatures
    }

    private func channels(_ node: NetworkGraph.Node, kept: (String) -> Int?) -> (out: Int, in: Int) {
        let out = node.prunable ? (kept(node.layer.name) ?? node.layer.outChannels) : node.layer.outChannels
        return (out, architecture.graph.inputChannels(of: node.layer, kept: kept))
    }

    private func classifierInputs(kept: (String) -> Int?) -> Int { architecture.graph.classifierFeatures(kept: kept) }

    private func keptCounts(_ plan: PruningPlan) -> (String) -> Int? {
        let counts = Dictionary(uniqueKeysWithValues: plan.layers.map { ($0.name, $0.filters - $0.pruned.count) })
        return { counts[$0] }
    }

    private func keptCounts(_ rates: PruningRates) -> (String) -> Int? {
        let counts = Dictionary(uniqueKeysWithValues: architecture.prunableConvolutions.map { layer in
            (layer.name, layer.outChannels - rates.normCount(filters: layer.outChannels) - rates.distanceCount(filters: layer.outChannels))
        })
        return { counts[$0] }
    }
}
