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

    /// PyTorch's default batch-norm epsilon.
    static let epsilon = 1e-5

    /// Folds `weight` ([O, C, k, k]) and a batch norm's four tensors, keeping the output channels
    /// `outputs` and the input channels `inputs` (all when nil).
    init(weight: Tensor, gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor, stride: Int, padding: Int,
         outputs: [Int]? = nil, inputs: [Int]? = nil) {
        let allOut = weight.shape[0], allIn = weight.shape[1], kernel = weight.shape[2]
        let outputs = outputs ?? Array(0..<allOut), inputs = inputs ?? Array(0..<allIn)
        let area = kernel * kernel
        var folded = [Float](), shifts = [Float]()
        folded.reserveCapacity(outputs.count * inputs.count * area)
        for o in outputs {
            let scale = Double(gamma.scalars[o]) / (Double(variance.scalars[o]) + Self.epsilon).squareRoot()
            shifts.append(Float(Double(beta.scalars[o]) - Double(mean.scalars[o]) * scale))
            for c in inputs {
                let start = (o * allIn + c) * area
                for value in weight.scalars[start..<(start + area)] { folded.append(Float(Double(value) * scale)) }
            }
        }
        self.init(outChannels: outputs.count, inChannels: inputs.count, kernel: kernel, stride: stride, padding: padding,
                  weights: folded, shifts: shifts, offsets: nil)
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

    /// The side of the output for an input side `size`: floor((size + 2 padding - kernel) / stride) + 1.
    func outputSide(_ size: Int) -> Int { (size + 2 * padding - kernel) / stride + 1 }

    /// The layer applied to a batch, followed by max(0, .) when `relu`.
    func apply(_ input: FeatureMaps, relu: Bool) -> FeatureMaps {
        precondition(input.channels == inChannels, "a convolution of \(inChannels) input channels was given \(input.channels)")
        let outHeight = outputSide(input.height), outWidth = outputSide(input.width)
        let plane = outHeight * outWidth, columns = input.batch * plane, depth = inChannels * kernel * kernel
        var output = [Float](repeating: 0, count: outChannels * columns)
        let multiply = { (patches: UnsafePointer<Float>) in
            self.weights.withUnsafeBufferPointer { filters in
                output.withUnsafeMutableBufferPointer { result in
                    BLASRuntime.shared.sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(self.outChannels), Int32(columns),
                                             Int32(depth), 1, filters.baseAddress, Int32(depth), patches, Int32(columns), 0,
                                             result.baseAddress, Int32(columns))
                }
            }
        }
        if kernel == 1, stride == 1, padding == 0 {
            input.values.withUnsafeBufferPointer { multiply($0.baseAddress!) }
        } else {
            unfold(input, outHeight: outHeight, outWidth: outWidth).withUnsafeBufferPointer { multiply($0.baseAddress!) }
        }
        output.withUnsafeMutableBufferPointer { result in
            for o in 0..<outChannels {
                let shift = shifts[o]
                for image in 0..<input.batch {
                    let start = o * columns + image * plane
                    if let offsets {
                        for p in 0..<plane { result[start + p] += shift + offsets[o * plane + p] }
                    } else {
                        for p in 0..<plane { result[start + p] += shift }
                    }
                    if relu { for p in start..<(start + plane) { result[p] = max(result[p], 0) } }
                }
            }
        }
        return FeatureMaps(channels: outChannels, batch: input.batch, height: outHeight, width: outWidth, values: output)
    }

    /// The input's patches as a (C k^2) x (N H' W') matrix: row (c, ky, kx), column (n, y', x') holds
    /// input (c, n, y' stride + ky - padding, x' stride + kx - padding), or 0 outside the map.
    func unfold(_ input: FeatureMaps, outHeight: Int, outWidth: Int) -> [Float] {
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
                                    if stride == 1 {
                                        (target.baseAddress! + to + firstX).update(from: source.baseAddress! + from + firstX,
                                                                                   count: lastX - firstX + 1)
                                    } else {
                                        for x in firstX...lastX { target[to + x] = source[from + x * stride] }
                                    }
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
