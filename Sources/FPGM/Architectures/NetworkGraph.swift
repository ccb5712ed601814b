/// A network's structure, the one answer to "what else changes when a filter goes": its convolutions
/// in forward order, each with the batch norm that follows it, what it reads, whether a ReLU follows
/// before its output is used, and whether selection prunes it; how they form residual blocks or a plain
/// chain; and what feeds the classifier.
///
/// Pruning filter f of convolution i removes channel f of i's output. A layer that reads i's output
/// directly (`Input.convolution(i)`) loses that input channel. A layer that reads the residual stream
/// does not: the stream is the sum of a block's last convolution and its shortcut, so channel f of the
/// block's last convolution is coupled to channel f of the stream, which keeps its full width (the
/// removed channel's constant stays there, SFP's "index alignment").
public struct NetworkGraph: Sendable, Equatable {
    /// What a layer reads.
    public enum Input: Sendable, Equatable {
        /// The network input (3 colour channels); never pruned.
        case image
        /// The output of convolution `index` (after its batch norm, and its ReLU if one follows), read
        /// directly: pruning that convolution's filters removes these input channels.
        case convolution(Int)
        /// The residual stream after at least one addition; it keeps its full width when filters are pruned.
        case residualStream
    }

    /// A convolution in its place.
    public struct Node: Sendable, Equatable {
        public let layer: ConvolutionLayer
        public let batchNorm: BatchNormLayer
        public let input: Input
        /// Whether ReLU follows the batch norm before the output is used; false for a block's last
        /// convolution and its projection, which are added first (the ReLU follows the sum).
        public let activated: Bool
        /// Whether selection prunes this convolution's filters (every one but projection shortcuts).
        public let prunable: Bool
    }

    /// What a residual block adds to its path's output.
    public enum Shortcut: Sendable, Equatable {
        /// The block's input, unchanged.
        case identity
        /// Option A: the input subsampled by the block's stride, its channels placed among new zero
        /// channels up to the block's width (where they go is `ShortcutPlacement`'s choice).
        case zeroPadded
        /// A convolution (with its batch norm, no ReLU) of the block's input, by node index.
        case projection(Int)
    }

    /// A residual block: ReLU(path(x) + shortcut(x)), the path's convolutions ReLU'd after each but the last.
    public struct ResidualBlock: Sendable, Equatable {
        /// The path's convolutions, by node index, in order.
        public let path: [Int]
        public let shortcut: Shortcut
        /// What the block reads: the stem's output directly (the first block) or the residual stream.
        public let input: Input
        /// The largest stride on the path: how much the block shrinks the map.
        public let stride: Int
        /// The widths of the block's input and output streams.
        public let inWidth: Int
        public let outWidth: Int
    }

    /// A max pooling of square windows.
    public struct MaxPooling: Sendable, Equatable {
        public let window: Int
        public let stride: Int
        public let padding: Int
    }

    /// How the convolutions connect.
    public enum Body: Sendable, Equatable {
        /// A ResNet: the stem (node index), the max pooling after it if any, and the blocks in order.
        case residual(stem: Int, stemPooling: MaxPooling?, blocks: [ResidualBlock])
        /// A plain chain: each convolution in order, and the max pooling after it if any.
        case chain([ChainLink])
    }

    /// A convolution of a plain chain (node index), ReLU'd, and the max pooling after it if any.
    public struct ChainLink: Sendable, Equatable {
        public let convolution: Int
        public let pooling: MaxPooling?
    }

    /// Every convolution, in forward order.
    public let nodes: [Node]
    public let body: Body
    /// The fully connected classifier, after global average pooling.
    public let classifier: LinearLayer
    /// What the classifier reads (through the pooling).
    public let classifierInput: Input
    /// Node index by convolution name.
    private let positions: [String: Int]

    init(nodes: [Node], body: Body, classifier: LinearLayer, classifierInput: Input) {
        self.nodes = nodes
        self.body = body
        self.classifier = classifier
        self.classifierInput = classifierInput
        positions = Dictionary(nodes.enumerated().map { ($1.layer.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The node of the convolution of the given name.
    public func node(named name: String) -> Node? { positions[name].map { nodes[$0] } }

    /// The convolution whose output `layer` reads directly, if any: whose pruned filters are input
    /// channels `layer` no longer has.
    public func directSource(of layer: ConvolutionLayer) -> ConvolutionLayer? {
        source(of: node(of: layer).input)
    }

    /// The convolution whose output the classifier reads directly, if any (VGG's last convolution).
    public var classifierSource: ConvolutionLayer? { source(of: classifierInput) }

    /// The input channels `layer` reads when the convolution it reads directly keeps `kept(name)` filters
    /// (nil: all of them); a layer reading the image or the residual stream reads all of its input.
    public func inputChannels(of layer: ConvolutionLayer, kept: (String) -> Int?) -> Int {
        directSource(of: layer).flatMap { kept($0.name) } ?? layer.inChannels
    }

    /// The classifier's input features when its direct source keeps `kept(name)` filters.
    public func classifierFeatures(kept: (String) -> Int?) -> Int {
        classifierSource.flatMap { kept($0.name) } ?? classifier.inFeatures
    }

    /// Whether ReLU follows `layer`'s batch norm before its output is used.
    public func isActivated(_ layer: ConvolutionLayer) -> Bool { node(of: layer).activated }

    /// The batch norm that follows `layer`.
    public func batchNorm(of layer: ConvolutionLayer) -> BatchNormLayer { node(of: layer).batchNorm }

    /// The node of one of this graph's own layers.
    private func node(of layer: ConvolutionLayer) -> Node {
        guard let node = node(named: layer.name) else { preconditionFailure("\(layer.name) is not a layer of this network") }
        return node
    }

    private func source(of input: Input) -> ConvolutionLayer? {
        guard case let .convolution(index) = input else { return nil }
        return nodes[index].layer
    }
}

extension NetworkGraph {
    /// Collects a network's nodes and blocks in forward order; each convolution gets its batch norm
    /// (padding kernel / 2, no bias, as in every network here).
    struct Builder {
        private(set) var nodes: [Node] = []
        private(set) var blocks: [ResidualBlock] = []

        /// Adds a convolution followed by the batch norm `norm`; returns its node index.
        mutating func convolution(_ name: String, in inChannels: Int, out outChannels: Int, kernel: Int, stride: Int,
                                  inputSize: Int, role: ConvolutionRole, input: Input, norm: String,
                                  activated: Bool = true, prunable: Bool = true) -> Int {
            let layer = ConvolutionLayer(name: name, inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride,
                                         padding: kernel / 2, inputSize: inputSize, hasBias: false, role: role)
            nodes.append(Node(layer: layer, batchNorm: BatchNormLayer(name: norm, channels: outChannels, convolution: name),
                              input: input, activated: activated, prunable: prunable))
            return nodes.count - 1
        }

        /// Adds a residual block over the path `path` (node indices) reading `input`.
        mutating func block(path: [Int], shortcut: Shortcut, input: Input) {
            let layers = path.map { nodes[$0].layer }
            blocks.append(ResidualBlock(path: path, shortcut: shortcut, input: input, stride: layers.map(\.stride).max() ?? 1,
                                        inWidth: layers[0].inChannels, outWidth: layers[layers.count - 1].outChannels))
        }

        /// A ResNet graph: `stem` first, then the blocks added; the classifier reads the residual stream.
        func residual(stem: Int, stemPooling: MaxPooling?, classifier: LinearLayer) -> NetworkGraph {
            NetworkGraph(nodes: nodes, body: .residual(stem: stem, stemPooling: stemPooling, blocks: blocks),
                         classifier: classifier, classifierInput: .residualStream)
        }

        /// A chain graph: every node in order, with the pooling after each; the classifier reads the last.
        func chain(pooling: [MaxPooling?], classifier: LinearLayer) -> NetworkGraph {
            NetworkGraph(nodes: nodes, body: .chain(zip(nodes.indices, pooling).map { ChainLink(convolution: $0, pooling: $1) }),
                         classifier: classifier, classifierInput: .convolution(nodes.count - 1))
        }
    }
}

extension NetworkGraph.ResidualBlock {
    /// The output channel where an option-A shortcut puts its first input channel: (out - in) / 2 with
    /// zeros on both sides (symmetric), 0 with the zeros after the input (appended).
    func firstShortcutChannel(_ placement: ShortcutPlacement) -> Int {
        placement == .symmetric ? (outWidth - inWidth) / 2 : 0
    }
}

extension FeatureMaps {
    /// Option A's shortcut of `block` on these maps: input[:, :, ::s, ::s] at output channels
    /// first..<first + inWidth of `outWidth` zero channels (`firstShortcutChannel`), in this layout.
    func zeroPaddedShortcut(_ block: NetworkGraph.ResidualBlock, placement: ShortcutPlacement) -> FeatureMaps {
        var maps = FeatureMaps(channels: block.outWidth, batch: batch, height: (height - 1) / block.stride + 1,
                               width: (width - 1) / block.stride + 1, padded: layout.padded)
        let first = block.firstShortcutChannel(placement)
        for c in 0..<block.inWidth {
            for image in 0..<batch {
                for y in 0..<maps.height {
                    let from = rowStart(channel: c, image: image, row: y * block.stride), to = maps.rowStart(channel: c + first, image: image, row: y)
                    for x in 0..<maps.width { maps.values[to + x] = values[from + x * block.stride] }
                }
            }
        }
        return maps
    }
}
