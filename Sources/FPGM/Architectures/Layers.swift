/// What a convolution is called in its network: its place by name, which the paper's FLOPs scripts
/// count by (`PaperFLOPsCounter`). What it reads and what follows it is the `NetworkGraph`'s.
public enum ConvolutionRole: Sendable, Equatable {
    /// The first convolution, on the image.
    case stem
    /// Convolution `position` (0-based) of residual block `block` in stage `stage` (both 0-based).
    case block(stage: Int, block: Int, position: Int)
    /// The projection shortcut (1x1 convolution) of a residual block; never pruned.
    case projection(stage: Int, block: Int)
    /// A convolution of a plain chain (VGG), numbered from 0.
    case chain(index: Int)
}

/// A 2-D convolution of square kernel and square feature maps.
public struct ConvolutionLayer: Sendable, Equatable {
    /// The state-dict name without `.weight` (for example `layer1.0.conv1`).
    public let name: String
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    /// The side of the input feature map.
    public let inputSize: Int
    public let hasBias: Bool
    public let role: ConvolutionRole

    /// The side of the output map: floor((inputSize + 2 padding - kernel) / stride) + 1.
    public var outputSize: Int { (inputSize + 2 * padding - kernel) / stride + 1 }

    /// The weight tensor's shape, [outChannels, inChannels, kernel, kernel].
    public var weightShape: [Int] { [outChannels, inChannels, kernel, kernel] }

    /// Multiply-accumulates for one image: outChannels * outputSize^2 * kernel^2 * inChannels.
    public var macs: Int { outChannels * outputSize * outputSize * kernel * kernel * inChannels }
}

/// A batch normalisation over `channels` channels, following the convolution `convolution`.
public struct BatchNormLayer: Sendable, Equatable {
    public let name: String
    public let channels: Int
    public let convolution: String
}

/// The fully connected classifier.
public struct LinearLayer: Sendable, Equatable {
    public let name: String
    public let inFeatures: Int
    public let outFeatures: Int

    /// Multiply-accumulates for one image: inFeatures * outFeatures.
    public var macs: Int { inFeatures * outFeatures }
}
