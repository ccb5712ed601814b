import Foundation

/// The settings of a training run; the defaults are the official recipe for a pre-trained network
/// (`pruning_cifar10.py`): batch 128, learning rate 0.01 with the step schedule, momentum 0.9 with
/// Nesterov, weight decay 5e-4, crop-and-flip augmentation.
public struct TrainingSettings: Sendable, Equatable {
    public var epochs: Int
    public var batch = 128
    public var learningRate = 0.01
    public var schedule = LearningRateSchedule.official
    public var momentum = 0.9
    public var nesterov = true
    public var weightDecay = 5e-4
    public var augmentation = Augmentation.cropFlip
    public var seed: UInt64 = 0
    public var normalization = Normalization.imagenet

    public init(epochs: Int) { self.epochs = epochs }
}

/// What one epoch did.
public struct EpochRecord: Sendable, Equatable {
    /// Numbered from 1.
    public let epoch: Int
    public let learningRate: Double
    /// The mean loss over the epoch's images.
    public let loss: Double
    /// The fraction of the epoch's (augmented) images the network classified correctly as it trained.
    public let trainTop1: Double
}

/// Why training stopped.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case nonFiniteLoss(epoch: Int, step: Int)
    case noImages
    case unlabelled

    public var description: String {
        switch self {
        case let .nonFiniteLoss(epoch, step): "the loss became NaN or infinite at epoch \(epoch), step \(step); lower the learning rate"
        case .noImages: "the training set holds no images"
        case .unlabelled: "the training images have no labels"
        }
    }
}

/// A training run of the official soft-pruning loop: each epoch shuffles the images, augments each
/// batch, and takes one SGD step per batch with the pruned filters' gradients zeroed; after the epoch
/// the mask is selected again on the new weights and applied (batch norms are never masked).
///
/// Epoch e (from 0) draws its order, crops and flips from its own stream of the seed
/// (`SeededGenerator(seed:stream:)`), so a run resumed after any epoch draws what an uninterrupted run draws.
public struct TrainingRun: Sendable {
    public private(set) var network: TrainableNetwork
    public private(set) var optimizer: MomentumSGD
    public let settings: TrainingSettings
    /// The selection the mask is made with, or nil for training without pruning.
    public let selector: FilterSelector?
    public private(set) var mask: TrainingMask?
    public private(set) var completedEpochs = 0

    /// A run from `weights`; with a selector, the weights are masked by its plan before the first step.
    public init(weights: BoundWeights, settings: TrainingSettings, selector: FilterSelector?, shortcut: ShortcutPlacement = .symmetric)
        throws(SelectionError) {
        network = TrainableNetwork(weights: weights, shortcut: shortcut)
        optimizer = MomentumSGD(learningRate: Float(settings.learningRate), momentum: Float(settings.momentum),
                                weightDecay: Float(settings.weightDecay), nesterov: settings.nesterov)
        self.settings = settings
        self.selector = selector
        try remask()
    }

    /// Continues a saved run: its network, momentum buffers and completed epochs.
    public init(resuming network: TrainableNetwork, velocities: [String: [Float]], completedEpochs: Int, settings: TrainingSettings,
                selector: FilterSelector?) throws(SelectionError) {
        self.network = network
        optimizer = MomentumSGD(learningRate: Float(settings.learningRate), momentum: Float(settings.momentum),
                                weightDecay: Float(settings.weightDecay), nesterov: settings.nesterov)
        optimizer.restore(velocities: velocities)
        self.settings = settings
        self.selector = selector
        self.completedEpochs = completedEpochs
        try remask()
    }

    /// Selects the mask on the current weights and applies it.
    private mutating func remask() throws(SelectionError) {
        guard let selector else { return }
        let mask = TrainingMask(plan: try selector.plan(for: network.weights.prunableLayers))
        mask.apply(to: &network)
        self.mask = mask
    }

    /// The next epoch over `images` (labelled, of the network's input side).
    public mutating func runEpoch(_ images: ImageSet) throws -> EpochRecord {
        guard images.count > 0 else { throw TrainingError.noImages }
        guard images.labels != nil else { throw TrainingError.unlabelled }
        let epoch = completedEpochs
        let rate = settings.schedule.rate(epoch: epoch, of: settings.epochs, base: settings.learningRate)
        optimizer.learningRate = Float(rate)
        var generator = SeededGenerator(seed: settings.seed, stream: "epoch \(epoch)")
        let order = generator.permutation(images.count)
        var lossSum = 0.0, correct = 0
        for (step, first) in stride(from: 0, to: order.count, by: settings.batch).enumerated() {
            let batch = settings.augmentation.batch(images, indices: Array(order[first..<min(first + settings.batch, order.count)]),
                                                    generator: &generator)
            let result = network.gradients(images: batch.maps(normalization: settings.normalization), labels: batch.labels!)
            guard result.loss.isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch + 1, step: step + 1) }
            optimizer.step(&network, gradients: result.gradients, mask: mask)
            lossSum += result.loss * Double(batch.count)
            correct += result.correct
        }
        try remask()
        completedEpochs += 1
        return EpochRecord(epoch: epoch + 1, learningRate: rate, loss: lossSum / Double(images.count),
                           trainTop1: Double(correct) / Double(images.count))
    }
}
