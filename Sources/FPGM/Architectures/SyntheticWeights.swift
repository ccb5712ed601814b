extension Architecture {
    /// A state dict with the official initialisation of the FPGM code, drawn from `SeededGenerator`:
    /// every convolution weight ~ N(0, sqrt(2 / (k * k * out_channels))) (He et al. 2015, fan-out),
    /// batch norm weight 1, bias 0, running mean 0, running variance 1, classifier weight
    /// ~ N(0, sqrt(2 / in_features)) and bias 0. Tensors are drawn in forward order of the
    /// convolutions, then the classifier; names follow the architecture (`<layer>.weight`, ...).
    public func syntheticWeights(seed: UInt64) -> [String: Tensor] {
        var generator = SeededGenerator(seed: seed)
        var weights = [String: Tensor]()
        func normal(_ shape: [Int], std: Double) -> Tensor {
            Tensor(shape: shape) { Float(generator.nextNormal() * std) }
        }
        for layer in convolutions {
            let std = (2.0 / Double(layer.kernel * layer.kernel * layer.outChannels)).squareRoot()
            weights["\(layer.name).weight"] = normal(layer.weightShape, std: std)
        }
        for norm in batchNorms {
            let ones = Tensor(shape: [norm.channels], repeating: 1)
            let zeros = Tensor(shape: [norm.channels], repeating: 0)
            weights["\(norm.name).weight"] = ones
            weights["\(norm.name).bias"] = zeros
            weights["\(norm.name).running_mean"] = zeros
            weights["\(norm.name).running_var"] = ones
        }
        weights["\(classifier.name).weight"] = normal([classifier.outFeatures, classifier.inFeatures],
                                                      std: (2.0 / Double(classifier.inFeatures)).squareRoot())
        weights["\(classifier.name).bias"] = Tensor(shape: [classifier.outFeatures], repeating: 0)
        return weights
    }
}

extension BoundWeights {
    /// `architecture.syntheticWeights(seed:)`, bound (they fit by construction).
    public static func synthetic(_ architecture: Architecture, seed: UInt64) -> BoundWeights {
        BoundWeights(architecture: architecture, tensors: architecture.syntheticWeights(seed: seed))
    }
}
