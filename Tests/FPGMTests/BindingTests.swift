import Foundation
import Testing
@testable import FPGM

@Suite("Binding state dicts to architectures")
struct BindingTests {
    func checkpoint(_ tensors: [String: Tensor]) -> Checkpoint {
        Checkpoint(format: .safetensors, tensors: tensors.keys.sorted().map { StoredTensor(name: $0, dtype: .float32, tensor: tensors[$0]!) }, metadata: [:])
    }

    @Test("the FPGM authors' CIFAR names and DataParallel's prefix map to akamaster's")
    func authorsNames() {
        #expect(Architecture.canonicalName("module.conv_1_3x3.weight") == "conv1.weight")
        #expect(Architecture.canonicalName("bn_1.running_var") == "bn1.running_var")
        #expect(Architecture.canonicalName("stage_2.4.conv_a.weight") == "layer2.4.conv1.weight")
        #expect(Architecture.canonicalName("stage_3.0.bn_b.bias") == "layer3.0.bn2.bias")
        #expect(Architecture.canonicalName("layer1.0.downsample.0.weight") == "layer1.0.downsample.0.weight")
    }

    @Test("a state dict in the FPGM authors' names binds to the CIFAR ResNet")
    func authorsCheckpoint() throws {
        let resnet20 = try Architecture.named("resnet20")
        var renamed = [String: Tensor]()
        for (name, tensor) in resnet20.syntheticWeights(seed: 1) {
            var authors = name.replacingOccurrences(of: "layer", with: "stage_").replacingOccurrences(of: ".conv1.", with: ".conv_a.")
                .replacingOccurrences(of: ".conv2.", with: ".conv_b.").replacingOccurrences(of: ".bn1.", with: ".bn_a.").replacingOccurrences(of: ".bn2.", with: ".bn_b.")
            if authors.hasPrefix("conv1.") { authors = "conv_1_3x3." + authors.dropFirst(6) }
            if authors.hasPrefix("bn1.") { authors = "bn_1." + authors.dropFirst(4) }
            if authors.hasPrefix("linear.") { authors = "classifier." + authors.dropFirst(7) }
            renamed["module." + authors] = tensor
        }
        let bound = try Architecture.infer(from: checkpoint(renamed))
        #expect(bound.architecture.name == "resnet20")
        #expect(bound.tensors["layer2.0.conv1.weight"] == renamed["module.stage_2.0.conv_a.weight"])
    }

    @Test("torchvision ResNets and VGG-16 are recognised from their tensors", arguments: ["resnet18", "resnet50", "vgg16", "resnet110"])
    func inference(arch: String) throws {
        let weights = try Architecture.named(arch).syntheticWeights(seed: 2)
        #expect(try Architecture.infer(from: checkpoint(weights)).architecture.name == arch)
    }

    @Test("missing, unexpected and mis-shaped tensors are all listed in one error")
    func mismatch() throws {
        var weights = try Architecture.named("resnet20").syntheticWeights(seed: 3)
        weights["layer1.0.conv1.weight"] = nil
        weights["extra.weight"] = Tensor(shape: [2], repeating: 0)
        weights["linear.weight"] = Tensor(shape: [100, 64], repeating: 0)
        do {
            _ = try Architecture.named("resnet20").bind(checkpoint(weights))
            Issue.record("bound")
        } catch let error as BindingError {
            #expect(error.missing == ["layer1.0.conv1.weight"])
            #expect(error.unexpected == ["extra.weight"])
            #expect(error.misshapen == ["linear.weight is [100, 64], resnet20 needs [10, 64]"])
            #expect(error.description == "does not match resnet20: tensors 1 missing (layer1.0.conv1.weight); 1 unexpected (extra.weight); 1 of the wrong shape (linear.weight is [100, 64], resnet20 needs [10, 64])")
        }
    }

    @Test("num_batches_tracked counters are accepted and ignored")
    func counters() throws {
        var weights = try Architecture.named("resnet20").syntheticWeights(seed: 4)
        weights["bn1.num_batches_tracked"] = Tensor(shape: [], repeating: 7)
        #expect(try Architecture.named("resnet20").bind(checkpoint(weights)).tensors["bn1.num_batches_tracked"] == nil)
    }
}
