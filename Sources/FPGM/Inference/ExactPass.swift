/// One image through a masked network in Float64, from the definitions: each convolution
/// z_o(y, x) = sum_{c, ky, kx} W_{o c ky kx} in_c(y s + ky - p, x s + kx - p) (zero outside), its terms
/// added in that index order, then the batch norm with its running statistics, (z - mean) / sqrt(var + eps) gamma + beta,
/// the residual and ReLU; then global average pooling and the classifier. It uses no BLAS and no
/// processor-specific kernel, so its logits are the same on every machine; at about 0.1 s per CIFAR
/// ResNet-56 image it only decides the near ties of `Evaluation`.
public struct ExactPass: UnfoldedPass {
    /// One image's maps, dense: channel c, row y, column x at (c side + y) side + x.
    struct Maps {
        let channels: Int
        let side: Int
        var values: [Double]
    }

    let norms: [String: BatchNormTensors]

    /// The exact logits of images `indices` of `images` through the network of `weights`, spread over the cores.
    static func logits(weights: BoundWeights, shortcut: ShortcutPlacement, images: ImageSet, indices: [Int],
                       normalization: Normalization) -> [[Double]] {
        let unfolded = InferenceNetwork(model: CompactModel(weights: weights), shortcut: shortcut, foldingBatchNorms: false)
        let norms = weights.batchNormsByConvolution
        return ParallelMap.map(indices.count, state: {}) { slot, _ in
            logits(unfolded, norms: norms, image: images.maps(indices[slot]..<(indices[slot] + 1), normalization: normalization))
        }
    }

    /// max_k |logits_k(a) - logits_k(b)| on image `index`, both exactly: how far network a's output is from b's there.
    public static func largestDifference(_ a: BoundWeights, _ b: BoundWeights, shortcut: ShortcutPlacement, images: ImageSet, index: Int,
                                         normalization: Normalization) -> Double {
        let first = logits(weights: a, shortcut: shortcut, images: images, indices: [index], normalization: normalization)[0]
        let second = logits(weights: b, shortcut: shortcut, images: images, indices: [index], normalization: normalization)[0]
        return zip(first, second).map { abs($0 - $1) }.max() ?? 0
    }

    /// The logits of one image (a batch of 1) through `network`, built unfolded; `norms` by convolution name.
    static func logits(_ network: InferenceNetwork, norms: [String: BatchNormTensors], image: FeatureMaps) -> [Double] {
        precondition(image.batch == 1, "one image at a time")
        let dense = image.dense()
        var pass = ExactPass(norms: norms)
        let output = network.walkUnfolded(&pass, Maps(channels: dense.channels, side: dense.height, values: dense.values.map(Double.init)))
        let plane = output.side * output.side
        let pooled = (0..<output.channels).map { c in output.values[(c * plane)..<((c + 1) * plane)].reduce(0, +) / Double(plane) }
        let classes = network.classifierBias.count
        return (0..<classes).map { k in
            pooled.indices.reduce(Double(network.classifierBias[k])) { $0 + Double(network.classifierWeights[k * pooled.count + $1]) * pooled[$1] }
        }
    }

    mutating func layer(_ convolution: FoldedConvolution, _ input: Maps, relu: Bool, residual: Maps?) -> Maps {
        guard let norm = norms[convolution.layer] else { preconditionFailure("no batch norm follows \(convolution.layer)") }
        let k = convolution.kernel, s = convolution.stride, p = convolution.padding, side = input.side
        let outSide = convolution.outputSide(side), inChannels = input.channels, plane = outSide * outSide
        var output = Maps(channels: convolution.outChannels, side: outSide, values: [Double](repeating: 0, count: convolution.outChannels * plane))
        convolution.weights.withUnsafeBufferPointer { weights in
            input.values.withUnsafeBufferPointer { x in
                output.values.withUnsafeMutableBufferPointer { out in
                    for o in 0..<convolution.outChannels {
                        // Every output adds its terms in the order (c, ky, kx), one tap at a time over the map.
                        for c in 0..<inChannels {
                            for ky in 0..<k {
                                for kx in 0..<k {
                                    let w = Double(weights[((o * inChannels + c) * k + ky) * k + kx])
                                    // Columns whose input column x s + kx - p lies inside the map.
                                    let first = max(0, (p - kx + s - 1) / s), last = min(outSide, (side - 1 + p - kx) / s + 1)
                                    guard first < last else { continue }
                                    for y in 0..<outSide {
                                        let iy = y * s + ky - p
                                        guard iy >= 0 && iy < side else { continue }
                                        let from = (c * side + iy) * side - p + kx, to = (o * outSide + y) * outSide
                                        if s == 1 {
                                            for column in first..<last { out[to + column] += w * x[from + column] }
                                        } else {
                                            for column in first..<last { out[to + column] += w * x[from + column * s] }
                                        }
                                    }
                                }
                            }
                        }
                        let scale = Double(norm.gamma.scalars[o]) / (Double(norm.variance.scalars[o]) + BatchNormTensors.epsilon).squareRoot()
                        let mean = Double(norm.mean.scalars[o]), beta = Double(norm.beta.scalars[o])
                        for index in (o * plane)..<((o + 1) * plane) {
                            let value = (out[index] - mean) * scale + beta + (residual?.values[index] ?? 0)
                            out[index] = relu ? max(value, 0) : value
                        }
                    }
                }
            }
        }
        return output
    }

    func shortcut(_ input: Maps, block: InferenceNetwork.Block, network: InferenceNetwork) -> Maps {
        let shape = block.structure
        guard shape.shortcut == .zeroPadded else { return input }
        let side = (input.side - 1) / shape.stride + 1
        var maps = Maps(channels: shape.outWidth, side: side, values: [Double](repeating: 0, count: shape.outWidth * side * side))
        let first = network.firstShortcutChannel(block)
        for c in 0..<shape.inWidth {
            for y in 0..<side {
                for x in 0..<side {
                    maps.values[((c + first) * side + y) * side + x] = input.values[(c * input.side + y * shape.stride) * input.side + x * shape.stride]
                }
            }
        }
        return maps
    }

    func maxPooled(_ maps: Maps, _ pooling: NetworkGraph.MaxPooling) -> Maps {
        let (window, stride, padding) = (pooling.window, pooling.stride, pooling.padding)
        let side = (maps.side + 2 * padding - window) / stride + 1
        var pooled = Maps(channels: maps.channels, side: side, values: [Double](repeating: 0, count: maps.channels * side * side))
        for c in 0..<maps.channels {
            for y in 0..<side {
                for x in 0..<side {
                    var largest = -Double.infinity
                    for iy in max(0, y * stride - padding)..<min(maps.side, y * stride - padding + window) {
                        for ix in max(0, x * stride - padding)..<min(maps.side, x * stride - padding + window) {
                            largest = max(largest, maps.values[(c * maps.side + iy) * maps.side + ix])
                        }
                    }
                    pooled.values[(c * side + y) * side + x] = largest
                }
            }
        }
        return pooled
    }
}
