import Foundation

/// A network being trained: every tensor of its state dict in Float32, by canonical name, and the
/// structure (`NetworkGraph`) that the forward and backward passes walk.
///
/// One training step on a batch x with labels y computes, in training mode (batch norms normalise
/// with the batch's statistics and move their running estimates), the logits z = f(x), the mean
/// cross-entropy loss L = mean_n (log sum_k exp z_nk - z_n,y_n), and dL/dtheta for every parameter
/// theta by the chain rule, layer by layer in reverse (`LayerGradients.swift` has each layer's rule).
public struct TrainableNetwork: Sendable {
    public let architecture: Architecture
    public let shortcut: ShortcutPlacement
    /// Parameters and running statistics, by the architecture's names.
    public private(set) var tensors: [String: [Float]]
    private let steps: [ConvolutionStep]

    public init(weights: BoundWeights, shortcut: ShortcutPlacement = .symmetric) {
        architecture = weights.architecture
        self.shortcut = shortcut
        tensors = weights.tensors.mapValues(\.scalars)
        steps = architecture.graph.nodes.map { ConvolutionStep($0.layer) }
    }

    /// The tensors as bound weights (for evaluation, pruning and saving).
    public var weights: BoundWeights {
        let shapes = architecture.stateDictShapes
        return BoundWeights(architecture: architecture,
                            tensors: Dictionary(uniqueKeysWithValues: tensors.map { ($0, Tensor(validShape: shapes[$0]!, scalars: $1)) }))
    }

    /// The learnable parameters (convolution weights, batch-norm scales and shifts, the classifier), in
    /// the architecture's order: what the optimizer updates.
    public var parameterNames: [String] {
        architecture.graph.nodes.flatMap { ["\($0.layer.name).weight", "\($0.batchNorm.name).weight", "\($0.batchNorm.name).bias"] }
            + ["\(architecture.classifier.name).weight", "\(architecture.classifier.name).bias"]
    }

    /// Replaces learnable parameters (same names and sizes).
    mutating func update(_ parameters: [String: [Float]]) {
        for (name, values) in parameters {
            precondition(tensors[name]?.count == values.count, "\(name) is not a parameter of this size")
            tensors[name] = values
        }
    }

    /// What one step computed.
    public struct Gradients: Sendable {
        public let loss: Double
        /// dL/dtheta by parameter name.
        public let gradients: [String: [Float]]
        /// Each batch norm's batch mean and biased variance, by the batch norm's name.
        public let batchMeans: [String: [Double]]
        public let batchVariances: [String: [Double]]
        /// How many images the logits classified correctly.
        public let correct: Int
    }

    /// The forward pass in training mode and the backward pass on `images` (dense, channel-major) with
    /// `labels`; the running statistics move as PyTorch's do.
    public mutating func gradients(images: FeatureMaps, labels: [Int]) -> Gradients {
        precondition(labels.count == images.batch && labels.allSatisfy { (0..<architecture.classifier.outFeatures).contains($0) },
                     "one label per image, each a class of the classifier")
        var tape = Tape(count: steps.count)
        let features = forward(images, tape: &tape)
        let classifier = architecture.classifier
        let head = CrossEntropyHead(features: features, weight: tensors["\(classifier.name).weight"]!,
                                    bias: tensors["\(classifier.name).bias"]!, classes: classifier.outFeatures, labels: labels)
        var gradients = ["\(classifier.name).weight": head.weightGradient, "\(classifier.name).bias": head.biasGradient]
        backward(head.featureGradient, tape: tape, into: &gradients)
        for (index, node) in architecture.graph.nodes.enumerated() {
            let name = node.batchNorm.name
            var mean = tensors["\(name).running_mean"]!, variance = tensors["\(name).running_var"]!
            BatchNormStep.updatedRunning(mean: &mean, variance: &variance, batchMean: tape.means[index], batchVariance: tape.variances[index],
                                         count: tape.outputs[index]!.channelLength)
            tensors["\(name).running_mean"] = mean
            tensors["\(name).running_var"] = variance
        }
        let norms = architecture.graph.nodes.map(\.batchNorm.name)
        return Gradients(loss: head.loss, gradients: gradients,
                         batchMeans: Dictionary(uniqueKeysWithValues: zip(norms, tape.means)),
                         batchVariances: Dictionary(uniqueKeysWithValues: zip(norms, tape.variances)), correct: head.correct)
    }

    /// What the backward pass reads of the forward pass, per node: the convolution's record, the batch
    /// norm's saved values, and the node's output (after ReLU where one follows); per block, its output.
    private struct Tape {
        var inputs: [ConvolutionStep.Record?]
        var saved: [BatchNormStep.Saved?]
        var outputs: [FeatureMaps?]
        var means: [[Double]]
        var variances: [[Double]]
        var blockOutputs: [FeatureMaps] = []
        /// The stem's output before its max pooling (when it has one) and the chain's maps before each pooling.
        var beforePooling: [Int: FeatureMaps] = [:]

        init(count: Int) {
            inputs = Array(repeating: nil, count: count)
            saved = Array(repeating: nil, count: count)
            outputs = Array(repeating: nil, count: count)
            means = Array(repeating: [], count: count)
            variances = Array(repeating: [], count: count)
        }
    }

    /// Convolution, batch norm and (when the node is activated) ReLU of node `index`, recorded. With a
    /// `blockShortcut`, the node ends a residual block: its output is max(0, batch norm + shortcut), the
    /// block's output (the node itself is not activated, so the backward pass reads only the sum).
    private func node(_ index: Int, _ input: FeatureMaps, blockShortcut: FeatureMaps? = nil, tape: inout Tape) -> FeatureMaps {
        let node = architecture.graph.nodes[index], norm = node.batchNorm.name
        precondition(blockShortcut == nil || !node.activated, "a block's last convolution has no ReLU of its own")
        let (raw, record) = steps[index].forward(input, weight: tensors["\(node.layer.name).weight"]!)
        let (output, saved, mean, variance) = BatchNormStep.forward(raw, gamma: tensors["\(norm).weight"]!, beta: tensors["\(norm).bias"]!,
                                                                    residual: blockShortcut, relu: node.activated || blockShortcut != nil)
        tape.inputs[index] = record
        tape.saved[index] = saved
        tape.outputs[index] = output
        tape.means[index] = mean
        tape.variances[index] = variance
        return output
    }

    /// The maps the classifier's average pooling reads.
    private func forward(_ images: FeatureMaps, tape: inout Tape) -> FeatureMaps {
        switch architecture.graph.body {
        case let .residual(stem, stemPooling, blocks):
            var stream = node(stem, images, tape: &tape)
            if let stemPooling {
                tape.beforePooling[stem] = stream
                stream = stream.maxPooled(stemPooling)
            }
            for block in blocks {
                let shortcut: FeatureMaps
                switch block.shortcut {
                case .identity: shortcut = stream
                case .zeroPadded: shortcut = stream.zeroPaddedShortcut(block, placement: self.shortcut)
                case let .projection(index): shortcut = node(index, stream, tape: &tape)
                }
                var hidden = stream
                for index in block.path.dropLast() { hidden = node(index, hidden, tape: &tape) }
                let sum = node(block.path.last!, hidden, blockShortcut: shortcut, tape: &tape)
                tape.blockOutputs.append(sum)
                stream = sum
            }
            return stream
        case let .chain(links):
            var maps = images
            for link in links {
                maps = node(link.convolution, maps, tape: &tape)
                if let pooling = link.pooling {
                    tape.beforePooling[link.convolution] = maps
                    maps = maps.maxPooled(pooling)
                }
            }
            return maps
        }
    }

    /// The gradients of every convolution and batch norm, from dL/d(the classifier's input maps).
    private func backward(_ featureGradient: FeatureMaps, tape: Tape, into gradients: inout [String: [Float]]) {
        switch architecture.graph.body {
        case let .residual(stem, stemPooling, blocks):
            var upstream = featureGradient
            for (position, block) in blocks.enumerated().reversed() {
                let sumGradient = tape.blockOutputs[position].reluGradient(upstream), blockInput = tape.inputs[block.path[0]]!.input
                let shortcutGradient = switch block.shortcut {
                case .identity: sumGradient
                case .zeroPadded: zeroPaddedGradient(sumGradient, block: block, input: blockInput)
                case let .projection(index): nodeBackward(index, sumGradient, tape: tape, into: &gradients)!
                }
                // The block's input gradient is the path's plus the shortcut's, added as the first convolution writes its own.
                var pathGradient = sumGradient
                for (step, index) in block.path.enumerated().reversed() {
                    pathGradient = nodeBackward(index, pathGradient, adding: step == 0 ? shortcutGradient : nil, tape: tape, into: &gradients)!
                }
                upstream = pathGradient
            }
            if let stemPooling { upstream = tape.beforePooling[stem]!.maxPoolingGradient(upstream, pooling: stemPooling) }
            _ = nodeBackward(stem, upstream, tape: tape, into: &gradients)
        case let .chain(links):
            var upstream = featureGradient
            for link in links.reversed() {
                if let pooling = link.pooling { upstream = tape.beforePooling[link.convolution]!.maxPoolingGradient(upstream, pooling: pooling) }
                upstream = nodeBackward(link.convolution, upstream, tape: tape, into: &gradients) ?? upstream
            }
        }
    }

    /// Back through node `index` from dL/d(its output); records its gradients and returns dL/d(its input)
    /// plus `addend` (maps of the input's shape, when given), or nil for a node that reads the image.
    private func nodeBackward(_ index: Int, _ outputGradient: FeatureMaps, adding addend: FeatureMaps? = nil, tape: Tape,
                              into gradients: inout [String: [Float]]) -> FeatureMaps? {
        let node = architecture.graph.nodes[index], norm = node.batchNorm.name
        let (dz, dgamma, dbeta) = BatchNormStep.backward(outputGradient, saved: tape.saved[index]!, gamma: tensors["\(norm).weight"]!,
                                                         rectified: node.activated ? tape.outputs[index]! : nil,
                                                         padded: steps[index].readsPaddedOutputGradient)
        gradients["\(norm).weight"] = dgamma
        gradients["\(norm).bias"] = dbeta
        let (dw, dx) = steps[index].backward(tape.inputs[index]!, weight: tensors["\(node.layer.name).weight"]!, outputGradient: dz,
                                             inputGradient: node.input != .image, adding: addend)
        gradients["\(node.layer.name).weight"] = dw
        return dx
    }

    /// The adjoint of `FeatureMaps.zeroPaddedShortcut`: the gradient of channel c + first goes back to every s-th position of
    /// input channel c; `input` (the block's input) gives the shape.
    private func zeroPaddedGradient(_ gradient: FeatureMaps, block: NetworkGraph.ResidualBlock, input: FeatureMaps) -> FeatureMaps {
        let first = block.firstShortcutChannel(shortcut)
        var dx = FeatureMaps(channels: input.channels, batch: input.batch, height: input.height, width: input.width)
        for c in 0..<block.inWidth {
            for image in 0..<input.batch {
                for y in 0..<gradient.height {
                    let from = gradient.rowStart(channel: c + first, image: image, row: y), to = dx.rowStart(channel: c, image: image, row: y * block.stride)
                    for x in 0..<gradient.width { dx.values[to + x * block.stride] = gradient.values[from + x] }
                }
            }
        }
        return dx
    }
}

/// Global average pooling, the linear classifier and the mean cross-entropy loss, forward and back:
/// with a_n the pooled features of image n, z_n = W a_n + b, p_n = softmax(z_n):
///
///     L = mean_n (-log p_n,y_n),   dz_n = (p_n - onehot(y_n)) / N,
///     dW = sum_n dz_n a_n^T,   db = sum_n dz_n,   d(map c of image n at each position) = (W^T dz_n)_c / (H W).
struct CrossEntropyHead {
    let loss: Double
    let correct: Int
    let weightGradient: [Float]
    let biasGradient: [Float]
    let featureGradient: FeatureMaps

    init(features: FeatureMaps, weight: [Float], bias: [Float], classes: Int, labels: [Int]) {
        let pooled = features.averagePooled(), width = features.channels, count = features.batch
        var loss = 0.0, correct = 0
        var dLogits = [[Float]]()
        for (n, a) in pooled.enumerated() {
            let z = (0..<classes).map { k in
                var sum = bias[k]
                for f in 0..<width { sum += weight[k * width + f] * a[f] }
                return sum
            }
            if InferenceNetwork.predictedClass(z) == labels[n] { correct += 1 }
            let largest = Double(z.max() ?? 0)
            let exponentials = z.map { exp(Double($0) - largest) }, total = exponentials.reduce(0, +)
            loss += log(total) + largest - Double(z[labels[n]])
            dLogits.append((0..<classes).map { k in Float((exponentials[k] / total - (k == labels[n] ? 1 : 0)) / Double(count)) })
        }
        self.loss = loss / Double(count)
        self.correct = correct
        var dW = [Float](repeating: 0, count: classes * width), db = [Float](repeating: 0, count: classes)
        for (n, dz) in dLogits.enumerated() {
            for k in 0..<classes {
                db[k] += dz[k]
                for f in 0..<width { dW[k * width + f] += dz[k] * pooled[n][f] }
            }
        }
        weightGradient = dW
        biasGradient = db
        let plane = features.height * features.width
        var maps = FeatureMaps(channels: width, batch: count, height: features.height, width: features.width)
        for n in 0..<count {
            for f in 0..<width {
                var sum: Float = 0
                for k in 0..<classes { sum += weight[k * width + f] * dLogits[n][k] }
                let value = sum / Float(plane), start = (f * count + n) * plane
                for i in start..<(start + plane) { maps.values[i] = value }
            }
        }
        featureGradient = maps
    }
}
