/// MACs as the FPGM and SFP papers count them (reference: `utils/cifar_resnet_flop.py` of SFP and
/// `functions/cal_flop.py` of FPGM), so that every printed FLOPs reduction can be reproduced:
///
/// - convolutions only (no classifier, batch norm, pooling or shortcut addition);
/// - a continuous keep ratio r = 1 - P per layer instead of integer filter counts;
/// - a convolution costs macs * r_out * r_in, with r_out its own keep ratio and r_in the keep ratio of
///   the convolution whose output it reads directly (the stem for the first block, the previous
///   convolution inside a block or a VGG chain) or 1 when it reads the image or the residual stream,
///   which stays full width.
///
/// The ImageNet script carries three approximations that this counter reproduces on purpose,
/// because they are what the printed Table 2 numbers come from:
/// - basic blocks (ResNet-18/34): projection shortcuts are not counted, and the offset that corrects the
///   first convolution of stage 3 to its real input width is overwritten (`less2` assigned twice), so
///   `layer3.0.conv1` is counted with 256 input channels instead of 128;
/// - bottlenecks (ResNet-50/101/152): the first block's `conv1` in stages 2-4 is counted at the output
///   resolution although the stride sits in `conv2`; projections are counted unpruned.
/// ResNet-101 comes out at 44.1% at P = 30%; the paper's 42.2% equals ResNet-50's value and SFP's claim
/// for ResNet-101, and no counting of the architecture reproduces it.
public struct PaperFLOPsCounter: Sendable {
    public let architecture: Architecture

    public init(architecture: Architecture) { self.architecture = architecture }

    /// The count with keep ratio `keepRatio(name)` for each prunable convolution.
    public func count(keepRatio: (String) -> Double) -> FLOPsCount {
        var baseline = 0.0, pruned = 0.0
        let graph = architecture.graph
        for node in graph.nodes {
            let layer = node.layer
            guard let macs = scriptMACs(layer) else { continue }
            let rOut = node.prunable ? keepRatio(layer.name) : 1
            let rIn = graph.directSource(of: layer).map { keepRatio($0.name) } ?? 1
            baseline += Double(macs)
            pruned += Double(macs) * rOut * rIn
        }
        return FLOPsCount(convention: .paper, baseline: baseline, pruned: pruned)
    }

    /// The count with the same rates on every prunable layer.
    public func count(rates: PruningRates) -> FLOPsCount {
        count { _ in rates.keepRatio }
    }

    /// A convolution's MACs as the official script counts them, or nil when it leaves it out.
    func scriptMACs(_ layer: ConvolutionLayer) -> Int? {
        switch (architecture.family, layer.role) {
        case (.imageNetBasic, .projection):
            return nil
        case (.imageNetBasic, .block(stage: 2, block: 0, position: 0)):
            return layer.outChannels * layer.outputSize * layer.outputSize * layer.kernel * layer.kernel * layer.outChannels
        case let (.imageNetBottleneck, .block(stage, 0, 0)) where stage > 0:
            let stageSize = layer.outputSize / 2
            return layer.outChannels * stageSize * stageSize * layer.kernel * layer.kernel * layer.inChannels
        default:
            return layer.macs
        }
    }
}
