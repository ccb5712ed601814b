/// A network as a list of named layers whose names match common PyTorch state dicts:
/// akamaster's CIFAR ResNets (`conv1`, `layer1.0.conv1`, ..., `linear`), torchvision's ImageNet
/// ResNets (`conv1`, `layer1.0.conv1`, `layer1.0.downsample.0`, ..., `fc`), and the VGG-16 for
/// CIFAR of Li et al. (PFEC) as used by the FPGM code (`feature.0`, `feature.3`, ..., `classifier`).
public struct Architecture: Sendable, Equatable {
    /// The families differ in how the paper's FLOPs scripts count them.
    public enum Family: Sendable, Equatable {
        case cifarResNet, imageNetBasic, imageNetBottleneck, cifarVGG
    }

    public let name: String
    public let family: Family
    /// The side of the (square, 3-channel) input image.
    public let inputSize: Int
    /// The layers and how they connect.
    public let graph: NetworkGraph

    /// Every convolution, in forward order.
    public var convolutions: [ConvolutionLayer] { graph.nodes.map(\.layer) }
    /// The batch norm of each convolution, in the same order.
    public var batchNorms: [BatchNormLayer] { graph.nodes.map(\.batchNorm) }
    public var classifier: LinearLayer { graph.classifier }

    /// The convolutions selection prunes, in forward order.
    public var prunableConvolutions: [ConvolutionLayer] { graph.nodes.filter(\.prunable).map(\.layer) }

    /// The convolution of the given name.
    public func convolution(named name: String) -> ConvolutionLayer? { graph.node(named: name)?.layer }

    /// Learnable parameters: convolution weights (and biases), batch-norm scale and shift,
    /// classifier weight and bias. Running statistics are buffers, not parameters.
    public var parameterCount: Int {
        convolutions.reduce(0) { $0 + $1.outChannels * $1.inChannels * $1.kernel * $1.kernel + ($1.hasBias ? $1.outChannels : 0) }
            + batchNorms.reduce(0) { $0 + 2 * $1.channels }
            + classifier.inFeatures * classifier.outFeatures + classifier.outFeatures
    }

    /// The name of every convolution of every known architecture, once each, in order of first appearance:
    /// what a notebook's `layers:` may name before its network is known.
    public static let convolutionNames: [String] = {
        var seen = Set<String>(), names = [String]()
        for name in Architecture.names {
            for layer in (try? Architecture.named(name))?.convolutions ?? [] where seen.insert(layer.name).inserted { names.append(layer.name) }
        }
        return names
    }()

    /// All names `named(_:)` accepts.
    public static let names = ["resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "resnet1202",
                               "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "vgg16"]

    /// The architecture of the given name; fails with the list of known names.
    public static func named(_ name: String) throws(ArchitectureError) -> Architecture {
        switch name {
        case "resnet20": return cifarResNet(depth: 20)
        case "resnet32": return cifarResNet(depth: 32)
        case "resnet44": return cifarResNet(depth: 44)
        case "resnet56": return cifarResNet(depth: 56)
        case "resnet110": return cifarResNet(depth: 110)
        case "resnet1202": return cifarResNet(depth: 1202)
        case "resnet18": return imageNetResNet(name: name, blocks: [2, 2, 2, 2], bottleneck: false)
        case "resnet34": return imageNetResNet(name: name, blocks: [3, 4, 6, 3], bottleneck: false)
        case "resnet50": return imageNetResNet(name: name, blocks: [3, 4, 6, 3], bottleneck: true)
        case "resnet101": return imageNetResNet(name: name, blocks: [3, 4, 23, 3], bottleneck: true)
        case "resnet152": return imageNetResNet(name: name, blocks: [3, 8, 36, 3], bottleneck: true)
        case "vgg16": return cifarVGG16()
        default: throw .unknown(name)
        }
    }
}

/// Errors in naming or matching an architecture.
public enum ArchitectureError: Error, Equatable, CustomStringConvertible {
    case unknown(String)

    public var description: String {
        switch self {
        case let .unknown(name):
            return "unknown arch '\(name)' (known: \(Architecture.names.joined(separator: ", ")))"
        }
    }
}
