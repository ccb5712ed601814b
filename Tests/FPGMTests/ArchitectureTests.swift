import Foundation
import Testing
@testable import FPGM

@Suite("Architectures and synthetic weights")
struct ArchitectureTests {
    @Test("the generator matches an independent restatement of SplitMix64 + xoshiro256** and Box-Muller")
    func generator() throws {
        let fixture = try #require(try Fixtures.json("generator.json") as? [String: Any])
        var generator = SeededGenerator(seed: 42)
        let outputs = (0..<5).map { _ in String(generator.next()) }
        #expect(outputs == fixture["outputs"] as! [String])
        let normals = (0..<3).map { _ in generator.nextNormal() }
        #expect(zip(normals, fixture["normals"] as! [Double]).allSatisfy { relativelyClose($0, $1, 1e-15) })
    }

    @Test("CIFAR ResNet names and shapes follow akamaster's state dicts")
    func cifarNames() throws {
        let resnet56 = try Architecture.named("resnet56")
        #expect(resnet56.convolutions.count == 55)
        #expect(resnet56.prunableConvolutions.count == 55)
        #expect(resnet56.convolutions.first?.name == "conv1")
        #expect(resnet56.convolution(named: "layer2.0.conv1")?.weightShape == [32, 16, 3, 3])
        #expect(resnet56.convolution(named: "layer2.0.conv1")?.outputSize == 16)
        #expect(resnet56.convolution(named: "layer3.8.conv2")?.weightShape == [64, 64, 3, 3])
        #expect(resnet56.classifier.name == "linear")
        #expect([20, 32, 110].map { try! Architecture.named("resnet\($0)").convolutions.count } == [19, 31, 109])
    }

    @Test("ImageNet ResNets: torchvision names, bottleneck stride in conv2, projections not prunable")
    func imageNetNames() throws {
        let resnet50 = try Architecture.named("resnet50")
        #expect(resnet50.convolutions.count == 53)
        #expect(resnet50.prunableConvolutions.count == 49)
        #expect(resnet50.convolution(named: "layer2.0.conv2")?.stride == 2)
        #expect(resnet50.convolution(named: "layer2.0.conv1")?.stride == 1)
        #expect(resnet50.convolution(named: "layer1.0.downsample.0")?.weightShape == [256, 64, 1, 1])
        #expect(resnet50.convolution(named: "layer4.2.conv3")?.weightShape == [2048, 512, 1, 1])
        let resnet18 = try Architecture.named("resnet18")
        #expect(resnet18.graph.nodes.filter { !$0.prunable }.map(\.layer.name) == ["layer2.0.downsample.0", "layer3.0.downsample.0", "layer4.0.downsample.0"])
        #expect(resnet18.convolution(named: "layer2.0.conv1")?.stride == 2)
        #expect(try Architecture.named("resnet101").convolutions.count == 104)
        #expect(try Architecture.named("resnet152").convolutions.count == 155)
    }

    @Test("VGG-16 for CIFAR: thirteen convs named by their nn.Sequential index")
    func vggNames() throws {
        let vgg = try Architecture.named("vgg16")
        #expect(vgg.convolutions.map(\.name) == ["feature.0", "feature.3", "feature.7", "feature.10", "feature.14", "feature.17",
                                                 "feature.20", "feature.24", "feature.27", "feature.30", "feature.34", "feature.37", "feature.40"])
        #expect(vgg.convolutions.last?.outputSize == 2)
    }

    @Test("an unknown name lists the known ones")
    func unknown() {
        #expect(throws: ArchitectureError.unknown("resnet57")) { try Architecture.named("resnet57") }
        #expect(ArchitectureError.unknown("resnet57").description.contains("known: resnet20"))
    }

    @Test("synthetic weights: every tensor of the state dict, the official initialisation, reproducible per seed")
    func synthetic() throws {
        let resnet20 = try Architecture.named("resnet20")
        let weights = resnet20.syntheticWeights(seed: 1)
        #expect(weights.count == 19 + 19 * 4 + 2)
        // Parameters plus the two running statistics of every batch norm.
        #expect(weights.values.reduce(0) { $0 + $1.count } == resnet20.parameterCount + resnet20.batchNorms.reduce(0) { $0 + 2 * $1.channels })
        #expect(weights == resnet20.syntheticWeights(seed: 1))
        #expect(weights["conv1.weight"] != resnet20.syntheticWeights(seed: 2)["conv1.weight"])
        let layer = try #require(weights["layer3.2.conv1.weight"])
        let values = layer.scalars.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
        let expected = (2.0 / (9 * 64)).squareRoot()
        #expect(abs(std / expected - 1) < 0.02)
        #expect(abs(mean) < 3 * expected / Double(values.count).squareRoot() * 2)
        #expect(weights["layer1.0.bn1.weight"]?.scalars.allSatisfy { $0 == 1 } == true)
        #expect(weights["layer1.0.bn1.running_mean"]?.scalars.allSatisfy { $0 == 0 } == true)
    }
}
