import Foundation
import Testing
@testable import FPGM

/// Top-1 accuracy on the shared CIFAR-10 test images against an independent numpy evaluation
/// (Tools/make_accuracy_fixtures.py, Tests/Fixtures/accuracy/expected.json): unpruned exactly, masked
/// within one image, with batch norms re-estimated on 2,000 training images within three.
@Suite("Accuracy and batch-norm re-estimation")
struct AccuracyTests {
    static let weights = ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"]
    static let data = ProcessInfo.processInfo.environment["FPGM_DATA_DIR"]
    static let available = weights != nil && data != nil

    static func expected(_ arch: String) throws -> [String: Any] {
        let json = try #require(try Fixtures.json("accuracy/expected.json") as? [String: Any])
        return try #require((json["networks"] as? [String: Any])?[arch] as? [String: Any])
    }

    @Test("unpruned, masked and re-estimated accuracies equal the numpy evaluation", .enabled(if: available),
          arguments: [("resnet20", "resnet20-12fca82f.th"), ("resnet56", "resnet56-4bfd9763.th")])
    func againstNumpy(arch: String, file: String) throws {
        let expected = try Self.expected(arch)
        let weights = try Architecture.named(arch).bind(Checkpoint.read(path: try #require(Self.weights) + "/" + file))
        let data = ImageData(environment: ["FPGM_DATA_DIR": try #require(Self.data)])
        let test = try data.load("hub:cifar10/test", split: .test), calibration = try data.load("hub:cifar10/train", split: .train).prefix(2000)
        let unpruned = Evaluation(network: InferenceNetwork(weights: weights), weights: weights, images: test, normalization: .imagenet)
        #expect(unpruned.correct == expected["unpruned"] as? Int)
        #expect(unpruned.exactlyDecided <= 3, "near ties are rare: \(unpruned.exactlyDecided)")
        #expect(unpruned.perClass.map(\.correct).reduce(0, +) == unpruned.correct)
        #expect(unpruned.perClass.map(\.images) == test.classCounts)
        let cases = try #require(expected["pruned"] as? [String: [String: Any]])
        for (name, kind) in [("fpgm", CriterionKind.fpgm), ("mix", .fpgm), ("l2", .l2)] {
            let entry = try #require(cases[name])
            let rates = try PruningRates(rateNorm: try #require(entry["rate_norm"] as? Double), rateDist: try #require(entry["rate_dist"] as? Double))
            let plan = try FilterSelector(rates: rates, criterion: kind.criterion()).plan(for: weights.prunableLayers)
            #expect(plan.prunedFilters == entry["pruned_filters"] as? Int, "\(arch) \(name)")
            let masked = weights.masked(by: plan)
            let maskedCorrect = Evaluation(network: InferenceNetwork(weights: masked), weights: masked, images: test, normalization: .imagenet).correct
            #expect(abs(maskedCorrect - (try #require(entry["masked"] as? Int))) <= 1, "\(arch) \(name) masked: \(maskedCorrect)")
            let recalibrated = BatchNormRecalibration.recalibrated(masked, images: calibration, normalization: .imagenet)
            let recalibratedCorrect = Evaluation(network: InferenceNetwork(weights: recalibrated), weights: recalibrated, images: test, normalization: .imagenet).correct
            #expect(abs(recalibratedCorrect - (try #require(entry["recalibrated"] as? Int))) <= 3, "\(arch) \(name) re-estimated: \(recalibratedCorrect)")
        }
    }

    @Test("re-estimation: on one batch the running statistics become that batch's mean and unbiased variance; masked channels get 0")
    func oneBatch() throws {
        let architecture = try Architecture.named("resnet20")
        let weights = BoundWeights.synthetic(architecture, seed: 3)
        let plan = try FilterSelector(rates: PruningRates(rateNorm: 1, rateDist: 0.4)).plan(for: weights.prunableLayers)
        let images = GeneratedImages.smooth(count: 6)
        let masked = weights.masked(by: plan)
        let recalibrated = BatchNormRecalibration.recalibrated(masked, images: images, normalization: .imagenet, threads: 1)
        // The stem's input is the image itself: its statistics follow from a direct convolution.
        let maps = images.maps(normalization: .imagenet)
        let stem = masked.tensors["conv1.weight"]!
        let raw = ConvolutionTests.direct(maps, weights: stem.scalars, out: 16, kernel: 3, stride: 1, padding: 1)
        let plane = 32 * 32 * 6
        for c in 0..<16 {
            let values: [Double] = raw[(c * plane)..<((c + 1) * plane)].map(Double.init)
            let mean: Double = values.reduce(0, +) / Double(plane)
            let squares: Double = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            let variance = squares / Double(plane - 1)
            let runningMean = Double(recalibrated.tensors["bn1.running_mean"]!.scalars[c])
            let runningVariance = Double(recalibrated.tensors["bn1.running_var"]!.scalars[c])
            #expect(abs(runningMean - mean) <= 1e-5 * max(1, abs(mean)))
            #expect(relativelyClose(runningVariance, variance, 1e-4) || variance == 0)
        }
        for layer in plan.layers {
            let norm = architecture.graph.batchNorm(of: architecture.convolution(named: layer.name)!).name
            for filter in layer.pruned {
                #expect(recalibrated.tensors["\(norm).running_mean"]!.scalars[filter] == 0)
                #expect(recalibrated.tensors["\(norm).running_var"]!.scalars[filter] == 0)
            }
        }
        // The thread count does not change the result.
        #expect(BatchNormRecalibration.recalibrated(masked, images: images, normalization: .imagenet, threads: 2).tensors == recalibrated.tensors)
    }

    @Test("the Float64 pass that decides near ties gives PyTorch's logits (reference/forward-logits.json) to 1e-4, and VGG-16's fast logits",
          .enabled(if: weights != nil))
    func exactPass() throws {
        let folder = URL(fileURLWithPath: try #require(Self.weights))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.deletingLastPathComponent()
            .appendingPathComponent("reference/forward-logits.json"))) as? [String: Any])
        let expected = try #require((json["logits"] as? [String: [[Double]]])?["resnet20-12fca82f.th"])
        let weights = try Architecture.named("resnet20").bind(Checkpoint.read(path: folder.appendingPathComponent("resnet20-12fca82f.th").path))
        let unfolded = InferenceNetwork(model: CompactModel(weights: weights), foldingBatchNorms: false)
        let images = GeneratedImages.pattern(count: 2)
        for n in 0..<2 {
            let logits = ExactPass.logits(unfolded, norms: weights.batchNormsByConvolution, image: images.maps(n..<(n + 1), normalization: .imagenet))
            #expect(zip(logits, expected[n]).allSatisfy { abs($0 - $1) <= 1e-4 }, "\(logits) against \(expected[n])")
        }
        let vgg = BoundWeights.synthetic(try Architecture.named("vgg16"), seed: 5)
        let one = GeneratedImages.smooth(count: 1).maps(normalization: .imagenet)
        let fast = InferenceNetwork(weights: vgg).logits(one)[0].map(Double.init)
        let exact = ExactPass.logits(InferenceNetwork(model: CompactModel(weights: vgg), foldingBatchNorms: false), norms: vgg.batchNormsByConvolution, image: one)
        let scale = exact.map(abs).max() ?? 1
        #expect(zip(fast, exact).allSatisfy { abs($0 - $1) <= 1e-4 * scale }, "\(fast) against \(exact)")
    }

    @Test("counts: ties to the lower class, per-class sums, binomial standard error, majority baseline")
    func counts() {
        let evaluation = Evaluation(predictions: [0, 1, 1, 2], labels: [0, 1, 2, 2])
        #expect(evaluation.correct == 3 && evaluation.top1 == 0.75)
        #expect(abs(evaluation.standardError - (0.75 * 0.25 / 4).squareRoot()) < 1e-15)
        #expect(evaluation.perClass.prefix(3).map(\.images) == [1, 1, 2] && evaluation.perClass.prefix(3).map(\.correct) == [1, 1, 1])
        let baseline = Evaluation.majorityBaseline([4, 2, 2, 4, 7])
        #expect(baseline.class == 2 && baseline.top1 == 0.4)
        #expect(InferenceNetwork.predictedClass([1, 3, 3, 0]) == 1)
        #expect(Evaluation(predictions: [5, 5, 5], labels: [5, 1, 2]).predictsOneClass)
    }
}
