extension BoundWeights {
    /// The official soft pruning: the plan's filters set to zero in place, everything else (batch
    /// norms included) unchanged, so that a pruned channel outputs its batch norm's shift.
    public func masked(by plan: PruningPlan) -> BoundWeights {
        var masked = tensors
        for layer in plan.layers {
            let name = "\(layer.name).weight"
            guard let weight = masked[name] else { continue }
            let length = weight.count / max(1, weight.shape[0])
            var scalars = weight.scalars
            for filter in layer.pruned {
                scalars.replaceSubrange((filter * length)..<((filter + 1) * length), with: repeatElement(0, count: length))
            }
            masked[name] = Tensor(validShape: weight.shape, scalars: scalars)
        }
        return BoundWeights(architecture: architecture, tensors: masked)
    }
}
