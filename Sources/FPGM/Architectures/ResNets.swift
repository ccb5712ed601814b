extension Architecture {
    /// The CIFAR ResNet of depth 6n + 2 (He et al. 2016, option-A shortcuts, as trained by akamaster
    /// and by the FPGM authors): a 3x3 stem 3 -> 16, three stages of n basic blocks with 16, 32, 64
    /// channels on 32x32, 16x16, 8x8 maps (stride 2 in the first conv of stages 2 and 3), parameter-free
    /// zero-padding shortcuts, global average pooling and `linear` 64 -> 10.
    ///
    /// With `shortcut` `.projection` (option B), the blocks that change the width use a 1 x 1 convolution
    /// of stride 2 and its batch norm (`layerS.B.shortcut.0`, `.shortcut.1`, akamaster's names) instead.
    public static func cifarResNet(depth: Int, shortcut: CIFARShortcut = .zeroPadded) -> Architecture {
        let n = (depth - 2) / 6
        var builder = NetworkGraph.Builder()
        let stem = builder.convolution("conv1", in: 3, out: 16, kernel: 3, stride: 1, inputSize: 32, role: .stem, input: .image, norm: "bn1")
        var inChannels = 16, size = 32
        for (stage, planes) in [16, 32, 64].enumerated() {
            for block in 0..<n {
                let stride = (stage > 0 && block == 0) ? 2 : 1
                let prefix = "layer\(stage + 1).\(block)"
                let blockInput: NetworkGraph.Input = (stage == 0 && block == 0) ? .convolution(stem) : .residualStream
                let first = builder.convolution("\(prefix).conv1", in: inChannels, out: planes, kernel: 3, stride: stride, inputSize: size,
                                                role: .block(stage: stage, block: block, position: 0), input: blockInput, norm: "\(prefix).bn1")
                let second = builder.convolution("\(prefix).conv2", in: planes, out: planes, kernel: 3, stride: 1, inputSize: size / stride,
                                                 role: .block(stage: stage, block: block, position: 1), input: .convolution(first),
                                                 norm: "\(prefix).bn2", activated: false)
                var kind = NetworkGraph.Shortcut.identity
                if stride != 1 || inChannels != planes {
                    switch shortcut {
                    case .zeroPadded: kind = .zeroPadded
                    case .projection:
                        kind = .projection(builder.convolution("\(prefix).shortcut.0", in: inChannels, out: planes, kernel: 1, stride: stride,
                                                               inputSize: size, role: .projection(stage: stage, block: block), input: blockInput,
                                                               norm: "\(prefix).shortcut.1", activated: false, prunable: false))
                    }
                }
                builder.block(path: [first, second], shortcut: kind, input: blockInput)
                inChannels = planes
                size /= stride
            }
        }
        return Architecture(name: shortcut == .zeroPadded ? "resnet\(depth)" : "resnet\(depth)-projection", family: .cifarResNet, inputSize: 32,
                            graph: builder.residual(stem: stem, stemPooling: nil,
                                                    classifier: LinearLayer(name: "linear", inFeatures: 64, outFeatures: 10)))
    }

    /// The ImageNet ResNets of torchvision: a 7x7/2 stem 3 -> 64 and a 3x3/2 max pool (224 -> 56),
    /// four stages of 64, 128, 256, 512 planes on 56, 28, 14, 7 maps; basic blocks (two 3x3 convs,
    /// stride in conv1) or bottlenecks (1x1, 3x3 with the stride, 1x1 to 4 x planes); a projection
    /// `downsample.0` (1x1 conv + BN) where the stride or width changes; `fc` to 1000 classes.
    static func imageNetResNet(name: String, blocks: [Int], bottleneck: Bool) -> Architecture {
        var builder = NetworkGraph.Builder()
        let stem = builder.convolution("conv1", in: 3, out: 64, kernel: 7, stride: 2, inputSize: 224, role: .stem, input: .image, norm: "bn1")
        let expansion = bottleneck ? 4 : 1
        var inChannels = 64, size = 56
        for (stage, planes) in [64, 128, 256, 512].enumerated() {
            for block in 0..<blocks[stage] {
                let stride = (stage > 0 && block == 0) ? 2 : 1
                let prefix = "layer\(stage + 1).\(block)"
                let blockInput: NetworkGraph.Input = (stage == 0 && block == 0) ? .convolution(stem) : .residualStream
                let kernels = bottleneck ? [1, 3, 1] : [3, 3]
                let widths = bottleneck ? [planes, planes, planes * expansion] : [planes, planes]
                let strideAt = bottleneck ? 1 : 0
                var channels = inChannels, mapSize = size, path = [Int]()
                for position in kernels.indices {
                    let layerStride = position == strideAt ? stride : 1
                    path.append(builder.convolution("\(prefix).conv\(position + 1)", in: channels, out: widths[position], kernel: kernels[position],
                                                    stride: layerStride, inputSize: mapSize,
                                                    role: .block(stage: stage, block: block, position: position),
                                                    input: path.last.map { .convolution($0) } ?? blockInput, norm: "\(prefix).bn\(position + 1)",
                                                    activated: position + 1 < kernels.count))
                    channels = widths[position]
                    mapSize /= layerStride
                }
                var shortcut = NetworkGraph.Shortcut.identity
                if stride != 1 || inChannels != planes * expansion {
                    shortcut = .projection(builder.convolution("\(prefix).downsample.0", in: inChannels, out: planes * expansion, kernel: 1,
                                                               stride: stride, inputSize: size, role: .projection(stage: stage, block: block),
                                                               input: blockInput, norm: "\(prefix).downsample.1", activated: false, prunable: false))
                }
                builder.block(path: path, shortcut: shortcut, input: blockInput)
                inChannels = planes * expansion
                size = mapSize
            }
        }
        let stemPooling = NetworkGraph.MaxPooling(window: 3, stride: 2, padding: 1)
        return Architecture(name: name, family: bottleneck ? .imageNetBottleneck : .imageNetBasic, inputSize: 224,
                            graph: builder.residual(stem: stem, stemPooling: stemPooling,
                                                    classifier: LinearLayer(name: "fc", inFeatures: 512 * expansion, outFeatures: 1000)))
    }

    /// VGG-16 for CIFAR-10 as in Li et al. (PFEC) and the FPGM code: thirteen 3x3 convs without bias,
    /// each with BN and ReLU (`feature.<i>` in `nn.Sequential` order, 3 modules per conv, 1 per max pool),
    /// widths 64, 64, M, 128, 128, M, 256 x3, M, 512 x3, M, 512 x3, then a 2x2 average pool and
    /// `classifier` 512 -> 10.
    static func cifarVGG16() -> Architecture {
        let configuration = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512]
        var builder = NetworkGraph.Builder()
        var pooling = [NetworkGraph.MaxPooling?]()
        var moduleIndex = 0, inChannels = 3, size = 32
        for width in configuration {
            guard width > 0 else {
                pooling[pooling.count - 1] = NetworkGraph.MaxPooling(window: 2, stride: 2, padding: 0)
                moduleIndex += 1
                size /= 2
                continue
            }
            let index = builder.convolution("feature.\(moduleIndex)", in: inChannels, out: width, kernel: 3, stride: 1, inputSize: size,
                                            role: pooling.isEmpty ? .stem : .chain(index: pooling.count),
                                            input: pooling.isEmpty ? .image : .convolution(pooling.count - 1), norm: "feature.\(moduleIndex + 1)")
            precondition(index == pooling.count)
            pooling.append(nil)
            inChannels = width
            moduleIndex += 3
        }
        return Architecture(name: "vgg16", family: .cifarVGG, inputSize: 32,
                            graph: builder.chain(pooling: pooling, classifier: LinearLayer(name: "classifier", inFeatures: 512, outFeatures: 10)))
    }
}

/// The shortcut of the CIFAR ResNet blocks that halve the map and double the width.
public enum CIFARShortcut: Sendable, Equatable {
    /// Option A: parameter-free, the input subsampled among zero channels (the trained networks here).
    case zeroPadded
    /// Option B: a 1 x 1 convolution of stride 2 with its batch norm.
    case projection
}
