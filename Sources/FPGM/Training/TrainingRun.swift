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

    /// The settings as one line (what a checkpoint records).
    public var summary: String {
        "epochs \(epochs), batch \(batch), lr \(learningRate), schedule \(schedule.text), momentum \(momentum)\(nesterov ? " (Nesterov)" : ""), "
            + "weight decay \(weightDecay), augmentation \(augmentation.rawValue), seed \(seed), normalization \(normalization.rawValue)"
    }
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
    case imageSide(given: Int, network: Int)
    /// The caller asked to stop (Ctrl-C) during this epoch; the epochs before it are complete.
    case interrupted(epoch: Int)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(epoch, step): "the loss became NaN or infinite at epoch \(epoch), step \(step); lower the learning rate"
        case .noImages: "the training set holds no images"
        case .unlabelled: "the training images have no labels"
        case let .imageSide(given, network): "the training images are \(given) x \(given) and the network takes \(network) x \(network)"
        case let .interrupted(epoch): "interrupted during epoch \(epoch)"
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
        try self.init(resuming: TrainableNetwork(weights: weights, shortcut: shortcut), velocities: [:], completedEpochs: 0,
                      settings: settings, selector: selector)
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
        _ = Self.heapKeepsLargeArrays
        try remask()
    }

    /// A step allocates the same large arrays (feature maps, their gradients) again and again. glibc
    /// hands arrays above 128 KiB to mmap and unmaps them when freed, so that every step would fault
    /// in and zero fresh pages, and every unmap would interrupt the other cores; with the thresholds
    /// raised to 1 GiB they are reused from the heap.
    private static let heapKeepsLargeArrays: Void = {
        #if os(Linux)
        // mallopt(M_MMAP_THRESHOLD = -3, ...) and mallopt(M_TRIM_THRESHOLD = -1, ...); malloc.h is not
        // among the headers Swift imports.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        _ = mallopt(-3, 1 << 30)
        _ = mallopt(-1, 1 << 30)
        #endif
    }()

    /// Selects the mask on the current weights and applies it.
    private mutating func remask() throws(SelectionError) {
        guard let selector else { return }
        let mask = TrainingMask(plan: try selector.plan(for: network.weights.prunableLayers))
        mask.apply(to: &network)
        self.mask = mask
    }

    /// The number of steps of an epoch over `count` images.
    public func steps(images count: Int) -> Int { (count + settings.batch - 1) / settings.batch }

    /// The next epoch over `images` (labelled, of the network's input side). `afterStep(step, steps)` is
    /// called after each step (from 1); when it returns false the epoch stops with `.interrupted`, and
    /// the run is left as it was before a step that cannot be undone: use the last checkpoint.
    public mutating func runEpoch(_ images: ImageSet, afterStep: (Int, Int) -> Bool = { _, _ in true }) throws -> EpochRecord {
        guard images.count > 0 else { throw TrainingError.noImages }
        guard images.labels != nil else { throw TrainingError.unlabelled }
        guard images.side == network.architecture.inputSize else {
            throw TrainingError.imageSide(given: images.side, network: network.architecture.inputSize)
        }
        let epoch = completedEpochs
        let rate = settings.schedule.rate(epoch: epoch, of: settings.epochs, base: settings.learningRate)
        optimizer.learningRate = Float(rate)
        var generator = SeededGenerator(seed: settings.seed, stream: "epoch \(epoch)")
        let order = generator.permutation(images.count), steps = steps(images: images.count)
        var lossSum = 0.0, correct = 0
        for (step, first) in stride(from: 0, to: order.count, by: settings.batch).enumerated() {
            let batch = settings.augmentation.batch(images, indices: Array(order[first..<min(first + settings.batch, order.count)]),
                                                    generator: &generator)
            let result = network.gradients(images: batch.maps(normalization: settings.normalization), labels: batch.labels!)
            guard result.loss.isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch + 1, step: step + 1) }
            optimizer.step(&network, gradients: result.gradients, mask: mask)
            lossSum += result.loss * Double(batch.count)
            correct += result.correct
            guard afterStep(step + 1, steps) else { throw TrainingError.interrupted(epoch: epoch + 1) }
        }
        try remask()
        completedEpochs += 1
        return EpochRecord(epoch: epoch + 1, learningRate: rate, loss: lossSum / Double(images.count),
                           trainTop1: Double(correct) / Double(images.count))
    }
}
