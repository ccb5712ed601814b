import ConvolutionKernels
import KernelsAVX2
import KernelsAVX512
import Foundation

/// A convolution followed by its batch normalisation in inference mode, folded into one affine map:
///
///     BN(W * x)_o = s_o (W_o * x) + t_o,   s_o = gamma_o / sqrt(var_o + eps),   t_o = beta_o - mean_o s_o,
///
/// computed as (s_o W_o) * x + t_o, plus, when some input channels were removed because they were
/// constant, a fixed map per output channel (`offsets`) holding their contribution.
/// The convolution itself runs one of two ways: on processors with AVX-512 or AVX2, 3 x 3 convolutions of
/// padding 1 and stride 1 or 2 go to `DirectConvolution` (`convolveDirectly`; by `Winograd` on the maps
/// it handles), which finishes the outputs itself and writes them padded; everything else unfolds the
/// input's patches into a (C k^2) x (N H' W') matrix and multiplies it by the (O) x (C k^2) filter
/// matrix with OpenBLAS's SGEMM (a 1x1 convolution of stride 1 needs no unfolding), then finishes the
/// outputs (`finish`) densely.
struct FoldedConvolution: Sendable {
    let outChannels: Int
    let inChannels: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    /// Row o holds s_o W_o, flattened over (input channel, row, column).
    let weights: [Float]
    /// t_o.
    let shifts: PinnedBuffer<Float>
    /// A map per output channel (channels outChannels, batch 1, H' x W') added to each image's output,
    /// in the layout of the output, or nil.
    let offsets: FeatureMaps?
    /// The weights as `DirectConvolution` reads them (filters padded to a multiple of 4 with zeros), for
    /// 3 x 3 convolutions on processors with a `kernelSet`; nil where OpenBLAS computes the layer.
    let packedWeights: PinnedBuffer<Float>?
    /// U = G g G^T (see `Winograd`) of each 3 x 3 filter g, as 16 matrices [xi][filter][channel] packed
    /// for `ConvolutionKernelSet.convolve` (filters padded to a multiple of 4 with zeros), for the layers of
    /// stride 1 among those of `packedWeights` whose maps `Winograd` handles; nil for the others.
    let winogradWeights: PinnedBuffer<Float>?
    /// For each (input channel c, ky, kx), in that order: the phase plane it reads (c s^2 + a s + b), and
    /// its offset (di + 1, dj + 1) there (see `convolveDirectly`).
    let directTaps: [(plane: Int, row: Int, column: Int)]
    /// The architecture's name of the convolution, where a network built it ("" for a partial one).
    var layer = ""

    /// Folds `weight` ([O, C, k, k]) with the batch norm `norm` that follows it; `inputOffsets`
    /// ([O, H', W']), when given, is added to the convolution's output before the batch norm. The layer
    /// reads maps of side `inputSide`.
    init(weight: Tensor, norm: BatchNormTensors, stride: Int, padding: Int, inputSide: Int, inputOffsets: Tensor?) {
        let outChannels = weight.shape[0], length = weight.count / max(1, outChannels)
        let scales = (0..<outChannels).map(norm.scale)
        var folded = weight.scalars
        for o in 0..<outChannels {
            for i in (o * length)..<((o + 1) * length) { folded[i] = Float(Double(folded[i]) * scales[o]) }
        }
        let offsets = inputOffsets.map { raw in
            let plane = raw.count / max(1, outChannels)
            return FeatureMaps(channels: outChannels, batch: 1, height: raw.shape[1], width: raw.shape[2],
                               values: raw.scalars.enumerated().map { index, value in Float(Double(value) * scales[index / plane]) })
        }
        self.init(outChannels: outChannels, inChannels: weight.shape[1], kernel: weight.shape[2], stride: stride, padding: padding,
                  weights: folded, shifts: (0..<outChannels).map(norm.shift), offsets: offsets, inputSide: inputSide)
    }

    /// `offsets`: dense maps. `inputSide`: the side of the maps the layer reads, where known; Winograd's
    /// weights are made only for a side it handles. `direct`: use `DirectConvolution` where it applies
    /// (3 x 3, padding 1, stride 1 or 2); the default is whether this processor has it.
    init(outChannels: Int, inChannels: Int, kernel: Int, stride: Int, padding: Int, weights: [Float], shifts: [Float], offsets: FeatureMaps?,
         inputSide: Int?, direct: Bool = FoldedConvolution.directKernels) {
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.weights = weights
        self.shifts = PinnedBuffer(shifts)
        let direct = kernel == 3 && padding == 1 && stride <= 2 && direct
        self.offsets = offsets.map { $0.relaid(PlaneLayout(height: $0.height, width: $0.width, padded: direct)) }
        if direct {
            let depth = inChannels * kernel * kernel, filters = (outChannels + 3) / 4 * 4
            packedWeights = PinnedBuffer(DirectConvolution.pack(weights + [Float](repeating: 0, count: (filters - outChannels) * depth),
                                                                filters: filters, depth: depth))
            winogradWeights = stride == 1 && inputSide.map { Winograd.handles(height: $0, width: $0) } == true
                ? PinnedBuffer(Self.winogradTransformed(weights, outChannels: outChannels, inChannels: inChannels, filters: filters)) : nil
            /// (k - padding) = s offset + phase, with phase in 0..<s.
            func split(_ k: Int) -> (phase: Int, offset: Int) {
                let shifted = k - padding, phase = (shifted % stride + stride) % stride
                return (phase, (shifted - phase) / stride)
            }
            directTaps = (0..<inChannels).flatMap { c in
                (0..<(kernel * kernel)).map { tap in
                    let (a, di) = split(tap / kernel), (b, dj) = split(tap % kernel)
                    return (plane: c * stride * stride + a * stride + b, row: di + 1, column: dj + 1)
                }
            }
        } else {
            packedWeights = nil
            winogradWeights = nil
            directTaps = []
        }
    }

    /// The convolution kernels this processor runs (`ProcessorFeatures.kernelTarget`: AVX-512's or
    /// AVX2's); nil on other processors or where `FPGM_CONVOLUTION=blas` asks for OpenBLAS everywhere.
    static let kernelSet: (any ConvolutionKernelSet.Type)? = {
        guard ProcessInfo.processInfo.environment["FPGM_CONVOLUTION"] != "blas" else { return nil }
        switch ProcessorFeatures.kernelTarget {
        case .avx512: return KernelsAVX512.Kernels.self
        case .avx2: return KernelsAVX2.Kernels.self
        case .baseline: return nil
        }
    }()

    /// Whether this processor runs `DirectConvolution` (there is a `kernelSet`).
    static var directKernels: Bool { kernelSet != nil }

    /// The kernel set of the direct path, which runs only where there is one.
    static var kernels: any ConvolutionKernelSet.Type {
        guard let kernelSet else { fatalError("the direct convolution kernels were called on a processor without them") }
        return kernelSet
    }

    /// The side of the output for an input side `size`: floor((size + 2 padding - kernel) / stride) + 1.
    func outputSide(_ size: Int) -> Int { (size + 2 * padding - kernel) / stride + 1 }

    /// The layer applied to a batch (or, on the direct path of stride 1 with an input already padded,
    /// to its `images`): max(floor, conv + shift + offsets + residual), floor 0 for `relu`
    /// (-infinity otherwise). With `scatter`, output row o goes to channel scatter.kept[o] of a
    /// full-width result, and each removed channel c holds max(floor, constant_c + residual). The result
    /// is padded where `DirectConvolution` computed it (so that the next such layer reads it as it is),
    /// dense otherwise.
    func apply(_ input: FeatureMaps, images: Range<Int>? = nil, relu: Bool, residual: FeatureMaps? = nil, scatter: ChannelScatter? = nil,
               workspace: Workspace = Workspace()) -> FeatureMaps {
        precondition(input.channels == inChannels, "a convolution of \(inChannels) input channels was given \(input.channels)")
        let layout = PlaneLayout(height: outputSide(input.height), width: outputSide(input.width), padded: packedWeights != nil)
        let images = images ?? 0..<input.batch
        precondition(images == 0..<input.batch || (packedWeights != nil && stride == 1 && input.layout == layout && images.upperBound <= input.batch),
                     "only the direct path of stride 1 takes some images of a padded batch")
        let channels = scatter?.width ?? outChannels, floor: Float = relu ? 0 : -.infinity
        precondition(residual.map { $0.channels == channels && $0.batch == images.count && $0.height == layout.height && $0.width == layout.width }
                     ?? true, "the residual does not fit")
        let residual = residual?.relaid(layout), rows = scatter?.kept ?? Array(0..<outChannels)
        let length = channels * images.count * layout.planeStride
        var output = FeatureMaps(channels: channels, batch: images.count, layout: layout,
                                 values: [Float](unsafeUninitializedCapacity: length) { _, count in count = length })
        let residualValues = residual?.values ?? [], offsetValues = offsets?.values ?? []
        output.values.withUnsafeMutableBufferPointer { out in
            residualValues.withUnsafeBufferPointer { residuals in
                offsetValues.withUnsafeBufferPointer { offsetMaps in
                    if let packedWeights {
                        convolveDirectly(input, images: images, packedWeights: packedWeights, rows: rows, constants: scatter?.constants ?? [:],
                                         floor: floor,
                                         residual: residuals.isEmpty ? nil : residuals, offsets: offsetMaps.isEmpty ? nil : offsetMaps,
                                         into: out, layout: layout, workspace: workspace)
                    } else {
                        let residual = residuals.isEmpty ? nil : residuals.baseAddress!, offsets = offsetMaps.isEmpty ? nil : offsetMaps.baseAddress!
                        let plane = layout.planeStride, raw = multiplyThroughBLAS(input.dense(), outHeight: layout.height, outWidth: layout.width)
                        raw.withUnsafeBufferPointer { values in
                            for o in 0..<outChannels {
                                for image in 0..<input.batch {
                                    let start = (rows[o] * input.batch + image) * plane
                                    Self.finish(values.baseAddress! + (o * input.batch + image) * plane, count: plane, shift: shifts[o],
                                                offsets: offsets.map { $0 + o * plane }, residual: residual.map { $0 + start }, floor: floor,
                                                into: out.baseAddress! + start)
                                }
                            }
                        }
                    }
                }
            }
        }
        if packedWeights == nil {
            for (channel, value) in scatter?.constants ?? [:] {
                output.fill(channel: channel) { index in max(value + (residual?.values[index] ?? 0), floor) }
            }
        }
        return output
    }

    /// out[i] = max(floor, raw[i] + shift + offsets[i] + residual[i]) for i in 0..<count (offsets,
    /// residual nil: none).
    static func finish(_ raw: UnsafePointer<Float>, count: Int, shift: Float, offsets: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
                       floor: Float, into out: UnsafeMutablePointer<Float>) {
        func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self) }
        let shifts = SIMD8<Float>(repeating: shift), floors = SIMD8<Float>(repeating: floor)
        var i = 0
        while i + 8 <= count {
            var value = load(raw + i) + shifts
            if let offsets { value += load(offsets + i) }
            if let residual { value += load(residual + i) }
            UnsafeMutableRawPointer(out + i).storeBytes(of: value.replacing(with: floors, where: value .< floors), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            out[i] = max(raw[i] + shift + (offsets?[i] ?? 0) + (residual?[i] ?? 0), floor)
            i += 1
        }
    }

}

/// Scratch memory that one thread reuses from layer to layer (the Winograd transforms), so that a forward
/// pass does not map and unmap large blocks for every layer.
final class Workspace {
    private var storage: UnsafeMutablePointer<Float>?
    private var capacity = 0

    /// At least `count` floats, valid until the next call.
    func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            storage?.deallocate()
            storage = .allocate(capacity: count)
            capacity = count
        }
        return storage!
    }

    deinit { storage?.deallocate() }
}
