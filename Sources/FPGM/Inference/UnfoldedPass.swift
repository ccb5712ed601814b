/// A forward pass through a network built without folding its batch norms
/// (`InferenceNetwork(model:shortcut:foldingBatchNorms: false)`), in which `layer` computes each
/// convolution together with its batch norm, residual and ReLU in its own way: in training mode
/// (`TrainingModePass`) or exactly in Float64 (`ExactPass`). `InferenceNetwork.walkUnfolded` is the one
/// walk through the network's structure that both use.
protocol UnfoldedPass {
    associatedtype Maps
    /// BN(conv(input)) (+ residual), then ReLU where `relu`.
    mutating func layer(_ convolution: FoldedConvolution, _ input: Maps, relu: Bool, residual: Maps?) -> Maps
    /// The block's identity or option-A shortcut of `input`.
    func shortcut(_ input: Maps, block: InferenceNetwork.Block, network: InferenceNetwork) -> Maps
    func maxPooled(_ maps: Maps, _ pooling: NetworkGraph.MaxPooling) -> Maps
}

extension InferenceNetwork {
    /// The body's output (before pooling and the classifier) with every layer computed by `pass`: the stem
    /// (and, for ImageNet, its max pooling), then each block ReLU(BN(conv_k(... ReLU(BN(conv_1 x)))) + shortcut),
    /// the shortcut a projection BN(conv x) where the block has one; or, for VGG, the chain of
    /// ReLU(BN(conv x)) with 2 x 2 max pooling where it follows. Masked networks only: channels keep
    /// their indices (no scatter).
    func walkUnfolded<Pass: UnfoldedPass>(_ pass: inout Pass, _ input: Pass.Maps) -> Pass.Maps {
        switch body {
        case let .residual(stem, pooling, _, blocks):
            var stemOutput = pass.layer(stem, input, relu: true, residual: nil)
            if let pooling { stemOutput = pass.maxPooled(stemOutput, pooling) }
            var stream = stemOutput
            for block in blocks {
                let source = block.readsStem ? stemOutput : stream
                var hidden = source
                for convolution in block.convolutions.dropLast() { hidden = pass.layer(convolution, hidden, relu: true, residual: nil) }
                let residual = block.projection.map { pass.layer($0, source, relu: false, residual: nil) }
                    ?? pass.shortcut(stream, block: block, network: self)
                stream = pass.layer(block.convolutions.last!, hidden, relu: true, residual: residual)
            }
            return stream
        case let .chain(layers):
            var stream = input
            for layer in layers {
                stream = pass.layer(layer.convolution, stream, relu: true, residual: nil)
                if let pooling = layer.pooling { stream = pass.maxPooled(stream, pooling) }
            }
            return stream
        }
    }
}
