/// Stochastic gradient descent with momentum and weight decay, in PyTorch's order (`torch.optim.SGD`,
/// no dampening): for each parameter w with gradient g,
///
///     g <- g + lambda w,   v <- mu v + g (v = g on the first step),   g <- g + mu v (Nesterov) or v,   w <- w - eta g.
public struct MomentumSGD: Sendable, Equatable {
    public var learningRate: Float
    public let momentum: Float
    public let weightDecay: Float
    public let nesterov: Bool
    /// v per parameter; empty before the first step.
    public private(set) var velocities: [String: [Float]] = [:]

    public init(learningRate: Float, momentum: Float = 0.9, weightDecay: Float = 5e-4, nesterov: Bool = true) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    /// Restores the momentum buffers of a saved run.
    public mutating func restore(velocities: [String: [Float]]) { self.velocities = velocities }

    /// One update of every parameter of `network` that has a gradient; with a mask, the pruned filters'
    /// gradients are zeroed first (so that, zero already, they stay zero).
    public mutating func step(_ network: inout TrainableNetwork, gradients: [String: [Float]], mask: TrainingMask? = nil) {
        var gradients = gradients
        mask?.zeroFilters(&gradients, architecture: network.architecture)
        var updated = [String: [Float]]()
        for name in network.parameterNames {
            guard let gradient = gradients[name], var weights = network.tensors[name] else { continue }
            var velocity = velocities[name] ?? []
            let first = velocity.isEmpty
            if first { velocity = [Float](repeating: 0, count: weights.count) }
            for i in weights.indices {
                let g = gradient[i] + weightDecay * weights[i]
                velocity[i] = first ? g : momentum * velocity[i] + g
                weights[i] -= learningRate * (nesterov ? g + momentum * velocity[i] : velocity[i])
            }
            velocities[name] = velocity
            updated[name] = weights
        }
        network.update(updated)
    }
}

/// The soft-pruning mask of the official loop: the pruned filters of each convolution (from a
/// `PruningPlan`), zeroed in the weights, and in their gradients before every update so that they stay
/// zero. Batch norms are never masked.
public struct TrainingMask: Sendable, Equatable {
    /// Pruned filter indices by convolution name.
    public let pruned: [String: [Int]]

    public init(plan: PruningPlan) {
        pruned = Dictionary(plan.layers.map { ($0.name, $0.pruned) }, uniquingKeysWith: { first, _ in first })
    }

    /// The number of filters the mask zeroes.
    public var count: Int { pruned.values.reduce(0) { $0 + $1.count } }

    /// Zeroes the pruned filters in `values`, keyed as parameters (`name.weight`: the weights, or their
    /// gradients), of the convolutions of `architecture`.
    func zeroFilters(_ values: inout [String: [Float]], architecture: Architecture) {
        for (layer, filters) in pruned {
            let name = "\(layer).weight"
            guard var tensor = values[name], let convolution = architecture.convolution(named: layer) else { continue }
            let length = tensor.count / convolution.outChannels
            for filter in filters { tensor.replaceSubrange((filter * length)..<((filter + 1) * length), with: repeatElement(0, count: length)) }
            values[name] = tensor
        }
    }

    /// The masked network: its pruned filters zeroed.
    public func apply(to network: inout TrainableNetwork) {
        var weights = [String: [Float]]()
        for layer in pruned.keys { weights["\(layer).weight"] = network.tensors["\(layer).weight"] }
        zeroFilters(&weights, architecture: network.architecture)
        network.update(weights)
    }
}
