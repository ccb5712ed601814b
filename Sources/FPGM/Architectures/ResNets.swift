extension Architecture {
    /// The CIFAR ResNet of depth 6n + 2 (He et al. 2016, option-A shortcuts, as trained by akamaster
    /// and by the FPGM authors): a 3x3 stem 3 -> 16, three stages of n basic blocks with 16, 32, 64
    /// channels on 32x32, 16x16, 8x8 maps (stride 2 in the first conv of stages 2 and 3), parameter-free
    /// zero-padding shortcuts, global average pooling and `linear` 64 -> 10.
    static func cifarResNet(depth: Int) -> Architecture {
        let n = (depth - 2) / 6
        var builder = LayerListBuilder()
        builder.convolution("conv1", in: 3, out: 16, kernel: 3, stride: 1, inputSize: 32, role: .stem, input: .image)
        builder.batchNorm("bn1", after: "conv1")
        var inChannels = 16, size = 32
        for (stage, planes) in [16, 32, 64].enumerated() {
            for block in 0..<n {
                let stride = (stage > 0 && block == 0) ? 2 : 1
                let prefix = "layer\(stage + 1).\(block)"
                let blockInput: ChannelSource = (stage == 0 && block == 0) ? .convolution("conv1") : .residualStream
                builder.convolution("\(prefix).conv1", in: inChannels, out: planes, kernel: 3, stride: stride,
                                    inputSize: size, role: .block(stage: stage, block: block, position: 0), input: blockInput)
                builder.batchNorm("\(prefix).bn1", after: "\(prefix).conv1")
                size /= stride
                builder.convolution("\(prefix).conv2", in: planes, out: planes, kernel: 3, stride: 1, inputSize: size,
                                    role: .block(stage: stage, block: block, position: 1), input: .convolution("\(prefix).conv1"))
                builder.batchNorm("\(prefix).bn2", after: "\(prefix).conv2")
                inChannels = planes
            }
        }
        return builder.architecture(name: "resnet\(depth)", family: .cifarResNet, inputSize: 32,
                                    classifier: LinearLayer(name: "linear", inFeatures: 64, outFeatures: 10, input: .residualStream))
    }

    /// The ImageNet ResNets of torchvision: a 7x7/2 stem 3 -> 64 and a 3x3/2 max pool (224 -> 56),
    /// four stages of 64, 128, 256, 512 planes on 56, 28, 14, 7 maps; basic blocks (two 3x3 convs,
    /// stride in conv1) or bottlenecks (1x1, 3x3 with the stride, 1x1 to 4 x planes); a projection
    /// `downsample.0` (1x1 conv + BN) where the stride or width changes; `fc` to 1000 classes.
    static func imageNetResNet(name: String, blocks: [Int], bottleneck: Bool) -> Architecture {
        var builder = LayerListBuilder()
        builder.convolution("conv1", in: 3, out: 64, kernel: 7, stride: 2, inputSize: 224, role: .stem, input: .image)
        builder.batchNorm("bn1", after: "conv1")
        let expansion = bottleneck ? 4 : 1
        var inChannels = 64, size = 56
        for (stage, planes) in [64, 128, 256, 512].enumerated() {
            for block in 0..<blocks[stage] {
                let stride = (stage > 0 && block == 0) ? 2 : 1
                let prefix = "layer\(stage + 1).\(block)"
                let blockInput: ChannelSource = (stage == 0 && block == 0) ? .convolution("conv1") : .residualStream
                let kernels = bottleneck ? [1, 3, 1] : [3, 3]
                let widths = bottleneck ? [planes, planes, planes * expansion] : [planes, planes]
                let strideAt = bottleneck ? 1 : 0
                var channels = inChannels, mapSize = size
                for position in kernels.indices {
                    let convName = "\(prefix).conv\(position + 1)"
                    let layerStride = position == strideAt ? stride : 1
                    builder.convolution(convName, in: channels, out: widths[position], kernel: kernels[position],
                                        stride: layerStride, inputSize: mapSize,
                                        role: .block(stage: stage, block: block, position: position),
                                        input: position == 0 ? blockInput : .convolution("\(prefix).conv\(position)"))
                    builder.batchNorm("\(prefix).bn\(position + 1)", after: convName)
                    channels = widths[position]
                    mapSize /= layerStride
                }
                if stride != 1 || inChannels != planes * expansion {
                    builder.convolution("\(prefix).downsample.0", in: inChannels, out: planes * expansion, kernel: 1,
                                        stride: stride, inputSize: size, role: .projection(stage: stage, block: block),
                                        input: blockInput)
                    builder.batchNorm("\(prefix).downsample.1", after: "\(prefix).downsample.0")
                }
                inChannels = planes * expansion
                size = mapSize
            }
        }
        return builder.architecture(name: name, family: bottleneck ? .imageNetBottleneck : .imageNetBasic, inputSize: 224,
                                    classifier: LinearLayer(name: "fc", inFeatures: 512 * expansion, outFeatures: 1000,
                                                            input: .residualStream))
    }

    /// VGG-16 for CIFAR-10 as in Li et al. (PFEC) and the FPGM code: thirteen 3x3 convs without bias,
    /// each with BN and ReLU (`feature.<i>` in `nn.Sequential` order, 3 modules per conv, 1 per max pool),
    /// widths 64, 64, M, 128, 128, M, 256 x3, M, 512 x3, M, 512 x3, then a 2x2 average pool and
    /// `classifier` 512 -> 10.
    static func cifarVGG16() -> Architecture {
        let configuration = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512]
        var builder = LayerListBuilder()
        var moduleIndex = 0, inChannels = 3, size = 32, convIndex = 0
        var previous: ChannelSource = .image
        for width in configuration {
            guard width > 0 else { moduleIndex += 1; size /= 2; continue }
            let name = "feature.\(moduleIndex)"
            builder.convolution(name, in: inChannels, out: width, kernel: 3, stride: 1, inputSize: size,
                                role: convIndex == 0 ? .stem : .chain(index: convIndex), input: previous)
            builder.batchNorm("feature.\(moduleIndex + 1)", after: name)
            previous = .convolution(name)
            inChannels = width
            moduleIndex += 3
            convIndex += 1
        }
        return builder.architecture(name: "vgg16", family: .cifarVGG, inputSize: 32,
                                    classifier: LinearLayer(name: "classifier", inFeatures: 512, outFeatures: 10, input: previous))
    }
}

/// Collects layers in forward order.
struct LayerListBuilder {
    private(set) var convolutions: [ConvolutionLayer] = []
    private(set) var batchNorms: [BatchNormLayer] = []

    mutating func convolution(_ name: String, in inChannels: Int, out outChannels: Int, kernel: Int, stride: Int,
                              inputSize: Int, role: ConvolutionRole, input: ChannelSource) {
        convolutions.append(ConvolutionLayer(name: name, inChannels: inChannels, outChannels: outChannels, kernel: kernel,
                                             stride: stride, padding: kernel / 2, inputSize: inputSize, hasBias: false,
                                             role: role, input: input))
    }

    mutating func batchNorm(_ name: String, after convolution: String) {
        let channels = convolutions.last { $0.name == convolution }?.outChannels ?? 0
        batchNorms.append(BatchNormLayer(name: name, channels: channels, convolution: convolution))
    }

    func architecture(name: String, family: Architecture.Family, inputSize: Int, classifier: LinearLayer) -> Architecture {
        Architecture(name: name, family: family, inputSize: inputSize, convolutions: convolutions,
                     batchNorms: batchNorms, classifier: classifier)
    }
}
