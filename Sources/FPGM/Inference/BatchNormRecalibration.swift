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
                                    threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> BoundWeights {
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

    func maxPooled(_ maps: FeatureMaps, window: Int, stride: Int, padding: Int) -> FeatureMaps {
        maps.maxPooled(window: window, stride: stride, padding: padding)
    }
    /// gamma (z - mu) / sqrt(sigma2 + eps) + beta (+ residual), then ReLU where `relu`, at every position
    /// of the maps (their padding, if any, stays zero); mu and sigma2 are recorded for `layer`. Each row's
    /// values are summed in Float, the rows' sums in Float64 (two passes: the mean, then the squares).
    mutating func normalized(_ z: FeatureMaps, _ layer: String, relu: Bool, residual: FeatureMaps? = nil) -> FeatureMaps {
        guard let norm = norms[layer] else { preconditionFailure("no batch norm follows \(layer)") }
        let residualValues = residual?.relaid(z.layout).values ?? []
        var output = z
        let count = Double(z.batch * z.height * z.width), width = z.width
        var means = [Double](), variances = [Double]()
        means.reserveCapacity(z.channels)
        variances.reserveCapacity(z.channels)
        z.values.withUnsafeBufferPointer { input in
            residualValues.withUnsafeBufferPointer { residuals in
                output.values.withUnsafeMutableBufferPointer { out in
                    for c in 0..<z.channels {
                        let rows = (0..<z.batch).flatMap { n in (0..<z.height).map { z.rowStart(channel: c, image: n, row: $0) } }
                        var sum = 0.0
                        for start in rows {
                            var row: Float = 0
                            for index in start..<(start + width) { row += input[index] }
                            sum += Double(row)
                        }
                        let mean = sum / count, center = Float(mean)
                        var squares = 0.0
                        for start in rows {
                            var row: Float = 0
                            for index in start..<(start + width) {
                                let d = input[index] - center
                                row += d * d
                            }
                            squares += Double(row)
                        }
                        let variance = squares / count
                        means.append(mean)
                        variances.append(count > 1 ? squares / (count - 1) : 0)
                        let scale = Double(norm.gamma.scalars[c]) / (variance + BatchNormTensors.epsilon).squareRoot()
                        let factor = Float(scale), shift = Float(Double(norm.beta.scalars[c]) - mean * scale)
                        let floor: Float = relu ? 0 : -.infinity
                        for start in rows {
                            if residuals.isEmpty {
                                for index in start..<(start + width) { out[index] = max(input[index] * factor + shift, floor) }
                            } else {
                                for index in start..<(start + width) { out[index] = max(input[index] * factor + shift + residuals[index], floor) }
                            }
                        }
                    }
                }
            }
        }
        statistics[layer] = BatchStatistics(mean: means, unbiasedVariance: variances)
        return output
    }
}
