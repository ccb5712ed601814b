import Foundation

/// Re-estimation of batch-norm statistics after pruning (EagleEye, Li et al. 2020; PyTorch's
/// `momentum=None`): the training-mode forward pass runs over the images in batches of `batchSize`
/// (the last one smaller), without labels or gradients. In it every batch norm normalises its input z
/// by the batch's own statistics, y_c = gamma_c (z_c - mu_c) / sqrt(sigma2_c + eps) + beta_c, with mu_c
/// and sigma2_c (biased) over the batch's images and positions. Each running mean becomes the plain
/// average over batches of mu_c, and each running variance the average of the unbiased batch
/// variance sigma2_c m / (m - 1), m = images x positions: every batch weighs the same. A masked filter's
/// z is 0, so its statistics are 0 and its channel outputs beta_c, as in the official code.
public enum BatchNormRecalibration {
    public static let batchSize = 128

    /// `weights` with every batch norm's running mean and variance re-estimated on `images` (normalised
    /// with `normalization`). Batches are independent, so they run on `threads` threads; the averages
    /// are summed in batch order, so the result does not depend on the thread count.
    public static func recalibrated(_ weights: BoundWeights, images: ImageSet, normalization: Normalization,
                                    shortcut: ShortcutPlacement = .symmetric,
                                    threads: Int = ParallelMap.processors) -> BoundWeights {
        let network = InferenceNetwork(model: CompactModel(weights: weights), shortcut: shortcut, foldingBatchNorms: false)
        let architecture = weights.architecture, norms = weights.batchNormsByConvolution
        let batches = stride(from: 0, to: images.count, by: batchSize).map { $0..<min($0 + batchSize, images.count) }
        let statistics = ParallelMap.map(batches.count, threads: threads, state: Workspace.init) { index, workspace in
            var pass = TrainingModePass(norms: norms, workspace: workspace)
            pass.run(network, images.maps(batches[index], normalization: normalization))
            return pass.statistics
        }
        var tensors = weights.tensors
        for (layer, norm) in norms {
            let perBatch = statistics.compactMap { $0[layer] }
            guard let channels = perBatch.first?.mean.count else { continue }
            var mean = [Double](repeating: 0, count: channels), variance = [Double](repeating: 0, count: channels)
            for batch in perBatch {
                for c in 0..<channels {
                    mean[c] += batch.mean[c]
                    variance[c] += batch.unbiasedVariance[c]
                }
            }
            let count = Double(perBatch.count)
            tensors["\(norm.name).running_mean"] = Tensor(validShape: [channels], scalars: mean.map { Float($0 / count) })
            tensors["\(norm.name).running_var"] = Tensor(validShape: [channels], scalars: variance.map { Float($0 / count) })
        }
        return BoundWeights(architecture: architecture, tensors: tensors)
    }
}

/// One batch norm's statistics on one batch: mean and unbiased variance per channel.
struct BatchStatistics {
    let mean: [Double]
    let unbiasedVariance: [Double]
}

/// The training-mode forward pass of one batch through a network built without folding, recording each
/// batch norm's batch statistics by the name of the convolution it follows.
struct TrainingModePass: UnfoldedPass {
    let norms: [String: BatchNormTensors]
    let workspace: Workspace
    private(set) var statistics: [String: BatchStatistics] = [:]

    init(norms: [String: BatchNormTensors], workspace: Workspace) {
        self.norms = norms
        self.workspace = workspace
    }

    /// Runs the body of `network` (its convolutions unfolded) on `input`; the classifier is not needed.
    mutating func run(_ network: InferenceNetwork, _ input: FeatureMaps) {
        _ = network.walkUnfolded(&self, input)
    }

    mutating func layer(_ convolution: FoldedConvolution, _ input: FeatureMaps, relu: Bool, residual: FeatureMaps?) -> FeatureMaps {
        normalized(convolution.apply(input, relu: false, workspace: workspace), convolution.layer, relu: relu, residual: residual)
    }

    func shortcut(_ input: FeatureMaps, block: InferenceNetwork.Block, network: InferenceNetwork) -> FeatureMaps {
        network.shortcutMaps(of: input, block: block)
    }

    func maxPooled(_ maps: FeatureMaps, _ pooling: NetworkGraph.MaxPooling) -> FeatureMaps { maps.maxPooled(pooling) }

    /// gamma (z - mu) / sqrt(sigma2 + eps) + beta (+ residual), then ReLU where `relu`, at every position
    /// of the maps, in place (their padding, if any, stays zero); mu and sigma2 are recorded for `layer`.
    /// One pass gathers both, on the values shifted by the channel's first value K (which keeps the
    /// subtraction below from cancelling): mu = K + S1 / m and sigma2 = S2 / m - (S1 / m)^2, with
    /// S1 = sum (z - K) and S2 = sum (z - K)^2 over the m values, each row summed in Float lanes
    /// (`RowMoments`), the rows' sums in Float64.
    mutating func normalized(_ z: consuming FeatureMaps, _ layer: String, relu: Bool, residual: FeatureMaps? = nil) -> FeatureMaps {
        guard let norm = norms[layer] else { preconditionFailure("no batch norm follows \(layer)") }
        var output = z
        let residualValues = residual?.relaid(output.layout).values ?? []
        let (channels, batch, height, width) = (output.channels, output.batch, output.height, output.width), layout = output.layout
        let count = Double(batch * height * width)
        // The geometry is read before `output.values` is written, so that no second reference to the
        // values makes the write copy them.
        func rowStart(_ c: Int, _ n: Int, _ y: Int) -> Int { layout.rowStart(plane: c * batch + n, row: y) }
        var means = [Double](), variances = [Double]()
        means.reserveCapacity(channels)
        variances.reserveCapacity(channels)
        residualValues.withUnsafeBufferPointer { residuals in
            output.values.withUnsafeMutableBufferPointer { values in
                let base = values.baseAddress!, residual = residuals.isEmpty ? nil : residuals.baseAddress
                for c in 0..<channels {
                    let shift = base[rowStart(c, 0, 0)]
                    var sum = 0.0, squares = 0.0
                    for n in 0..<batch {
                        for y in 0..<height {
                            let row = RowMoments(base + rowStart(c, n, y), count: width, shift: shift)
                            sum += Double(row.sum)
                            squares += Double(row.squares)
                        }
                    }
                    let centred = sum / count, mean = Double(shift) + centred
                    let variance = max(0, squares / count - centred * centred)
                    means.append(mean)
                    variances.append(count > 1 ? variance * count / (count - 1) : 0)
                    let scale = Double(norm.gamma.scalars[c]) / (variance + BatchNormTensors.epsilon).squareRoot()
                    let affine = RowAffine(factor: Float(scale), shift: Float(Double(norm.beta.scalars[c]) - mean * scale), floor: relu ? 0 : -.infinity)
                    for n in 0..<batch {
                        for y in 0..<height {
                            let start = rowStart(c, n, y)
                            affine.apply(base + start, count: width, residual: residual.map { $0 + start })
                        }
                    }
                }
            }
        }
        statistics[layer] = BatchStatistics(mean: means, unbiasedVariance: variances)
        return output
    }
}

/// Sum (x_i - shift) and sum (x_i - shift)^2 over one row of `count` floats, in eight Float lanes and then
/// the lanes in order (the rest of the row one by one): the same order, so the same digits, on every
/// processor.
struct RowMoments {
    let sum: Float
    let squares: Float

    init(_ row: UnsafePointer<Float>, count: Int, shift: Float) {
        var sums = SIMD8<Float>(), squares = SIMD8<Float>()
        let shifts = SIMD8<Float>(repeating: shift)
        var i = 0
        while i + 8 <= count {
            let d = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self) - shifts
            sums += d
            squares += d * d
            i += 8
        }
        var sum = sums.sum(), square = squares.sum()
        while i < count {
            let d = row[i] - shift
            sum += d
            square += d * d
            i += 1
        }
        self.sum = sum
        self.squares = square
    }
}

/// x = max(floor, x factor + shift + residual) over one row of `count` floats, in place.
struct RowAffine {
    let factor: Float
    let shift: Float
    let floor: Float

    func apply(_ row: UnsafeMutablePointer<Float>, count: Int, residual: UnsafePointer<Float>?) {
        let factors = SIMD8<Float>(repeating: factor), shifts = SIMD8<Float>(repeating: shift), floors = SIMD8<Float>(repeating: floor)
        var i = 0
        while i + 8 <= count {
            var value = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self) * factors + shifts
            if let residual { value += UnsafeRawPointer(residual + i).loadUnaligned(as: SIMD8<Float>.self) }
            UnsafeMutableRawPointer(row + i).storeBytes(of: value.replacing(with: floors, where: value .< floors), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            row[i] = max(row[i] * factor + shift + (residual?[i] ?? 0), floor)
            i += 1
        }
    }
}
