/// The layers of training, forward and backward, on dense channel-major maps (`FeatureMaps`): a
/// channel's values over the whole batch are one contiguous run of length L = N H W, so a convolution
/// of the batch is one matrix product and a batch norm's statistics are sums over one run.

/// A convolution without bias, as training runs it. With P the input's patches unfolded into a
/// (C k^2) x (N H' W') matrix (`FoldedConvolution.unfold`) and W the (O) x (C k^2) filter matrix:
///
///     forward    Y  = W P
///     backward   dW = dY P^T,    dX = fold(W^T dY),
///
/// where fold, the adjoint of unfold, adds each patch entry back to the input position it was read from.
struct ConvolutionStep {
    let layer: ConvolutionLayer
    /// The unfolding of `FoldedConvolution`, for this layer's shape (its weights are not used).
    private let geometry: FoldedConvolution

    init(_ layer: ConvolutionLayer) {
        self.layer = layer
        geometry = FoldedConvolution(outChannels: layer.outChannels, inChannels: layer.inChannels, kernel: layer.kernel,
                                     stride: layer.stride, padding: layer.padding, weights: [], shifts: [], offsets: nil,
                                     inputSide: nil, direct: false)
    }

    /// Whether the patch matrix is the input itself (a 1 x 1 convolution of stride 1).
    private var readsInputAsPatches: Bool { layer.kernel == 1 && layer.stride == 1 && layer.padding == 0 }

    private var depth: Int { layer.inChannels * layer.kernel * layer.kernel }

    /// The patch matrix of `input`, passed to `body`.
    private func withPatches<R>(_ input: FeatureMaps, outSide: Int, _ body: (UnsafePointer<Float>) -> R) -> R {
        if readsInputAsPatches { return input.values.withUnsafeBufferPointer { body($0.baseAddress!) } }
        return geometry.unfold(input, outHeight: outSide, outWidth: outSide).withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// Y = W P for a batch of dense maps.
    func forward(_ input: FeatureMaps, weight: [Float]) -> FeatureMaps {
        let side = geometry.outputSide(input.height), columns = input.batch * side * side, count = layer.outChannels * columns
        let output = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            withPatches(input, outSide: side) { patches in
                weight.withUnsafeBufferPointer { w in
                    BLASRuntime.multiply(m: layer.outChannels, n: columns, k: depth, w.baseAddress!, transposingA: false, patches,
                                         transposingB: false, into: out.baseAddress!)
                }
            }
            initialized = count
        }
        return FeatureMaps(channels: layer.outChannels, batch: input.batch, height: side, width: side, values: output)
    }

    /// dW = dY P^T, and dX = fold(W^T dY) unless `inputGradient` is false (the first layer's input is the image).
    func backward(input: FeatureMaps, weight: [Float], outputGradient: FeatureMaps, inputGradient: Bool) -> (weight: [Float], input: FeatureMaps?) {
        let columns = outputGradient.batch * outputGradient.height * outputGradient.width
        let weightGradient = [Float](unsafeUninitializedCapacity: weight.count) { out, initialized in
            withPatches(input, outSide: outputGradient.height) { patches in
                outputGradient.values.withUnsafeBufferPointer { dy in
                    BLASRuntime.multiply(m: layer.outChannels, n: depth, k: columns, dy.baseAddress!, transposingA: false, patches,
                                         transposingB: true, into: out.baseAddress!)
                }
            }
            initialized = weight.count
        }
        guard inputGradient else { return (weightGradient, nil) }
        let patchGradient = [Float](unsafeUninitializedCapacity: depth * columns) { out, initialized in
            weight.withUnsafeBufferPointer { w in
                outputGradient.values.withUnsafeBufferPointer { dy in
                    BLASRuntime.multiply(m: depth, n: columns, k: layer.outChannels, w.baseAddress!, transposingA: true, dy.baseAddress!,
                                         transposingB: false, into: out.baseAddress!)
                }
            }
            initialized = depth * columns
        }
        if readsInputAsPatches {
            return (weightGradient, FeatureMaps(channels: input.channels, batch: input.batch, height: input.height, width: input.width,
                                                values: patchGradient))
        }
        return (weightGradient, fold(patchGradient, like: input, outSide: outputGradient.height))
    }

    /// The adjoint of unfold: input (c, n, y' s + ky - p, x' s + kx - p) gets the sum of patch entries
    /// (c, ky, kx; n, y', x') over every (ky, kx, y', x') that reads it.
    private func fold(_ patches: [Float], like input: FeatureMaps, outSide: Int) -> FeatureMaps {
        let (kernel, stride, padding) = (layer.kernel, layer.stride, layer.padding)
        let height = input.height, width = input.width, plane = outSide * outSide, columns = input.batch * plane
        var result = FeatureMaps(channels: input.channels, batch: input.batch, height: height, width: width)
        patches.withUnsafeBufferPointer { source in
            result.values.withUnsafeMutableBufferPointer { target in
                for c in 0..<layer.inChannels {
                    for ky in 0..<kernel {
                        for kx in 0..<kernel {
                            let row = source.baseAddress! + ((c * kernel + ky) * kernel + kx) * columns
                            // Output columns x' whose input column x' s + kx - p lies inside the map.
                            let firstX = max(0, (padding - kx + stride - 1) / stride)
                            let lastX = min(outSide - 1, (width - 1 + padding - kx) / stride)
                            guard firstX <= lastX else { continue }
                            for image in 0..<input.batch {
                                let inputImage = target.baseAddress! + (c * input.batch + image) * height * width
                                for y in 0..<outSide {
                                    let inputY = y * stride + ky - padding
                                    guard inputY >= 0, inputY < height else { continue }
                                    let from = row + image * plane + y * outSide, to = inputImage + inputY * width - padding + kx
                                    if stride == 1 {
                                        for x in firstX...lastX { to[x] += from[x] }
                                    } else {
                                        for x in firstX...lastX { to[x * stride] += from[x] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
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
/// Sums accumulate in Float64.
struct BatchNormStep {
    static let epsilon = 1e-5
    static let momentum = 0.1

    /// What backward needs: the normalised values and 1 / sqrt(var + eps) per channel.
    struct Saved {
        let normalized: [Float]
        let inverseDeviation: [Double]
    }

    /// y = gamma zhat + beta, with ReLU after it when `relu`; the batch mean and biased variance per channel.
    static func forward(_ z: FeatureMaps, gamma: [Float], beta: [Float], relu: Bool)
        -> (output: FeatureMaps, saved: Saved, mean: [Double], variance: [Double]) {
        let length = z.channelLength, channels = z.channels
        var normalized = [Float](repeating: 0, count: z.values.count), output = normalized
        var means = [Double](repeating: 0, count: channels), variances = means, inverse = means
        z.values.withUnsafeBufferPointer { values in
            normalized.withUnsafeMutableBufferPointer { zhat in
                output.withUnsafeMutableBufferPointer { out in
                    for c in 0..<channels {
                        let run = values.baseAddress! + c * length
                        var sum = 0.0
                        for i in 0..<length { sum += Double(run[i]) }
                        let mean = sum / Double(length)
                        var squares = 0.0
                        for i in 0..<length {
                            let d = Double(run[i]) - mean
                            squares += d * d
                        }
                        let variance = squares / Double(length), invStd = 1 / (variance + epsilon).squareRoot()
                        (means[c], variances[c], inverse[c]) = (mean, variance, invStd)
                        let m = Float(mean), s = Float(invStd), g = gamma[c], b = beta[c]
                        for i in (c * length)..<((c + 1) * length) {
                            let h = (values[i] - m) * s
                            zhat[i] = h
                            let y = g * h + b
                            out[i] = relu ? max(y, 0) : y
                        }
                    }
                }
            }
        }
        let maps = FeatureMaps(channels: channels, batch: z.batch, height: z.height, width: z.width, values: output)
        return (maps, Saved(normalized: normalized, inverseDeviation: inverse), means, variances)
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

    /// dz, dgamma and dbeta from dy (the gradient at the batch norm's output, before any ReLU).
    static func backward(_ dy: FeatureMaps, saved: Saved, gamma: [Float]) -> (input: FeatureMaps, gamma: [Float], beta: [Float]) {
        let length = dy.channelLength, channels = dy.channels
        var dz = [Float](repeating: 0, count: dy.values.count)
        var dgamma = [Float](repeating: 0, count: channels), dbeta = dgamma
        dy.values.withUnsafeBufferPointer { gradient in
            saved.normalized.withUnsafeBufferPointer { zhat in
                dz.withUnsafeMutableBufferPointer { out in
                    for c in 0..<channels {
                        let range = (c * length)..<((c + 1) * length)
                        var sumDy = 0.0, sumDyZhat = 0.0
                        for i in range {
                            sumDy += Double(gradient[i])
                            sumDyZhat += Double(gradient[i]) * Double(zhat[i])
                        }
                        (dgamma[c], dbeta[c]) = (Float(sumDyZhat), Float(sumDy))
                        let scale = Float(Double(gamma[c]) * saved.inverseDeviation[c])
                        let meanDy = Float(sumDy / Double(length)), meanDyZhat = Float(sumDyZhat / Double(length))
                        for i in range { out[i] = scale * (gradient[i] - meanDy - zhat[i] * meanDyZhat) }
                    }
                }
            }
        }
        return (FeatureMaps(channels: channels, batch: dy.batch, height: dy.height, width: dy.width, values: dz), dgamma, dbeta)
    }
}

extension FeatureMaps {
    /// The gradient through a ReLU whose output was `self`: dy where the output is positive, 0 elsewhere.
    func reluGradient(_ dy: FeatureMaps) -> FeatureMaps {
        var masked = dy
        masked.values.withUnsafeMutableBufferPointer { gradient in
            values.withUnsafeBufferPointer { output in
                for i in 0..<gradient.count where output[i] <= 0 { gradient[i] = 0 }
            }
        }
        return masked
    }

    /// self + other, elementwise (maps of one shape).
    func adding(_ other: FeatureMaps) -> FeatureMaps {
        precondition(values.count == other.values.count, "maps of different shapes")
        var sum = self
        sum.values.withUnsafeMutableBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                for i in 0..<a.count { a[i] += b[i] }
            }
        }
        return sum
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
