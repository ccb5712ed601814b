import ConvolutionKernels
import KernelsAVX2
import KernelsAVX512
import KernelsBaseline

/// The layers of training, forward and backward, on dense channel-major maps (`FeatureMaps`): a
/// channel's values over the whole batch are one contiguous run of length L = N H W, so a convolution
/// of the batch is one matrix product and a batch norm's statistics are sums over one run.

/// A convolution without bias, as training runs it. With P the input's patches unfolded into a
/// (C k^2) x (N H' W') matrix (row (c, ky, kx), column (n, y', x') holds input (c, n, y' s + ky - p,
/// x' s + kx - p), 0 outside the map) and W the O x (C k^2) filter matrix:
///
///     forward    Y  = W P
///     backward   dW = dY P^T,    dX = fold(W^T dY),
///
/// where fold, the adjoint of unfold, adds each patch entry back to the input position it was read from.
///
/// The batch goes through in chunks of whole images (about `chunkColumns` patch columns each, so that a
/// chunk's patches stay in cache), spread over the cores; dW is the sum of the chunks' products in chunk
/// order, so the result does not depend on the number of threads. On processors with AVX-512 or AVX2, the
/// 3 x 3 layers of padding 1 run Y (and, at stride 1, dX) on inference's kernels and, at stride 1, dW on
/// `ConvolutionKernelSet.filterGradient` instead (`convolvesDirectly`).
struct ConvolutionStep {
    let layer: ConvolutionLayer

    /// The patch columns a chunk aims at.
    static let chunkColumns = 4096

    init(_ layer: ConvolutionLayer) { self.layer = layer }

    /// Whether the patch matrix is the input itself (a 1 x 1 convolution of stride 1).
    private var readsInputAsPatches: Bool { layer.kernel == 1 && layer.stride == 1 && layer.padding == 0 }

    private var depth: Int { layer.inChannels * layer.kernel * layer.kernel }

    func outputSide(_ side: Int) -> Int { (side + 2 * layer.padding - layer.kernel) / layer.stride + 1 }

    /// The chunks of a batch of `batch` images whose output planes hold `plane` values: image ranges.
    private func chunks(batch: Int, plane: Int) -> [Range<Int>] {
        let images = max(1, Self.chunkColumns / plane)
        return stride(from: 0, to: batch, by: images).map { $0..<min($0 + images, batch) }
    }

    /// Whether inference's direct kernels (`FoldedConvolution` on `DirectConvolution` and `Winograd`)
    /// compute the forward pass (3 x 3, padding 1, stride 1 or 2) and, for stride 1, the input gradient.
    private var convolvesDirectly: Bool { FoldedConvolution.directKernels && layer.kernel == 3 && layer.padding == 1 && layer.stride <= 2 }

    /// Whether the backward pass runs on the direct kernels (`directBackward`), which read dY padded.
    var readsPaddedOutputGradient: Bool { convolvesDirectly && layer.stride == 1 }

    /// The images of a part of the batch that the direct kernels give one thread.
    static let directPartImages = 16

    /// The parts of a batch of `batch` images that the direct kernels spread over the cores.
    private static func directParts(batch: Int) -> [Range<Int>] {
        Swift.stride(from: 0, to: batch, by: directPartImages).map { $0..<min($0 + directPartImages, batch) }
    }

    /// x * filters, a 3 x 3 convolution of padding 1 and stride `stride` (filters [O][C][3][3]) by
    /// `FoldedConvolution` with nothing to fold (shift 0, no ReLU), the batch in parts spread over the
    /// cores; the result dense, and at stride 1 the input's parts as padded for the kernels (in the order
    /// of `directParts`). Each image's sums do not depend on the parts.
    private static func convolvedDirectly(_ input: FeatureMaps, filters: [Float], outChannels: Int, stride: Int) -> (FeatureMaps, [FeatureMaps]) {
        let convolution = directConvolution(filters: filters, outChannels: outChannels, inChannels: input.channels, stride: stride, side: input.height)
        let side = convolution.outputSide(input.height), batch = input.batch, count = outChannels * batch * side * side, parts = directParts(batch: batch)
        var output = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        let padded = output.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out.baseAddress!
            return ParallelMap.map(parts.count, state: Workspace.init) { index, workspace -> FeatureMaps? in
                // At stride 1 the padded part is the kernels' own input; at stride 2 they copy it into phase planes.
                let images = parts[index], part = stride == 1 ? input.paddedImages(images) : input.images(images)
                convolution.apply(part, relu: false, workspace: workspace).copyDensely(into: out, first: images.lowerBound, of: batch)
                return stride == 1 ? part : nil
            }
        }
        return (FeatureMaps(channels: outChannels, batch: batch, height: side, width: side, values: output), padded.compactMap { $0 })
    }

    /// A 3 x 3 convolution of padding 1 with `filters` ([O][C][3][3]) and nothing folded into it.
    private static func directConvolution(filters: [Float], outChannels: Int, inChannels: Int, stride: Int, side: Int) -> FoldedConvolution {
        FoldedConvolution(outChannels: outChannels, inChannels: inChannels, kernel: 3, stride: stride, padding: 1, weights: filters,
                          shifts: [Float](repeating: 0, count: outChannels), offsets: nil, inputSide: side)
    }

    /// dW and (when `inputGradient`) dX + `addend` of a 3 x 3 layer of padding 1 and stride 1 on the
    /// direct kernels, over parts of the batch: dY padded for the whole batch (as the batch norm's
    /// backward pass writes it, `readsPaddedOutputGradient`; padded here otherwise) and each part of x
    /// as the forward pass padded it, for the kernels' `filterGradient` (its dW, summed over the parts in
    /// order) and dY for the convolution with the flipped filters (its dX, added to the addend as it is
    /// copied densely).
    private func directBackward(_ record: Record, weight: [Float], outputGradient: FeatureMaps, inputGradient: Bool,
                                adding addend: [Float]?) -> (weight: [Float], input: FeatureMaps?) {
        let input = record.input, (outChannels, inChannels, batch, side) = (layer.outChannels, layer.inChannels, input.batch, input.height)
        let flipped = inputGradient
            ? Self.directConvolution(filters: flippedTransposed(weight), outChannels: inChannels, inChannels: outChannels, stride: 1, side: side) : nil
        let dy = outputGradient.relaid(PlaneLayout(height: side, width: side, padded: true)), layout = dy.layout
        let parts = Self.directParts(batch: batch), count = inputGradient ? input.values.count : 0
        var inputGradientValues = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        let addend = addend ?? []
        let partials = inputGradientValues.withUnsafeMutableBufferPointer { dx in addend.withUnsafeBufferPointer { addend in
            nonisolated(unsafe) let dx = dx.baseAddress, addend = addend.isEmpty ? nil : addend.baseAddress
            return ParallelMap.map(parts.count, state: Workspace.init) { index, workspace -> [Float] in
                let images = parts[index]
                let x = record.paddedParts.isEmpty ? input.paddedImages(images) : record.paddedParts[index]
                let partial = [Float](unsafeUninitializedCapacity: weight.count) { dw, initialized in
                    dy.values.withUnsafeBufferPointer { dyValues in
                        x.values.withUnsafeBufferPointer { xValues in
                            FoldedConvolution.kernels.filterGradient(
                                dy: dyValues.baseAddress! + images.lowerBound * layout.planeStride, x: xValues.baseAddress!, filters: outChannels,
                                channels: inChannels, images: images.count, dyChannelStride: batch * layout.planeStride,
                                xChannelStride: images.count * layout.planeStride, planeStride: layout.planeStride, rowStride: layout.rowStride,
                                height: layout.height, into: dw.baseAddress!)
                        }
                    }
                    initialized = weight.count
                }
                if let flipped, let dx {
                    flipped.apply(dy, images: images, relu: false, workspace: workspace)
                        .copyDensely(into: dx, first: images.lowerBound, of: batch, adding: addend)
                }
                return partial
            }
        } }
        var weightGradient = partials[0]
        for partial in partials.dropFirst() {
            for i in weightGradient.indices { weightGradient[i] += partial[i] }
        }
        guard inputGradient else { return (weightGradient, nil) }
        return (weightGradient, FeatureMaps(channels: inChannels, batch: batch, height: side, width: side, values: inputGradientValues))
    }

    /// The filters whose convolution (padding 1) of dY is dX for a 3 x 3 layer of stride 1:
    /// W'[c][o][ky][kx] = W[o][c][2 - ky][2 - kx], since dX_c(r) = sum_{o, k} W[o][c][k] dY_o(r - k + 1).
    private func flippedTransposed(_ weight: [Float]) -> [Float] {
        let (outChannels, inChannels) = (layer.outChannels, layer.inChannels)
        var flipped = [Float](repeating: 0, count: weight.count)
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                for tap in 0..<9 { flipped[(c * outChannels + o) * 9 + 8 - tap] = weight[(o * inChannels + c) * 9 + tap] }
            }
        }
        return flipped
    }

    /// What the backward pass reads of the forward pass: the input, and for a layer whose gradients run
    /// on the direct kernels, its parts as the forward pass padded them (empty otherwise).
    struct Record {
        let input: FeatureMaps
        var paddedParts: [FeatureMaps] = []
    }

    /// Y = W P for a batch of dense maps, and what the backward pass reads.
    func forward(_ input: FeatureMaps, weight: [Float]) -> (FeatureMaps, Record) {
        if convolvesDirectly {
            let (output, parts) = Self.convolvedDirectly(input, filters: weight, outChannels: layer.outChannels, stride: layer.stride)
            return (output, Record(input: input, paddedParts: parts))
        }
        let side = outputSide(input.height), plane = side * side, columns = input.batch * plane, count = layer.outChannels * columns
        var output = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        let depth = depth, outChannels = layer.outChannels, chunks = chunks(batch: input.batch, plane: plane)
        output.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out.baseAddress!
            _ = ParallelMap.map(chunks.count, state: Workspace.init) { index, workspace in
                let images = chunks[index], first = images.lowerBound * plane, width = images.count * plane
                weight.withUnsafeBufferPointer { w in
                    withPatches(input, images: images, outSide: side, buffer: workspace) { patches, ldb in
                        BLASRuntime.multiply(m: outChannels, n: width, k: depth, w.baseAddress!, lda: depth, transposingA: false, patches,
                                             ldb: ldb, transposingB: false, into: out + first, ldc: columns)
                    }
                }
            }
        }
        return (FeatureMaps(channels: layer.outChannels, batch: input.batch, height: side, width: side, values: output), Record(input: input))
    }

    /// dW = dY P^T, and dX = fold(W^T dY) (for a layer that `convolvesDirectly` with stride 1, the
    /// convolution of dY with the flipped filters) plus `addend` (maps of the input's shape, when given)
    /// unless `inputGradient` is false (the first layer's input is the image).
    func backward(_ record: Record, weight: [Float], outputGradient: FeatureMaps, inputGradient: Bool,
                  adding addend: FeatureMaps? = nil) -> (weight: [Float], input: FeatureMaps?) {
        let input = record.input
        precondition(addend.map { inputGradient && $0.channels == input.channels && $0.batch == input.batch && $0.height == input.height } ?? true,
                     "an addend of the input gradient's shape")
        let addend = addend?.dense().values
        if readsPaddedOutputGradient {
            return directBackward(record, weight: weight, outputGradient: outputGradient, inputGradient: inputGradient, adding: addend)
        }
        let outputGradient = outputGradient.dense(), side = outputGradient.height, plane = side * side, columns = outputGradient.batch * plane
        let depth = depth, outChannels = layer.outChannels, readsInput = readsInputAsPatches, foldsInputGradient = inputGradient
        // fold (and, for a 1 x 1 layer, the product with beta 1) adds to what the array holds.
        var inputGradientValues = addend ?? [Float](repeating: 0, count: foldsInputGradient ? input.values.count : 0)
        let beta: Float = addend == nil ? 0 : 1
        let chunks = chunks(batch: input.batch, plane: plane)
        let partials = inputGradientValues.withUnsafeMutableBufferPointer { values in
            nonisolated(unsafe) let dxValues = foldsInputGradient ? values.baseAddress! : nil
            return ParallelMap.map(chunks.count, state: Workspace.init) { index, buffer -> [Float] in
                let images = chunks[index], first = images.lowerBound * plane, width = images.count * plane
                return outputGradient.values.withUnsafeBufferPointer { dyValues in
                    weight.withUnsafeBufferPointer { w in
                        let dy = dyValues.baseAddress! + first
                        let partial = [Float](unsafeUninitializedCapacity: weight.count) { dw, initialized in
                            withPatches(input, images: images, outSide: side, buffer: buffer) { patches, ldb in
                                BLASRuntime.multiply(m: outChannels, n: depth, k: width, dy, lda: columns, transposingA: false, patches,
                                                     ldb: ldb, transposingB: true, into: dw.baseAddress!, ldc: depth)
                            }
                            initialized = weight.count
                        }
                        guard let dxValues else { return partial }
                        if readsInput {
                            BLASRuntime.multiply(m: depth, n: width, k: outChannels, w.baseAddress!, lda: depth, transposingA: true, dy,
                                                 ldb: columns, transposingB: false, into: dxValues + first, ldc: columns, beta: beta)
                        } else {
                            let patchGradient = buffer.floats(depth * width)
                            BLASRuntime.multiply(m: depth, n: width, k: outChannels, w.baseAddress!, lda: depth, transposingA: true, dy,
                                                 ldb: columns, transposingB: false, into: patchGradient, ldc: width)
                            PatchGeometry(layer: layer, input: input, outSide: side, images: images)
                                .fold(patchGradient, into: dxValues)
                        }
                        return partial
                    }
                }
            }
        }
        var weightGradient = partials[0]
        for partial in partials.dropFirst() {
            for i in weightGradient.indices { weightGradient[i] += partial[i] }
        }
        guard inputGradient else { return (weightGradient, nil) }
        return (weightGradient, FeatureMaps(channels: input.channels, batch: input.batch, height: input.height, width: input.width,
                                            values: inputGradientValues))
    }

    /// The patch matrix of the chunk `images` of `input` and its row stride, passed to `body`: the input
    /// itself for a 1 x 1 convolution of stride 1, otherwise unfolded into the thread's buffer.
    private func withPatches(_ input: FeatureMaps, images: Range<Int>, outSide: Int, buffer: Workspace,
                             _ body: (UnsafePointer<Float>, Int) -> Void) {
        let plane = outSide * outSide
        if readsInputAsPatches {
            input.values.withUnsafeBufferPointer { body($0.baseAddress! + images.lowerBound * plane, input.batch * plane) }
            return
        }
        let width = images.count * plane, patches = buffer.floats(depth * width)
        PatchGeometry(layer: layer, input: input, outSide: outSide, images: images).unfold(input, into: patches)
        body(patches, width)
    }
}

/// Where the patch matrix of a chunk of images reads its input: for each patch row (c, ky, kx), image of
/// the chunk and output row y', the run of output columns x' in firstX...lastX whose input position
/// (y' s + ky - p, x' s + kx - p) lies inside the map. Unfold copies along these runs, fold adds back along them.
struct PatchGeometry {
    let kernel: Int, stride: Int, padding: Int, channels: Int
    let height: Int, width: Int, batch: Int, outSide: Int
    let images: Range<Int>

    init(layer: ConvolutionLayer, input: FeatureMaps, outSide: Int, images: Range<Int>) {
        (kernel, stride, padding, channels) = (layer.kernel, layer.stride, layer.padding, layer.inChannels)
        (height, width, batch) = (input.height, input.width, input.batch)
        self.outSide = outSide
        self.images = images
    }

    /// Calls `body(patchOffset, inputOffset, firstX, count)` for every run: patch entries
    /// patchOffset + x, input entries inputOffset + x stride, x in firstX..<firstX + count; and
    /// `outside(patchOffset, count)` for the runs of patch entries that read outside the map.
    @inline(__always)
    private func forEachRun(_ body: (Int, Int, Int, Int) -> Void, outside: (Int, Int) -> Void = { _, _ in }) {
        let plane = outSide * outSide, columns = images.count * plane
        for c in 0..<channels {
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    let row = ((c * kernel + ky) * kernel + kx) * columns
                    let firstX = max(0, (padding - kx + stride - 1) / stride)
                    let lastX = min(outSide - 1, (width - 1 + padding - kx) / stride)
                    guard firstX <= lastX else { outside(row, columns); continue }
                    for (slot, image) in images.enumerated() {
                        let inputImage = (c * batch + image) * height * width
                        for y in 0..<outSide {
                            let inputY = y * stride + ky - padding, patch = row + slot * plane + y * outSide
                            guard inputY >= 0, inputY < height else { outside(patch, outSide); continue }
                            if firstX > 0 { outside(patch, firstX) }
                            if lastX < outSide - 1 { outside(patch + lastX + 1, outSide - 1 - lastX) }
                            body(patch, inputImage + inputY * width - padding + kx, firstX, lastX - firstX + 1)
                        }
                    }
                }
            }
        }
    }

    /// Writes the chunk's patch matrix (0 where a patch reads outside the map).
    func unfold(_ input: FeatureMaps, into patches: UnsafeMutablePointer<Float>) {
        let stride = stride
        input.values.withUnsafeBufferPointer { source in
            let source = source.baseAddress!
            forEachRun({ to, from, firstX, count in
                if stride == 1 {
                    (patches + to + firstX).update(from: source + from + firstX, count: count)
                } else {
                    for x in firstX..<(firstX + count) { patches[to + x] = source[from + x * stride] }
                }
            }, outside: { to, count in
                if count == 1 { patches[to] = 0 } else { (patches + to).update(repeating: 0, count: count) }
            })
        }
    }

    /// Adds the chunk's patch-matrix gradient back to the input positions it was read from.
    func fold(_ patches: UnsafePointer<Float>, into input: UnsafeMutablePointer<Float>) {
        let stride = stride
        forEachRun { from, to, firstX, count in
            if stride == 1 {
                add(input + to + firstX, patches + from + firstX, into: input + to + firstX, count: count)
            } else {
                for x in firstX..<(firstX + count) { input[to + x * stride] += patches[from + x] }
            }
        }
    }
}

/// Batch normalisation in training mode, channel c over its L = N H W values z:
///
///     mu = sum z / L,   var = sum (z - mu)^2 / L (biased),   zhat = (z - mu) / sqrt(var + eps),   y = gamma zhat + beta;
///
/// the running estimates move by momentum 0.1 towards mu and the unbiased variance var L / (L - 1).
/// Backward, with the sums over the channel's values:
///
///     dbeta = sum dy,   dgamma = sum dy zhat,   dz = gamma / sqrt(var + eps) (dy - dbeta / L - zhat dgamma / L).
///
/// Sums accumulate in Float64; the loops run on `BatchNormKernelSet`.
struct BatchNormStep {
    static let momentum = 0.1

    /// The loops as compiled for this processor (`ProcessorFeatures.kernelTarget`, whether or not
    /// OpenBLAS computes the convolutions). Every set gives the same bits.
    static let kernels = kernels(for: ProcessorFeatures.kernelTarget)

    /// The loops as compiled for `target`, to be called only where it `runsHere`.
    static func kernels(for target: ProcessorFeatures.KernelTarget) -> any BatchNormKernelSet.Type {
        switch target {
        case .avx512: KernelsAVX512.BatchNormKernels.self
        case .avx2: KernelsAVX2.BatchNormKernels.self
        case .baseline: KernelsBaseline.BatchNormKernels.self
        }
    }

    /// What backward needs: the normalised values and 1 / sqrt(var + eps) per channel.
    struct Saved {
        let normalized: [Float]
        let inverseDeviation: [Double]
    }

    /// y = gamma zhat + beta, plus `residual` when given (a block's shortcut, maps of z's shape), with
    /// ReLU after it when `relu`; the batch mean and biased variance per channel. Channels are spread
    /// over the cores.
    static func forward(_ z: FeatureMaps, gamma: [Float], beta: [Float], residual: FeatureMaps? = nil, relu: Bool)
        -> (output: FeatureMaps, saved: Saved, mean: [Double], variance: [Double]) {
        let length = z.channelLength, channels = z.channels, count = z.values.count, residual = residual?.dense().values ?? []
        precondition(residual.isEmpty || residual.count == count, "the residual does not fit the batch norm's maps")
        var normalized = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        var output = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        let statistics = normalized.withUnsafeMutableBufferPointer { zhat in
            output.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let (zhat, out) = (zhat.baseAddress!, out.baseAddress!)
                return z.values.withUnsafeBufferPointer { values in
                    residual.withUnsafeBufferPointer { residual in
                        let residual = residual.isEmpty ? nil : residual.baseAddress!
                        return ParallelMap.map(channels) { c -> (mean: Double, variance: Double, inverse: Double) in
                            let start = c * length, run = values.baseAddress! + start
                            let (mean, variance) = kernels.statistics(run, count: length)
                            let inverse = 1 / (variance + BatchNormTensors.epsilon).squareRoot()
                            kernels.normalize(run, count: length, mean: Float(mean), inverseDeviation: Float(inverse), gamma: gamma[c],
                                              beta: beta[c], residual: residual.map { $0 + start }, floor: relu ? 0 : -.infinity,
                                              normalized: zhat + start, into: out + start)
                            return (mean, variance, inverse)
                        }
                    }
                }
            }
        }
        let maps = FeatureMaps(channels: channels, batch: z.batch, height: z.height, width: z.width, values: output)
        return (maps, Saved(normalized: normalized, inverseDeviation: statistics.map(\.inverse)), statistics.map(\.mean), statistics.map(\.variance))
    }

    /// The running estimates after one batch: (1 - m) running + m batch, with the unbiased variance.
    static func updatedRunning(mean running: inout [Float], variance runningVariance: inout [Float], batchMean: [Double],
                               batchVariance: [Double], count: Int) {
        let correction = Double(count) / Double(max(1, count - 1))
        for c in running.indices {
            running[c] = Float((1 - momentum) * Double(running[c]) + momentum * batchMean[c])
            runningVariance[c] = Float((1 - momentum) * Double(runningVariance[c]) + momentum * batchVariance[c] * correction)
        }
    }

    /// dz, dgamma and dbeta from dy, the gradient at the batch norm's output; where a ReLU follows,
    /// `rectified` is its output and dy the gradient after it, so that the batch norm's is dy where
    /// rectified > 0 and 0 elsewhere. dz is dense, or, with `padded`, in the zero-padded layout of the
    /// direct kernels (for a convolution that `readsPaddedOutputGradient`). Channels are spread over the cores.
    static func backward(_ dy: FeatureMaps, saved: Saved, gamma: [Float], rectified: FeatureMaps?, padded: Bool = false)
        -> (input: FeatureMaps, gamma: [Float], beta: [Float]) {
        let length = dy.channelLength, channels = dy.channels, batch = dy.batch, plane = dy.height * dy.width
        let layout = PlaneLayout(height: dy.height, width: dy.width, padded: padded), count = channels * batch * layout.planeStride
        var dz = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        let outputs = rectified?.values ?? [], masks = rectified != nil
        let sums = dy.values.withUnsafeBufferPointer { gradient in
            saved.normalized.withUnsafeBufferPointer { zhat in
                outputs.withUnsafeBufferPointer { outputs in
                    dz.withUnsafeMutableBufferPointer { out in
                        nonisolated(unsafe) let out = out.baseAddress!
                        return ParallelMap.map(channels, state: Workspace.init) { c, workspace -> (dgamma: Float, dbeta: Float) in
                            let start = c * length, zhatRun = zhat.baseAddress! + start, target = out + c * batch * layout.planeStride
                            // With a ReLU, the gradient behind it goes where dense dz goes (overwritten below) or to scratch memory.
                            let masked = masks ? (padded ? workspace.floats(length) : target) : nil
                            let dyRun = masked.map { UnsafePointer($0) } ?? gradient.baseAddress! + start
                            let (sumDy, sumDyZhat) = kernels.gradientSums(gradient.baseAddress! + start, normalized: zhatRun, count: length,
                                                                          rectified: masks ? outputs.baseAddress! + start : nil,
                                                                          masked: masked ?? target)
                            let scale = Float(Double(gamma[c]) * saved.inverseDeviation[c])
                            let (meanDy, meanDyZhat) = (Float(sumDy / Double(length)), Float(sumDyZhat / Double(length)))
                            if padded {
                                for n in 0..<batch {
                                    kernels.paddedInputGradient(dyRun + n * plane, normalized: zhatRun + n * plane, height: layout.height,
                                                                width: layout.width, scale: scale, meanDy: meanDy, meanDyZhat: meanDyZhat,
                                                                into: target + n * layout.planeStride, rowStride: layout.rowStride,
                                                                length: layout.planeStride)
                                }
                            } else {
                                kernels.inputGradient(dyRun, normalized: zhatRun, count: length, scale: scale, meanDy: meanDy, meanDyZhat: meanDyZhat,
                                                      into: target)
                            }
                            return (Float(sumDyZhat), Float(sumDy))
                        }
                    }
                }
            }
        }
        return (FeatureMaps(channels: channels, batch: batch, layout: layout, values: dz), sums.map(\.dgamma), sums.map(\.dbeta))
    }
}

extension FeatureMaps {
    /// The values per run that `zipped` gives one thread.
    static let runLength = 1 << 16

    /// combine(self[i], other[i]) for every value of maps of one shape, in runs of `runLength` values
    /// spread over the cores.
    @inline(__always)
    func zipped(_ other: FeatureMaps, _ combine: (SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>) -> FeatureMaps {
        precondition(values.count == other.values.count, "maps of different shapes")
        let count = values.count
        let result = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            nonisolated(unsafe) let out = out.baseAddress!
            values.withUnsafeBufferPointer { a in
                other.values.withUnsafeBufferPointer { b in
                    nonisolated(unsafe) let (a, b) = (a.baseAddress!, b.baseAddress!)
                    func load(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> { UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self) }
                    _ = ParallelMap.map((count + Self.runLength - 1) / Self.runLength) { run in
                        var i = run * Self.runLength
                        let end = min(count, i + Self.runLength)
                        while i + 16 <= end {
                            UnsafeMutableRawPointer(out + i).storeBytes(of: combine(load(a + i), load(b + i)), as: SIMD16<Float>.self)
                            i += 16
                        }
                        while i < end {
                            out[i] = combine(SIMD16(repeating: a[i]), SIMD16(repeating: b[i]))[0]
                            i += 1
                        }
                    }
                }
            }
            initialized = count
        }
        return FeatureMaps(channels: channels, batch: batch, layout: layout, values: result)
    }

    /// The gradient through a ReLU whose output was `self`: dy where the output is positive, 0 elsewhere.
    func reluGradient(_ dy: FeatureMaps) -> FeatureMaps {
        zipped(dy) { output, gradient in gradient.replacing(with: 0, where: output .<= 0) }
    }

    /// The gradient through a max pooling whose input was `self`: each output's gradient goes to the
    /// first position of its window that holds the window's largest value (PyTorch's choice).
    func maxPoolingGradient(_ dy: FeatureMaps, pooling: NetworkGraph.MaxPooling) -> FeatureMaps {
        var dx = FeatureMaps(channels: channels, batch: batch, height: height, width: width)
        let (window, stride, padding) = (pooling.window, pooling.stride, pooling.padding)
        for map in 0..<(channels * batch) {
            let from = map * height * width, to = map * dy.height * dy.width
            for y in 0..<dy.height {
                for x in 0..<dy.width {
                    var largest = -Float.infinity, position = -1
                    for iy in max(0, y * stride - padding)..<min(height, y * stride - padding + window) {
                        for ix in max(0, x * stride - padding)..<min(width, x * stride - padding + window)
                            where values[from + iy * width + ix] > largest || position < 0 {
                            largest = values[from + iy * width + ix]
                            position = from + iy * width + ix
                        }
                    }
                    if position >= 0 { dx.values[position] += dy.values[to + y * dy.width + x] }
                }
            }
        }
        return dx
    }
}
