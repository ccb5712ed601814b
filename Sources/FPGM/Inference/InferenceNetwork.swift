import ConvolutionKernels
import Foundation

/// How an option-A shortcut (a block that halves the map and doubles the width) places the input's
/// channels among the new zero channels.
public enum ShortcutPlacement: String, Sendable, CaseIterable {
    /// akamaster's `F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes/4, planes/4))`: zeros on both sides.
    case symmetric
    /// The FPGM authors' `DownsampleA`: `AvgPool2d(1, stride 2)`, then `cat(x, 0 x)`: zeros after.
    case appended
}

/// A CIFAR network ready to run: every convolution folded with its batch norm, optionally compacted
/// by a pruning plan.
///
/// Forward pass of a CIFAR ResNet, for input x: the stem s = ReLU(BN(conv1 x)); each basic block
/// computes ReLU(BN(conv2(ReLU(BN(conv1 x)))) + shortcut(x)) with the option-A shortcut; then global
/// average pooling and the linear classifier. Of the CIFAR VGG-16: thirteen ReLU(BN(conv x)), a 2 x 2
/// max pooling wherever the next convolution reads a map of half the side, a 2 x 2 average pooling
/// (global, on the last 2 x 2 map) and the classifier.
///
/// A compact network (`init(weights:plan:)`) keeps only the plan's kept filters. A removed filter's
/// channel is constant in the masked network (its batch norm's shift t_c, after ReLU where one follows),
/// so: a layer that read it directly loses that input channel and adds the channel's fixed contribution
/// (an offset map); a channel of the residual stream is put back at its index with its constant
/// (SFP's "index alignment"). The compact network therefore computes what the masked one computes.
public struct InferenceNetwork: Sendable {
    /// What the network runs, before folding.
    public let model: CompactModel
    public let shortcut: ShortcutPlacement
    let body: Body
    let classifierWeights: [Float]
    let classifierBias: [Float]

    enum Body: Sendable {
        /// A ResNet: the stem, the max pooling after it if any (ImageNet's), the scatter that puts its kept
        /// channels into the full-width residual stream, and the blocks.
        case residual(stem: FoldedConvolution, pooling: NetworkGraph.MaxPooling?, stemStream: ChannelScatter, blocks: [Block])
        /// A plain chain: each convolution (followed by ReLU), and the max pooling after it if any.
        case chain([(convolution: FoldedConvolution, pooling: NetworkGraph.MaxPooling?)])
    }

    /// A residual block: its convolutions in order (ReLU after each but the last, whose output joins the
    /// shortcut before its ReLU), and a projection shortcut (ImageNet's `downsample`) or, without one,
    /// the option-A shortcut (`zeroPadded`) or the identity.
    struct Block: Sendable {
        /// The block in the network's graph: its shortcut, what it reads, its stride and widths.
        let structure: NetworkGraph.ResidualBlock
        let convolutions: [FoldedConvolution]
        let projection: FoldedConvolution?
        let outputStream: ChannelScatter

        /// Whether the block reads the stem's own output (the first block) rather than the residual stream.
        var readsStem: Bool { structure.input != .residualStream }
    }

    /// The unpruned network, or the masked one when `weights` has the plan's filters zeroed.
    public init(weights: BoundWeights, shortcut: ShortcutPlacement = .symmetric) {
        self.init(model: CompactModel(weights: weights), shortcut: shortcut)
    }

    /// The compact network of `plan`: each layer keeps only the plan's kept filters.
    public init(weights: BoundWeights, plan: PruningPlan, shortcut: ShortcutPlacement = .symmetric) throws(InferenceError) {
        try self.init(model: CompactModel(weights: weights, plan: plan), shortcut: shortcut)
    }

    /// The network of a compact model. With `foldingBatchNorms` false every convolution is left as it
    /// is (scale 1, shift 0), for the training-mode pass of `BatchNormRecalibration`, which normalises
    /// each convolution's output itself.
    public init(model: CompactModel, shortcut: ShortcutPlacement = .symmetric, foldingBatchNorms: Bool = true) {
        let architecture = model.architecture
        func folded(_ layer: ConvolutionLayer) -> FoldedConvolution {
            let weight = model.tensors["\(layer.name).weight"]!
            var convolution = foldingBatchNorms
                ? FoldedConvolution(weight: weight, norm: model.batchNorm(of: layer), stride: layer.stride, padding: layer.padding,
                                    inputSide: layer.inputSize, inputOffsets: model.inputOffsets[layer.name])
                : FoldedConvolution(outChannels: weight.shape[0], inChannels: weight.shape[1], kernel: weight.shape[2], stride: layer.stride,
                                    padding: layer.padding, weights: weight.scalars, shifts: [Float](repeating: 0, count: weight.shape[0]),
                                    offsets: nil, inputSide: layer.inputSize)
            convolution.layer = layer.name
            return convolution
        }
        func stream(_ layer: ConvolutionLayer) -> ChannelScatter {
            ChannelScatter(width: layer.outChannels, kept: model.outputs(layer), constants: model.removedValues[layer.name] ?? [:])
        }

        let graph = architecture.graph
        switch graph.body {
        case let .chain(links):
            body = .chain(links.map { (folded(graph.nodes[$0.convolution].layer), $0.pooling) })
        case let .residual(stem, stemPooling, graphBlocks):
            let stemLayer = graph.nodes[stem].layer
            let blocks = graphBlocks.map { block in
                let path = block.path.map { graph.nodes[$0].layer }
                var projection: FoldedConvolution?
                if case let .projection(index) = block.shortcut { projection = folded(graph.nodes[index].layer) }
                return Block(structure: block, convolutions: path.map(folded), projection: projection, outputStream: stream(path[path.count - 1]))
            }
            body = .residual(stem: folded(stemLayer), pooling: stemPooling, stemStream: stream(stemLayer), blocks: blocks)
        }
        self.model = model
        self.shortcut = shortcut
        classifierWeights = model.tensors["\(architecture.classifier.name).weight"]!.scalars
        classifierBias = model.tensors["\(architecture.classifier.name).bias"]!.scalars
    }

    /// The logits of each image of `input` (N x 3 x side x side, channel-major): the images run in chunks
    /// of at most `chunk` (by default as many as share `Winograd`'s products), spread over `threads`
    /// threads (each chunk's matrix products on one core).
    public func logits(_ input: FeatureMaps, threads: Int = ParallelMap.processors,
                       chunk: Int = Winograd.imagesPerProduct) -> [[Float]] {
        let chunks = stride(from: 0, to: input.batch, by: max(1, chunk)).map { $0..<min($0 + max(1, chunk), input.batch) }
        return ParallelMap.map(chunks.count, threads: threads, state: Workspace.init) { index, workspace in
            logitsOnOneThread(input.images(chunks[index]), workspace: workspace)
        }.flatMap { $0 }
    }

    /// The class a row of logits predicts: the index of its largest logit.
    public static func predictedClass(_ logits: [Float]) -> Int { logits.indices.max { logits[$0] < logits[$1] } ?? 0 }

    /// The largest |logit difference| from `other` on `images`, as a fraction of `other`'s largest
    /// |logit|: how closely a compact network computes its masked one.
    public func relativeDifference(from other: InferenceNetwork, on images: FeatureMaps) -> Double {
        scaledDifference(Array(logits(images).joined()), from: Array(other.logits(images).joined()))
    }

    /// The forward pass of a batch on the calling thread.
    func logitsOnOneThread(_ input: FeatureMaps, workspace: Workspace) -> [[Float]] {
        var stream: FeatureMaps
        switch body {
        case let .residual(stem, pooling, stemStream, blocks):
            var stemOutput = stem.apply(input, relu: true, workspace: workspace)
            if let pooling { stemOutput = stemOutput.maxPooled(pooling) }
            stream = stemStream.expand(stemOutput)
            for block in blocks {
                let source = block.readsStem ? stemOutput : stream
                var hidden = source
                for convolution in block.convolutions.dropLast() { hidden = convolution.apply(hidden, relu: true, workspace: workspace) }
                let residual = block.projection.map { $0.apply(source, relu: false, workspace: workspace) } ?? shortcutMaps(of: stream, block: block)
                stream = block.convolutions.last!.apply(hidden, relu: true, residual: residual, scatter: block.outputStream, workspace: workspace)
            }
        case let .chain(layers):
            stream = input
            for layer in layers {
                stream = layer.convolution.apply(stream, relu: true, workspace: workspace)
                if let pooling = layer.pooling { stream = stream.maxPooled(pooling) }
            }
        }
        let classes = classifierBias.count, features = stream.channels
        return stream.averagePooled().map { pooled in
            (0..<classes).map { k in
                var sum = classifierBias[k]
                for f in 0..<features { sum += classifierWeights[k * features + f] * pooled[f] }
                return sum
            }
        }
    }

    /// The channel where an option-A shortcut puts input channel 0: after half the new zero channels
    /// (symmetric), or at 0 (appended).
    func firstShortcutChannel(_ block: Block) -> Int { block.structure.firstShortcutChannel(shortcut) }

    /// The shortcut of a block: the identity, or (option A) input[:, :, ::2, ::2] placed among zero
    /// channels as `shortcut` says.
    func shortcutMaps(of input: FeatureMaps, block: Block) -> FeatureMaps {
        block.structure.shortcut == .zeroPadded ? input.zeroPaddedShortcut(block.structure, placement: shortcut) : input
    }
}

/// Where a layer's kept output channels sit in a full-width stream, and the constant each removed
/// channel holds there.
struct ChannelScatter: Sendable {
    let width: Int
    let kept: [Int]
    let constants: [Int: Float]

    /// The full-width maps: kept channel i at index kept[i], removed channels filled with their constant.
    func expand(_ maps: FeatureMaps) -> FeatureMaps {
        guard kept.count != width else { return maps }
        var full = FeatureMaps(channels: width, batch: maps.batch, layout: maps.layout,
                               values: [Float](repeating: 0, count: width * maps.channelLength))
        let length = maps.channelLength
        for (index, channel) in kept.enumerated() {
            full.values.replaceSubrange((channel * length)..<((channel + 1) * length),
                                        with: maps.values[(index * length)..<((index + 1) * length)])
        }
        for (channel, value) in constants { full.fill(channel: channel) { _ in value } }
        return full
    }
}

/// Why a network cannot be run.
public enum InferenceError: Error, Equatable, CustomStringConvertible {
    case everyFilterPruned(String)

    public var description: String {
        switch self {
        case let .everyFilterPruned(layer): "the plan prunes every filter of \(layer); a layer must keep at least one"
        }
    }
}
