import FPGM
import Foundation

/// Real images: reading a 10,000-image python batch against reading its bytes (goal: at most 2x),
/// evaluating 10,000 images on the trained ResNet-56 against the forward pass of the same images
/// (goal: the same rate) and against ONNX Runtime at batch 64 (goal: at least 1.2x), and re-estimating
/// batch norms on 2,000 images against their forward pass (goal: at most 2x); each pair timed in turns. The batch is the shared test images repeated to 10,000
/// (Tools/make_cifar_layouts.py --test-images 10000). Checked first: the batch holds the binary
/// batch's images, the 1,245 shared test images give 1,153 correct, and FPGM-only 40% re-estimated
/// gives the count of the independent numpy evaluation (Tests/Fixtures/accuracy/expected.json).
enum EvaluationBenchmark {
    static let repeats = 5

    static func run() throws {
        guard let weightsFolder = launchEnvironment["FPGM_WEIGHTS_DIR"], let dataFolder = launchEnvironment["FPGM_DATA_DIR"] else {
            print("evaluate: skipped, set FPGM_WEIGHTS_DIR and FPGM_DATA_DIR to the folders of the trained weights and the CIFAR-10 images")
            return
        }
        let scratch = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        _ = try runProgram("/usr/bin/env", ["python3", packageRoot.appendingPathComponent("Tools/make_cifar_layouts.py").path,
                                            dataFolder, scratch.path, "--test-images", "10000"])
        let batchPath = scratch.appendingPathComponent("cifar-10-batches-py/test_batch").path
        let data = ImageData(environment: ["FPGM_DATA_DIR": dataFolder])
        let test = try data.load("hub:cifar10/test", split: .test)
        let large = try data.load(batchPath, split: .test)
        guard large.count == 10_000, large.prefix(test.count) == test else {
            throw BenchmarkFailure(description: "the 10,000-image python batch does not hold the shared test images")
        }

        let architecture = try Architecture.named("resnet56")
        let weights = try architecture.bind(Checkpoint.read(path: weightsFolder + "/resnet56-4bfd9763.th"))
        let network = InferenceNetwork(weights: weights)
        let small = Evaluation(network: network, weights: weights, images: test, normalization: .imagenet)
        guard small.correct == 1153 else { throw BenchmarkFailure(description: "ResNet-56 gives \(small.correct) of 1,245, not 1,153") }
        let expected = try (JSONSerialization.jsonObject(with: Data(contentsOf: packageRoot.appendingPathComponent("Tests/Fixtures/accuracy/expected.json")))
            as? [String: Any]).flatMap { (($0["networks"] as? [String: Any])?["resnet56"] as? [String: Any])?["pruned"] as? [String: [String: Any]] }
        let plan = try FilterSelector(rates: PruningRates(rateNorm: 1, rateDist: 0.4)).plan(for: weights.prunableLayers)
        let masked = weights.masked(by: plan)
        let calibration = try data.load("hub:cifar10/train", split: .train).prefix(2000)
        let recalibrated = BatchNormRecalibration.recalibrated(masked, images: calibration, normalization: .imagenet)
        let recalibratedCorrect = Evaluation(network: InferenceNetwork(weights: recalibrated), weights: recalibrated, images: test,
                                             normalization: .imagenet).correct
        guard let numpy = expected?["fpgm"]?["recalibrated"] as? Int, abs(recalibratedCorrect - numpy) <= 3 else {
            throw BenchmarkFailure(description: "FPGM-only 40% re-estimated gives \(recalibratedCorrect), not the numpy evaluation's count")
        }

        print("evaluate: trained ResNet-56, \(ProcessInfo.processInfo.activeProcessorCount) threads; checks: the python batch holds the shared images, 1,153 of 1,245 correct, re-estimated FPGM-only 40% within 3 images of numpy (\(recalibratedCorrect) against \(numpy))")
        print("")
        let bytes = time(repeats) { _ = FileManager.default.contents(atPath: batchPath).map { [UInt8]($0) } }
        let decoded = time(repeats) { _ = try? data.load(batchPath, split: .test) }
        print(bytes.row("read the batch's 30.7 MB (\(repeats) runs)"))
        print(decoded.row("read the 10,000-image python batch"))
        print(String(format: "python batch / its bytes: %.2fx (goal: at most 2x)", decoded.median / bytes.median))
        print("")
        let batch = large.maps(0..<64, normalization: .imagenet)
        let forward = time(repeats * 4) { _ = network.logits(batch) }
        var decidedExactly = 0
        let chunks = stride(from: 0, to: 10_000, by: 1024).map { large.maps($0..<min($0 + 1024, 10_000), normalization: .imagenet) }
        let (plainLarge, evaluation) = timeInTurns(3, { for chunk in chunks { _ = network.logits(chunk) } }, {
            decidedExactly = Evaluation(network: network, weights: weights, images: large, normalization: .imagenet).exactlyDecided
        })
        print(forward.row("forward pass, batch 64 (\(repeats * 4) runs)") + String(format: "   %8.0f images/s", 64 / forward.median))
        print(plainLarge.row("forward pass, 10,000 images (3 runs)") + String(format: "   %8.0f images/s", 10_000 / plainLarge.median))
        print(evaluation.row("evaluate 10,000 images (3 runs)") + String(format: "   %8.0f images/s", 10_000 / evaluation.median)
              + " (\(decidedExactly) near ties decided in Float64)")
        print(String(format: "evaluation / forward pass of the same images, in turns: %.2f (goal: 1); / the forward pass at batch 64: %.2f",
                     plainLarge.median / evaluation.median, (10_000 / evaluation.median) / (64 / forward.median)))
        if let onnx = try ONNXRuntime.inTurns(weights: weightsFolder + "/resnet56-4bfd9763.th", batch: 64, repeats: repeats * 4, ours: {
            10_000 / time(1) { _ = Evaluation(network: network, weights: weights, images: large, normalization: .imagenet) }.median
        }) {
            print(String(format: "ONNX Runtime %@ (2 threads, batch 64), in turns with the evaluation: %.0f images/s against %.0f: evaluation / ONNX Runtime %.2fx (goal: at least 1.2)",
                         onnx.version, onnx.onnx, onnx.fpgm, onnx.fpgm / onnx.onnx))
        } else {
            print("ONNX Runtime: skipped (set FPGM_ONNX_PYTHON to a python with numpy, onnx and onnxruntime)")
        }
        print("")
        let calibrationMaps = calibration.maps(normalization: .imagenet)
        let (plain, reestimation) = timeInTurns(5, { _ = InferenceNetwork(weights: masked).logits(calibrationMaps) }, {
            _ = BatchNormRecalibration.recalibrated(masked, images: calibration, normalization: .imagenet)
        })
        print(plain.row("forward pass of 2,000 images (5 runs)"))
        print(reestimation.row("re-estimation on 2,000 images (5 runs)"))
        print(String(format: "re-estimation / forward pass, in turns: %.2fx (goal: at most 2x)", reestimation.median / plain.median))
    }
}
