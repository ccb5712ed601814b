import CBLAS

/// A convolution followed by its batch normalisation in inference mode, folded into one affine map:
///
///     BN(W * x)_o = s_o (W_o * x) + t_o,   s_o = gamma_o / sqrt(var_o + eps),   t_o = beta_o - mean_o s_o,
///
/// computed as (s_o W_o) * x + t_o, plus, when some input channels were removed because they were
/// constant, a fixed map per output channel (`offsets`) holding their contribution.
/// The convolution itself unfolds the input's patches into a (C k^2) x (N H' W') matrix and multiplies
/// it by the (O) x (C k^2) filter matrix in one SGEMM (a 1x1 convolution of stride 1 needs no unfolding).
struct FoldedConvolution: Sendable {
    let outChannels: Int
    let inChannels: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    /// Row o holds s_o W_o, flattened over (input channel, row, column).
    let weights: [Float]
    /// t_o.
    let shifts: [Float]
    /// outChannels x (H' W') values added to each image's output, or nil.
    var offsets: [Float]?

    /// Folds `weight` ([O, C, k, k]) with the batch norm `norm` that follows it; `inputOffsets`
    /// ([O, H', W']), when given, is added to the convolution's output before the batch norm.
    init(weight: Tensor, norm: BatchNormTensors, stride: Int, padding: Int, inputOffsets: Tensor?) {
        let outChannels = weight.shape[0], length = weight.count / max(1, outChannels)
        let scales = (0..<outChannels).map(norm.scale)
        var folded = weight.scalars
        for o in 0..<outChannels {
            for i in (o * length)..<((o + 1) * length) { folded[i] = Float(Double(folded[i]) * scales[o]) }
        }
        let offsets = inputOffsets.map { raw in
            let plane = raw.count / max(1, outChannels)
            return raw.scalars.enumerated().map { index, value in Float(Double(value) * scales[index / plane]) }
        }
        self.init(outChannels: outChannels, inChannels: weight.shape[1], kernel: weight.shape[2], stride: stride, padding: padding,
                  weights: folded, shifts: (0..<outChannels).map(norm.shift), offsets: offsets)
    }

    init(outChannels: Int, inChannels: Int, kernel: Int, stride: Int, padding: Int, weights: [Float], shifts: [Float], offsets: [Float]?) {
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.weights = weights
        self.shifts = shifts
        self.offsets = offsets
    }

    /// The scaled convolution alone: no shifts, no offsets.
    var withoutShifts: FoldedConvolution {
        FoldedConvolution(outChannels: outChannels, inChannels: inChannels, kernel: kernel, stride: stride, padding: padding,
                          weights: weights, shifts: [Float](repeating: 0, count: outChannels), offsets: nil)
    }

    /// The side of the output for an input side `size`: floor((size + 2 padding - kernel) / stride) + 1.
    func outputSide(_ size: Int) -> Int { (size + 2 * padding - kernel) / stride + 1 }

    /// The layer applied to a batch, followed by max(0, .) when `relu`.
    func apply(_ input: FeatureMaps, relu: Bool) -> FeatureMaps {
        precondition(input.channels == inChannels, "a convolution of \(inChannels) input channels was given \(input.channels)")
        let outHeight = outputSide(input.height), outWidth = outputSide(input.width)
        let plane = outHeight * outWidth, columns = input.batch * plane, depth = inChannels * kernel * kernel
        var output = [Float](unsafeUninitializedCapacity: outChannels * columns) { _, count in count = outChannels * columns }
        // Column blocks small enough (M N K <= 10^6) for OpenBLAS's unpacked small-matrix kernels, but at
        // least 64 wide (narrower blocks run slower than packing).
        let block = max(64, min(columns, 1_000_000 / max(1, outChannels * depth) / 16 * 16))
        let multiply = { (patches: UnsafePointer<Float>) in
            self.weights.withUnsafeBufferPointer { filters in
                output.withUnsafeMutableBufferPointer { result in
                    var first = 0
                    while first < columns {
                        let width = min(block, columns - first)
                        BLASRuntime.shared.sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(self.outChannels), Int32(width),
                                                 Int32(depth), 1, filters.baseAddress, Int32(depth), patches + first, Int32(columns), 0,
                                                 result.baseAddress! + first, Int32(columns))
                        first += width
                    }
                }
            }
        }
        if kernel == 1, stride == 1, padding == 0 {
            input.values.withUnsafeBufferPointer { multiply($0.baseAddress!) }
        } else {
            unfold(input, outHeight: outHeight, outWidth: outWidth).withUnsafeBufferPointer { multiply($0.baseAddress!) }
        }
        output.withUnsafeMutableBufferPointer { result in
            let floor: Float = relu ? 0 : -.infinity
            for o in 0..<outChannels {
                let shift = shifts[o]
                for image in 0..<input.batch {
                    let run = UnsafeMutableBufferPointer(rebasing: result[(o * columns + image * plane)..<(o * columns + (image + 1) * plane)])
                    if let offsets {
                        offsets.withUnsafeBufferPointer { all in
                            for p in 0..<plane { run[p] = max(run[p] + shift + all[o * plane + p], floor) }
                        }
                    } else {
                        for p in 0..<plane { run[p] = max(run[p] + shift, floor) }
                    }
                }
            }
        }
        return FeatureMaps(channels: outChannels, batch: input.batch, height: outHeight, width: outWidth, values: output)
    }

    /// The input's patches as a (C k^2) x (N H' W') matrix: row (c, ky, kx), column (n, y', x') holds
    /// input (c, n, y' stride + ky - padding, x' stride + kx - padding), or 0 outside the map.
    func unfold(_ input: FeatureMaps, outHeight: Int, outWidth: Int) -> [Float] {
        let plane = outHeight * outWidth, columns = input.batch * plane, count = inChannels * kernel * kernel * columns
        guard stride == 1, outHeight == input.height, outWidth == input.width else {
            return unfoldStrided(input, outHeight: outHeight, outWidth: outWidth)
        }
        let side = input.width
        return [Float](unsafeUninitializedCapacity: count) { target, initialized in
            input.values.withUnsafeBufferPointer { source in
                for c in 0..<inChannels {
                    for ky in 0..<kernel {
                        for kx in 0..<kernel {
                            let dy = ky - padding, dx = kx - padding, shift = dy * side + dx
                            // Output rows whose input row lies inside the map.
                            let firstRow = max(0, -dy), endRow = min(outHeight, outHeight - dy)
                            for image in 0..<input.batch {
                                let from = source.baseAddress! + (c * input.batch + image) * plane
                                let to = target.baseAddress! + ((c * kernel + ky) * kernel + kx) * columns + image * plane
                                // Rows above and below the map.
                                to.update(repeating: 0, count: firstRow * side)
                                (to + endRow * side).update(repeating: 0, count: (outHeight - endRow) * side)
                                guard firstRow < endRow else { continue }
                                // The rows inside, as one shifted copy (clipped to the input), then the columns that
                                // wrapped around from the neighbouring row set to 0.
                                let low = max(firstRow * side + shift, 0), high = min(endRow * side + shift, plane)
                                (to + firstRow * side).update(repeating: 0, count: low - shift - firstRow * side)
                                (to + low - shift).update(from: from + low, count: high - low)
                                (to + high - shift).update(repeating: 0, count: endRow * side - (high - shift))
                                if dx != 0 {
                                    let column = dx < 0 ? 0 : side - dx
                                    for y in firstRow..<endRow {
                                        for x in column..<(column + abs(dx)) { to[y * side + x] = 0 }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            initialized = count
        }
    }

    /// `unfold` for any stride, element by element.
    func unfoldStrided(_ input: FeatureMaps, outHeight: Int, outWidth: Int) -> [Float] {
        let plane = outHeight * outWidth, columns = input.batch * plane
        var patches = [Float](repeating: 0, count: inChannels * kernel * kernel * columns)
        input.values.withUnsafeBufferPointer { source in
            patches.withUnsafeMutableBufferPointer { target in
                for c in 0..<inChannels {
                    for ky in 0..<kernel {
                        for kx in 0..<kernel {
                            let row = ((c * kernel + ky) * kernel + kx) * columns
                            // Output columns x' whose input column x' stride + kx - padding lies inside the map.
                            let firstX = max(0, (padding - kx + stride - 1) / stride)
                            let lastX = min(outWidth - 1, (input.width - 1 + padding - kx) / stride)
                            guard firstX <= lastX else { continue }
                            for image in 0..<input.batch {
                                let sourceImage = (c * input.batch + image) * input.height * input.width
                                for y in 0..<outHeight {
                                    let inputY = y * stride + ky - padding
                                    guard inputY >= 0, inputY < input.height else { continue }
                                    let from = sourceImage + inputY * input.width - padding + kx
                                    let to = row + image * plane + y * outWidth
                                    for x in firstX...lastX { target[to + x] = source[from + x * stride] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return patches
    }
}
