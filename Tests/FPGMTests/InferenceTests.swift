import Foundation
import Testing
@testable import FPGM

/// The forward pass against ../shared/reference/forward-logits.json (PyTorch's outputs of the trained
/// networks on a deterministic input).
@Suite("Inference", .enabled(if: ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"] != nil))
struct InferenceTests {
    static let weights = ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"] ?? ""
    static let reference = URL(fileURLWithPath: weights).deletingLastPathComponent()
        .appendingPathComponent("reference/forward-logits.json")

    static func bound(_ file: String, _ arch: String) throws -> BoundWeights {
        try Architecture.named(arch).bind(Checkpoint.read(path: weights + "/" + file))
    }

    @Test("logits of the trained ResNet-20 and ResNet-56 on pattern:4 match PyTorch's to 1e-3", arguments: [
        ("resnet20-12fca82f.th", "resnet20"), ("resnet56-4bfd9763.th", "resnet56"),
    ])
    func referenceLogits(file: String, arch: String) throws {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.reference)) as! [String: Any]
        let expected = (json["logits"] as! [String: [[Double]]])[file]!
        let network = try InferenceNetwork(weights: Self.bound(file, arch))
        for threads in [1, 2] {
            let logits = network.logits(GeneratedImages.pattern(count: 4).maps(normalization: .imagenet), threads: threads)
            #expect(logits.count == 4)
            let worst = zip(logits, expected).flatMap { zip($0, $1).map { abs(Double($0) - $1) } }.max()!
            #expect(worst <= 1e-3, "largest difference \(worst) with \(threads) threads")
        }
    }
}

/// The compact network against the masked one, for the CIFAR ResNets with trained weights.
@Suite("Compact networks", .enabled(if: ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"] != nil))
struct CompactNetworkTests {
    static let trained = ["resnet20": "resnet20-12fca82f.th", "resnet32": "resnet32-d509ac18.th",
                          "resnet44": "resnet44-014dd654.th", "resnet56": "resnet56-4bfd9763.th"]

    @Test("compact logits equal masked logits to 1e-4 relative; the parameter count is the exact convention's",
          arguments: ["resnet20", "resnet32", "resnet44", "resnet56"], [(1.0, 0.4), (0.7, 0.1)])
    func compactEqualsMasked(arch: String, rates: (Double, Double)) throws {
        try SyntheticCompactNetworkTests.check(InferenceTests.bound(Self.trained[arch]!, arch), rates: rates, images: 4)
    }
}

/// The same for the networks without trained weights here: seeded synthetic weights with random
/// batch-norm statistics (so that removed channels are not trivially zero; small scales keep 600
/// residual blocks finite).
@Suite("Compact networks, synthetic weights")
struct SyntheticCompactNetworkTests {
    /// Seeded synthetic weights with random batch-norm statistics.
    static func synthetic(_ architecture: Architecture) -> BoundWeights {
        var tensors = architecture.syntheticWeights(seed: 6)
        var generator = SeededGenerator(seed: 60)
        for norm in architecture.batchNorms {
            tensors["\(norm.name).weight"] = Tensor(shape: [norm.channels]) { Float(0.05 + 0.1 * generator.nextUniform()) }
            tensors["\(norm.name).bias"] = Tensor(shape: [norm.channels]) { Float(0.2 * generator.nextUniform() - 0.1) }
            tensors["\(norm.name).running_mean"] = Tensor(shape: [norm.channels]) { Float(generator.nextUniform() - 0.5) }
            tensors["\(norm.name).running_var"] = Tensor(shape: [norm.channels]) { Float(0.5 + generator.nextUniform()) }
        }
        return BoundWeights(architecture: architecture, tensors: tensors)
    }

    @Test("compact logits equal masked logits to 1e-4 relative; the parameter count is the exact convention's",
          arguments: ["resnet110", "resnet1202", "vgg16"], [(1.0, 0.4), (0.7, 0.1)])
    func compactEqualsMasked(arch: String, rates: (Double, Double)) throws {
        try Self.check(Self.synthetic(Architecture.named(arch)), rates: rates, images: arch == "resnet1202" ? 1 : 4)
    }

    @Test("the same for the ImageNet ResNets (basic blocks and bottlenecks, projection shortcuts), one 224 x 224 image",
          arguments: [("resnet18", (0.7, 0.1)), ("resnet50", (1.0, 0.4))])
    func imageNet(arch: String, rates: (Double, Double)) throws {
        try Self.check(Self.synthetic(Architecture.named(arch)), rates: rates, images: 1)
    }

    static func check(_ weights: BoundWeights, rates: (Double, Double), images count: Int) throws {
        let plan = try FilterSelector(rates: PruningRates(rateNorm: rates.0, rateDist: rates.1)).plan(for: weights.prunableLayers)
        let images = GeneratedImages.smooth(count: count, side: weights.architecture.inputSize).maps(normalization: .imagenet)
        let masked = InferenceNetwork(weights: weights.masked(by: plan)).logits(images)
        let compactNetwork = try InferenceNetwork(weights: weights, plan: plan)
        let compact = compactNetwork.logits(images)
        let scale = masked.flatMap { $0 }.map { abs(Double($0)) }.max()!
        let worst = zip(masked, compact).flatMap { zip($0, $1).map { abs(Double($0) - Double($1)) } }.max()!
        #expect(worst <= 1e-4 * scale, "largest difference \(worst) against logits up to \(scale)")
        #expect(compactNetwork.model.parameterCount == ExactFLOPsCounter(architecture: weights.architecture).parameters(plan: plan))
        #expect(compactNetwork.model.parameterCount < weights.architecture.parameterCount)
    }
}

/// VGG-16 against its definition computed the slow way: direct convolutions in Float64, batch norm,
/// ReLU, 2 x 2 max pooling after convolutions 2, 4, 7 and 10, the 2 x 2 average and the classifier.
@Suite("VGG-16")
struct VGGTests {
    @Test("logits of seeded VGG-16 weights on one smooth image equal the definition's to 1e-4 relative")
    func definition() throws {
        let architecture = try Architecture.named("vgg16")
        let weights = SyntheticCompactNetworkTests.synthetic(architecture)
        let image = GeneratedImages.smooth(count: 1).maps(normalization: .imagenet)
        let logits = InferenceNetwork(weights: weights).logits(image)[0]
        var maps = image.values.map(Double.init), side = 32, channels = 3
        for (index, layer) in architecture.convolutions.enumerated() {
            let w = weights.tensors["\(layer.name).weight"]!.scalars, norm = architecture.batchNorms[index].name
            let t = weights.tensors
            var out = [Double](repeating: 0, count: layer.outChannels * side * side)
            for o in 0..<layer.outChannels {
                let scale = Double(t["\(norm).weight"]!.scalars[o]) / (Double(t["\(norm).running_var"]!.scalars[o]) + 1e-5).squareRoot()
                for y in 0..<side {
                    for x in 0..<side {
                        var sum = 0.0
                        for c in 0..<channels {
                            for ky in 0..<3 {
                                for kx in 0..<3 {
                                    let iy = y + ky - 1, ix = x + kx - 1
                                    guard iy >= 0, iy < side, ix >= 0, ix < side else { continue }
                                    sum += Double(w[((o * channels + c) * 3 + ky) * 3 + kx]) * maps[(c * side + iy) * side + ix]
                                }
                            }
                        }
                        let normed = (sum - Double(t["\(norm).running_mean"]!.scalars[o])) * scale + Double(t["\(norm).bias"]!.scalars[o])
                        out[(o * side + y) * side + x] = max(normed, 0)
                    }
                }
            }
            maps = out
            channels = layer.outChannels
            if [1, 3, 6, 9].contains(index) {
                side /= 2
                maps = (0..<(channels * side * side)).map { i in
                    let c = i / (side * side), y = i / side % side, x = i % side, full = 2 * side
                    let base = (c * full + 2 * y) * full + 2 * x
                    return max(max(out[base], out[base + 1]), max(out[base + full], out[base + full + 1]))
                }
            }
        }
        let pooled = (0..<channels).map { c in (0..<(side * side)).reduce(0.0) { $0 + maps[c * side * side + $1] } / Double(side * side) }
        let fc = weights.tensors["classifier.weight"]!.scalars, bias = weights.tensors["classifier.bias"]!.scalars
        let expected = (0..<10).map { k in pooled.enumerated().reduce(Double(bias[k])) { $0 + Double(fc[k * channels + $1.offset]) * $1.element } }
        let scale = expected.map(abs).max()!
        #expect(side == 2 && scale > 0)
        #expect(zip(logits, expected).allSatisfy { abs(Double($0) - $1) <= 1e-4 * scale }, "\(logits) against \(expected)")
    }
}

@Suite("Convolution")
struct ConvolutionTests {
    @Test("max pooling: 3 x 3 of stride 2 with padding (ImageNet's stem) and 2 x 2 (VGG), by hand on a 5 x 5 ramp")
    func maxPooling() {
        let ramp = FeatureMaps(channels: 1, batch: 1, height: 5, width: 5, values: (0..<25).map(Float.init))
        let stem = ramp.maxPooled(window: 3, stride: 2, padding: 1)
        #expect(stem.height == 3 && stem.width == 3 && stem.values == [6, 8, 9, 16, 18, 19, 21, 23, 24])
        let vgg = ramp.maxPooled(window: 2, stride: 2, padding: 0)
        #expect(vgg.height == 2 && vgg.width == 2 && vgg.values == [6, 8, 16, 18])
    }

    /// The definition: out(o, n, y, x) = sum_{c, ky, kx} w(o, c, ky, kx) in(c, n, y s + ky - p, x s + kx - p), 0 outside.
    static func direct(_ input: FeatureMaps, weights: [Float], out: Int, kernel: Int, stride: Int, padding: Int) -> [Float] {
        let outHeight = (input.height + 2 * padding - kernel) / stride + 1, outWidth = (input.width + 2 * padding - kernel) / stride + 1
        var result = [Float](repeating: 0, count: out * input.batch * outHeight * outWidth)
        for o in 0..<out {
            for n in 0..<input.batch {
                for y in 0..<outHeight {
                    for x in 0..<outWidth {
                        var sum = 0.0
                        for c in 0..<input.channels {
                            for ky in 0..<kernel {
                                for kx in 0..<kernel {
                                    let iy = y * stride + ky - padding, ix = x * stride + kx - padding
                                    guard iy >= 0, iy < input.height, ix >= 0, ix < input.width else { continue }
                                    sum += Double(weights[((o * input.channels + c) * kernel + ky) * kernel + kx])
                                        * Double(input.values[((c * input.batch + n) * input.height + iy) * input.width + ix])
                                }
                            }
                        }
                        result[((o * input.batch + n) * outHeight + y) * outWidth + x] = Float(sum)
                    }
                }
            }
        }
        return result
    }

    @Test("both ways (unfold + SGEMM, and the direct kernels where the processor has them, Winograd F(2x2, 3x3) on the 8 x 8 and 16 x 16 maps) equal the definition for 3x3, 1x1 and 7x7 kernels, strides 1 and 2, odd and even sides",
          arguments: [(3, 1, 1), (3, 2, 1), (1, 1, 0), (1, 2, 0), (7, 2, 3), (3, 1, 0)], [8, 9, 12, 16])
    func matchesDefinition(shape: (kernel: Int, stride: Int, padding: Int), side: Int) {
        var generator = SeededGenerator(seed: UInt64(shape.kernel * 100 + shape.stride * 10 + side))
        // 10 filters: a block of 8 and one of 4 (padded); the sides give 48-, 16- and 8-position blocks.
        let channels = 5, out = 10, batch = 3
        let input = FeatureMaps(channels: channels, batch: batch, height: side, width: side,
                                values: (0..<(channels * batch * side * side)).map { _ in Float(generator.nextUniform() - 0.5) })
        let weights = (0..<(out * channels * shape.kernel * shape.kernel)).map { _ in Float(generator.nextUniform() - 0.5) }
        let expected = Self.direct(input, weights: weights, out: out, kernel: shape.kernel, stride: shape.stride, padding: shape.padding)
        for direct in Set([false, FoldedConvolution.directKernels]) {
            let convolution = FoldedConvolution(outChannels: out, inChannels: channels, kernel: shape.kernel, stride: shape.stride,
                                                padding: shape.padding, weights: weights, shifts: [Float](repeating: 0, count: out),
                                                offsets: nil, inputSide: side, direct: direct)
            #expect((convolution.packedWeights != nil) == (direct && shape.kernel == 3 && shape.padding == 1))
            #expect((convolution.winogradWeights != nil) == (direct && shape == (3, 1, 1) && [8, 16].contains(side)))
            let result = convolution.apply(input, relu: false).dense().values
            #expect(result.count == expected.count)
            #expect(zip(result, expected).allSatisfy { abs($0 - $1) <= 1e-5 }, "direct: \(direct)")
        }
    }

    @Test("the direct kernels' padded result holds zeros in all its padding, and the next 3 x 3 layer (stride 1 or 2, with a residual, ReLU and scattered rows) reads it as it is",
          .enabled(if: FoldedConvolution.directKernels), arguments: [1, 2], [8, 9, 16])
    func paddedChain(stride: Int, side: Int) {
        var generator = SeededGenerator(seed: UInt64(stride * 10 + side))
        let channels = 6, batch = 2
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float(generator.nextUniform() - 0.5) } }
        let input = FeatureMaps(channels: 3, batch: batch, height: side, width: side, values: random(3 * batch * side * side))
        let first = FoldedConvolution(outChannels: channels, inChannels: 3, kernel: 3, stride: 1, padding: 1, weights: random(channels * 27),
                                      shifts: random(channels), offsets: nil, inputSide: side)
        let hidden = first.apply(input, relu: true)
        #expect(hidden.layout.padded && hidden.dense().relaid(hidden.layout) == hidden)
        // Four filters scattered into rows 5, 0, 3, 1 of six; rows 2 and 4 hold constants.
        let weights = random(4 * channels * 9), shifts = random(4), side2 = (side - 1) / stride + 1
        let residual = FeatureMaps(channels: 6, batch: batch, height: side2, width: side2, values: random(6 * batch * side2 * side2))
        let scatter = ChannelScatter(width: 6, kept: [5, 0, 3, 1], constants: [2: 0.25, 4: -0.5])
        let second = FoldedConvolution(outChannels: 4, inChannels: channels, kernel: 3, stride: stride, padding: 1, weights: weights,
                                       shifts: shifts, offsets: nil, inputSide: side)
        let result = second.apply(hidden, relu: true, residual: residual, scatter: scatter)
        #expect(result.layout.padded && result.dense().relaid(result.layout) == result)
        let raw = Self.direct(hidden.dense(), weights: weights, out: 4, kernel: 3, stride: stride, padding: 1), plane = side2 * side2
        let values = result.dense().values, sums = residual.values
        for c in 0..<6 {
            for i in (c * batch * plane)..<((c + 1) * batch * plane) {
                let expected: Float
                if let o = scatter.kept.firstIndex(of: c) {
                    expected = max(0, raw[o * batch * plane + i - c * batch * plane] + shifts[o] + sums[i])
                } else {
                    expected = max(0, scatter.constants[c]! + sums[i])
                }
                #expect(abs(values[i] - expected) <= 1e-5, "channel \(c), index \(i)")
            }
        }
    }
}

/// Compact files whose metadata or tensors do not fit are refused with a sentence naming the problem.
@Suite("Compact checkpoints", .enabled(if: ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"] != nil))
struct CompactCheckpointTests {
    @Test("a compact file reads back to the same model; bad kept lists, removed values and shapes are refused")
    func readBack() throws {
        let weights = try InferenceTests.bound("resnet20-12fca82f.th", "resnet20")
        let plan = try FilterSelector(rates: PruningRates(rateNorm: 0.7, rateDist: 0.1)).plan(for: weights.prunableLayers)
        let model = try CompactModel(weights: weights, plan: plan)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fpgm-compact-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        func read(_ metadata: [String: String], tensors: [(name: String, tensor: Tensor)] = CompactCheckpoint.tensors(model)) throws -> CompactModel {
            try SafetensorsWriter.write(tensors, metadata: metadata, to: path)
            return try CompactCheckpoint.model(of: Checkpoint.read(path: path), path: path, architecture: weights.architecture)
        }
        let metadata = CompactCheckpoint.metadata(model)
        let back = try read(metadata)
        #expect(back.kept == model.kept && back.tensors == model.tensors && back.inputOffsets == model.inputOffsets)
        #expect(back.removedValues == model.removedValues)

        func refusal(_ metadata: [String: String], tensors: [(name: String, tensor: Tensor)] = CompactCheckpoint.tensors(model)) -> String {
            do {
                _ = try read(metadata, tensors: tensors)
                return "read"
            } catch {
                return "\(error)".replacingOccurrences(of: path + ": ", with: "")
            }
        }
        var kept = metadata
        kept["fpgm_kept"] = metadata["fpgm_kept"]!.replacingOccurrences(of: "\"conv1\":[", with: "\"conv1\":[99,")
        #expect(refusal(kept) == "fpgm_kept of conv1 is not a set of filters of 0..<16")
        var unknown = metadata
        unknown["fpgm_kept"] = "{\"fc\":[0]}"
        #expect(refusal(unknown) == "fpgm_kept names 'fc', which is not a prunable layer of resnet20")
        var removed = metadata
        removed["fpgm_removed_values"] = "{}"
        #expect(refusal(removed) == "fpgm_removed_values of conv1 does not give every removed channel")
        #expect(refusal([:]) == "has no readable fpgm_kept and fpgm_removed_values metadata")
        let shrunk = CompactCheckpoint.tensors(model).map { $0.name == "layer1.0.conv2.weight" ? (name: $0.name, tensor: Tensor(shape: [1, 1, 3, 3], repeating: 0)) : $0 }
        #expect(refusal(metadata, tensors: shrunk) == "'layer1.0.conv2.weight' is [1, 1, 3, 3], the compact resnet20 needs [11, 11, 3, 3]")
    }
}
