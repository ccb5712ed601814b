/// A network with a plan's filters removed, self-contained: what `fpgm prune --compact` writes and
/// what the compact `InferenceNetwork` runs.
///
/// A convolution keeps the plan's kept filters (all of them when the plan does not name it) and the
/// input channels that the convolution it reads directly kept (`NetworkGraph.directSource`); an input
/// from the image or the residual stream stays whole. A removed filter's channel is constant in the
/// masked network: its batch norm's shift t_c = beta_c - mean_c gamma_c / sqrt(var_c + eps), after ReLU
/// where the network applies one before using it. So the compact model keeps, besides the sliced
/// tensors:
/// - `removedValues`: each removed channel's constant, which goes back into the residual stream at its
///   index (SFP's "index alignment");
/// - `inputOffsets`: for a convolution that read removed channels directly, their fixed contribution
///   sum_c v_c (W_oc * 1) to its output (before its batch norm), a map per kept filter (not constant
///   near the border, where the zero padding cuts the kernel);
/// - a classifier that read removed channels directly (VGG) loses their columns, and their constants
///   times those columns join its bias.
public struct CompactModel: Sendable {
    public let architecture: Architecture
    /// Kept filters, ascending, by pruned layer; a layer not named keeps all.
    public let kept: [String: [Int]]
    /// The state dict under the architecture's names, with the compact shapes.
    public let tensors: [String: Tensor]
    /// [kept filters, H', W'] by convolution, for the convolutions that read removed channels.
    public let inputOffsets: [String: Tensor]
    /// Removed channel -> its value where the network uses it, by pruned layer.
    public let removedValues: [String: [Int: Float]]

    public init(architecture: Architecture, kept: [String: [Int]], tensors: [String: Tensor], inputOffsets: [String: Tensor],
                removedValues: [String: [Int: Float]]) {
        self.architecture = architecture
        self.kept = kept
        self.tensors = tensors
        self.inputOffsets = inputOffsets
        self.removedValues = removedValues
    }

    /// The whole network (or the masked one, when `weights` has the plan's filters zeroed).
    public init(weights: BoundWeights) {
        self.init(architecture: weights.architecture, kept: [:], tensors: weights.tensors, inputOffsets: [:], removedValues: [:])
    }

    /// The compact network of `plan`; fails when the plan prunes every filter of a layer.
    public init(weights: BoundWeights, plan: PruningPlan) throws(InferenceError) {
        var kept = [String: [Int]]()
        for layer in plan.layers {
            guard !layer.kept.isEmpty else { throw .everyFilterPruned(layer.name) }
            if layer.kept.count < layer.filters { kept[layer.name] = layer.kept }
        }
        let architecture = weights.architecture, graph = architecture.graph
        func outputs(_ layer: ConvolutionLayer) -> [Int] { kept[layer.name] ?? Array(0..<layer.outChannels) }
        var removedValues = [String: [Int: Float]]()
        for layer in architecture.convolutions where kept[layer.name] != nil {
            let norm = weights.batchNorm(of: layer), keptSet = Set(outputs(layer))
            var values = [Int: Float]()
            for c in 0..<layer.outChannels where !keptSet.contains(c) {
                let shift = norm.shift(c)
                values[c] = graph.isActivated(layer) ? max(shift, 0) : shift
            }
            removedValues[layer.name] = values
        }
        var tensors = [String: Tensor](), inputOffsets = [String: Tensor]()
        for layer in architecture.convolutions {
            let weight = weights.tensors["\(layer.name).weight"]!
            let source = graph.directSource(of: layer)
            let inputs = source.map(outputs) ?? Array(0..<layer.inChannels)
            tensors["\(layer.name).weight"] = weight.convolutionWeight(outputs: outputs(layer), inputs: inputs)
            let norm = weights.batchNorm(of: layer)
            for (field, tensor) in norm.fields {
                tensors["\(norm.name).\(field)"] = Tensor(validShape: [outputs(layer).count], scalars: outputs(layer).map { tensor.scalars[$0] })
            }
            if let source, let removed = removedValues[source.name], !removed.isEmpty {
                let order = removed.keys.sorted(), plane = layer.inputSize * layer.inputSize
                var constant = FeatureMaps(channels: order.count, batch: 1, height: layer.inputSize, width: layer.inputSize)
                for (index, channel) in order.enumerated() {
                    for p in 0..<plane { constant.values[index * plane + p] = removed[channel]! }
                }
                let part = weight.convolutionWeight(outputs: outputs(layer), inputs: order)
                let response = FoldedConvolution(outChannels: part.shape[0], inChannels: order.count, kernel: layer.kernel,
                                                 stride: layer.stride, padding: layer.padding, weights: part.scalars,
                                                 shifts: [Float](repeating: 0, count: part.shape[0]), offsets: nil, inputSide: layer.inputSize)
                inputOffsets[layer.name] = Tensor(validShape: [part.shape[0], layer.outputSize, layer.outputSize],
                                                  scalars: response.apply(constant, relu: false).dense().values)
            }
        }
        let classifier = architecture.classifier
        let fullWeight = weights.tensors["\(classifier.name).weight"]!, fullBias = weights.tensors["\(classifier.name).bias"]!
        var weight = fullWeight, bias = fullBias
        if let source = graph.classifierSource?.name, let inputs = kept[source], let removed = removedValues[source] {
            // A removed channel reaches the classifier as its constant (pooling keeps a constant map constant):
            // its column times the constant moves into the bias.
            let columns = classifier.inFeatures
            weight = Tensor(validShape: [classifier.outFeatures, inputs.count],
                            scalars: (0..<classifier.outFeatures).flatMap { k in inputs.map { fullWeight.scalars[k * columns + $0] } })
            bias = Tensor(validShape: [classifier.outFeatures], scalars: (0..<classifier.outFeatures).map { k in
                Float(removed.keys.sorted().reduce(Double(fullBias.scalars[k])) { $0 + Double(fullWeight.scalars[k * columns + $1]) * Double(removed[$1]!) })
            })
        }
        tensors["\(classifier.name).weight"] = weight
        tensors["\(classifier.name).bias"] = bias
        self.init(architecture: architecture, kept: kept, tensors: tensors, inputOffsets: inputOffsets, removedValues: removedValues)
    }

    /// The filters `layer` keeps.
    public func outputs(_ layer: ConvolutionLayer) -> [Int] { kept[layer.name] ?? Array(0..<layer.outChannels) }

    /// Learnable parameters: convolution weights, batch-norm scales and shifts, the classifier's weight
    /// and bias (running statistics and the offsets are buffers).
    public var parameterCount: Int {
        let running = Set(architecture.batchNorms.flatMap { ["\($0.name).running_mean", "\($0.name).running_var"] })
        return tensors.filter { !running.contains($0.key) }.reduce(0) { $0 + $1.value.count }
    }

    /// The batch norm following `layer`, as stored.
    func batchNorm(of layer: ConvolutionLayer) -> BatchNormTensors {
        BatchNormTensors(tensors: tensors, name: architecture.graph.batchNorm(of: layer).name)
    }
}

/// A batch norm's four tensors.
struct BatchNormTensors {
    let name: String
    let gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor

    /// PyTorch's default epsilon.
    static let epsilon = 1e-5

    init(tensors: [String: Tensor], name: String) {
        self.name = name
        gamma = tensors["\(name).weight"]!
        beta = tensors["\(name).bias"]!
        mean = tensors["\(name).running_mean"]!
        variance = tensors["\(name).running_var"]!
    }

    var fields: [(String, Tensor)] { [("weight", gamma), ("bias", beta), ("running_mean", mean), ("running_var", variance)] }

    /// s_c = gamma_c / sqrt(var_c + eps).
    func scale(_ c: Int) -> Double { Double(gamma.scalars[c]) / (Double(variance.scalars[c]) + Self.epsilon).squareRoot() }

    /// t_c = beta_c - mean_c s_c.
    func shift(_ c: Int) -> Float { Float(Double(beta.scalars[c]) - Double(mean.scalars[c]) * scale(c)) }
}

extension BoundWeights {
    func batchNorm(of layer: ConvolutionLayer) -> BatchNormTensors {
        BatchNormTensors(tensors: tensors, name: architecture.graph.batchNorm(of: layer).name)
    }

    /// Each convolution's batch norm, by the convolution's name.
    var batchNormsByConvolution: [String: BatchNormTensors] {
        Dictionary(uniqueKeysWithValues: architecture.convolutions.map { ($0.name, batchNorm(of: $0)) })
    }
}

extension Tensor {
    /// The filters `outputs` of a convolution weight [O, C, k, k], over the input channels `inputs`.
    func convolutionWeight(outputs: [Int], inputs: [Int]) -> Tensor {
        let allInputs = shape[1], area = shape[2] * shape[3]
        var values = [Float]()
        values.reserveCapacity(outputs.count * inputs.count * area)
        for o in outputs {
            for c in inputs {
                let start = (o * allInputs + c) * area
                values.append(contentsOf: scalars[start..<(start + area)])
            }
        }
        return Tensor(validShape: [outputs.count, inputs.count, shape[2], shape[3]], scalars: values)
    }
}
