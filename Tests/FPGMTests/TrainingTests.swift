import Foundation
import Testing
@testable import FPGM

/// The training engine against PyTorch's CPU autograd (Tools/make_training_fixtures.py,
/// Tests/Fixtures/training): ResNet-20 with the trained weights, 32 shared training images (the first
/// ones; for the masked step, the first 32 in a row whose ReLU inputs all keep clear of zero), no augmentation.
@Suite("Training: gradients and SGD against PyTorch",
       .enabled(if: ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"] != nil && ProcessInfo.processInfo.environment["FPGM_DATA_DIR"] != nil))
struct TrainingTests {
    static let weights = ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"]
    static let data = ProcessInfo.processInfo.environment["FPGM_DATA_DIR"]

    /// The fixture's expected values and PyTorch's arrays.
    struct Reference {
        let json: [String: Any]
        let arrays: [String: [Float]]

        init() throws {
            json = try #require(try Fixtures.json("training/expected.json") as? [String: Any])
            let checkpoint = try Checkpoint.read(path: Fixtures.path("training/resnet20-step.npz"))
            arrays = Dictionary(uniqueKeysWithValues: checkpoint.tensors.map { ($0.name, $0.tensor.scalars) })
        }

        func array(_ key: String) throws -> [Float] { try #require(arrays[key], "no \(key) in the fixture") }
    }

    static func network() throws -> TrainableNetwork {
        let checkpoint = try Checkpoint.read(path: try #require(weights) + "/resnet20-12fca82f.th")
        return TrainableNetwork(weights: try Architecture.named("resnet20").bind(checkpoint))
    }

    /// 32 images of data_batch_1.bin from `offset` on, normalised as akamaster's trainer did, and their labels.
    static func batch(offset: Int = 0) throws -> (FeatureMaps, [Int]) {
        let images = try ImageData(environment: [:]).load(try #require(data) + "/cifar-10-batches-bin/data_batch_1.bin", split: .train)
        let range = offset..<(offset + 32)
        return (images.maps(range, normalization: .imagenet), Array(try #require(images.labels)[range]))
    }

    /// The error of ours relative to the scale of PyTorch's tensor.
    static func relativeError(_ ours: [Float], _ theirs: [Float]) -> Double { scaledDifference(ours, from: theirs) }

    @Test("the loss, all 59 gradients and every batch norm's batch statistics equal PyTorch's to 1e-4 relative")
    func gradients() throws {
        let reference = try Reference()
        var network = try Self.network()
        let (images, labels) = try Self.batch()
        #expect(labels == reference.json["labels"] as? [Int])
        let result = network.gradients(images: images, labels: labels)
        #expect(relativelyClose(result.loss, try #require(reference.json["loss"] as? Double), 1e-4), "loss \(result.loss)")
        #expect(result.gradients.count == 59 && network.parameterNames.count == 59, "19 convolutions with their batch norms, and the classifier")
        for name in network.parameterNames {
            let error = Self.relativeError(try #require(result.gradients[name]), try reference.array("grad/\(name)"))
            #expect(error < 1e-4, "gradient of \(name): \(error)")
        }
        for node in network.architecture.graph.nodes {
            let norm = node.batchNorm.name
            let mean = try #require(result.batchMeans[norm]).map(Float.init), variance = try #require(result.batchVariances[norm]).map(Float.init)
            #expect(Self.relativeError(mean, try reference.array("batch_mean/\(norm)")) < 1e-5, "batch mean of \(norm)")
            #expect(Self.relativeError(variance, try reference.array("batch_var/\(norm)")) < 1e-5, "batch variance of \(norm)")
            for field in ["running_mean", "running_var"] {
                let error = Self.relativeError(try #require(network.tensors["\(norm).\(field)"]), try reference.array("after/\(norm).\(field)"))
                #expect(error < 1e-5, "\(norm).\(field) after the step: \(error)")
            }
        }
    }

    @Test("one Nesterov SGD step with weight decay gives PyTorch's weights to 1e-5 relative")
    func plainStep() throws {
        let reference = try Reference()
        var network = try Self.network()
        let (images, labels) = try Self.batch()
        var optimizer = MomentumSGD(learningRate: Float(try #require(reference.json["lr"] as? Double)))
        optimizer.step(&network, gradients: network.gradients(images: images, labels: labels).gradients)
        for name in network.parameterNames {
            let error = Self.relativeError(try #require(network.tensors[name]), try reference.array("step/\(name)"))
            #expect(error < 1e-5, "\(name) after the step: \(error)")
        }
    }
}

extension TrainingTests {
    @Test("one masked step (FPGM-only 40%): the mask is PyTorch's, the weights equal its to 1e-5 relative, pruned filters stay exactly zero")
    func maskedStep() throws {
        let reference = try Reference()
        var network = try Self.network()
        let (images, labels) = try Self.batch(offset: try #require(reference.json["masked_offset"] as? Int))
        #expect(labels == (reference.json["masked_labels"] as? [Int]))
        let plan = try FilterSelector(rates: PruningRates(rateNorm: 1, rateDist: 0.4)).plan(for: network.weights.prunableLayers)
        let mask = TrainingMask(plan: plan)
        #expect(mask.pruned == (reference.json["mask"] as? [String: [Int]]))
        #expect(mask.count == 264)
        mask.apply(to: &network)
        var optimizer = MomentumSGD(learningRate: Float(try #require(reference.json["lr"] as? Double)))
        let result = network.gradients(images: images, labels: labels)
        #expect(relativelyClose(result.loss, try #require(reference.json["masked_loss"] as? Double), 1e-4), "loss \(result.loss)")
        optimizer.step(&network, gradients: result.gradients, mask: mask)
        for name in network.parameterNames {
            let error = Self.relativeError(try #require(network.tensors[name]), try reference.array("masked_step/\(name)"))
            #expect(error < 1e-5, "\(name) after the masked step: \(error)")
        }
        for (layer, filters) in mask.pruned {
            let weights = try #require(network.tensors["\(layer).weight"]), conv = try #require(network.architecture.convolution(named: layer))
            let size = weights.count / conv.outChannels
            #expect(filters.allSatisfy { f in weights[(f * size)..<((f + 1) * size)].allSatisfy { $0 == 0 } }, "\(layer)")
        }
    }
}

extension TrainingTests {
    /// 96 shared training images, 2 epochs of batch 32 with augmentation, FPGM-only 40%.
    static func shortRun(epochs: Int) throws -> (TrainingRun, ImageSet) {
        let images = try ImageData(environment: [:]).load(try #require(data) + "/cifar-10-batches-bin/data_batch_1.bin", split: .train).prefix(96)
        var settings = TrainingSettings(epochs: 2)
        settings.batch = 32
        settings.seed = 7
        let selector = FilterSelector(rates: try PruningRates(rateNorm: 1, rateDist: 0.4))
        var run = try TrainingRun(weights: try network().weights, settings: settings, selector: selector)
        for _ in 0..<epochs { _ = try run.runEpoch(images) }
        return (run, images)
    }

    @Test("seeded: the same seed gives the same weights bit for bit; resuming after epoch 1 of 2 gives the uninterrupted run's weights")
    func seededAndResumed() throws {
        let (first, images) = try Self.shortRun(epochs: 2)
        let (second, _) = try Self.shortRun(epochs: 2)
        #expect(first.network.tensors == second.network.tensors)
        let (half, _) = try Self.shortRun(epochs: 1)
        var resumed = try TrainingRun(resuming: half.network, velocities: half.optimizer.velocities, completedEpochs: 1,
                                      settings: half.settings, selector: half.selector)
        let record = try resumed.runEpoch(images)
        #expect(record.epoch == 2)
        #expect(resumed.network.tensors == first.network.tensors)
        #expect(resumed.network.tensors != half.network.tensors, "the second epoch changed the weights")
        let mask = try #require(first.mask)
        #expect(mask.count == 264)
        for (layer, filters) in mask.pruned {
            let weights = try #require(first.network.tensors["\(layer).weight"])
            let size = weights.count / (try #require(first.network.architecture.convolution(named: layer))).outChannels
            #expect(filters.allSatisfy { f in weights[(f * size)..<((f + 1) * size)].allSatisfy { $0 == 0 } }, "\(layer) after 2 epochs")
        }
    }
}
