import FPGM
import Foundation

/// The forward pass of the trained ResNet-56, batch 64, full and compact (FPGM-only 40% and the
/// official mix 0.7 / 0.1): images per second, and the measured against the theoretical reduction
/// of the forward time (the paper's Table 5 on this CPU). With ONNX Runtime at hand (`FPGM_ONNX_PYTHON`, a
/// python with numpy, onnx and onnxruntime, or python3 itself when it has them), the same network and
/// images through ONNX Runtime on 2 threads (Tools/onnx_resnet.py), timed in the same run.
enum ForwardBenchmark {
    static let batch = 64, repeats = 20

    static func run() throws {
        guard let folder = launchEnvironment["FPGM_WEIGHTS_DIR"] else {
            print("forward: skipped, set FPGM_WEIGHTS_DIR to the folder of the trained weights")
            return
        }
        let reference = URL(fileURLWithPath: folder).deletingLastPathComponent().appendingPathComponent("reference/forward-logits.json")
        let architecture = try Architecture.named("resnet56")
        let weights = try architecture.bind(Checkpoint.read(path: folder + "/resnet56-4bfd9763.th"))
        let full = InferenceNetwork(weights: weights)

        // Check before timing: PyTorch's logits, and compact = masked.
        let expected = try (JSONSerialization.jsonObject(with: Data(contentsOf: reference)) as? [String: Any])?["logits"] as? [String: [[Double]]]
        let computed = full.logits(GeneratedImages.pattern(count: 4).maps(normalization: .imagenet))
        guard let pytorch = expected?["resnet56-4bfd9763.th"],
              zip(pytorch, computed).allSatisfy({ zip($0, $1).allSatisfy { abs($0 - Double($1)) <= 1e-3 } }) else {
            throw BenchmarkFailure(description: "ResNet-56 logits differ from reference/forward-logits.json")
        }
        let images = GeneratedImages.pattern(count: batch).maps(normalization: .imagenet)
        var rows: [(String, Timings, Double)] = []
        let fullTimes = time(repeats) { _ = full.logits(images) }
        rows.append(("full (\(architecture.parameterCount) parameters)", fullTimes, 0))
        for (label, rates) in [("FPGM-only 40%", try PruningRates(rateNorm: 1.0, rateDist: 0.4)),
                               ("mix 0.7 / 0.1", try PruningRates(rateNorm: 0.7, rateDist: 0.1))] {
            let plan = try FilterSelector(rates: rates).plan(for: weights.prunableLayers)
            let compact = try InferenceNetwork(weights: weights, plan: plan)
            guard compact.relativeDifference(from: InferenceNetwork(weights: weights.masked(by: plan)), on: images) <= 1e-4 else {
                throw BenchmarkFailure(description: "compact logits differ from masked logits (\(label))")
            }
            let theoretical = ExactFLOPsCounter(architecture: architecture).count(plan: plan).reduction
            rows.append(("compact, \(label)", time(repeats) { _ = compact.logits(images) }, theoretical))
        }
        // ONNX Runtime and fpgm's full network take turns, three rounds of `repeats` runs each, so that
        // both see the same machine; the medians of the rounds are compared.
        let onnx = try ONNXRuntime.inTurns(weights: folder + "/resnet56-4bfd9763.th", batch: batch, repeats: repeats) {
            Double(batch) / time(repeats) { _ = full.logits(images) }.median
        }
        print("forward: trained ResNet-56, batch \(batch), \(ProcessInfo.processInfo.activeProcessorCount) threads; check: logits match PyTorch's to 1e-3, compact = masked to 1e-4")
        print("")
        print("".padding(toLength: 40, withPad: " ", startingAt: 0) + "      min    median       p90   images/s   reduction: theory  measured")
        for (label, timings, theoretical) in rows {
            let measured = 1 - timings.median / fullTimes.median
            print(timings.row("\(label) (\(repeats) runs)")
                  + String(format: "   %8.0f", Double(batch) / timings.median)
                  + (theoretical > 0 ? String(format: "            %5.1f%%    %5.1f%%", 100 * theoretical, 100 * measured) : ""))
        }
        print("")
        if let onnx {
            print(String(format: "ONNX Runtime %@ (2 threads, same network and images, checked against the reference logits), in turns with fpgm:",
                         onnx.version))
            print(String(format: "%.0f images/s against fpgm's %.0f (medians of 3 rounds of %d runs): fpgm / ONNX Runtime %.2fx (goal: at least 1)",
                         onnx.onnx, onnx.fpgm, repeats, onnx.fpgm / onnx.onnx))
        } else {
            print("ONNX Runtime: skipped (set FPGM_ONNX_PYTHON to a python with numpy, onnx and onnxruntime)")
        }
    }
}

/// ONNX Runtime on the trained ResNet-56 (Tools/onnx_resnet.py, 2 threads, checked against the reference
/// logits), when a python with numpy, onnx and onnxruntime is at hand (`FPGM_ONNX_PYTHON`, or python3).
enum ONNXRuntime {
    /// Three rounds, each of ONNX Runtime's `repeats` runs at `batch` and then `ours()` (images per second):
    /// the medians of the rounds, and ONNX Runtime's version; nil without ONNX Runtime.
    static func inTurns(weights: String, batch: Int, repeats: Int, ours: () throws -> Double) throws -> (fpgm: Double, onnx: Double, version: String)? {
        let python = launchEnvironment["FPGM_ONNX_PYTHON"] ?? "python3"
        guard (try? runProgram("/usr/bin/env", [python, "-c", "import numpy, onnx, onnxruntime"])) != nil else { return nil }
        let script = packageRoot.appendingPathComponent("Tools/onnx_resnet.py").path
        var fpgm = [Double](), theirs = [Double](), version = "?"
        for _ in 0..<3 {
            let output = try runProgram("/usr/bin/env", [python, script, weights, "56", String(batch), String(repeats)])
            let result = try JSONSerialization.jsonObject(with: output) as? [String: Any]
            guard let rate = result?["images_per_second"] as? Double else { throw BenchmarkFailure(description: "unexpected output from \(script)") }
            theirs.append(rate)
            version = result?["onnxruntime"] as? String ?? version
            fpgm.append(try ours())
        }
        return (fpgm.sorted()[1], theirs.sorted()[1], version)
    }
}
