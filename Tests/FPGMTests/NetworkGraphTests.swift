import Foundation
import Testing
@testable import FPGM

/// A network the consumers of `NetworkGraph` were not written for: ResNet-20 with option-B shortcuts
/// (a 1 x 1 projection of stride 2 and its batch norm where a block doubles the width). Only the
/// architecture builds it; the FLOPs counter, the compact model, its checkpoint and the forward pass read
/// the graph.
@Suite("Network graph")
struct NetworkGraphTests {
    static let projected = Architecture.cifarResNet(depth: 20, shortcut: .projection)

    @Test("the projections are two more convolutions, not pruned, reading the residual stream")
    func structure() throws {
        let graph = Self.projected.graph
        #expect(graph.nodes.count == 21)
        #expect(graph.nodes.filter { !$0.prunable }.map(\.layer.name) == ["layer2.0.shortcut.0", "layer3.0.shortcut.0"])
        let resnet20 = try Architecture.named("resnet20")
        #expect(Self.projected.prunableConvolutions.map(\.name) == resnet20.prunableConvolutions.map(\.name))
        let projection = graph.node(named: "layer2.0.shortcut.0")!
        #expect(projection.input == .residualStream && !projection.activated && projection.batchNorm.name == "layer2.0.shortcut.1")
        #expect(graph.directSource(of: graph.node(named: "layer1.0.conv1")!.layer)?.name == "conv1")
        #expect(graph.directSource(of: graph.node(named: "layer2.0.conv1")!.layer) == nil)
        // Nodes: the stem 0, stage 1 1-6, stage 2 7-13 with its projection 9, stage 3 14-20 with 16.
        guard case let .residual(_, pooling, blocks) = graph.body else { Issue.record("not residual"); return }
        #expect(pooling == nil && blocks.count == 9)
        #expect(blocks.map(\.shortcut).filter { $0 != .identity } == [.projection(9), .projection(16)])
    }

    /// By hand, 32 x 32 input: ResNet-20's convolutions cost 40,550,400 MACs (DESIGN's baseline); each
    /// projection adds out x in x 1 x 1 x side^2, 32 x 16 x 16^2 = 64 x 32 x 8^2 = 131,072; the classifier
    /// 640. Parameters: ResNet-20's 269,722 plus 32 x 16 + 2 x 32 + 64 x 32 + 2 x 64 = 2,752.
    ///
    /// FPGM-only at 40% keeps 10 of 16, 20 of 32 and 39 of 64 filters. Per stage (plane = side^2 x 9):
    /// stem 10 x 3 x 9216 = 276,480; stage 1 (9216): 4 convs 10 x 10 and 2 of 10 x 16 (they read the
    /// stream) = 6,635,520; stage 2 (2304): 20 x 16, 3 x 20 x 20, 2 x 20 x 32, and the projection
    /// 131,072 = 6,582,272; stage 3 (576): 39 x 32, 3 x 39 x 39, 2 x 39 x 64 and 131,072 = 6,353,600;
    /// with the classifier 19,848,512. Parameters: 131,737 convolution weights, 2 x 520 batch-norm
    /// parameters, 650 of the classifier = 133,427.
    @Test("FLOPs and parameters equal the hand count, pruned and not")
    func counts() throws {
        let counter = ExactFLOPsCounter(architecture: Self.projected)
        let rates = try PruningRates(rateNorm: 1, rateDist: 0.4)
        #expect(counter.macs { _ in nil } == 40_550_400 + 2 * 131_072 + 640)
        #expect(Self.projected.parameterCount == 269_722 + 2_752)
        #expect(counter.parameters { _ in nil } == 269_722 + 2_752)
        #expect(try counter.count(rates: rates).pruned == 19_848_512)
        #expect(counter.parameters(rates: rates) == 133_427)
        #expect(PaperFLOPsCounter(architecture: Self.projected).count(rates: rates).baseline == 40_550_400 + 2 * 131_072)
    }

    @Test("the compact network computes the masked one and has the exact count's parameters; its checkpoint reads back",
          arguments: [(1.0, 0.4), (0.7, 0.1)])
    func compactEqualsMasked(rates: (Double, Double)) throws {
        let weights = SyntheticCompactNetworkTests.synthetic(Self.projected)
        try SyntheticCompactNetworkTests.check(weights, rates: rates, images: 4)
        let plan = try FilterSelector(rates: PruningRates(rateNorm: rates.0, rateDist: rates.1)).plan(for: weights.prunableLayers)
        let model = try CompactModel(weights: weights, plan: plan)
        let stored = Checkpoint(format: .safetensors, tensors: CompactCheckpoint.tensors(model).map { StoredTensor(name: $0.name, dtype: .float32, tensor: $0.tensor) },
                                metadata: CompactCheckpoint.metadata(model))
        let back = try CompactCheckpoint.model(of: stored, path: "projected.safetensors", architecture: Self.projected)
        #expect(back.kept == model.kept && back.tensors == model.tensors && back.inputOffsets == model.inputOffsets)
    }
}
